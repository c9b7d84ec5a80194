// Reading and writing a tracee's memory with process_vm_readv/writev.
// process_vm_readv fails a whole iovec element that crosses into an unmapped page, so every
// remote range is split at page boundaries: a path string may end just before one.
import { addressOf, errno, processVmReadv, processVmWritev } from './libc.js';

export const PAGE_SIZE = 4096;
const PAGE_MASK = BigInt(PAGE_SIZE - 1);

const liov = new BigUint64Array(2);
const riov = new BigUint64Array(2);

/** Read `len` bytes at `addr`; returns the bytes read (maybe fewer, at an unmapped page), or null. */
export function readMem(pid: number, addr: bigint, len: number): Buffer | null {
  const out = Buffer.alloc(len);
  let done = 0;
  while (done < len) {
    const at = addr + BigInt(done);
    const toPageEnd = PAGE_SIZE - Number(at & PAGE_MASK);
    const n = Math.min(toPageEnd, len - done);
    liov[0] = addressOf(out) + BigInt(done); liov[1] = BigInt(n);
    riov[0] = at; riov[1] = BigInt(n);
    const got = processVmReadv(pid, liov, 1, riov, 1, 0);
    if (got <= 0) break;
    done += got;
    if (got < n) break;
  }
  return done === 0 && len > 0 ? null : out.subarray(0, done);
}

/** Read a NUL-terminated string of at most `max` bytes (without the NUL); null if unreadable or too long. */
export function readCString(pid: number, addr: bigint, max = 4096): Buffer | null {
  const chunks: Buffer[] = [];
  let total = 0;
  let at = addr;
  let want = 256; // most paths are short: read a little first, then a page at a time
  while (total <= max) {
    const n = Math.min(want, PAGE_SIZE - Number(at & PAGE_MASK)); // never cross a page in one read
    want = PAGE_SIZE;
    const chunk = readMem(pid, at, n);
    if (chunk === null || chunk.length === 0) return null;
    const nul = chunk.indexOf(0);
    if (nul >= 0) {
      chunks.push(chunk.subarray(0, nul));
      total += nul;
      return total <= max ? Buffer.concat(chunks, total) : null;
    }
    chunks.push(chunk);
    total += chunk.length;
    at += BigInt(chunk.length);
  }
  return null;
}

/** Write `data` at `addr`; returns 0 or an errno. */
export function writeMem(pid: number, addr: bigint, data: Uint8Array): number {
  let done = 0;
  while (done < data.length) {
    const at = addr + BigInt(done);
    const n = Math.min(PAGE_SIZE - Number(at & PAGE_MASK), data.length - done);
    liov[0] = addressOf(data) + BigInt(done); liov[1] = BigInt(n);
    riov[0] = at; riov[1] = BigInt(n);
    const put = processVmWritev(pid, liov, 1, riov, 1, 0);
    if (put <= 0) return put < 0 ? errno() : 14;
    done += put;
  }
  return 0;
}
