// `sysvm learn`: from the calls a program made under a trace-everything policy, a minimal
// policy that allows exactly those calls. Pure: the CLI records the run and writes the text.
//
// What the generated policy allows:
//   - files: the paths the program named, generalised — the current directory and the run's
//     temporary directory as whole subtrees (${cwd}, ${tmp}), many files below one system
//     directory as that directory (`under: /usr/lib`), process ids in /proc as globs, a
//     terminal as `${tty}` (the program's own; /dev/pts/* for a program that opened
//     /dev/ptmx), everything else exactly. Read-only opens (no O_WRONLY,
//     O_RDWR, O_CREAT, O_TRUNC, O_APPEND) and look-ups are one rule; writes and calls that
//     change the file system are another, and are never widened beyond ${cwd}, ${tmp} and
//     the exact paths written;
//   - sockets: the address families used (the runtime records them by name, AF_INET);
//   - socket addresses: the endpoints the program reached (connect, and the addresses that
//     sendto and sendmsg named: datagrams on unconnected sockets) as one `destinations`
//     rule of `addr:` conditions on the calls it used for that, and the addresses it bound
//     as a `binds` rule; every other destination is refused with ECONNREFUSED and every
//     other bind with EADDRNOTAVAIL (as the `network:` section answers). A raw rule, not
//     `network: { connect: [...] }`: that section's family rule is a world rule that would
//     refuse every socket family but unix, inet and inet6 (netlink, which glibc's
//     getaddrinfo uses) before any rule could allow it, and it says nothing about binds.
//     What is written, and why:
//       * IP endpoints exactly, address and port (`127.0.0.1:8080`, `[::1]:8080`), loopback
//         ones too: a local service lives on a known port, and a policy that let the
//         program reach every loopback port would reach every local daemon;
//       * but a program that bound a port 0 itself (the kernel picks the port) and reached
//         a loopback port in the ephemeral range (ip_local_port_range) most likely talked
//         to itself, on a port that differs each run: that address is written with the
//         whole range (`127.0.0.1:32768-60999`);
//       * DNS: a destination on port 53 is written `*:53`, any address: the resolver's
//         nameserver comes from /etc/resolv.conf and differs between machines (and the
//         names the program looks up reach the nameserver's owner in any case);
//       * nscd: a connect to its socket (/var/run/nscd/socket, /run/nscd/socket) is never
//         allowed; the policy refuses it, and glibc then does the look-up itself (files,
//         DNS), as on a machine without nscd. `sysvm learn` refuses it while recording too,
//         so those look-ups are in the recording and the policy works with nscd and
//         without. Other service sockets (systemd-resolved's varlink socket, the session
//         bus) are endpoints like any other: exact; where the socket is missing the
//         connect fails as it would outside the sandbox (ENOENT);
//       * unix socket paths as file paths are written (generalisePaths, never widened):
//         ${cwd} and ${tmp} as subtrees, /proc/PID as a glob, the rest exactly; abstract
//         names (@name) exactly; a relative path against the run's starting directory;
//       * connects that failed (ECONNREFUSED, ENOENT, a timeout): the program tried them,
//         so they stay allowed, and fail or succeed as the world decides;
//       * sends without an address (send, sendto/sendmsg with none: to the connected peer)
//         as `addr: none`; one rule for all the calls that send, so each may reach what
//         any of them reached. sendmmsg's addresses are not in the recording (the runtime
//         decodes none): it gets that rule, and so works without addresses (on a connected
//         socket, as glibc's resolver uses it) and to the endpoints the others reached;
//       * binds exactly, a port of 0 (the kernel picks an ephemeral port) as port 0;
//       * a connect with AF_UNSPEC (it dissolves a socket's association, reaching nothing)
//         as its own rule on connect alone: AF_UNSPEC on sendto would send over IPv4;
//       * addresses no `addr:` condition can name (netlink, packet: `family:16`): the call
//         is allowed by name after a deny of the unix, inet, inet6 and unspec addresses
//         not listed (the socket rule keeps their families to those the program used);
//       * addresses the recording could not read, and unnamed unix addresses (autobind):
//         not allowed (an `addr:` condition cannot name them; the former fail closed).
//   - every other syscall used, by name, or by systemd group where every member was used;
//   - nothing else: `default: { deny: EPERM }`.
import { constant, constantsWithPrefix, syscallByName } from '../abi/index.js';
import { posix } from 'node:path';
import { reachesLoopback } from '../compile/addrmatch.js';
import { GROUPS } from '../front/groups.js';
import { DANGEROUS } from '../lint/checks.js';
import type { LoggedEvent } from './report.js';

