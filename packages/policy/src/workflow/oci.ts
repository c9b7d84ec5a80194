// OCI / Docker seccomp profiles (the `linux.seccomp` object of the OCI runtime spec, and
// Docker's profile files with `archMap`, `includes` and `excludes`) to sysvm policies and back.
//
// Import keeps the profile's meaning for x86_64: each `syscalls[]` entry becomes a rule (in
// the profile's order; sysvm's first match wins, so entries whose syscalls overlap with
// different actions are reported), `args[]` become conditions by the kernel's argument names.
//
// Export writes what the kernel can decide of a sysvm policy. An OCI profile has no order
// between entries, so each rule's entries are made disjoint from the earlier rules' by
// adding the negation of their conditions (exact: every sysvm integer condition and its
// negation is a disjunction of libseccomp comparisons). What only the supervisor can decide
// (path and fd conditions, emulate, trace) becomes SCMP_ACT_TRACE — the safe direction: under a
// runtime without a tracer attached, the kernel fails such a call with ENOSYS and does not
// run it, so nothing the policy would deny gets through.
import type { ArchName, IntCondition, Invocation, PolicyIR } from '../ir.js';
import { errnoName, syscallByName, syscallName } from '../abi/index.js';
import { planPolicy, type AltPlan, type SyscallPlan } from '../compile/plan.js';
import { decodeRet } from '../bpf/seccomp.js';

export interface OciArg {
  index: number;
  /** Unsigned 64-bit; a bigint when beyond 2^53 (see ociJson / parseOciJson). */
  value: number | bigint;
  valueTwo?: number | bigint;
  op: string;
}

export interface OciSyscall {
  names?: string[];
  name?: string;
  action: string;
  errnoRet?: number;
  args?: OciArg[] | null;
  comment?: string;
  includes?: { caps?: string[]; arches?: string[]; minKernel?: string };
  excludes?: { caps?: string[]; arches?: string[]; minKernel?: string };
}

export interface OciProfile {
  defaultAction: string;
  defaultErrnoRet?: number;
  architectures?: string[];
  archMap?: { architecture: string; subArchitectures?: string[] }[];
  flags?: string[];
  syscalls?: OciSyscall[];
}

// --- import -----------------------------------------------------------------------------------

export interface ImportOptions {
  /** Capabilities the container has, for Docker's includes/excludes.caps (default: none). */
  caps?: readonly string[];
  /** The kernel version for includes.minKernel (default: every minKernel is met). */
  kernel?: string;
  /** The policy's name (default: imported-profile). */
  name?: string;
  /** Where the profile came from, for the header comment. */
  source?: string;
}

export interface ImportResult {
  /** The policy as YAML text, with comments. */
  yaml: string;
  /** What could not be carried over exactly, one line each (the CLI prints them on stderr). */
  notes: string[];
  /** Set when the input is not a profile at all. */
  error?: string;
}

const OCI_X86_64 = ['SCMP_ARCH_X86_64'];
const DOCKER_ARCH_X86_64 = ['amd64', 'x86_64', 'x86-64'];
const OPS: Record<string, string> = {
  SCMP_CMP_EQ: 'eq', SCMP_CMP_NE: 'ne', SCMP_CMP_LT: 'lt', SCMP_CMP_LE: 'le', SCMP_CMP_GT: 'gt', SCMP_CMP_GE: 'ge',
};

type ActionSpec = string;

function errnoText(n: number): string {
  return errnoName(n) ?? String(n);
}

/** The sysvm action (YAML flow text) of an OCI action, and whether it logs; undefined: not expressible. */
function importAction(action: string, errnoRet: number | undefined, notes: string[], where: string)
  : { action: ActionSpec; log: boolean } | undefined {
  switch (action) {
    case 'SCMP_ACT_ALLOW': return { action: 'allow', log: false };
    case 'SCMP_ACT_LOG': return { action: 'allow', log: true };
    case 'SCMP_ACT_ERRNO': return { action: `{ deny: ${errnoText(errnoRet ?? 1)} }`, log: false };
    case 'SCMP_ACT_KILL': case 'SCMP_ACT_KILL_PROCESS': return { action: 'kill', log: false };
    case 'SCMP_ACT_KILL_THREAD':
      notes.push(`${where}: SCMP_ACT_KILL_THREAD became kill (sysvm kills the whole process)`);
      return { action: 'kill', log: false };
    case 'SCMP_ACT_TRAP':
      notes.push(`${where}: SCMP_ACT_TRAP (SIGSYS) became kill: sysvm has no SIGSYS verdict`);
      return { action: 'kill', log: false };
    case 'SCMP_ACT_TRACE':
      notes.push(`${where}: SCMP_ACT_TRACE became trace (the sysvm supervisor sees the call and its result)`);
      return { action: 'trace', log: false };
    case 'SCMP_ACT_NOTIFY':
      notes.push(`${where}: SCMP_ACT_NOTIFY (a user-space agent decides) became { deny: EPERM }: sysvm cannot forward to that agent`);
      return { action: '{ deny: EPERM }', log: false };
    default:
      return undefined;
  }
}

