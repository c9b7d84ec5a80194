// File names are bytes; the policy and the walk work on JS strings. This is the one mapping
// between the two, and it is exact both ways (the surrogate escape of Python's os.fsdecode,
// PEP 383): bytes that are valid UTF-8 become their characters, and each byte that is not
// part of a well-formed UTF-8 sequence becomes the lone surrogate U+DC80 + (byte - 0x80).
//
// Security invariant: encodePath(decodePath(b)) is b, byte for byte, for every byte string
// b; so the supervisor looks up (readlink, lstat, realpath) exactly the names the tracee
// gave, and judges a name by the same text it resolved. A lossy mapping is an escape: with
// U+FFFD for invalid bytes, or latin1 for a whole name that is not UTF-8 (what was done
// before), a lookup of a symlink whose name is not UTF-8 asks for another name, fails with
// ENOENT, and the walk then judges the unresolved name (a symlink `/tmp/\xff` to a denied
// directory opened the files below it). And the text keeps every valid UTF-8 sequence as
// its character, so a rule that names a directory in UTF-8 (`/home/josé`) still covers a
// name below it that is not UTF-8 (`/home/josé/\xff`), which latin1 for the whole name did not.
//
// Why no collision: a well-formed UTF-8 sequence never encodes a surrogate (U+D800..DFFF are
// excluded from UTF-8), so a lone U+DC80..DCFF in a decoded string is always an escaped byte.

import { Buffer } from 'node:buffer';

/** A lone low surrogate in the escape range (the `u` flag: a surrogate pair never matches). */
const ESCAPED = /[\udc80-\udcff]/u;

/** Node's own one-byte slice (what `toString('latin1', start, end)` ends in, without its argument checks). */
const slice = (Buffer.prototype as unknown as { latin1Slice?: (this: Buffer, start: number, end: number) => string }).latin1Slice;

/**
 * Bytes start..end of `b` as one character per byte. Precondition: every byte is below 0x80
 * (for ASCII, decodePath's text is exactly this); the supervisor's per-stop reads, which scan
 * the bytes anyway, call it directly.
 */
export const latin1: (b: Buffer, start: number, end: number) => string = slice !== undefined
  ? (b, start, end) => slice.call(b, start, end)
  : (b, start, end) => b.toString('latin1', start, end);

/** `b[start..end)` as text (see above). */
export function decodePath(b: Uint8Array, start = 0, end = b.length): string {
  const buf = Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  let ascii = true;
  for (let i = start; i < end; i++) {
    if (buf[i]! >= 0x80) {
      ascii = false;
      break;
    }
  }
  if (ascii) return latin1(buf, start, end);
  // Valid UTF-8 decodes and encodes back to the same bytes; anything invalid comes back as
  // U+FFFD, which encodes to other bytes.
  const utf8 = buf.toString('utf8', start, end);
  if (Buffer.byteLength(utf8, 'utf8') === end - start && Buffer.from(utf8, 'utf8').equals(buf.subarray(start, end))) return utf8;
  return decodeEscaping(buf, start, end);
}

/** The length of the well-formed UTF-8 sequence at `i` (Unicode, table 3-7), or 0. */
function sequenceAt(b: Buffer, i: number, end: number): number {
  const c = b[i]!;
  if (c < 0x80) return 1;
  const cont = (k: number, lo = 0x80, hi = 0xbf): boolean => i + k < end && b[i + k]! >= lo && b[i + k]! <= hi;
  if (c >= 0xc2 && c <= 0xdf) return cont(1) ? 2 : 0;
  if (c === 0xe0) return cont(1, 0xa0) && cont(2) ? 3 : 0;
  if ((c >= 0xe1 && c <= 0xec) || c === 0xee || c === 0xef) return cont(1) && cont(2) ? 3 : 0;
  if (c === 0xed) return cont(1, 0x80, 0x9f) && cont(2) ? 3 : 0;
  if (c === 0xf0) return cont(1, 0x90) && cont(2) && cont(3) ? 4 : 0;
  if (c >= 0xf1 && c <= 0xf3) return cont(1) && cont(2) && cont(3) ? 4 : 0;
  if (c === 0xf4) return cont(1, 0x80, 0x8f) && cont(2) && cont(3) ? 4 : 0;
  return 0;
}

function decodeEscaping(b: Buffer, start: number, end: number): string {
  let out = '';
  let i = start;
  while (i < end) {
    const n = sequenceAt(b, i, end);
    if (n === 0) {
      out += String.fromCharCode(0xdc00 + b[i]!);
      i++;
    } else {
      out += b.toString('utf8', i, i + n);
      i += n;
    }
  }
  return out;
}

/** The bytes of a name decodePath gave (any other string: its UTF-8). */
export function encodePath(s: string): Buffer {
  if (!ESCAPED.test(s)) return Buffer.from(s, 'utf8');
  const parts: Buffer[] = [];
  let run = '';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (c >= 0xdc80 && c <= 0xdcff) {
      if (run !== '') parts.push(Buffer.from(run, 'utf8'));
      run = '';
      parts.push(Buffer.of(c - 0xdc00));
    } else {
      run += ch;
    }
  }
  if (run !== '') parts.push(Buffer.from(run, 'utf8'));
  return Buffer.concat(parts);
}

/** PATH_MAX: the kernel refuses a longer path argument (ENAMETOOLONG). */
export const PATH_MAX = 4096;

/**
 * encodePath into `buf` with a NUL after it, for a system call: the length without the NUL,
 * or -1 when the name cannot be passed as it is (longer than PATH_MAX - 1 bytes, which the
 * kernel refuses with ENAMETOOLONG, or holding a NUL, which would cut it short).
 * Precondition: `buf` holds at least 3 * PATH_MAX + 1 bytes.
 */
export function encodePathInto(s: string, buf: Buffer): number {
  if (s.length >= PATH_MAX || s.includes('\0')) return -1;
  let n = buf.write(s, 0, 'utf8'); // at most 3 bytes per UTF-16 unit: it fits
  if (n !== s.length && ESCAPED.test(s)) {
    const e = encodePath(s);
    e.copy(buf, 0);
    n = e.length;
  }
  if (n >= PATH_MAX) return -1;
  buf[n] = 0;
  return n;
}