export interface LearnContext {
  cwd: string;
  home: string;
  /** The run's private temporary directory (${tmp}), if it had one. */
  tmp?: string;
  /** The command line, for the header comment. */
  command: string[];
  /** ISO date for the header (default: none). */
  date?: string;
  /**
   * The ports the kernel picks for a bind to port 0 (/proc/sys/net/ipv4/ip_local_port_range;
   * default Linux's, 32768-60999).
   */
  ephemeralPorts?: [number, number];
}

export interface LearnResult {
  yaml: string;
  /** Distinct syscalls seen (safety-rule denials left out). */
  syscalls: number;
  /** Distinct absolute paths seen. */
  paths: number;
  rules: number;
  /** Dangerous syscalls the program used (the policy allows them with an acknowledge). */
  dangerous: string[];
  /** Distinct socket addresses the program connected, sent to or bound (as recorded). */
  endpoints: number;
}

const OPENS = new Set(['open', 'openat', 'openat2', 'creat']);

/** Path calls that change the file system (the rest only look or read). */
const MODIFYING = new Set([
  'creat', 'mkdir', 'mkdirat', 'rmdir', 'unlink', 'unlinkat', 'rename', 'renameat', 'renameat2', 'link', 'linkat',
  'symlink', 'symlinkat', 'chmod', 'fchmodat', 'fchmodat2', 'chown', 'lchown', 'fchownat', 'truncate', 'utime',
  'utimes', 'utimensat', 'futimesat', 'mknod', 'mknodat', 'setxattr', 'lsetxattr', 'removexattr', 'lremovexattr',
  'openat2',
]);

const WRITE_FLAGS = ['O_WRONLY', 'O_RDWR', 'O_CREAT', 'O_TRUNC', 'O_APPEND'] as const;
const WRITE_MASK = WRITE_FLAGS.reduce((m, n) => m | (constant(n) ?? 0n), 0n);

/** System directories whose files are listed one by one, never widened to a subtree. */
const EXACT_ONLY = ['/etc', '/proc', '/sys', '/dev', '/run', '/var/run'];
/** Distinct paths below one directory from which it becomes `under:` that directory. */
export const WIDEN_AT = 3;

function toBig(v: string | number | undefined): bigint | undefined {
  if (typeof v === 'number') return BigInt(v);
  if (typeof v === 'string' && /^(0x[0-9a-f]+|-?\d+)$/i.test(v)) return BigInt(v);
  return undefined;
}

const isUnder = (p: string, dir: string): boolean => p === dir || p.startsWith(dir === '/' ? '/' : `${dir}/`);

export interface PathSet {
  under: string[];
  equals: string[];
  glob: string[];
}

/**
 * Generalise absolute paths. `widen`: many paths below one system directory become that
 * directory (reads); without it only ${cwd}, ${tmp} and globs over ids widen (writes).
 * Returned paths use `${cwd}`, `${tmp}` and `~` for those directories.
 */