const hex = (v: bigint): string => (v < 4096n ? v.toString() : `0x${v.toString(16)}`);

function wrapList(items: string[], indent: string, width = 100): string {
  const lines: string[] = [];
  let cur = '';
  for (const it of items) {
    const next = cur ? `${cur}, ${it}` : it;
    if (next.length + indent.length > width && cur) { lines.push(cur + ','); cur = it; } else cur = next;
  }
  if (cur) lines.push(cur);
  return lines.join(`\n${indent}`);
}

function versionAtLeast(have: string, want: string): boolean {
  const a = have.split(/[.-]/).map((x) => parseInt(x, 10) || 0);
  const b = want.split(/[.-]/).map((x) => parseInt(x, 10) || 0);
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) > (b[i] ?? 0);
  }
  return true;
}

type ArgAlt = Map<string, string[]>;

/**
 * One libseccomp comparison as sysvm conditions on the argument: a list of alternatives
 * (any may hold). libseccomp orders the 64-bit register unsigned; sysvm orders a signed
 * argument signed, so an ordered comparison on a signed argument splits at zero (the
 * register of a negative value is sign-extended: above every non-negative one).
 */
function comparisonAlts(op: string, value: bigint, signed: boolean, width: number, name: string): string[][] | string {
  const w = BigInt(width);
  if (!signed || !['lt', 'le', 'gt', 'ge'].includes(op)) return [[`${op}: ${hex(value)}`]];
  const half = 1n << (w - 1n);
  if (value < half) {
    // V is non-negative: x <= V holds for 0..V; x >= V for V.. and every negative value
    if (op === 'lt' || op === 'le') return [[`ge: 0`, `${op}: ${hex(value)}`]];
    return [[`${op}: ${hex(value)}`], ['lt: 0']];
  }
  if (width !== 64) return `${hex(value)} is negative as the signed ${width}-bit '${name}', which libseccomp compares on 64 bits`;
  const s = value - (1n << 64n);
  if (op === 'lt' || op === 'le') return [['ge: 0'], [`${op}: ${s}`]];
  return [[`${op}: ${s}`, 'lt: 0']];
}

/** The conditions (YAML flow text) of one entry's args for one syscall, or why they cannot be expressed. */
function importArgs(args: OciArg[], syscall: string): { map: string } | { never: string } | { unsupported: string } {
  const info = syscallByName(syscall);
  let alts: ArgAlt[] = [new Map()];
  for (const a of args) {
    const arg = info?.args?.[a.index];
    if (!arg) return { unsupported: `${syscall} has no argument ${a.index} in the catalogue` };
    const width = BigInt(arg.width);
    const max = (1n << width) - 1n;
    const value = BigInt(a.value);
    const two = BigInt(a.valueTwo ?? 0);
    let options: string[][];
    if (a.op === 'SCMP_CMP_MASKED_EQ') {
      // (x & mask) == v  <=>  every bit of v set, and no other bit of the mask
      if ((two & ~value) !== 0n) return { never: `(${arg.name} & ${hex(value)}) == ${hex(two)} can never hold` };
      if (value > max) return { unsupported: `mask ${hex(value)} is wider than the ${arg.width}-bit argument '${arg.name}'` };
      const parts: string[] = [];
      if (two !== 0n) parts.push(`all: ${hex(two)}`);
      if ((value & ~two) !== 0n) parts.push(`none: ${hex(value & ~two)}`);
      options = [parts];
    } else {
      const op = OPS[a.op];
      if (!op) return { unsupported: `unknown comparison '${a.op}'` };
      if (value > max) {
        return { unsupported: `${hex(value)} does not fit the ${arg.width}-bit argument '${arg.name}' (sysvm compares its low ${arg.width} bits, as the kernel reads it)` };
      }
      const r = comparisonAlts(op, value, arg.signed, arg.width, arg.name);
      if (typeof r === 'string') return { unsupported: r };
      options = r;
    }
    const next: ArgAlt[] = [];
    for (const alt of alts) {
      for (const opt of options) {
        const m: ArgAlt = new Map([...alt].map(([k, v]) => [k, [...v]]));
        const parts = [...(m.get(arg.name) ?? []), ...opt];
        const ops = parts.map((p) => p.split(':')[0]);
        if (new Set(ops).size !== ops.length) return { unsupported: `two ${ops.join('/')} comparisons on '${arg.name}' in one entry` };
        if (parts.length) m.set(arg.name, parts);
        next.push(m);
      }
    }
    alts = next;
  }
  const flow = (m: ArgAlt): string => `{ ${[...m].map(([k, v]) => `${k}: { ${v.join(', ')} }`).join(', ')} }`;
  return { map: alts.length === 1 ? flow(alts[0]!) : `[${alts.map(flow).join(', ')}]` };
}

