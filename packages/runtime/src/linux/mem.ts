// Reading and writing a tracee's memory with process_vm_readv/writev.
// process_vm_readv fails a whole iovec element that crosses into an unmapped page, so every
// remote range is split at page boundaries: a path string may end just before one.
import { addressOf, errno, Pinned, processVmReadv, processVmReadvAt, processVmWritev } from './libc.js';
import { decodePath, latin1 } from './pathtext.js';

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

/**
 * The memory readCStringText reads into, by its address (libc.ts, Pinned): the string buffer
 * (the longest string it reads, PATH_MAX and its NUL, fits), then its two iovecs.
 */
const STR_MAX = PAGE_SIZE;
const STR_SIZE = 2 * PAGE_SIZE;
const SCRATCH = new Pinned(STR_SIZE + 32);
const STR = SCRATCH.bytes.subarray(0, STR_SIZE);
// The iovecs, written through 32-bit views where they can: no BigInt is made per read.
const sliov32 = new Uint32Array(SCRATCH.bytes.buffer, STR_SIZE, 4);
const sriov = new BigUint64Array(SCRATCH.bytes.buffer, STR_SIZE + 16, 2);
const sriov32 = new Uint32Array(SCRATCH.bytes.buffer, STR_SIZE + 16, 4);

/**
 * readCString for the per-stop path read: the same bytes and the same null cases, read
 * into one reused buffer with one process_vm_readv per page the string touches, and
 * returned as text by linux/pathtext.ts's exact mapping (a file name is bytes, not text).
 */
export function readCStringText(pid: number, addr: bigint, max = STR_MAX): string | null {
  if (max > STR_MAX) {
    const b = readCString(pid, addr, max);
    return b === null ? null : bytesToText(b);
  }
  const base = SCRATCH.addr;
  const liovAt = base + STR_SIZE;
  let total = 0;
  let wide = false;
  let want = 256; // most paths are short: copy a little first, then a page at a time
  sriov[0] = addr;
  while (total <= max) {
    // never across a page in one read: the next page may be unmapped (x86_64 is little-endian:
    // word 0 is the low half of the address, word 2 the low half of the length)
    const n = Math.min(want, PAGE_SIZE - (sriov32[0]! & (PAGE_SIZE - 1)), max + 1 - total);
    want = PAGE_SIZE;
    // the local address: below 2^47, so its halves are exact in 32-bit words
    const at = base + total;
    sliov32[0] = at % 0x100000000; sliov32[1] = Math.floor(at / 0x100000000);
    sliov32[2] = n; sliov32[3] = 0;
    sriov32[2] = n; sriov32[3] = 0;
    const got = processVmReadvAt(pid, liovAt, 1, liovAt + 16, 1, 0);
    if (got <= 0) return null;
    // The first NUL of this read (past it are an earlier string's bytes).
    const end = total + got;
    let i = total;
    for (; i < end; i++) {
      const b = STR[i]!;
      if (b === 0) break;
      if (b >= 0x80) wide = true;
    }
    if (i < end) return wide ? decodePath(STR, 0, i) : latin1(STR, 0, i);
    total = end;
    sriov[0] = sriov[0]! + BigInt(got);
  }
  return null;
}

/** Bytes (a name) as text: linux/pathtext.ts's exact mapping. */
export function bytesToText(raw: Buffer): string {
  return decodePath(raw);
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