export function generalisePaths(paths: Iterable<string>, ctx: LearnContext, widen: boolean, ptys = false): PathSet {
  const under = new Set<string>();
  const equals = new Set<string>();
  const glob = new Set<string>();
  const groups = new Map<string, Set<string>>();
  const cwdOk = ctx.cwd !== '/' && ctx.cwd !== ctx.home;
  const homeOk = ctx.home !== '/' && ctx.home !== '';
  const show = (p: string): string => {
    if (ctx.tmp && isUnder(p, ctx.tmp)) return `\${tmp}${p.slice(ctx.tmp.length)}`;
    if (cwdOk && isUnder(p, ctx.cwd)) return `\${cwd}${p.slice(ctx.cwd.length)}`;
    if (homeOk && isUnder(p, ctx.home)) return `~${p.slice(ctx.home.length)}`;
    return p;
  };
  for (const p of paths) {
    if (ctx.tmp && isUnder(p, ctx.tmp)) { under.add('${tmp}'); continue; }
    if (cwdOk && isUnder(p, ctx.cwd)) { under.add('${cwd}'); continue; }
    // A terminal: the program's own (its stdin, stdout or stderr), `${tty}` at each run. Not
    // /dev/pts/*, which is every terminal of the machine: the user's other terminals, whose
    // input a program that reads them takes away (docs/policy.md, `${tty}`). A program that
    // makes terminals itself (it opened /dev/ptmx: script, tmux, expect) opens their /dev/pts
    // numbers, which differ from run to run: for it, the glob.
    const terminal = /^\/dev\/pts\/\d+$/.test(p);
    if (terminal && !ptys) { equals.add('${tty}'); continue; }
    // Ids that differ from run to run: process ids, terminal numbers.
    if (terminal || /^\/proc\/\d+(\/|$)/.test(p)) {
      glob.add(p.split('/').map((c) => (/^\d+$/.test(c) ? '*' : c)).join('/'));
      continue;
    }
    const base = homeOk && isUnder(p, ctx.home) ? ctx.home : '';
    const parts = p.slice(base.length).split('/').filter(Boolean);
    const key = base + '/' + parts.slice(0, 2).join('/');
    if (!widen || parts.length < 3 || EXACT_ONLY.some((d) => isUnder(p, d))) { equals.add(p); continue; }
    const g = groups.get(key) ?? new Set<string>();
    g.add(p);
    groups.set(key, g);
  }
  for (const [key, g] of groups) {
    if (g.size >= WIDEN_AT) under.add(key);
    else for (const p of g) equals.add(p);
  }
  const unders = [...under].map((u) => (u.startsWith('$') ? u : show(u))).sort();
  const underAbs = [...under].filter((u) => !u.startsWith('$'));
  return {
    under: unders,
    equals: [...equals].filter((p) => !underAbs.some((u) => isUnder(p, u))).map(show).sort(),
    glob: [...glob].sort(),
  };
}

/** The syscall's path argument names (from the catalogue). */
function pathArgs(name: string): string[] {
  return syscallByName(name)?.args?.filter((a) => a.kind === 'path').map((a) => a.name) ?? [];
}

/** The x86_64 members of a group, nested groups expanded. */
function groupMembers(name: string, seen = new Set<string>()): string[] {
  if (seen.has(name)) return [];
  seen.add(name);
  return (GROUPS[name]?.members ?? []).flatMap((m) => (m.startsWith('@') ? groupMembers(m, seen) : [m]))
    .filter((m) => syscallByName(m)?.nr.x86_64 !== undefined);
}

/** Names, with a group in place of its members where every member was used. */
export function groupSyscalls(used: Iterable<string>): string[] {
  const left = new Set(used);
  const out: string[] = [];
  const candidates = Object.keys(GROUPS).map((g) => [g, [...new Set(groupMembers(g))]] as const)
    .filter(([, m]) => m.length >= 2).sort((a, b) => b[1].length - a[1].length || (a[0] < b[0] ? -1 : 1));
  for (const [g, members] of candidates) {
    if (members.every((m) => left.has(m))) {
      out.push(g);
      for (const m of members) left.delete(m);
    }
  }
  return [...out, ...[...left].sort()];
}

