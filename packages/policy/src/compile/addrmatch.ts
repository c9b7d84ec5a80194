// Socket address matching for SockaddrConditions, shared by the front end (parsing the
// policy's CIDRs, ports and endpoints), `evaluate` and `explain`. Pure: addresses are text
// (what the runtime decodes and what a test writes) and become bigints only to compare.
import type { Cidr, PortRange, SockAddr, SockaddrCondition, SockaddrPattern, SockFamily } from '../ir.js';
import { pathMatches } from './pathmatch.js';

/** An IPv4 address as a 32-bit integer, or undefined. Dotted quad only (no 127.1, no octal). */
export function parseIPv4(text: string): bigint | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let v = 0n;
  for (const p of parts) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p) || Number(p) > 255) return undefined;
    v = (v << 8n) | BigInt(p);
  }
  return v;
}

/** An IPv6 address as a 128-bit integer, or undefined (RFC 4291 text, with an optional dotted IPv4 tail). */
export function parseIPv6(text: string): bigint | undefined {
  if (!/^[0-9A-Fa-f:.]+$/.test(text)) return undefined;
  let head = text;
  let tail: bigint[] = [];
  const lastColon = text.lastIndexOf(':');
  if (text.includes('.')) {
    const v4 = parseIPv4(text.slice(lastColon + 1));
    if (v4 === undefined || lastColon < 0) return undefined;
    tail = [v4 >> 16n, v4 & 0xffffn];
    head = text.slice(0, lastColon + 1);
    if (!head.endsWith('::')) head = head.slice(0, -1); // `::1.2.3.4` keeps its `::`
  }
  const dbl = head.indexOf('::');
  if (dbl >= 0 && head.indexOf('::', dbl + 1) >= 0) return undefined;
  const group = (g: string): bigint | undefined => (/^[0-9A-Fa-f]{1,4}$/.test(g) ? BigInt(`0x${g}`) : undefined);
  const groups = (s: string): bigint[] | undefined => {
    if (s === '') return [];
    const gs = s.split(':').map(group);
    return gs.every((g) => g !== undefined) ? gs as bigint[] : undefined;
  };
  let all: bigint[];
  if (dbl >= 0) {
    const left = groups(head.slice(0, dbl));
    const right = groups(head.slice(dbl + 2));
    if (!left || !right) return undefined;
    const missing = 8 - left.length - right.length - tail.length;
    if (missing < 1) return undefined;
    all = [...left, ...Array<bigint>(missing).fill(0n), ...right, ...tail];
  } else {
    const gs = groups(head);
    if (!gs) return undefined;
    all = [...gs, ...tail];
  }
  if (all.length !== 8) return undefined;
  return all.reduce((a, g) => (a << 16n) | g, 0n);
}

export const formatIPv4 = (v: bigint): string => [24n, 16n, 8n, 0n].map((s) => String((v >> s) & 0xffn)).join('.');

/** RFC 5952 text of a 128-bit IPv6 address (longest run of zero groups as `::`). */
export function formatIPv6(v: bigint): string {
  // RFC 5952 section 5: an IPv4-mapped address keeps its dotted tail.
  if (v >> 32n === 0xffffn) return `::ffff:${formatIPv4(v & 0xffffffffn)}`;
  const groups: string[] = [];
  for (let i = 7; i >= 0; i--) groups.push(((v >> BigInt(16 * i)) & 0xffffn).toString(16));
  return joinIPv6Groups(groups);
}

/** Eight IPv6 groups (lower-case hex, no leading zeros) joined, the longest run of two or more zero groups as `::`. */
export function joinIPv6Groups(groups: readonly string[]): string {
  let best = -1;
  let bestLen = 0;
  for (let i = 0; i < 8;) {
    if (groups[i] !== '0') { i++; continue; }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > bestLen && j - i > 1) { best = i; bestLen = j - i; }
    i = j;
  }
  if (best < 0) return groups.join(':');
  return `${groups.slice(0, best).join(':')}::${groups.slice(best + bestLen).join(':')}`;
}

/** A CIDR (`10.0.0.0/8`, `::1/128`) or a bare address (a /32 or /128); the reason it is not one otherwise. */
export function parseCidr(text: string): Cidr | { reason: string } {
  const slash = text.indexOf('/');
  const addr = slash < 0 ? text : text.slice(0, slash);
  const v4 = parseIPv4(addr);
  const v6 = v4 === undefined ? parseIPv6(addr) : undefined;
  if (v4 === undefined && v6 === undefined) {
    return { reason: /^[0-9.]+$/.test(addr) ? 'not a dotted-quad IPv4 address (four numbers 0-255)'
      : /[g-zG-Z]/.test(addr) ? 'a host name, not an address (names are not resolved: write the addresses)'
        : 'not an IPv4 or IPv6 address' };
  }
  const bits = v4 !== undefined ? 32 : 128;
  let prefix = bits;
  if (slash >= 0) {
    const p = text.slice(slash + 1);
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p) || Number(p) > bits) return { reason: `the prefix length must be 0 to ${bits}` };
    prefix = Number(p);
  }
  const value = (v4 ?? v6)!;
  const hostBits = BigInt(bits - prefix);
  if (hostBits > 0n && (value & ((1n << hostBits) - 1n)) !== 0n) {
    const net = (value >> hostBits) << hostBits;
    const shown = v4 !== undefined ? formatIPv4(net) : formatIPv6(net);
    return { reason: `host bits are set after /${prefix}: the block is ${shown}/${prefix}` };
  }
  return { family: v4 !== undefined ? 'inet' : 'inet6', address: v4 !== undefined ? formatIPv4(value) : formatIPv6(value), prefix };
}

