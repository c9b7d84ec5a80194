// The intent-level sections (`filesystem:`, `network:`, `identity:`, `time:`) -> ordinary rules.
//
// Each section becomes rules named after it (`filesystem.read`, `identity.ids`, ...) whose
// source is the section's own lines, so `sysvm compile --explain` and every diagnostic point
// at what the author wrote. Precedence (docs/policy.md, "Precedence"):
//
//   1. the *world* rules of every file (extending files first): filesystem.files, .hide,
//      .bind, identity.*, time.clocks, network.families, network.addresses, network.bind —
//      what the program sees and cannot reach. No rule can make a hidden path visible, a
//      virtual file real, or a network family or address the section denies available.
//   2. per file, in `extends` order: its `rules:`, then its section *allows*
//      (filesystem.write, filesystem.read, network.sockets), so raw rules can narrow what a
//      section allows (deny a subtree of a writable directory).
//   3. the default.
import { constant, errnoNumber, syscallByName } from '../abi/index.js';
import type { Condition, IntCondition, PathCondition, RuleIR, SockaddrCondition, SockaddrPattern, SourceRange, Verdict,
  VirtualClock } from '../ir.js';
import { LOOPBACK_CIDRS } from '../compile/addrmatch.js';
import type { Diagnostic } from '../diagnostics.js';
import { diag } from './codes.js';
import { expandGroup } from './groups.js';
import { ALL_PATH_CALLS, FILE_CALLS, SOCKADDR_CALLS, FS_PATH_CALLS, IDENTITY_CALLS, native64, OPEN_CALLS, TIME_CALLS, UNAME_CALLS } from './calls.js';
import type { ModelRule } from './load.js';
import type { ClockSpec, FilesystemSpec, IdentitySpec, NetworkSpec } from './schema.js';
import type { SourceFile, YamlPath } from './source.js';
import { allSyscalls } from '../abi/index.js';
import { pathUnder } from '../compile/pathmatch.js';

type SyscallInfo = NonNullable<ReturnType<typeof syscallByName>>;

/** What the expansion needs from the loader (one file). */
export interface SectionEnv {
  file: string;
  src: SourceFile;
  /** The file's validated sections (absent ones undefined). */
  filesystem?: FilesystemSpec;
  network?: NetworkSpec;
  identity?: IdentitySpec;
  time?: ClockSpec;
  pathValue(p: string, op: 'equals' | 'under', range: SourceRange): string | undefined;
  hostPath(p: string, range: SourceRange, what: string): string | undefined;
  compileClock(spec: ClockSpec, path: YamlPath): VirtualClock | undefined;
  /** The address pattern of a `network.connect` entry (reports what is wrong). */
  endpoint(text: string, range: SourceRange): SockaddrPattern | undefined;
  report(d: Diagnostic): void;
}

/** Opening without write intent: none of these flags (O_TMPFILE needs O_WRONLY or O_RDWR). */
const WRITE_FLAGS = ['O_WRONLY', 'O_RDWR', 'O_CREAT', 'O_TRUNC', 'O_APPEND'];

/** What `filesystem.read` allows besides opens: looking, listing attributes, running, entering. */
const READ_META_CALLS = ['stat', 'lstat', 'newfstatat', 'statx', 'access', 'faccessat', 'faccessat2', 'readlink',
  'readlinkat', 'statfs', 'getxattr', 'lgetxattr', 'listxattr', 'llistxattr', 'chdir', 'execve', 'execveat'];

const HOSTNAME_FILES = ['/etc/hostname', '/proc/sys/kernel/hostname'];

/** The clocks time emulation shifts (include/uapi/linux/time.h): those that tell the time of day. */
const REALTIME_CLOCKS = ['CLOCK_REALTIME', 'CLOCK_REALTIME_COARSE', 'CLOCK_REALTIME_ALARM', 'CLOCK_TAI'];

const pathArgs = (s: SyscallInfo): number[] => (s.args ?? []).flatMap((a, i) => (a.kind === 'path' ? [i] : []));
const deny = (name: string): Verdict => ({ kind: 'deny', errno: errnoNumber(name) ?? 1, errnoName: name });
const list = (v: string | string[] | undefined): string[] => (v === undefined ? [] : typeof v === 'string' ? [v] : v);