const q = (s: string): string => JSON.stringify(s);
/** A YAML flow list, wrapped before `width` columns with continuation lines at `indent`. */
function list(xs: readonly string[], indent = 8, width = 100): string {
  const items = xs.map((x) => (/^[A-Za-z_][A-Za-z_0-9]*$/.test(x) ? x : q(x)));
  const lines: string[] = [];
  let cur = '';
  for (const it of items) {
    if (cur && cur.length + it.length + 2 > width - indent) {
      lines.push(`${cur},`);
      cur = it;
    } else cur = cur ? `${cur}, ${it}` : it;
  }
  lines.push(cur);
  return `[${lines.join(`\n${' '.repeat(indent)}`)}]`;
}

function pathAlternatives(set: PathSet, extra: string): string[] {
  const alts: string[] = [];
  for (const op of ['under', 'equals', 'glob'] as const) {
    if (set[op].length) alts.push(`      - path: { ${op}: ${list(set[op], 10)} }${extra ? `\n        ${extra}` : ''}`);
  }
  return alts;
}

// --- socket addresses ------------------------------------------------------------------------

/** The calls that name a socket address, and the argument the audit stream decodes it into. */
const ADDRESS_CALLS: Readonly<Record<string, string | undefined>> = {
  connect: 'uservaddr', bind: 'umyaddr', sendto: 'addr',
  // the runtime adds msg_name, decoded, as `sockaddr`; sendmmsg's are not decoded
  sendmsg: 'sockaddr', sendmmsg: undefined,
};
/** The length argument beside each address argument: a length of 0 names no address. */
const ADDRESS_LEN: Readonly<Record<string, string>> = { connect: 'addrlen', bind: 'addrlen', sendto: 'addr_len' };

/** nscd's socket, which glibc tries before every passwd, group and hosts look-up. */
export const NSCD_SOCKETS = ['/var/run/nscd/socket', '/run/nscd/socket'];
/** The DNS port: destinations on it are written `*:53` (any nameserver). */
const DNS_PORT = 53;
/** Linux's default ip_local_port_range. */
export const EPHEMERAL_PORTS: [number, number] = [32768, 60999];

/** A recorded socket address, as the runtime's audit stream shows it (tracer/decode.ts). */
export type SeenAddress =
  | { family: 'inet' | 'inet6'; address: string; port: number }
  | { family: 'unix'; path: string }
  | { family: 'unspec' }
  | { family: 'none' }
  | { family: 'other'; number: number }
  | { family: 'unreadable' };

/**
 * The address a recorded connect, bind, sendto, sendmsg or sendmmsg named: `inet:1.2.3.4:80`,
 * `inet6:[::1]:8080`, `unix:/run/x.sock`, `unix:@name`, `family:16`; a hex pointer when the
 * supervisor did not decode one (NULL or a zero length: none; otherwise unreadable).
 */
export function seenAddress(e: LoggedEvent): SeenAddress {
  const args = e.args ?? {};
  if (!(e.syscall in ADDRESS_CALLS)) return { family: 'unreadable' };
  const key = ADDRESS_CALLS[e.syscall];
  if (key === undefined) return { family: 'none' }; // sendmmsg: see the header
  const v = args[key];
  const lenKey = ADDRESS_LEN[e.syscall];
  const len = lenKey === undefined ? undefined : args[lenKey];
  // sendmsg: no `sockaddr` when msg_name is NULL (the connected peer)
  if (v === undefined) return e.syscall === 'sendmsg' ? { family: 'none' } : { family: 'unreadable' };
  if (typeof v === 'number' || /^0x[0-9a-f]+$/i.test(v)) {
    return toBig(v) === 0n || len === 0 ? { family: 'none' } : { family: 'unreadable' };
  }
  let m = /^inet:(\d{1,3}(?:\.\d{1,3}){3}):(\d+)$/.exec(v);
  if (m) return { family: 'inet', address: m[1]!, port: Number(m[2]) };
  m = /^inet6:\[([0-9a-f:.]+)\]:(\d+)$/i.exec(v);
  if (m) return { family: 'inet6', address: m[1]!.toLowerCase(), port: Number(m[2]) };
  if (v.startsWith('unix:')) return { family: 'unix', path: v.slice(5) };
  m = /^family:(\d+)$/.exec(v);
  if (m) return Number(m[1]) === 0 ? { family: 'unspec' } : { family: 'other', number: Number(m[1]) };
  return { family: 'unreadable' };
}

