// Serialisation to and from the array of `struct sock_filter` the kernel takes
// (`struct sock_fprog.filter`): 8 bytes per instruction, u16 code, u8 jt, u8 jf,
// u32 k, in the host's byte order (little-endian on x86_64 and aarch64).
import type { Insn, Program } from './isa.js';

export const SOCK_FILTER_SIZE = 8;

export function toSockFilter(prog: Program): Uint8Array {
  const buf = new Uint8Array(prog.length * SOCK_FILTER_SIZE);
  const view = new DataView(buf.buffer);
  prog.forEach((ins, i) => {
    const o = i * SOCK_FILTER_SIZE;
    view.setUint16(o, ins.code, true);
    view.setUint8(o + 2, ins.jt);
    view.setUint8(o + 3, ins.jf);
    view.setUint32(o + 4, ins.k >>> 0, true);
  });
  return buf;
}

export function fromSockFilter(bytes: Uint8Array): Insn[] {
  if (bytes.byteLength % SOCK_FILTER_SIZE !== 0) {
    throw new RangeError(`${bytes.byteLength} bytes is not a whole number of sock_filter entries (8 bytes each)`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: Insn[] = [];
  for (let o = 0; o < bytes.byteLength; o += SOCK_FILTER_SIZE) {
    out.push({ code: view.getUint16(o, true), jt: view.getUint8(o + 2), jf: view.getUint8(o + 3), k: view.getUint32(o + 4, true) });
  }
  return out;
}