/** A port (443) or an inclusive range ("8000-8999"); the reason it is not one otherwise. */
export function parsePorts(v: number | string): PortRange | { reason: string } {
  const one = (s: string): number | undefined => (/^(0|[1-9][0-9]{0,4})$/.test(s) && Number(s) <= 65535 ? Number(s) : undefined);
  if (typeof v === 'number') {
    return Number.isInteger(v) && v >= 0 && v <= 65535 ? { from: v, to: v } : { reason: 'a port is 0 to 65535' };
  }
  const m = /^([^-]*)-([^-]*)$/.exec(v.trim());
  if (!m) {
    const p = one(v.trim());
    return p === undefined ? { reason: 'a port is a number 0 to 65535 or a range like 8000-8999' } : { from: p, to: p };
  }
  const from = one(m[1]!.trim());
  const to = one(m[2]!.trim());
  if (from === undefined || to === undefined) return { reason: 'both ends of a range are ports 0 to 65535' };
  if (from > to) return { reason: `the range is empty (${from} > ${to})` };
  return { from, to };
}

/** An endpoint of `network.connect` and of the scalar `addr:` shorthand. */
export type Endpoint =
  | { kind: 'inet'; cidr?: Cidr; ports?: PortRange }
  | { kind: 'unix'; path: string };

/**
 * `10.0.0.0/8:443`, `10.0.0.0/8` (any port), `1.2.3.4:8000-8999`, `[::1]:8080`,
 * `[2001:db8::/32]`, `::1` (a bare IPv6 address: any port), `*:443` (any address), and unix
 * socket paths: `/run/x.sock` (and under it), `@abstract`. Paths come back unexpanded.
 */
export function parseEndpoint(text: string): Endpoint | { reason: string } {
  const t = text.trim();
  if (t.startsWith('/') || t.startsWith('@') || t.startsWith('~') || t.startsWith('$')) return { kind: 'unix', path: t };
  if (t.startsWith('unix:')) return t.length > 5 ? { kind: 'unix', path: t.slice(5) } : { reason: 'unix: needs a path' };
  let host: string;
  let port: string | undefined;
  if (t.startsWith('[')) {
    const close = t.indexOf(']');
    if (close < 0) return { reason: "an IPv6 address in brackets needs its ']'" };
    host = t.slice(1, close);
    const rest = t.slice(close + 1);
    if (rest !== '' && !rest.startsWith(':')) return { reason: "after ']' comes ':PORT' or nothing" };
    if (rest !== '') port = rest.slice(1);
  } else if ((t.match(/:/g) ?? []).length > 1) {
    host = t; // a bare IPv6 address or block: no port
  } else {
    const colon = t.indexOf(':');
    host = colon < 0 ? t : t.slice(0, colon);
    if (colon >= 0) port = t.slice(colon + 1);
  }
  const out: { kind: 'inet'; cidr?: Cidr; ports?: PortRange } = { kind: 'inet' };
  if (host !== '*') {
    const c = parseCidr(host);
    if ('reason' in c) return { reason: `'${host}': ${c.reason}` };
    out.cidr = c;
  }
  if (port !== undefined && port !== '*') {
    const p = parsePorts(port);
    if ('reason' in p) return { reason: `'${port}': ${p.reason}` };
    out.ports = p;
  }
  if (!out.cidr && !out.ports) return { reason: 'any address and any port: use `allow: all`, or name addresses or ports' };
  return out;
}

const ipv4Value = (a: string): bigint | undefined => parseIPv4(a);