/** Whether a Docker profile entry applies to an x86_64 container with `caps` (undefined kernel: every minKernel met). */
export function entryApplies(e: OciSyscall, caps: ReadonlySet<string>, kernel?: string): boolean {
  const inc = e.includes ?? {};
  const exc = e.excludes ?? {};
  if (inc.caps?.length && !inc.caps.every((c) => caps.has(c))) return false;
  if (exc.caps?.some((c) => caps.has(c))) return false;
  if (inc.arches?.length && !inc.arches.some((a) => DOCKER_ARCH_X86_64.includes(a))) return false;
  if (exc.arches?.some((a) => DOCKER_ARCH_X86_64.includes(a))) return false;
  if (inc.minKernel && kernel && !versionAtLeast(kernel, inc.minKernel)) return false;
  return true;
}

/** Read an OCI or Docker seccomp profile (parsed JSON) and write a sysvm policy for x86_64. */
export function importOci(json: unknown, opts: ImportOptions = {}): ImportResult {
  const notes: string[] = [];
  if (json === null || typeof json !== 'object' || Array.isArray(json) || typeof (json as OciProfile).defaultAction !== 'string') {
    return { yaml: '', notes, error: 'not a seccomp profile: a JSON object with "defaultAction" (and "syscalls") is expected' };
  }
  const p = json as OciProfile;
  const caps = new Set(opts.caps ?? []);
  const arches = [...(p.architectures ?? []), ...(p.archMap ?? []).flatMap((m) => [m.architecture, ...(m.subArchitectures ?? [])])];
  if (arches.length > 0 && !arches.some((a) => OCI_X86_64.includes(a))) {
    notes.push(`the profile does not list SCMP_ARCH_X86_64; sysvm enforces policies for x86_64 only`);
  }
  const foreign = arches.filter((a) => !OCI_X86_64.includes(a));
  for (const key of Object.keys(p)) {
    if (['defaultAction', 'defaultErrnoRet', 'architectures', 'archMap', 'syscalls'].includes(key)) continue;
    const what = key === 'flags' ? `flags (${(p.flags ?? []).join(', ') || 'none'}): sysvm installs its own filter with its own flags`
      : key === 'listenerPath' || key === 'listenerMetadata' ? `${key}: sysvm has no seccomp user-notification agent`
        : `${key}: not an OCI/Docker profile key sysvm knows`;
    notes.push(`ignored ${what}`);
  }
  const def = importAction(p.defaultAction, p.defaultErrnoRet, notes, 'defaultAction');
  if (!def) return { yaml: '', notes, error: `unknown defaultAction '${p.defaultAction}'` };

  const out: string[] = [];
  out.push(`# Imported from the seccomp profile ${opts.source ?? '(stdin)'} by sysvm import-oci.`);
  out.push('# Each rule is one entry of the profile\'s `syscalls` list, in its order (in sysvm the first');
  out.push('# rule that matches decides). Argument comparisons are by the kernel\'s argument names.');
  if (foreign.length) {
    out.push(`# The profile also allows ${[...new Set(foreign)].join(', ')}: sysvm refuses every ABI but x86_64's`);
    out.push('# (ia32 int 0x80 and x32 calls fail with ENOSYS, before any rule).');
  }
  if (caps.size) out.push(`# Docker includes/excludes evaluated for the capabilities: ${[...caps].join(', ')}.`);
  else out.push('# Docker includes/excludes evaluated for a container without extra capabilities.');
  out.push('sysvm: 1');
  out.push(`name: ${opts.name ?? 'imported-profile'}`);
  out.push(def.log ? `default: { action: ${def.action}, log: true }` : `default: ${def.action}`);
  out.push('');
  out.push('rules:');
  const seen = new Map<string, string>();
  let rules = 0;
  const unknown = new Set<string>();
  let minKernelAssumed = false;
  (p.syscalls ?? []).forEach((e, i) => {
    const where = `syscalls[${i}]`;
    const extra = Object.keys(e).filter((k) => !['names', 'name', 'action', 'errnoRet', 'args', 'comment', 'includes', 'excludes'].includes(k));
    if (extra.length) notes.push(`${where}: ignored ${extra.join(', ')}`);
    const names = [...(e.names ?? []), ...(e.name ? [e.name] : [])];
    const inc = e.includes ?? {};
    const exc = e.excludes ?? {};
    if (inc.caps?.length && !inc.caps.every((c) => caps.has(c))) {
      notes.push(`${where} (${names.slice(0, 4).join(', ')}${names.length > 4 ? ', ...' : ''}) left out: it is for containers with ${inc.caps.join(', ')} (--cap to include)`);
      return;
    }
    if (exc.caps?.some((c) => caps.has(c))) return;
    if (inc.arches?.length && !inc.arches.some((a) => DOCKER_ARCH_X86_64.includes(a))) return;
    if (exc.arches?.some((a) => DOCKER_ARCH_X86_64.includes(a))) return;
    if (inc.minKernel) {
      if (opts.kernel && !versionAtLeast(opts.kernel, inc.minKernel)) {
        notes.push(`${where} left out: it needs kernel ${inc.minKernel}, --kernel says ${opts.kernel}`);
        return;
      }
      if (!opts.kernel) minKernelAssumed = true;
    }
    const act = importAction(e.action, e.errnoRet, notes, where);
    if (!act) { notes.push(`${where} left out: unknown action '${e.action}'`); return; }
    const known = names.filter((n) => {
      const ok = syscallByName(n) !== undefined;
      if (!ok) unknown.add(n);
      return ok;
    });
    if (known.length === 0) return;
    for (const n of known) {
      const prev = seen.get(n);
      const mine = `${act.action}${act.log ? '+log' : ''}`;
      if (prev !== undefined && prev !== mine) {
        notes.push(`${n} is in several entries with different actions (${prev}, ${mine}): the first that matches decides in sysvm`);
      }
      seen.set(n, mine);
    }
    const args = e.args ?? [];
    const emit = (syscalls: string[], match: string | undefined, suffix: string): void => {
      rules++;
      out.push(`  - name: entry-${i + 1}${suffix}`);
      if (e.comment) out.push(`    # ${e.comment}`);
      out.push(`    syscalls: [${wrapList(syscalls, '      ')}]`);
      if (match) out.push(`    match: ${match}`);
      out.push(`    action: ${act.action}`);
      if (act.log) out.push('    log: true');
      out.push('');
    };
    if (args.length === 0) { emit(known, undefined, ''); return; }
    // Conditions are by argument name, which differs between syscalls: one rule per syscall
    // unless they share the layout.
    const byMatch = new Map<string, string[]>();
    for (const n of known) {
      const r = importArgs(args, n);
      if ('never' in r) { notes.push(`${where} for ${n} left out: ${r.never}`); continue; }
      if ('unsupported' in r) {
        notes.push(`${where} for ${n} left out: ${r.unsupported}`);
        continue;
      }
      byMatch.set(r.map, [...(byMatch.get(r.map) ?? []), n]);
    }
    let k = 0;
    for (const [match, syscalls] of byMatch) emit(syscalls, match, byMatch.size > 1 ? `-${String.fromCharCode(97 + k++)}` : '');
  });
  if (unknown.size) {
    notes.push(`not in sysvm's syscall catalogue (left out): ${[...unknown].sort().join(', ')}`);
  }
  if (minKernelAssumed) notes.push('entries with includes.minKernel were kept (give --kernel VERSION to check them)');
  if (rules === 0) out[out.lastIndexOf('rules:')] = 'rules: []';
  return { yaml: out.join('\n').replace(/\n+$/, '') + '\n', notes };
}