/**
 * One rule of a section: per syscall its alternatives (`null`: no match), syscalls with the
 * same layout in one IR part, as the loader does for `rules:`.
 */
function sectionRule(env: SectionEnv, name: string, at: YamlPath, syscalls: readonly string[],
  alts: (s: SyscallInfo) => Condition[][] | null, verdict: Verdict): ModelRule {
  const source = env.src.range(at);
  const parent = at.slice(0, -1);
  const last = at[at.length - 1];
  const syscallsRange = typeof last === 'string' ? env.src.keyRange(parent, last) : source;
  const named = syscalls.filter(native64);
  const layouts = new Map<string, RuleIR>();
  for (const n of named) {
    const s = syscallByName(n)!;
    const match = alts(s);
    const key = JSON.stringify(match, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v));
    const part = layouts.get(key);
    if (part) part.syscalls.push(n);
    else layouts.set(key, { index: 0, name, source, syscalls: [n], match, verdict, log: false });
  }
  return { file: env.file, indexInFile: -1, name, label: `rule '${name}'`, source, syscallsRange, explicit: new Set(),
    named, duplicates: [], verdict, log: false, parts: [...layouts.values()] };
}

/** Path values of a section list, expanded; undefined if any is bad (reported). */
function pathList(env: SectionEnv, values: string[], at: YamlPath, single: boolean): string[] | undefined {
  if (values.length === 0) return undefined; // an empty list names nothing: no rule
  const out = values.map((p, i) => env.pathValue(p, 'under', env.src.range(single ? at : [...at, i])));
  return out.every((v) => v !== undefined) ? out as string[] : undefined;
}

function pathCond(s: SyscallInfo, op: PathCondition['op'], values: string[], source: SourceRange): PathCondition {
  return { kind: 'path', args: pathArgs(s), op, values, source };
}

/** SV3020: a host path the supervisor reads for the program lies under a path the section hides. */
function warnHidden(env: SectionEnv, host: string, hidden: readonly string[], at: SourceRange, what: string, through: string,
  written: string): void {
  const h = hidden.find((base) => pathUnder(host, base));
  if (h !== undefined) env.report(diag('SV3020', at, { what, path: written, hidden: h, through }));
}

