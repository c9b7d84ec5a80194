// The exact mapping between file names (bytes) and text lives in @sysvm/policy (pathtext.ts),
// so that the policy's own tools (`sysvm test`, `explain`) read "\xHH" in a call the way the
// supervisor reads a name; the runtime uses it from here.
import { encodePath } from '@sysvm/policy/pathtext';

export { decodePath, encodePath, encodePathInto, PATH_MAX } from '@sysvm/policy/pathtext';

/** A name as the NUL-terminated bytes it stands for, for a system call or a tracee's memory. */
export const cString = (s: string): Buffer => Buffer.concat([encodePath(s), Buffer.alloc(1)]);

/** Node's own one-byte slice (what `toString('latin1', start, end)` ends in, without its argument checks). */
const slice = (Buffer.prototype as unknown as { latin1Slice?: (this: Buffer, start: number, end: number) => string }).latin1Slice;

/**
 * Bytes start..end of `b` as one character per byte. Precondition: every byte is below 0x80
 * (for ASCII, decodePath's text is exactly this); the per-stop reads check it as they scan.
 */
export const latin1: (b: Buffer, start: number, end: number) => string = slice !== undefined
  ? (b, start, end) => slice.call(b, start, end)
  : (b, start, end) => b.toString('latin1', start, end);