// --- export -----------------------------------------------------------------------------------

/** One libseccomp comparison. `value`/`valueTwo` are unsigned 64-bit. */
export interface Atom { index: number; op: string; value: bigint; valueTwo?: bigint }
type Clause = Atom[];
type Dnf = Clause[];

const U64 = (1n << 64n) - 1n;

/**
 * A conjunction simplified: MASKED_EQ comparisons of one argument merge into one
 * ((x & m1) == v1 and (x & m2) == v2 is (x & (m1|m2)) == (v1|v2) when they agree on the
 * common bits); undefined when two of them contradict (the clause never holds).
 */
function simplify(clause: Clause): Clause | undefined {
  const masked = new Map<number, Atom>();
  const rest: Atom[] = [];
  for (const a of clause) {
    if (a.op !== 'SCMP_CMP_MASKED_EQ') {
      if (!rest.some((r) => r.index === a.index && r.op === a.op && r.value === a.value)) rest.push(a);
      continue;
    }
    const prev = masked.get(a.index);
    if (!prev) { masked.set(a.index, a); continue; }
    const common = prev.value & a.value;
    if (((prev.valueTwo ?? 0n) ^ (a.valueTwo ?? 0n)) & common) return undefined;
    masked.set(a.index, { index: a.index, op: 'SCMP_CMP_MASKED_EQ', value: prev.value | a.value,
      valueTwo: (prev.valueTwo ?? 0n) | (a.valueTwo ?? 0n) });
  }
  return [...masked.values(), ...rest];
}

