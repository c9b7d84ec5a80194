// Decoding a call's arguments for the audit stream, by the catalogue's argument names and
// kinds: paths resolved, sockaddrs decoded, integers by their C width and sign.
import { abi } from '@sysvm/policy/evaluate';
import { syscallByName } from '../abi.js';
import { AT_FDCWD } from '../linux/consts.js';
import { readCString } from '../linux/mem.js';
import { decodePath } from '../linux/pathtext.js';
import type { PathDeref } from './paths.js';
import { type Sockaddr, sockaddrOfCall } from './sockaddr.js';

export function formatSockaddr(sa: Sockaddr): string {
  if (typeof sa.family === 'number') return `family:${sa.family}`;
  if (sa.family === 'unix') return `unix:${(sa as { path: string }).path}`;
  if (sa.family === 'inet') return `inet:${(sa as { address: string }).address}:${(sa as { port: number }).port}`;
  const s6 = sa as { address: string; port: number };
  return `inet6:[${s6.address}]:${s6.port}`;
}

const hex = (v: bigint): string => `0x${v.toString(16)}`;

export function decodeArgs(tid: number, name: string, args: readonly bigint[], deref: PathDeref): Record<string, string | number> {
  const out: Record<string, string | number> = {};
  const info = syscallByName(name);
  if (info === undefined || !info.args) {
    args.forEach((a, i) => { out[`arg${i}`] = hex(a); });
    return out;
  }
  info.args.forEach((a, i) => {
    const raw = args[i] ?? 0n;
    // What the kernel reads: the low 16 or 32 bits of a narrower argument (umode_t, int).
    const v = a.signed ? BigInt.asIntN(a.width, raw) : BigInt.asUintN(a.width, raw);
    switch (a.kind) {
      case 'path': {
        const p = deref.path(i);
        out[a.name] = p ?? hex(raw);
        break;
      }
      case 'string': {
        const s = raw === 0n ? null : readCString(tid, raw, 256);
        out[a.name] = s === null ? hex(raw) : decodePath(s);
        break;
      }
      case 'sockaddr': {
        const sa = sockaddrOfCall(tid, name, args);
        out[a.name] = sa === undefined ? hex(raw) : formatSockaddr(sa);
        break;
      }
      case 'dirfd':
        out[a.name] = Number(BigInt.asIntN(32, raw)) === AT_FDCWD ? 'AT_FDCWD' : Number(BigInt.asIntN(32, raw));
        break;
      case 'int': case 'uint': case 'long': case 'ulong': case 'size': case 'fd': case 'pid': case 'uid':
        out[a.name] = v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
        break;
      case 'mode':
        out[a.name] = `0o${v.toString(8)}`;
        break;
      case 'flags':
        out[a.name] = a.constPrefix !== undefined && abi.hasXlat(a.constPrefix) ? abi.formatConstant(a.constPrefix, v) : hex(v);
        break;
      default:
        out[a.name] = hex(v);
    }
  });
  // sendmsg's destination sits inside its struct msghdr.
  if (name === 'sendmsg') {
    const sa = sockaddrOfCall(tid, name, args);
    if (sa !== undefined) out.sockaddr = formatSockaddr(sa);
  }
  return out;
}