/** What the learned policy lets a set of calls name: endpoint strings, unix paths, families. */
interface AddressSet {
  /** `addr:` endpoint strings: `127.0.0.1:8080`, `[::1]:8080`, `*:53`. */
  ip: Set<string>;
  /** Absolute unix socket paths (generalised when written). */
  unix: Set<string>;
  /** Abstract unix socket names, `@name`. */
  abstract: Set<string>;
  /** Sends without an address (to the connected peer). */
  none: boolean;
  /** Calls that named an address of a family no condition names (netlink, ...). */
  otherFamily: Set<string>;
  /** The calls, of ADDRESS_CALLS, the program used. */
  calls: Set<string>;
}

const addressSet = (): AddressSet => ({ ip: new Set(), unix: new Set(), abstract: new Set(), none: false, otherFamily: new Set(), calls: new Set() });

/** `addr:` alternatives (one `match:` list entry each) for an address set. */
function addressAlternatives(a: AddressSet, ctx: LearnContext): string[] {
  const alts: string[] = [];
  if (a.none) alts.push('      - { addr: none }');
  const ipSorted = [...a.ip].sort((x, y) => (x.startsWith('*') === y.startsWith('*') ? (x < y ? -1 : x > y ? 1 : 0) : x.startsWith('*') ? -1 : 1));
  for (const ep of ipSorted) alts.push(`      - { addr: ${q(ep)} }`);
  const paths = generalisePaths(a.unix, ctx, false);
  paths.equals = [...paths.equals, ...[...a.abstract].sort()];
  for (const op of ['under', 'equals', 'glob'] as const) {
    if (paths[op].length) alts.push(`      - { addr: { ${op}: ${list(paths[op], 10)} } }`);
  }
  return alts;
}