/** The world rules of one file: tier 1 of the precedence. */
export function expandWorld(env: SectionEnv): ModelRule[] {
  const out: ModelRule[] = [];
  const fs = env.filesystem;
  const src = env.src;
  const virtualPaths = new Set<string>();
  const hideAt: YamlPath = ['filesystem', 'hide'];
  const hidden = fs?.hide === undefined ? undefined : pathList(env, list(fs.hide), hideAt, typeof fs.hide === 'string');
  // Virtual files first: a virtual file inside a hidden or bound directory is still seen.
  for (const [key, content] of Object.entries(fs?.files ?? {})) {
    const at: YamlPath = ['filesystem', 'files', key];
    const p = env.pathValue(key, 'equals', src.keyRange(['filesystem', 'files'], key));
    if (p === undefined) continue;
    let verdict: Verdict;
    if (typeof content === 'string') verdict = { kind: 'emulate', emulate: { kind: 'file', content: { text: content } } };
    else {
      const hostPath = env.hostPath(content.from, src.range([...at, 'from']), 'the virtual file\'s source');
      if (hostPath === undefined) continue;
      warnHidden(env, hostPath, hidden ?? [], src.range([...at, 'from']), 'the virtual file\'s source', `the virtual ${key}`, content.from);
      verdict = { kind: 'emulate', emulate: { kind: 'file', content: { hostPath } } };
    }
    virtualPaths.add(p);
    const source = src.range(at);
    out.push(sectionRule(env, `filesystem.files[${key}]`, at, FILE_CALLS, (s) => [[pathCond(s, 'equals', [p], source)]],
      verdict));
  }
  // Hide before binds: a path hidden inside a bound tree stays hidden.
  if (hidden) {
    const source = src.range(hideAt);
    out.push(sectionRule(env, 'filesystem.hide', hideAt, ALL_PATH_CALLS, (s) => [[pathCond(s, 'under', hidden, source)]], deny('ENOENT')));
  }
  // Binds: every path argument must be under `from` (see SV3015 in load.ts), so a rename
  // out of the bound tree is not made by the supervisor unchecked.
  for (const [key, spec] of Object.entries(fs?.bind ?? {})) {
    const at: YamlPath = ['filesystem', 'bind', key];
    const target = typeof spec === 'string' ? spec : spec.from;
    const targetAt = typeof spec === 'string' ? at : [...at, 'from'];
    const from = env.pathValue(key, 'under', src.keyRange(['filesystem', 'bind'], key));
    const to = env.hostPath(target, src.range(targetAt), 'the bind target');
    if (from === undefined || to === undefined) continue;
    const source = src.range(at);
    warnHidden(env, to, hidden ?? [], src.range(targetAt), 'the bind target', `the bind of ${key}`, target);
    if (typeof spec !== 'string' && spec.readonly) {
      // A read-only bind: before the remap, what would write under it fails like on a
      // read-only mount. Opens with write intent (openat2 always: its flags are in a struct
      // the kernel half cannot read), and every file-system call that changes something,
      // when any of its paths is under the bind (a rename out of it too).
      const mask = WRITE_FLAGS.reduce((m, f) => m | (constant(f) ?? 0n), 0n);
      const flagged = OPEN_CALLS.filter((n) => n !== 'openat2');
      const changing = FS_PATH_CALLS.filter((n) => !READ_META_CALLS.includes(n) && !flagged.includes(n) && n !== 'inotify_add_watch');
      out.push(sectionRule(env, `filesystem.bind-readonly[${key}]`, at, [...flagged, ...changing], (s) => {
        const path = pathCond(s, 'under', [from], source);
        if (!flagged.includes(s.name)) return [[path]];
        const i = (s.args ?? []).findIndex((a) => a.name === 'flags');
        const a = s.args![i]!;
        return [[path, { kind: 'int', arg: i, argName: a.name, op: 'any', values: [BigInt.asUintN(a.width, mask)],
          width: a.width, signed: a.signed, source }]];
      }, deny('EROFS')));
    }
    out.push(sectionRule(env, `filesystem.bind[${key}]`, at, FS_PATH_CALLS,
      (s) => [pathArgs(s).map((i): PathCondition => ({ kind: 'path', args: [i], op: 'under', values: [from], source }))],
      { kind: 'emulate', emulate: { kind: 'bind', from, to } }));
  }
  // The program keeps seeing `from` in getcwd: the call runs and the supervisor, which
  // knows every bind of the policy, rewrites a bound host path in its result at the exit.
  if (Object.keys(fs?.bind ?? {}).length > 0 && out.some((r) => r.verdict.kind === 'emulate' && r.verdict.emulate.kind === 'bind')) {
    out.push(sectionRule(env, 'filesystem.bind-views', ['filesystem', 'bind'], ['getcwd'], () => null, { kind: 'trace' }));
  }
  const id = env.identity;
  if (id?.uid !== undefined && id.gid !== undefined) {
    const { hostname: _h, ...ids } = id;
    out.push(sectionRule(env, 'identity.ids', ['identity', 'uid'], IDENTITY_CALLS, () => null,
      { kind: 'emulate', emulate: { kind: 'identity', identity: { ...ids, uid: id.uid, gid: id.gid } } }));
  }
  if (id?.hostname !== undefined) {
    const at: YamlPath = ['identity', 'hostname'];
    out.push(sectionRule(env, 'identity.uname', at, UNAME_CALLS, () => null,
      { kind: 'emulate', emulate: { kind: 'uname', fields: { nodename: id.hostname } } }));
    // The files that tell the host name, unless `filesystem.files` gives them.
    const files = HOSTNAME_FILES.filter((f) => !virtualPaths.has(f));
    const source = src.range(at);
    if (files.length > 0) {
      out.push(sectionRule(env, 'identity.hostname-files', at, FILE_CALLS, (s) => [[pathCond(s, 'equals', files, source)]],
        { kind: 'emulate', emulate: { kind: 'file', content: { text: `${id.hostname}\n` } } }));
    }
  }
  if (env.time !== undefined) {
    const clock = env.compileClock(env.time, ['time']);
    // Only the clocks that tell the time of day are shifted; on clock_gettime the other ids
    // (CLOCK_MONOTONIC, the CPU clocks, ...) are left to the other rules, so with the vDSO
    // disabled a monotonic clock costs a syscall but never a stop (the kernel decides).
    if (clock) {
      out.push(sectionRule(env, 'time.clocks', ['time'], TIME_CALLS, (s) => {
        const i = (s.args ?? []).findIndex((a) => a.name === 'which_clock');
        if (i < 0) return null;
        const a = s.args![i]!;
        return [[{ kind: 'int', arg: i, argName: a.name, op: 'in', width: a.width, signed: a.signed, source: src.range(['time']),
          values: REALTIME_CLOCKS.map((n) => BigInt.asUintN(a.width, constant(n) ?? -1n)) }]];
      }, { kind: 'emulate', emulate: { kind: 'time', clock } }));
    }
  }
  if (env.network !== undefined) out.push(...networkWorld(env, env.network));
  return out;
}

