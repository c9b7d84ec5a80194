// Decoding socket addresses (for connect, bind, sendto, sendmsg): the family, an IPv4/IPv6
// address and port, or a unix socket path (abstract names start with '@').
// Security: like paths, a sockaddr read at entry is advisory for a pass verdict unless the
// argument is copied to memory the tracee cannot change.

import { joinIPv6Groups, type SockAddr as PolicySockAddr } from '@sysvm/policy/evaluate';
import { readMem } from '../linux/mem.js';
import { decodePath } from '../linux/pathtext.js';

export type Sockaddr =
  | { family: 'unix'; path: string; abstract: boolean }
  | { family: 'inet'; address: string; port: number }
  | { family: 'inet6'; address: string; port: number; scopeId: number }
  | { family: number };

// <linux/socket.h>
const AF_UNSPEC = 0;
const AF_UNIX = 1;
const AF_INET = 2;
const AF_INET6 = 10;

export function decodeSockaddr(b: Buffer): Sockaddr | undefined {
  if (b.length < 2) return undefined;
  const family = b.readUInt16LE(0);
  if (family === AF_UNIX) {
    const raw = b.subarray(2);
    if (raw.length === 0) return { family: 'unix', path: '', abstract: false };
    if (raw[0] === 0) return { family: 'unix', path: `@${decodePath(raw, 1)}`, abstract: true };
    const nul = raw.indexOf(0);
    return { family: 'unix', path: decodePath(raw, 0, nul < 0 ? raw.length : nul), abstract: false };
  }
  if (family === AF_INET) {
    if (b.length < 8) return undefined;
    return { family: 'inet', address: [...b.subarray(4, 8)].join('.'), port: b.readUInt16BE(2) };
  }
  if (family === AF_INET6) {
    if (b.length < 24) return undefined;
    const groups: string[] = [];
    for (let i = 0; i < 8; i++) groups.push(b.readUInt16BE(8 + 2 * i).toString(16));
    // Canonical form: the longest run of zero groups becomes '::' (an IPv4-mapped address
    // stays in hex groups here, as the audit stream has always shown it).
    const address = joinIPv6Groups(groups);
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

// --- the policy's view (IR SockAddr, for sockaddr conditions) --------------------------------

/** sizeof(struct sockaddr_storage): the kernel refuses longer addresses, or clamps a msghdr's. */
const SOCKADDR_MAX = 128;
/** UIO_MAXIOV: sendmmsg sends at most this many messages per call. */
const UIO_MAXIOV = 1024;
/** sizeof(struct user_msghdr) and of struct mmsghdr on x86_64. */
const MSGHDR_SIZE = 56;
const MMSGHDR_SIZE = 64;

/**
 * Resolves a unix socket path as the kernel does for the call (paths.ts): relative to the
 * thread's cwd, `..` folded, symlinks followed (the last one too when `follow`); undefined
 * when it cannot.
 */
export type UnixPathResolver = (path: string, follow: boolean) => string | undefined;

/**
 * One address as the policy sees it (IR `SockAddr`): null when the call names none (a NULL
 * pointer or a zero length: the kernel then uses the socket's peer); undefined when it
 * cannot be read or the kernel would refuse its length.
 *
 * Security: a unix socket path is judged as the object the kernel reaches, like a file path:
 * connect, sendto and sendmsg look the path up following every symlink (unix_find_bsd:
 * LOOKUP_FOLLOW), bind creates its last component (only the directories above it are
 * followed). Judged as written, `connect("/var/run/docker.sock")` (on Debian /var/run is a
 * symlink to /run) or a symlink the program made to a socket would pass a rule on
 * /run/docker.sock.
 */
function policyAddr(tid: number, ptr: bigint, len: number, follow: boolean, resolve: UnixPathResolver): PolicySockAddr | null | undefined {
  if (ptr === 0n || len === 0) return null;
  if (len < 2 || len > SOCKADDR_MAX) return undefined;
  const b = readMem(tid, ptr, len);
  if (b === null || b.length < len) return undefined;
  const family = b.readUInt16LE(0);
  if (family === AF_UNSPEC) {
    // UDP over IPv4 and raw sockets read sin_addr/sin_port of an AF_UNSPEC sendto address.
    return len >= 8 ? { family: 'unspec', address: [...b.subarray(4, 8)].join('.'), port: b.readUInt16BE(2) } : { family: 'unspec' };
  }
  const sa = decodeSockaddr(b);
  if (sa === undefined) return undefined;
  if (sa.family === 'unix') {
    const u = sa as { path: string; abstract: boolean };
    if (u.abstract || u.path === '') return { family: 'unix', path: u.path };
    const path = resolve(u.path, follow);
    return path === undefined ? undefined : { family: 'unix', path };
  }
  if (sa.family === 'inet') return { family: 'inet', address: (sa as { address: string }).address, port: (sa as { port: number }).port };
  if (sa.family === 'inet6') return { family: 'inet6', address: (sa as { address: string }).address, port: (sa as { port: number }).port };
  return { family: sa.family as number };
}

/** msg_name and msg_namelen of the struct user_msghdr at `b[off..]`, as the kernel reads them. */
function msgName(tid: number, b: Buffer, off: number, resolve: UnixPathResolver): PolicySockAddr | null | undefined {
  const ptr = b.readBigUInt64LE(off);
  const len = b.readInt32LE(off + 8);
  if (ptr === 0n) return null;
  if (len < 0) return undefined;
  return policyAddr(tid, ptr, Math.min(len, SOCKADDR_MAX), true, resolve);
}

/**
 * The addresses connect, bind, sendto, sendmsg (msg_name) and sendmmsg (each message's
 * msg_name, up to vlen) name, for the policy's sockaddr conditions; undefined if any cannot
 * be read (the condition then fails closed).
 */
export function policySockaddrs(tid: number, name: string, args: readonly bigint[], resolve: UnixPathResolver): (PolicySockAddr | null)[] | undefined {
  const one = (a: PolicySockAddr | null | undefined): (PolicySockAddr | null)[] | undefined => (a === undefined ? undefined : [a]);
  switch (name) {
    case 'connect':
    case 'bind':
      return one(policyAddr(tid, args[1]!, Number(BigInt.asIntN(32, args[2]!)), name !== 'bind', resolve));
    case 'sendto':
      return one(policyAddr(tid, args[4]!, Number(BigInt.asIntN(32, args[5]!)), true, resolve));
    case 'sendmsg': {
      const h = readMem(tid, args[1]!, MSGHDR_SIZE);
      return h === null || h.length < MSGHDR_SIZE ? undefined : one(msgName(tid, h, 0, resolve));
    }
    case 'sendmmsg': {
      const vlen = Math.min(Number(args[2]! & 0xffffffffn), UIO_MAXIOV);
      if (vlen === 0) return [];
      const v = readMem(tid, args[1]!, vlen * MMSGHDR_SIZE);
      if (v === null || v.length < vlen * MMSGHDR_SIZE) return undefined;
      const out: (PolicySockAddr | null)[] = [];
      for (let i = 0; i < vlen; i++) {
        const a = msgName(tid, v, i * MMSGHDR_SIZE, resolve);
        if (a === undefined) return undefined;
        out.push(a);
      }
      return out;
    }
    default:
      return undefined;
  }
}