function product(a: Dnf, b: Dnf): Dnf {
  const out: Dnf = [];
  const seen = new Set<string>();
  for (const x of a) {
    for (const y of b) {
      const c = simplify([...x, ...y]);
      if (!c) continue;
      const key = c.map((t) => `${t.index}${t.op}${t.value}/${t.valueTwo ?? ''}`).sort().join('&');
      if (seen.has(key)) continue;
      seen.add(key);
      out.push(c);
    }
  }
  return out;
}

/** Intervals [lo, hi] of the condition's value domain (signed or unsigned, `width` bits). */
type Interval = [bigint, bigint];

function domain(c: IntCondition): Interval {
  const w = BigInt(c.width);
  return c.signed ? [-(1n << (w - 1n)), (1n << (w - 1n)) - 1n] : [0n, (1n << w) - 1n];
}

function complement(iv: Interval[], d: Interval): Interval[] {
  const sorted = [...iv].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const out: Interval[] = [];
  let next = d[0];
  for (const [lo, hi] of sorted) {
    if (lo > next) out.push([next, lo - 1n]);
    if (hi + 1n > next) next = hi + 1n;
  }
  if (next <= d[1]) out.push([next, d[1]]);
  return out;
}

function intervals(c: IntCondition): Interval[] {
  const d = domain(c);
  const v = (x: bigint): bigint => (c.signed ? BigInt.asIntN(c.width, x) : BigInt.asUintN(c.width, x));
  const vs = c.values.map(v);
  const x = vs[0] ?? 0n;
  const points = (ps: bigint[]): Interval[] => [...new Set(ps)].map((p) => [p, p] as Interval);
  switch (c.op) {
    case 'eq': return points([x]);
    case 'ne': return complement(points([x]), d);
    case 'in': return points(vs);
    case 'not-in': return complement(points(vs), d);
    // lt/le/gt/ge compare signed when the argument is signed (evaluate's intHolds)
    case 'lt': return x > d[0] ? [[d[0], x - 1n]] : [];
    case 'le': return [[d[0], x]];
    case 'gt': return x < d[1] ? [[x + 1n, d[1]]] : [];
    case 'ge': return [[x, d[1]]];
    default: throw new Error(`not an interval condition: ${c.op}`);
  }
}

/**
 * A sysvm integer condition (or its negation) as libseccomp comparisons, in disjunctive
 * normal form. The register is taken as the C ABI leaves it: a 32-bit argument zero- or
 * sign-extended by its signedness. Equality on a 32-bit argument uses MASKED_EQ with the
 * low 32 bits, which is exact whatever the upper half holds; a 16-bit one (umode_t) MASKED_EQ
 * with the low 16 bits, as exact whatever the 48 bits above hold.
 */
