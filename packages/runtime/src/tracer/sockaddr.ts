// Decoding socket addresses (for connect, bind, sendto, sendmsg): the family, an IPv4/IPv6
// address and port, or a unix socket path (abstract names start with '@').
// Security: like paths, a sockaddr read at entry is advisory for a pass verdict unless the
// argument is copied to memory the tracee cannot change.
import { readMem } from '../linux/mem.js';

export type Sockaddr =
  | { family: 'unix'; path: string; abstract: boolean }
  | { family: 'inet'; address: string; port: number }
  | { family: 'inet6'; address: string; port: number; scopeId: number }
  | { family: number };

// <linux/socket.h>
const AF_UNIX = 1;
const AF_INET = 2;
const AF_INET6 = 10;

export function decodeSockaddr(b: Buffer): Sockaddr | undefined {
  if (b.length < 2) return undefined;
  const family = b.readUInt16LE(0);
  if (family === AF_UNIX) {
    const raw = b.subarray(2);
    if (raw.length === 0) return { family: 'unix', path: '', abstract: false };
    if (raw[0] === 0) return { family: 'unix', path: `@${raw.subarray(1).toString('latin1')}`, abstract: true };
    const nul = raw.indexOf(0);
    return { family: 'unix', path: raw.subarray(0, nul < 0 ? raw.length : nul).toString('utf8'), abstract: false };
  }
  if (family === AF_INET) {
    if (b.length < 8) return undefined;
    return { family: 'inet', address: [...b.subarray(4, 8)].join('.'), port: b.readUInt16BE(2) };
  }
  if (family === AF_INET6) {
    if (b.length < 24) return undefined;
    const groups: string[] = [];
    for (let i = 0; i < 8; i++) groups.push(b.readUInt16BE(8 + 2 * i).toString(16));
    // Canonical form: the longest run of zero groups becomes '::'.
    let best = -1, bestLen = 0;
    for (let i = 0; i < 8;) {
      if (groups[i] !== '0') { i++; continue; }
      let j = i;
      while (j < 8 && groups[j] === '0') j++;
      if (j - i > bestLen && j - i > 1) { best = i; bestLen = j - i; }
      i = j;
    }
    const address = best < 0 ? groups.join(':')
      : `${groups.slice(0, best).join(':')}::${groups.slice(best + bestLen).join(':')}`;
    return { family: 'inet6', address, port: b.readUInt16BE(2), scopeId: b.length >= 28 ? b.readUInt32LE(24) : 0 };
  }
  return { family };
}

/** Read and decode the sockaddr of `len` bytes at `addr` in the tracee. */
export function readSockaddr(tid: number, addr: bigint, len: bigint): Sockaddr | undefined {
  if (addr === 0n || len <= 0n || len > 128n) return undefined;
  const b = readMem(tid, addr, Number(len));
  return b === null ? undefined : decodeSockaddr(b);
}

/** The destination of connect/bind/sendto/sendmsg, from their raw arguments. */
export function sockaddrOfCall(tid: number, name: string, args: readonly bigint[]): Sockaddr | undefined {
  switch (name) {
    case 'connect':
    case 'bind':
      return readSockaddr(tid, args[1]!, args[2]! & 0xffffffffn);
    case 'sendto':
      return readSockaddr(tid, args[4]!, args[5]! & 0xffffffffn);
    case 'sendmsg': {
      // struct msghdr { void *msg_name; int msg_namelen; ... }
      const h = readMem(tid, args[1]!, 16);
      if (h === null || h.length < 16) return undefined;
      return readSockaddr(tid, h.readBigUInt64LE(0), BigInt(h.readUInt32LE(8)));
    }
    default:
      return undefined;
  }
}