export function learnPolicy(events: readonly LoggedEvent[], ctx: LearnContext): LearnResult {
  const readPaths = new Set<string>();
  const writePaths = new Set<string>();
  const readOpens = new Set<string>();
  const writeCalls = new Set<string>();
  const lookCalls = new Set<string>();
  const unresolved = new Set<string>();
  const plain = new Set<string>();
  const families = new Map<string, Set<string>>(); // syscall -> AF_ names
  const all = new Set<string>();
  const destinations = addressSet();
  const binds = addressSet();
  /** connect with AF_UNSPEC was seen (a disconnect). */
  let disconnect = false;
  // A program that binds port 0 and then connects or sends to a loopback port in the
  // ephemeral range most likely talks to itself, on a port the kernel picks anew each run.
  const ephemeral = ctx.ephemeralPorts ?? EPHEMERAL_PORTS;
  let boundEphemeral = false;
  const selfCandidates = new Map<string, string>(); // exact endpoint -> the range form
  const endpoints = new Set<string>();
  // fstat of an inherited stdio fd (newfstatat(1, "", AT_EMPTY_PATH)): the path is whatever
  // the caller connected to stdout this time, so such calls are matched on the fd instead.
  const stdioMeta = new Map<string, { dirfd: string; flags: string }>();
  const AT_EMPTY_PATH = constant('AT_EMPTY_PATH') ?? 0n;
  const afNames = new Map<bigint, string>();
  for (const [n, v] of constantsWithPrefix('AF_')) if (!afNames.has(v) && n !== 'AF_MAX') afNames.set(v, n);

  for (const e of events) {
    // Safety rules decide those calls whatever the policy says; x32/ia32 calls are refused.
    if (e.rule.startsWith('sysvm:') || syscallByName(e.syscall)?.nr.x86_64 === undefined) continue;
    const name = e.syscall;
    all.add(name);
    const args = e.args ?? {};
    const pArgs = pathArgs(name);
    if (pArgs.length > 0) {
      const info = syscallByName(name)!.args ?? [];
      const dirfd = info.find((a) => a.kind === 'dirfd')?.name;
      const flagArg = info.find((a) => a.kind === 'flags')?.name;
      const fd = dirfd === undefined ? undefined : args[dirfd];
      const fl = flagArg === undefined ? undefined : toBig(args[flagArg]);
      if (typeof fd === 'number' && fd >= 0 && fd <= 2 && fl !== undefined && (fl & AT_EMPTY_PATH) !== 0n) {
        stdioMeta.set(name, { dirfd: dirfd!, flags: flagArg! });
        continue;
      }
      const values = pArgs.map((a) => args[a]);
      if (values.some((v) => typeof v !== 'string' || /^0x[0-9a-f]+$/i.test(v))) {
        // A path the supervisor could not read (NULL, bad pointer): only a rule without a
        // path condition lets such a call through as it did.
        unresolved.add(name);
        continue;
      }
      const abs = (values as string[]).filter((v) => v.startsWith('/'));
      let write = MODIFYING.has(name);
      if (OPENS.has(name) && !write) {
        const flags = toBig(args.flags);
        write = flags === undefined || (flags & WRITE_MASK) !== 0n;
      }
      if (write) {
        writeCalls.add(name);
        for (const p of abs) writePaths.add(p);
      } else {
        if (OPENS.has(name)) readOpens.add(name);
        else lookCalls.add(name);
        for (const p of abs) readPaths.add(p);
      }
      continue;
    }
    if (name in ADDRESS_CALLS) {
      const a = seenAddress(e);
      const set = name === 'bind' ? binds : destinations;
      set.calls.add(name);
      if (a.family !== 'none' && a.family !== 'unreadable') endpoints.add(JSON.stringify(a));
      switch (a.family) {
        case 'none':
          if (name !== 'bind') set.none = true;
          break;
        case 'inet':
        case 'inet6': {
          const host = a.family === 'inet' ? a.address : `[${a.address}]`;
          if (name === 'bind' && a.port === 0) boundEphemeral = true;
          if (name !== 'bind' && a.port >= ephemeral[0] && a.port <= ephemeral[1] && reachesLoopback(a)) {
            selfCandidates.set(`${host}:${a.port}`, `${host}:${ephemeral[0]}-${ephemeral[1]}`);
          }
          set.ip.add(name !== 'bind' && a.port === DNS_PORT ? `*:${DNS_PORT}` : `${host}:${a.port}`);
          break;
        }
        case 'unix': {
          if (a.path === '') break; // unnamed (autobind): no condition names it
          if (a.path.startsWith('@')) { set.abstract.add(a.path); break; }
          const p = posix.normalize(a.path.startsWith('/') ? a.path : `${ctx.cwd}/${a.path}`);
          // nscd is never allowed: refused, glibc looks names up itself (see the header).
          if (name !== 'bind' && NSCD_SOCKETS.includes(p)) break;
          set.unix.add(p);
          break;
        }
        case 'unspec':
          // Security: only connect's AF_UNSPEC reaches nothing; UDP over IPv4 sends an
          // AF_UNSPEC sendto to its sin_addr, which the recording does not show, so a
          // sendto or sendmsg with one is not allowed (it is refused as another destination).
          if (name === 'connect') disconnect = true;
          break;
        case 'other':
          set.otherFamily.add(name);
          break;
        default:
          break; // unreadable: fails closed (see the header)
      }
      continue;
    }
    if (name === 'socket' || name === 'socketpair') {
      // The runtime writes the family by its name (AF_INET); a number where it has none.
      const raw = args.family;
      const fam = typeof raw === 'string' && /^AF_[A-Z0-9_]+$/.test(raw) ? constant(raw) : toBig(raw);
      const s = families.get(name) ?? new Set<string>();
      s.add(fam === undefined ? '?' : (afNames.get(fam) ?? String(fam)));
      families.set(name, s);
      continue;
    }
    plain.add(name);
  }
  if (boundEphemeral) {
    for (const [exact, range] of selfCandidates) {
      destinations.ip.delete(exact);
      destinations.ip.add(range);
    }
  }
  for (const n of unresolved) {
    readOpens.delete(n);
    lookCalls.delete(n);
    writeCalls.delete(n);
    plain.add(n);
  }

  // Calls whose every path was a kernel name outside the file system (`pipe:[12]`, from an
  // fstat of a pipe): path conditions pass those whatever they say; with no file path to
  // write a condition on, the call is allowed by name.
  const noFile = (calls: Set<string>, set: Set<string>): void => {
    if (set.size === 0) for (const n of calls) { plain.add(n); calls.delete(n); }
  };
  noFile(readOpens, readPaths);
  noFile(lookCalls, readPaths);
  noFile(writeCalls, writePaths);
  const dangerous = DANGEROUS.flatMap((d) => d.syscalls).filter((s) => all.has(s)).sort();
  const out: string[] = [];
  const cmd = ctx.command.map((w) => (/^[\w@%+=:,./-]+$/.test(w) ? w : `'${w.replace(/'/g, `'\\''`)}'`)).join(' ');
  out.push(
    `# Written by 'sysvm learn'${ctx.date ? ` on ${ctx.date}` : ''} from what this command did:`,
    `#   ${cmd.replace(/\n/g, ' ')}`,
    '# It allows exactly what that run did (paths generalised as each rule says); everything',
    '# else fails with EPERM. Review it before trusting it: a run shows what a program did once,',
    '# not everything it may need (other inputs, error paths, other files).',
    'sysvm: 1',
    `name: ${q(`learned: ${cmd}`.slice(0, 120))}`,
    'default: { deny: EPERM }',
    'rules:',
  );
  let rules = 0;
  const rule = (comment: string[], name: string, syscalls: readonly string[], body: string[], extra: string[] = [], deny?: string): void => {
    rules++;
    out.push(...comment.map((c) => `  # ${c}`), `  - name: ${name}`, `    syscalls: ${list(syscalls)}`, ...body,
      deny === undefined ? '    action: allow' : `    action: { deny: ${deny} }`, ...extra);
  };

  // (a program that makes terminals: see generalisePaths)
  const ptys = [...readPaths, ...writePaths].some((p) => p === '/dev/ptmx' || p === '/dev/pts/ptmx');
  const readSet = generalisePaths(readPaths, ctx, true, ptys);
  const none = `flags: { none: ${list([...WRITE_FLAGS])} }`;
  if (readOpens.size) {
    rule(['Opening files to read them (no write flag): the files and directories the program read,',
      `many files below one directory (${WIDEN_AT} or more) as that directory.`],
    'read-files', [...readOpens].sort(), ['    match:', ...pathAlternatives(readSet, none)]);
  }
  if (lookCalls.size) {
    rule(['Looking at files without changing them (stat, access, readlink, exec, chdir, ...),',
      'on the same paths as reading.'],
    'look-up', [...lookCalls].sort(), ['    match:', ...pathAlternatives(readSet, '')]);
  }
  const writeSet = generalisePaths(writePaths, ctx, false, ptys);
  if (writeCalls.size) {
    rule(['Creating, writing and changing files: only where the program wrote (the current and',
      'temporary directories as a whole, other paths exactly).'],
    'write-files', [...writeCalls].sort(), ['    match:', ...pathAlternatives(writeSet, '')]);
  }
  for (const [call, a] of [...stdioMeta].sort()) {
    rule([`${call} on the standard input, output and error (fstat of whatever they are connected to).`],
      `stdio-${call}`, [call], [`    match: { ${a.dirfd}: { in: [0, 1, 2] }, ${a.flags}: { all: AT_EMPTY_PATH } }`]);
  }
  for (const [call, fams] of [...families].sort()) {
    if (fams.has('?')) {
      plain.add(call);
      continue;
    }
    rule([`Sockets of the address families the program used (${[...fams].sort().join(', ')}).`],
      call === 'socket' ? 'sockets' : 'socket-pairs', [call], [`    match: { family: { in: ${list([...fams].sort())} } }`]);
  }
  const addressRules = (set: AddressSet, kind: 'destinations' | 'binds'): void => {
    if (set.calls.size === 0) return;
    const calls = [...set.calls].sort();
    const alts = addressAlternatives(set, ctx);
    if (alts.length) {
      rule(kind === 'destinations'
        ? ['Where the program connected and sent datagrams: these endpoints, exactly (DNS to any',
          'nameserver as *:53; a unix socket path as the file rules write paths; none: a send to',
          'the connected peer). Connects that failed are kept: the program tried them.',
          ...(boundEphemeral && selfCandidates.size ? [`A loopback port ${ephemeral[0]}-${ephemeral[1]}: the program bound port 0 and talked to itself`,
            '(the kernel picks that port anew each run).'] : [])]
        : ['The addresses the program bound, exactly (port 0: the kernel picks an ephemeral port).'],
      kind, calls, ['    match:', ...alts]);
    }
    if (kind === 'destinations' && disconnect) {
      rule(['connect with AF_UNSPEC: dissolves a socket\'s association (reaches nothing).'],
        'disconnect', ['connect'], ['    match: { addr: unspec }']);
    }
    const other = [...set.otherFamily].sort();
    const named = other.length ? ['    match: { addr: { family: [unix, inet, inet6, unspec] } }'] : [];
    const byName = other.length ? [`(${other.join(', ')} also named netlink or packet addresses, which no condition names:`,
      'those calls are allowed below by name)'] : [];
    rule(kind === 'destinations'
      ? ['Every other destination: refused as by a host with nothing listening. So is nscd\'s socket:',
        'glibc then looks names up itself (files, DNS), as it did while sysvm learn recorded.', ...byName]
      : ['Every other bind: refused as an address this machine does not have.', ...byName],
    `other-${kind}`, calls, named, [], kind === 'destinations' ? 'ECONNREFUSED' : 'EADDRNOTAVAIL');
    for (const c of other) plain.add(c);
  };
  addressRules(destinations, 'destinations');
  addressRules(binds, 'binds');
  const safe = [...plain].filter((s) => !dangerous.includes(s));
  if (safe.length) {
    const byAddress = [...destinations.otherFamily, ...binds.otherFamily].filter((c) => safe.includes(c)).sort();
    rule(['Everything else the program called, by name (or by systemd group where it used every',
      'member). These calls name no path; the kernel decides them without a stop.',
      ...(byAddress.length ? [`(But ${byAddress.join(', ')}: the other addresses of the rules above, netlink or packet.)`] : [])],
    'calls', groupSyscalls(safe), []);
  }
  const risky = [...plain].filter((s) => dangerous.includes(s)).sort();
  if (risky.length) {
    rule(['Calls that can weaken any sandbox, which the program made: check that it must.'],
      'dangerous-calls', risky, [], [`    acknowledge: ${q(`sysvm learn saw the program call ${risky.join(', ')}; review`)}`]);
  }
  const distinctPaths = new Set([...readPaths, ...writePaths]).size;
  return { yaml: out.join('\n') + '\n', syscalls: all.size, paths: distinctPaths, rules, dangerous, endpoints: endpoints.size };
}