export function conditionDnf(c: IntCondition, negate: boolean): Dnf {
  if (c.op === 'all' || c.op === 'any' || c.op === 'none') {
    const m = BigInt.asUintN(c.width, c.values[0] ?? 0n);
    const bits: bigint[] = [];
    for (let b = 0n; b < BigInt(c.width); b++) if ((m >> b) & 1n) bits.push(1n << b);
    const all = (): Dnf => [[{ index: c.arg, op: 'SCMP_CMP_MASKED_EQ', value: m, valueTwo: m }]];
    const none = (): Dnf => [[{ index: c.arg, op: 'SCMP_CMP_MASKED_EQ', value: m, valueTwo: 0n }]];
    const anyBit = (): Dnf => bits.map((b) => [{ index: c.arg, op: 'SCMP_CMP_MASKED_EQ', value: b, valueTwo: b }]);
    const notAll = (): Dnf => bits.map((b) => [{ index: c.arg, op: 'SCMP_CMP_MASKED_EQ', value: b, valueTwo: 0n }]);
    if (c.op === 'all') return negate ? notAll() : all();
    if (c.op === 'none') return negate ? anyBit() : none();
    return negate ? none() : anyBit();
  }
  let iv = intervals(c);
  if (negate) iv = complement(iv, domain(c));
  const out: Dnf = [];
  if (c.width !== 64) {
    // The kernel reads only the low 32 bits of a 32-bit argument and the low 16 of a 16-bit
    // one: compare exactly those, with MASKED_EQ on aligned blocks of the low `width` bits,
    // whatever the bits above hold (libseccomp alone would compare all 64).
    const span = 1n << BigInt(c.width);
    const pieces: Interval[] = [];
    for (const [lo, hi] of iv) {
      if (lo < 0n) pieces.push([lo + span, (hi < 0n ? hi : -1n) + span]);
      if (hi >= 0n) pieces.push([lo < 0n ? 0n : lo, hi]);
    }
    pieces.sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
    const merged: Interval[] = [];
    for (const p of pieces) {
      const last = merged[merged.length - 1];
      if (last && p[0] <= last[1] + 1n) { if (p[1] > last[1]) last[1] = p[1]; } else merged.push([p[0], p[1]]);
    }
    for (const [a, b] of merged) {
      for (const [start, size] of alignedBlocks(a, b)) {
        if (size === span) { out.push([]); continue; }
        out.push([{ index: c.arg, op: 'SCMP_CMP_MASKED_EQ', value: (span - 1n) & ~(size - 1n), valueTwo: start }]);
      }
    }
    return out;
  }
  for (const [lo, hi] of iv) {
    // 64 bits: libseccomp's unsigned comparisons; negative values sit at the top of the range.
    const pieces: Interval[] = [];
    if (lo < 0n) pieces.push([lo, hi < 0n ? hi : -1n]);
    if (hi >= 0n) pieces.push([lo < 0n ? 0n : lo, hi]);
    for (const [a0, b0] of pieces) {
      const a = BigInt.asUintN(64, a0);
      const b = BigInt.asUintN(64, b0);
      if (a === b) { out.push([{ index: c.arg, op: 'SCMP_CMP_EQ', value: a }]); continue; }
      const clause: Clause = [];
      if (a > 0n) clause.push({ index: c.arg, op: 'SCMP_CMP_GE', value: a });
      if (b < U64) clause.push({ index: c.arg, op: 'SCMP_CMP_LE', value: b });
      out.push(clause);
    }
  }
  return out;
}

/** [a, b] as the fewest aligned power-of-two blocks: [start, size] pairs. */
function alignedBlocks(a: bigint, b: bigint): [bigint, bigint][] {
  const out: [bigint, bigint][] = [];
  let x = a;
  while (x <= b) {
    let size = 1n;
    while ((x & (size * 2n - 1n)) === 0n && x + size * 2n - 1n <= b && size < (1n << 32n)) size *= 2n;
    out.push([x, size]);
    x += size;
  }
  return out;
}

function altDnf(alt: AltPlan): Dnf {
  return alt.ints.reduce<Dnf>((acc, c) => product(acc, conditionDnf(c, false)), [[]]);
}

function notAltDnf(alt: AltPlan): Dnf {
  return product([[]], alt.ints.flatMap((c) => conditionDnf(c, true)));
}

export interface ExportResult {
  profile: OciProfile;
  /** What could not be expressed and what was done with it, one line each. */
  notes: string[];
}

/** Per syscall at most this many entries; beyond, the whole syscall goes to SCMP_ACT_TRACE. */
export const MAX_ENTRIES_PER_SYSCALL = 256;

interface OciAction { action: string; errnoRet?: number }

function retAction(ret: number, logAllow: boolean): OciAction {
  const { action, data } = decodeRet(ret);
  if (action === 'allow') return { action: 'SCMP_ACT_ALLOW' };
  if (action === 'errno') return { action: 'SCMP_ACT_ERRNO', errnoRet: data };
  if (action === 'kill_process') return { action: 'SCMP_ACT_KILL_PROCESS' };
  return { action: logAllow ? 'SCMP_ACT_LOG' : 'SCMP_ACT_TRACE' };
}

const sameAction = (a: OciAction, b: OciAction): boolean => a.action === b.action && a.errnoRet === b.errnoRet;