const networkCalls = (): string[] =>
  expandGroup('@network-io', (n) => syscallByName(n) !== undefined, () => allSyscalls().map((s) => s.name)) ?? [];

/** The section allows of one file: they come after the file's `rules:` (tier 2). */
export function expandAllows(env: SectionEnv): ModelRule[] {
  const out: ModelRule[] = [];
  const fs = env.filesystem;
  const src = env.src;
  // write before read: write covers everything read does under its paths, so a path in both
  // lists (the usual ${cwd}) is decided by write and read adds only what it alone names.
  if (fs?.write !== undefined) {
    const at: YamlPath = ['filesystem', 'write'];
    const values = pathList(env, list(fs.write), at, typeof fs.write === 'string');
    const source = src.range(at);
    if (values) out.push(sectionRule(env, 'filesystem.write', at, FS_PATH_CALLS, (s) => [[pathCond(s, 'under', values, source)]], { kind: 'allow' }));
  }
  if (fs?.read !== undefined) {
    const at: YamlPath = ['filesystem', 'read'];
    const values = pathList(env, list(fs.read), at, typeof fs.read === 'string');
    const source = src.range(at);
    const mask = WRITE_FLAGS.reduce((m, f) => m | (constant(f) ?? 0n), 0n);
    const opens = OPEN_CALLS.filter((n) => n !== 'openat2'); // openat2's flags are in a struct: not decidable
    if (values) {
      out.push(sectionRule(env, 'filesystem.read', at, [...opens, ...READ_META_CALLS], (s) => {
        const path = pathCond(s, 'under', values, source);
        if (!opens.includes(s.name)) return [[path]];
        const i = (s.args ?? []).findIndex((a) => a.name === 'flags');
        const a = s.args![i]!;
        const flags: IntCondition = { kind: 'int', arg: i, argName: a.name, op: 'none', values: [BigInt.asUintN(a.width, mask)],
          width: a.width, signed: a.signed, source };
        return [[path, flags]];
      }, { kind: 'allow' }));
    }
  }
  if (env.network !== undefined) {
    const plan = networkPlan(env, env.network, false);
    // network.families and network.addresses (tier 1) have already failed every other
    // family and address.
    if (plan.mode !== 'none' || plan.listed > 0) {
      out.push(sectionRule(env, 'network.sockets', plan.at, networkCalls(), () => null, { kind: 'allow' }));
    }
  }
  return out;
}

// --- network -------------------------------------------------------------------------------------

/** What `network:` says, parsed once per use (diagnostics only on the world pass). */
interface NetworkPlan {
  mode: 'none' | 'unix' | 'loopback' | 'all';
  at: YamlPath;
  /** `connect:` entries that parsed (world pass only). */
  entries: SockaddrPattern[];
  /** How many `connect:` entries there are. */
  listed: number;
  /** The socket families socket(2) may create; undefined: every family. */
  families?: string[];
}


function networkPlan(env: SectionEnv, n: NetworkSpec, report: boolean): NetworkPlan {
  const mode = typeof n === 'string' ? n : n.allow ?? 'none';
  const at: YamlPath = typeof n === 'string' ? ['network'] : n.allow !== undefined ? ['network', 'allow'] : ['network'];
  const list = typeof n === 'string' ? [] : n.connect ?? [];
  // The entries are parsed (and reported) on the world pass only; the allow pass needs to
  // know whether there are any.
  const entries = !report ? [] : list.flatMap((text, i) => env.endpoint(text, env.src.range(['network', 'connect', i])) ?? []);
  if (mode === 'all') {
    if (report && list.length > 0) env.report(diag('SV3025', env.src.keyRange(['network'], 'connect')));
    return { mode, at, entries: [], listed: 0 };
  }
  const fams = new Set<string>();
  if (mode === 'unix' || mode === 'loopback') fams.add('AF_UNIX');
  if (mode === 'loopback') { fams.add('AF_INET'); fams.add('AF_INET6'); }
  for (const e of entries) {
    if (e.families?.includes('unix')) fams.add('AF_UNIX');
    else { fams.add('AF_INET'); fams.add('AF_INET6'); }
  }
  return { mode, at, entries, listed: list.length, families: [...fams] };
}