/** The forms an address stands for: its own, and the IPv4 address an IPv4-mapped one maps. */
function forms(sa: SockAddr, destination: boolean): { family: 'inet' | 'inet6'; value: bigint }[] {
  const out: { family: 'inet' | 'inet6'; value: bigint }[] = [];
  if (sa.family === 'inet' || (sa.family === 'unspec' && 'address' in sa && sa.address !== undefined)) {
    const v = ipv4Value((sa as { address: string }).address);
    if (v !== undefined) out.push({ family: 'inet', value: v });
  } else if (sa.family === 'inet6') {
    const v = parseIPv6(sa.address);
    if (v !== undefined) {
      out.push({ family: 'inet6', value: v });
      // Security: ::ffff:a.b.c.d on an AF_INET6 socket is sent over IPv4 to a.b.c.d, so it
      // must meet the IPv4 blocks too, for an allow (10.0.0.0/8 does not let ::ffff:1.2.3.4
      // through: neither form is inside) and for a deny (1.2.3.4 catches ::ffff:1.2.3.4).
      if (v >> 32n === 0xffffn) out.push({ family: 'inet', value: v & 0xffffffffn });
    }
  }
  // Security: a destination of 0.0.0.0 (or ::, or ::ffff:0.0.0.0) reaches this host's
  // loopback (the kernel's route lookup puts 127.0.0.1 / ::1 there), so a deny of 127.0.0.1
  // must catch it too. Not for bind, where 0.0.0.0 means every interface.
  if (destination) {
    if (out.some((f) => f.family === 'inet' && f.value === 0n)) out.push({ family: 'inet', value: 0x7f000001n });
    if (out.some((f) => f.family === 'inet6' && f.value === 0n)) out.push({ family: 'inet6', value: 1n });
  }
  return out;
}

function inCidr(c: Cidr, f: { family: 'inet' | 'inet6'; value: bigint }): boolean {
  if (c.family !== f.family) return false;
  const bits = c.family === 'inet' ? 32n : 128n;
  const base = c.family === 'inet' ? parseIPv4(c.address) : parseIPv6(c.address);
  if (base === undefined) return false;
  const host = bits - BigInt(c.prefix);
  return f.value >> host === base >> host;
}

/** The family of a decoded address by the names conditions use; undefined for any other family. */
export function familyOf(sa: SockAddr | null): SockFamily | undefined {
  if (sa === null) return 'none';
  return typeof sa.family === 'number' ? undefined : sa.family;
}

/**
 * Whether one address satisfies the condition (matches a pattern; with `negate`, none).
 * `destination`: the call sends to it (connect, sendto, sendmsg, sendmmsg), not bind.
 */
export function sockaddrMatches(c: SockaddrCondition, sa: SockAddr | null, destination: boolean): boolean {
  const any = c.patterns.some((p) => patternMatches(p, sa, destination));
  return c.negate ? !any : any;
}

/** This host's loopback blocks (`network: { allow: loopback }`). A destination 0.0.0.0 or :: reaches them too (forms). */
export const LOOPBACK_CIDRS: readonly Cidr[] = [
  { family: 'inet', address: '127.0.0.0', prefix: 8 },
  { family: 'inet6', address: '::1', prefix: 128 },
];

/** Whether a destination reaches this host's loopback (127.0.0.0/8, ::1, an IPv4-mapped one, 0.0.0.0, ::). */
export function reachesLoopback(sa: SockAddr): boolean {
  return patternMatches({ cidrs: [...LOOPBACK_CIDRS] }, sa, true);
}

/** Whether one address meets every part of a pattern. */
export function patternMatches(c: SockaddrPattern, sa: SockAddr | null, destination: boolean): boolean {
  const family = familyOf(sa);
  if (c.families && (family === undefined || !c.families.includes(family))) return false;
  if (c.cidrs || c.ports) {
    if (sa === null || typeof sa.family === 'number' || sa.family === 'unix') return false;
    if (c.cidrs) {
      const fs = forms(sa, destination);
      if (!c.cidrs.some((cidr) => fs.some((f) => inCidr(cidr, f)))) return false;
    }
    if (c.ports) {
      const port = 'port' in sa ? sa.port : undefined;
      if (port === undefined || !c.ports.some((r) => port >= r.from && port <= r.to)) return false;
    }
  }
  if (c.op !== undefined) {
    if (sa === null || sa.family !== 'unix') return false;
    return pathMatches(c.op, c.values ?? [], (sa as { path: string }).path);
  }
  return true;
}

export const formatCidr = (c: Cidr): string => `${c.address}/${c.prefix}`;
export const formatPorts = (r: PortRange): string => (r.from === r.to ? String(r.from) : `${r.from}-${r.to}`);

/** A decoded address as the audit stream and `sysvm explain` show it: inet:1.2.3.4:80, inet6:[::1]:8080, unix:/x. */
export function formatSockAddr(sa: SockAddr | null): string {
  if (sa === null) return 'none';
  if (typeof sa.family === 'number') return `family:${sa.family}`;
  switch (sa.family) {
    case 'unix': return `unix:${(sa as { path: string }).path}`;
    case 'inet': return `inet:${(sa as { address: string }).address}:${(sa as { port: number }).port}`;
    case 'inet6': return `inet6:[${(sa as { address: string }).address}]:${(sa as { port: number }).port}`;
    default: {
      const u = sa as { address?: string; port?: number };
      return u.address === undefined ? 'unspec' : `unspec:${u.address}:${u.port ?? 0}`;
    }
  }
}