/** Write the kernel-decidable part of a sysvm policy as an OCI seccomp profile for x86_64. */
export function exportOci(ir: PolicyIR, arch: ArchName = 'x86_64'): ExportResult {
  const notes: string[] = [];
  const plan = planPolicy(ir, arch);
  const d = plan.default;
  const logOnly = (v: { kind: string }, log: boolean): boolean => log && v.kind === 'allow';
  const defAction = retAction(d.ret, logOnly(d.verdict, d.log));
  if (d.where === 'supervisor') {
    notes.push(defAction.action === 'SCMP_ACT_LOG' ? 'the default (allow, log) became SCMP_ACT_LOG'
      : `the default (${d.verdict.kind}) needs the supervisor: SCMP_ACT_TRACE (without a tracer the kernel fails such calls with ENOSYS)`);
  } else if (d.log) notes.push(`the default's log: true is dropped (OCI logs only allowed calls, with SCMP_ACT_LOG)`);
  const entries = new Map<string, { names: string[]; action: OciAction; args: Atom[] }>();
  const add = (name: string, action: OciAction, clause: Clause): void => {
    const args = [...clause].sort((a, b) => a.index - b.index || a.op.localeCompare(b.op));
    const key = JSON.stringify({ action, args }, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
    const e = entries.get(key);
    if (e) { if (!e.names.includes(name)) e.names.push(name); } else entries.set(key, { names: [name], action, args });
  };
  const ruleNotes: RuleNotes = new Map();
  for (const s of plan.syscalls) exportSyscall(s, defAction, add, notes, ruleNotes);
  for (const [text, names] of ruleNotes) {
    notes.push(`${text}: ${names.length > 6 ? `${names.slice(0, 6).join(', ')} and ${names.length - 6} more` : names.join(', ')}`);
  }
  const syscalls: OciSyscall[] = [...entries.values()].map((e) => ({
    names: e.names.sort(),
    action: e.action.action,
    ...(e.action.errnoRet !== undefined ? { errnoRet: e.action.errnoRet } : {}),
    ...(e.args.length ? { args: e.args.map((a) => ({ index: a.index, value: num(a.value), ...(a.valueTwo !== undefined ? { valueTwo: num(a.valueTwo) } : {}), op: a.op })) } : {}),
  }));
  notes.push(`other architectures (ia32 int 0x80, x32) are not listed: the runtime applies its bad-architecture action (sysvm answers ENOSYS)`);
  const profile: OciProfile = {
    defaultAction: defAction.action,
    ...(defAction.errnoRet !== undefined ? { defaultErrnoRet: defAction.errnoRet } : {}),
    architectures: ['SCMP_ARCH_X86_64'],
    syscalls,
  };
  return { profile, notes };
}

const num = (v: bigint): number | bigint => (v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v);

/** The profile as JSON text, integers beyond 2^53 written exactly (Go's uint64 reads them). */
export function ociJson(p: OciProfile): string {
  return JSON.stringify(p, (_k, v: unknown) => (typeof v === 'bigint' ? `@@big:${v}` : v), 2)
    .replace(/"@@big:(\d+)"/g, '$1') + '\n';
}

/** JSON.parse that keeps integers beyond 2^53 exact (as bigints). */
export function parseOciJson(text: string): unknown {
  return JSON.parse(text.replace(/([:[,]\s*)(\d{16,})(?=\s*[,}\]])/g, '$1"@@big:$2"'), (_k, v: unknown) =>
    (typeof v === 'string' && v.startsWith('@@big:') ? BigInt(v.slice(6)) : v));
}

/** Notes by what they say, with the syscalls they are about (one line per rule, not per syscall). */
type RuleNotes = Map<string, string[]>;