/**
 * The world rules of `network:` (tier 1): socket(2) of another family fails with
 * EAFNOSUPPORT (decided by the kernel on the family argument); with `loopback` or `connect:`
 * entries, a connect, sendto, sendmsg or sendmmsg to any other address fails with
 * ECONNREFUSED and a bind to any other address with EADDRNOTAVAIL (decided by the
 * supervisor on the decoded sockaddr). What is left (the allowed addresses) falls through to
 * the file's rules, which can still deny some of it, and then to network.sockets.
 */
function networkWorld(env: SectionEnv, n: NetworkSpec): ModelRule[] {
  const out: ModelRule[] = [];
  const plan = networkPlan(env, n, true);
  if (plan.families === undefined) return out;
  const at = plan.at;
  const source = env.src.range(at);
  if (plan.families.length === 0) {
    out.push(sectionRule(env, 'network.families', at, ['socket', 'socketpair'], () => null, deny('EAFNOSUPPORT')));
    return out;
  }
  out.push(sectionRule(env, 'network.families', at, ['socket', 'socketpair'], (s) => {
    const i = (s.args ?? []).findIndex((a) => a.name === 'family');
    const a = s.args![i]!;
    const values = plan.families!.map((f) => BigInt.asUintN(a.width, constant(f) ?? -1n));
    const c: IntCondition = { kind: 'int', arg: i, argName: a.name, op: values.length === 1 ? 'ne' : 'not-in', values,
      width: a.width, signed: a.signed, source };
    return [[c]];
  }, deny('EAFNOSUPPORT')));
  if (plan.mode !== 'loopback' && plan.entries.length === 0) return out;
  // What stays reachable. `none`: the call names no address (a connected socket's peer,
  // which its connect was checked against, or a socket the program was given).
  const anyUnix: SockaddrPattern[] = plan.mode === 'unix' || plan.mode === 'loopback' ? [{ families: ['unix'] }] : [];
  const loop: SockaddrPattern[] = plan.mode === 'loopback' ? [{ cidrs: [...LOOPBACK_CIDRS] }] : [];
  const dest: SockaddrPattern[] = [{ families: ['none'] }, ...anyUnix, ...loop, ...plan.entries];
  const local: SockaddrPattern[] = [...anyUnix, ...loop, ...plan.entries.filter((e) => e.families?.includes('unix'))];
  const negated = (arg: number, patterns: SockaddrPattern[]): SockaddrCondition =>
    ({ kind: 'sockaddr', arg, patterns, negate: true, source });
  const sends = ['connect', 'sendto', 'sendmsg', 'sendmmsg'];
  out.push(sectionRule(env, 'network.addresses', at, sends, (s) => {
    const arg = SOCKADDR_CALLS[s.name]!;
    // connect(AF_UNSPEC) dissolves an association (it reaches nothing). Not on sendto: UDP
    // over IPv4 and raw sockets send an AF_UNSPEC address to its sin_addr, which the CIDRs
    // judge (see addrmatch.ts).
    const patterns = s.name === 'connect' ? [{ families: ['unspec'] } as SockaddrPattern, ...dest] : dest;
    if (s.name !== 'sendto') return [[negated(arg, patterns)]];
    // sendto with no address (NULL or length 0: the connected peer) is decided by the kernel
    // on the registers: only a sendto that names an address stops.
    const a = s.args![4]!;
    const l = s.args![5]!;
    const ne0 = (i: number, x: typeof a): IntCondition => ({ kind: 'int', arg: i, argName: x.name, op: 'ne', values: [0n],
      width: x.width, signed: x.signed, source });
    return [[ne0(4, a), ne0(5, l), negated(arg, patterns)]];
  }, deny('ECONNREFUSED')));
  out.push(sectionRule(env, 'network.bind', at, ['bind'], () => [[negated(1, local)]], deny('EADDRNOTAVAIL')));
  return out;
}