function exportSyscall(s: SyscallPlan, def: OciAction, add: (name: string, a: OciAction, c: Clause) => void, notes: string[],
  ruleNotes: RuleNotes): void {
  const note = (text: string): void => {
    const list = ruleNotes.get(text) ?? [];
    if (!list.includes(s.name)) list.push(s.name);
    ruleNotes.set(text, list);
  };
  // Security: a syscall too complex to write out goes to SCMP_ACT_TRACE as a whole (fails
  // closed without a tracer), never to the default.
  const giveUp = (): void => {
    notes.push(`${s.name}: its rules need more than ${MAX_ENTRIES_PER_SYSCALL} entries; the whole syscall became SCMP_ACT_TRACE`);
    add(s.name, { action: 'SCMP_ACT_TRACE' }, []);
  };
  const planned: { action: OciAction; clauses: Dnf }[] = [];
  let negs: Dnf = [[]];
  let always = false;
  for (const step of s.steps) {
    if (!step.reachable || always) break;
    for (const alt of step.alts) {
      const rule = step.rule;
      const label = rule.name !== undefined ? `rule '${rule.name}'` : `rule #${rule.index}`;
      const logAllow = rule.log && rule.verdict.kind === 'allow' && alt.paths.length === 0;
      const action = retAction(alt.ret, logAllow);
      const what = alt.paths.every((c) => c.kind === 'sockaddr') ? 'socket addresses' : 'paths or fds';
      if (alt.paths.length > 0) note(`${label} looks at ${what}: SCMP_ACT_TRACE where its integer conditions hold`);
      else if (rule.verdict.kind === 'emulate' || rule.verdict.kind === 'trace') note(`${label} (${rule.verdict.kind}) became SCMP_ACT_TRACE`);
      else if (rule.log && !logAllow) note(`${label} (${rule.verdict.kind}, log) became SCMP_ACT_TRACE`);
      else if (logAllow) note(`${label} (allow, log) became SCMP_ACT_LOG`);
      const clauses = product(altDnf(alt), negs);
      if (clauses.length > MAX_ENTRIES_PER_SYSCALL * 4 || negs.length > MAX_ENTRIES_PER_SYSCALL * 4) return giveUp();
      planned.push({ action, clauses });
      if (alt.ints.length === 0) { always = true; break; }
      negs = product(negs, notAltDnf(alt));
      if (negs.length > MAX_ENTRIES_PER_SYSCALL * 4) return giveUp();
    }
  }
  if (!always && s.fallback.reachable) {
    const fb = retAction(s.fallback.ret, s.fallback.log && s.fallback.verdict.kind === 'allow');
    planned.push({ action: fb, clauses: negs });
  }
  const relevant = planned.filter((p) => !sameAction(p.action, def));
  const count = relevant.reduce((n, p) => n + p.clauses.length, 0);
  if (count > MAX_ENTRIES_PER_SYSCALL) return giveUp();
  for (const p of relevant) for (const c of p.clauses) add(s.name, p.action, c);
}

// --- reference semantics of a profile ------------------------------------------------------------

/**
 * The action an OCI profile takes for an x86_64 invocation, as libseccomp compares: every
 * comparison of an entry on the full 64-bit register (MASKED_EQ: (reg & value) == valueTwo);
 * the first entry in order whose names and comparisons all hold decides (profiles sysvm
 * writes have disjoint entries, so their order does not matter). Docker's includes/excludes
 * are evaluated for `caps` and `kernel` as import does. Returns `SCMP_ACT_ERRNO(13)`-style text.
 */
export function evaluateOci(p: OciProfile, inv: Invocation, opts: { caps?: readonly string[]; kernel?: string } = {}): string {
  const caps = new Set(opts.caps ?? []);
  const name = syscallName('x86_64', inv.nr >>> 0);
  const fmt = (action: string, errnoRet: number | undefined): string =>
    action === 'SCMP_ACT_ERRNO' ? `SCMP_ACT_ERRNO(${errnoRet ?? 1})` : action === 'SCMP_ACT_KILL' ? 'SCMP_ACT_KILL_PROCESS' : action;
  if (name !== undefined) {
    for (const e of p.syscalls ?? []) {
      const names = [...(e.names ?? []), ...(e.name ? [e.name] : [])];
      if (!names.includes(name) || !entryApplies(e, caps, opts.kernel)) continue;
      const holds = (e.args ?? []).every((a) => {
        const x = BigInt.asUintN(64, inv.args[a.index] ?? 0n);
        const v = BigInt.asUintN(64, BigInt(a.value));
        switch (a.op) {
          case 'SCMP_CMP_EQ': return x === v;
          case 'SCMP_CMP_NE': return x !== v;
          case 'SCMP_CMP_LT': return x < v;
          case 'SCMP_CMP_LE': return x <= v;
          case 'SCMP_CMP_GT': return x > v;
          case 'SCMP_CMP_GE': return x >= v;
          case 'SCMP_CMP_MASKED_EQ': return (x & v) === BigInt.asUintN(64, BigInt(a.valueTwo ?? 0));
          default: return false;
        }
      });
      if (holds) return fmt(e.action, e.errnoRet ?? 1);
    }
  }
  return fmt(p.defaultAction, p.defaultErrnoRet ?? 1);
}

/** The OCI action text that a sysvm prefilter return value stands for (TRACE for the supervisor's share). */
export function ociActionOfRet(ret: number): string {
  const { action, data } = decodeRet(ret);
  if (action === 'allow') return 'SCMP_ACT_ALLOW';
  if (action === 'errno') return `SCMP_ACT_ERRNO(${data})`;
  if (action === 'kill_process') return 'SCMP_ACT_KILL_PROCESS';
  return 'SCMP_ACT_TRACE';
}

