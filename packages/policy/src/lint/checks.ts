// Lint checks: each a small function from the front end's model to diagnostics. The codes,
// severities, messages and hints are data in ../front/codes.ts; the dangerous syscalls are
// data below. Checks never throw and never depend on each other's output.
import type { Diagnostic } from '../diagnostics.js';
import type { Condition, IntCondition, RuleIR, SourceRange, Verdict } from '../ir.js';
import { constantOf, constantsWithPrefix, syscallByName } from '../abi/index.js';
import { diag } from '../front/codes.js';
import type { ModelDefault, ModelRule, PolicyModel } from '../front/load.js';
import { BUILTIN_PREFIX } from '../front/load.js';
import { pathGlob, pathUnder } from '../compile/pathmatch.js';

export interface LintCheck {
  /** The codes this check can report. */
  codes: readonly string[];
  /** One line: what it looks for. */
  what: string;
  run(model: PolicyModel): Diagnostic[];
}

const isPass = (v: Verdict): boolean => v.kind === 'allow' || v.kind === 'trace';
const hasPathCondition = (p: RuleIR): boolean => (p.match ?? []).some((alt) => alt.some((c) => c.kind === 'path'));
/** Path and fd conditions make the call stop in the supervisor anyway. */
const hasSupervisorCondition = (p: RuleIR): boolean => (p.match ?? []).some((alt) => alt.some((c) => c.kind !== 'int'));
const listNames = (names: readonly string[], max = 6): string =>
  names.length <= max ? names.join(', ') : `${names.slice(0, max).join(', ')} and ${names.length - max} more`;

// --- dangerous syscalls -----------------------------------------------------------------------

/** Namespace-creating bits of unshare(2)/clone(2). */
const NS_BITS = constantsWithPrefix('CLONE_NEW').reduce((m, [, v]) => m | v, 0n);

interface Danger { syscalls: readonly string[]; why: string; safe?: (alt: Condition[]) => boolean }

const DANGER_TABLE: readonly Danger[] = [
  { syscalls: ['ptrace'], why: 'it controls other processes, and can detach a tracee from the supervisor' },
  { syscalls: ['process_vm_readv', 'process_vm_writev'], why: 'it reads or writes the memory of other processes' },
  { syscalls: ['pidfd_getfd'], why: 'it copies file descriptors out of other processes' },
  { syscalls: ['bpf'], why: 'it loads programs into the kernel' },
  { syscalls: ['io_uring_setup', 'io_uring_enter', 'io_uring_register'],
    why: 'io_uring does I/O without system calls the supervisor sees' },
  { syscalls: ['personality'], why: 'it can turn off ASLR and change how the kernel treats the process' },
  { syscalls: ['kexec_load', 'kexec_file_load', 'reboot'], why: 'it replaces or stops the running kernel' },
  { syscalls: ['init_module', 'finit_module', 'delete_module'], why: 'it loads or unloads kernel code' },
  { syscalls: ['mount', 'umount', 'umount2', 'pivot_root', 'chroot', 'move_mount', 'open_tree', 'fsopen', 'fsmount',
    'fsconfig', 'fspick', 'mount_setattr'], why: 'it changes what the file system looks like, around path rules' },
  { syscalls: ['unshare'], why: 'it creates namespaces (CLONE_NEW*)',
    safe: (alt) => alt.some((c) => c.kind === 'int' && c.argName === 'unshare_flags'
      && ((c.op === 'none' && (c.values[0]! & NS_BITS) === NS_BITS)
        || ((c.op === 'eq' || c.op === 'in') && c.values.every((v) => (v & NS_BITS) === 0n)))) },
  { syscalls: ['setns'], why: 'it enters other namespaces' },
  { syscalls: ['keyctl', 'add_key', 'request_key'], why: 'the kernel keyrings hold credentials shared with the user\'s other processes' },
  { syscalls: ['userfaultfd'], why: 'it is the classic tool for winning kernel races' },
  { syscalls: ['perf_event_open'], why: 'it exposes kernel and other processes\' internals' },
  { syscalls: ['open_by_handle_at'], why: 'it opens files by handle, around every path rule' },
  { syscalls: ['iopl', 'ioperm'], why: 'it gives raw I/O port access' },
  { syscalls: ['swapon', 'swapoff', 'acct', 'quotactl', 'syslog', 'vhangup'], why: 'it administers the whole machine' },
  { syscalls: ['settimeofday', 'clock_settime', 'clock_adjtime', 'adjtimex'], why: 'it changes the system clock' },
];

/**
 * Syscalls whose pass-through weakens or escapes the sandbox (those the catalogue has).
 * `safe` says when a rule's alternative restricts the call enough (all alternatives must be).
 */
export const DANGEROUS: readonly Danger[] = DANGER_TABLE.map((d) => ({
  ...d, syscalls: d.syscalls.filter((s) => syscallByName(s) !== undefined) }));

const dangerOf = new Map(DANGEROUS.flatMap((d) => d.syscalls.map((s) => [s, d] as const)));

/** The dangerous syscalls a rule passes through (with their reasons). */
function dangerousPassed(rule: ModelRule): { syscalls: string[]; why: string[] } {
  const syscalls: string[] = [];
  const why = new Set<string>();
  if (!isPass(rule.verdict)) return { syscalls, why: [] };
  for (const p of rule.parts) {
    for (const s of p.syscalls) {
      const d = dangerOf.get(s);
      if (!d) continue;
      if (d.safe && p.match && p.match.every(d.safe)) continue;
      syscalls.push(s);
      why.add(d.why);
    }
  }
  return { syscalls, why: [...why] };
}

const dangerousPass: LintCheck = {
  codes: ['SV3104', 'SV3105'],
  what: 'dangerous syscalls passed through without `acknowledge:`; acknowledgements with nothing to acknowledge',
  run(model) {
    const out: Diagnostic[] = [];
    for (const r of model.rules) {
      const { syscalls, why } = dangerousPassed(r);
      if (syscalls.length > 0 && !r.acknowledge) {
        out.push(diag('SV3104', r.syscallsRange, { rule: r.label, syscalls: listNames(syscalls), why: why.join('; ') }));
      }
      if (syscalls.length === 0 && r.acknowledge) out.push(diag('SV3105', r.acknowledge.range, { rule: r.label }));
    }
    const def = model.default;
    if (def && isPass(def.verdict)) {
      // Dangerous syscalls that no rule decides for every invocation fall to the default.
      const decided = new Set(model.rules.flatMap((r) => r.parts.filter((p) => p.match === null).flatMap((p) => p.syscalls)));
      const left = [...dangerOf.keys()].filter((s) => !decided.has(s));
      if (left.length > 0 && !def.acknowledge) {
        out.push(diag('SV3104', def.source, { rule: 'the default', syscalls: listNames(left),
          why: 'a default that passes lets through every dangerous call no rule denies' }));
      }
      if (left.length === 0 && def.acknowledge) out.push(diag('SV3105', def.acknowledge.range, { rule: 'the default' }));
    } else if (def?.acknowledge) out.push(diag('SV3105', def.acknowledge.range, { rule: 'the default' }));
    return out;
  },
};

// --- shadowing ----------------------------------------------------------------------------------

/** Whether condition `b` (of a rule with verdict class `bPass`) implies condition `a`: every
 *  invocation satisfying b satisfies a. Conservative: false when unsure. */
function implies(a: Condition, b: Condition, aPass: boolean, bPass: boolean): boolean {
  if (a.kind === 'int' && b.kind === 'int') {
    if (a.arg !== b.arg || a.width !== b.width) return false;
    const bv = b.values;
    const av = a.values;
    if (a.op === b.op && av.length === bv.length && av.every((v, i) => v === bv[i])) return true;
    const bSet = b.op === 'eq' ? bv.slice(0, 1) : b.op === 'in' ? bv : undefined;
    if (bSet) {
      if (a.op === 'eq') return bSet.length > 0 && bSet.every((v) => v === av[0]);
      if (a.op === 'in') return bSet.every((v) => av.includes(v));
      if (a.op === 'ne') return !bSet.includes(av[0]!);
      if (a.op === 'not-in') return bSet.every((v) => !av.includes(v));
      if (a.op === 'all') return bSet.every((v) => (v & av[0]!) === av[0]);
      if (a.op === 'none') return bSet.every((v) => (v & av[0]!) === 0n);
      if (a.op === 'any') return bSet.every((v) => (v & av[0]!) !== 0n);
    }
    if (a.op === 'all' && b.op === 'all') return (av[0]! & bv[0]!) === av[0];
    if (a.op === 'none' && b.op === 'none') return (av[0]! & bv[0]!) === av[0];
    if (a.op === 'any' && b.op === 'all') return (av[0]! & bv[0]!) !== 0n;
    return false;
  }
  if (a.kind === 'path' && b.kind === 'path') {
    if (a.args.length !== b.args.length || a.args.some((x, i) => x !== b.args[i])) return false;
    // No values: ${tty} where the context has no terminal. b then holds for no path, and
    // would imply anything; the rule is idle in this context, not shadowed by an earlier one.
    if (b.values.length === 0) return false;
    // With several path arguments a pass rule needs every path, a deny-like one any path.
    if (a.args.length > 1 && aPass && !bPass) return false;
    if (a.op === 'under' && (b.op === 'under' || b.op === 'equals')) {
      return b.values.every((v) => a.values.some((base) => pathUnder(v, base)));
    }
    if (a.op === 'equals' && b.op === 'equals') return b.values.every((v) => a.values.includes(v));
    if (a.op === 'glob' && b.op === 'equals') return b.values.every((v) => a.values.some((g) => pathGlob(v, g)));
    if (a.op === 'glob' && b.op === 'glob') return b.values.every((v) => a.values.includes(v));
    return false;
  }
  return false;
}

/** Whether rule part `a` matches every invocation part `b` matches (for one syscall): each
 *  alternative of b implies some alternative of a. An unreadable path is left out: a deny
 *  after a pass on the same paths is reported although it still fails closed on such paths. */
function covers(a: RuleIR, b: RuleIR): boolean {
  if (a.match === null) return true;
  if (b.match === null) return false;
  const aPass = isPass(a.verdict);
  const bPass = isPass(b.verdict);
  return b.match.every((bAlt) => a.match!.some((aAlt) =>
    aAlt.every((ac) => bAlt.some((bc) => implies(ac, bc, aPass, bPass)))));
}

const shadowing: LintCheck = {
  codes: ['SV3101', 'SV3102'],
  what: 'rules that an earlier rule of the same file decides before them, wholly or for some syscalls',
  run(model) {
    const out: Diagnostic[] = [];
    model.rules.forEach((b, bi) => {
      const covered: string[] = [];
      const by = new Set<string>();
      let total = 0;
      for (const bp of b.parts) {
        for (const s of bp.syscalls) {
          total++;
          for (const a of model.rules.slice(0, bi)) {
            // Across files an earlier rule overriding a later one is what `extends` is for.
            if (a.file !== b.file) continue;
            const ap = a.parts.find((p) => p.syscalls.includes(s));
            if (ap && covers(ap, bp)) { covered.push(s); by.add(a.label); break; }
          }
        }
      }
      if (covered.length === 0) return;
      const byText = [...by].join(', ');
      if (covered.length === total) out.push(diag('SV3101', b.source, { rule: b.label, by: byText }));
      else out.push(diag('SV3102', b.syscallsRange, { rule: b.label, syscalls: listNames(covered), by: byText }));
    });
    return out;
  },
};

// --- conditions that can never hold ---------------------------------------------------------------

const hex = (v: bigint): string => (v < 10n && v > -10n ? String(v) : `0x${v.toString(16)}`);

/** Why no value satisfies these conditions on one argument, or undefined if some value does. */
export function contradiction(conds: readonly IntCondition[]): string | undefined {
  const first = conds[0];
  if (!first) return undefined;
  const w = first.width;
  const signed = first.signed;
  const dom = (v: bigint): bigint => (signed ? BigInt.asIntN(w, v) : BigInt.asUintN(w, v));
  let lo = signed ? -(1n << BigInt(w - 1)) : 0n;
  let hi = signed ? (1n << BigInt(w - 1)) - 1n : (1n << BigInt(w)) - 1n;
  let set: bigint[] | undefined;
  const excluded = new Set<bigint>();
  let mustSet = 0n;
  let mustClear = 0n;
  const anyMasks: bigint[] = [];
  for (const c of conds) {
    const v = dom(c.values[0] ?? 0n);
    switch (c.op) {
      case 'eq': set = (set ?? [v]).filter((x) => x === v); break;
      case 'in': { const vs = c.values.map(dom); set = (set ?? vs).filter((x) => vs.includes(x)); break; }
      case 'ne': excluded.add(v); break;
      case 'not-in': c.values.forEach((x) => excluded.add(dom(x))); break;
      case 'lt': if (v - 1n < hi) hi = v - 1n; break;
      case 'le': if (v < hi) hi = v; break;
      case 'gt': if (v + 1n > lo) lo = v + 1n; break;
      case 'ge': if (v > lo) lo = v; break;
      case 'all': mustSet |= c.values[0]!; break;
      case 'none': mustClear |= c.values[0]!; break;
      case 'any': anyMasks.push(c.values[0]!); break;
    }
  }
  const desc = conds.map((c) => `${c.op} ${c.op === 'in' || c.op === 'not-in' ? `[${c.values.map(hex).join(', ')}]` : hex(c.values[0] ?? 0n)}`).join(', ');
  const what = `no value of '${first.argName}' satisfies ${desc}`;
  if (conds.some((c) => c.op === 'in' && c.values.length === 0)) return `'in' with an empty list never holds`;
  if (lo > hi) {
    const lt = conds.find((c) => (c.op === 'lt' && dom(c.values[0]!) === 0n) || (c.op === 'le' && !signed && dom(c.values[0]!) < 0n));
    if (!signed && lt) return `'${first.argName}' is unsigned: ${lt.op} ${hex(dom(lt.values[0]!))} never holds`;
    return what;
  }
  if ((mustSet & mustClear) !== 0n) return what;
  if (anyMasks.some((m) => (m & ~mustClear) === 0n)) return what;
  const ok = (x: bigint): boolean => x >= lo && x <= hi && !excluded.has(x)
    && (BigInt.asUintN(w, x) & mustSet) === mustSet && (BigInt.asUintN(w, x) & mustClear) === 0n
    && anyMasks.every((m) => (BigInt.asUintN(w, x) & m) !== 0n);
  if (set !== undefined) return set.some(ok) ? undefined : what;
  if (hi - lo < 64n) {
    for (let x = lo; x <= hi; x++) if (ok(x)) return undefined;
    return what;
  }
  return undefined;
}

/** Why an alternative can never hold, or undefined. */
function deadAlternative(alt: readonly Condition[]): { reason: string; at: SourceRange } | undefined {
  const byArg = new Map<number, IntCondition[]>();
  for (const c of alt) if (c.kind === 'int') byArg.set(c.arg, [...(byArg.get(c.arg) ?? []), c]);
  for (const conds of byArg.values()) {
    const reason = contradiction(conds);
    if (reason) return { reason, at: conds[conds.length - 1]!.source };
  }
  return undefined;
}

const neverMatches: LintCheck = {
  codes: ['SV3103'],
  what: 'rules (or alternatives of their match) whose integer conditions contradict each other',
  run(model) {
    const out: Diagnostic[] = [];
    for (const r of model.rules) {
      const seen = new Set<string>();
      for (const p of r.parts) {
        for (const alt of p.match ?? []) {
          const dead = deadAlternative(alt);
          if (!dead) continue;
          const key = `${dead.at.line}:${dead.at.column}`;
          if (seen.has(key)) continue;
          seen.add(key);
          const reason = (p.match?.length ?? 0) > 1 ? `one of its alternatives: ${dead.reason}` : dead.reason;
          out.push(diag('SV3103', dead.at, { rule: r.label, reason }));
        }
      }
    }
    return out;
  },
};

// --- vDSO, TOCTOU, log, vars, duplicates ------------------------------------------------------------

/** Calls the x86_64 and aarch64 vDSO answers in user space. */
export const VDSO_CALLS = ['clock_gettime', 'gettimeofday', 'time', 'getcpu', 'clock_getres'];

const vdso: LintCheck = {
  codes: ['SV3106'],
  what: 'emulation of calls the vDSO answers without entering the kernel',
  run(model) {
    return model.rules.flatMap((r) => {
      // Time emulation is the case the runtime disables the vDSO for (AT_SYSINFO_EHDR zeroed
      // at exec, so no libc or runtime finds it): only other emulations of these calls are
      // defeated by the vDSO.
      if (r.verdict.kind !== 'emulate' || r.verdict.emulate.kind === 'time') return [];
      const hit = r.parts.flatMap((p) => p.syscalls).filter((s) => VDSO_CALLS.includes(s));
      return hit.length > 0 ? [diag('SV3106', r.syscallsRange, { syscalls: hit.join(', ') })] : [];
    });
  },
};

const advisory: LintCheck = {
  codes: ['SV3107', 'SV3108'],
  what: 'verdicts decided on a path read from the tracee\'s memory that let a call run (TOCTOU)',
  run(model) {
    const out: Diagnostic[] = [];
    model.rules.forEach((r, i) => {
      const withPath = r.parts.filter(hasPathCondition);
      if (withPath.length === 0) return;
      if (isPass(r.verdict)) { out.push(diag('SV3107', r.source, { rule: r.label })); return; }
      // A deny by path is bypassable if the same call can pass later.
      const syscalls = withPath.flatMap((p) => p.syscalls);
      const passedBy = new Set<string>();
      const leaks: string[] = [];
      for (const s of syscalls) {
        const later = model.rules.slice(i + 1).find((l) => isPass(l.verdict) && l.parts.some((p) => p.syscalls.includes(s)));
        if (later) { leaks.push(s); passedBy.add(later.label); } else if (model.default && isPass(model.default.verdict)) {
          leaks.push(s); passedBy.add('the default');
        }
      }
      if (leaks.length > 0) out.push(diag('SV3108', r.source, { rule: r.label, syscalls: listNames(leaks), by: [...passedBy].slice(0, 3).join(', ') }));
    });
    return out;
  },
};

const kernelVerdict = (v: Verdict): boolean => v.kind === 'allow' || v.kind === 'deny' || v.kind === 'kill';

const quietNotDeny: LintCheck = {
  codes: ['SV3114'],
  what: '`quiet: true` on a rule that denies nothing',
  run(model) {
    return model.rules.filter((r) => r.quiet !== undefined && r.verdict.kind !== 'deny')
      .map((r) => diag('SV3114', r.quiet!, { rule: r.label, verdict: r.verdict.kind === 'kill' ? 'kills' : `${r.verdict.kind === 'emulate' ? 'emulates' : `${r.verdict.kind}s`}` }));
  },
};

const logForcesStop: LintCheck = {
  codes: ['SV3109'],
  what: '`log: true` on a rule the kernel could decide alone',
  run(model) {
    const out = model.rules.filter((r) => r.log && kernelVerdict(r.verdict) && !r.parts.some(hasSupervisorCondition))
      .map((r) => diag('SV3109', r.source, { rule: r.label }));
    if (model.default?.log && kernelVerdict(model.default.verdict)) {
      out.push(diag('SV3109', model.default.source, { rule: 'the default' }));
    }
    return out;
  },
};

const unusedVars: LintCheck = {
  codes: ['SV3110'],
  what: 'variables defined but never used',
  run(model) {
    // A rule dropped for a schema error may be the one that used the variable.
    if (!model.complete) return [];
    return model.vars.filter((v) => !v.used && !v.file.startsWith(BUILTIN_PREFIX))
      .map((v) => diag('SV3110', v.keyRange, { name: v.name }));
  },
};

const duplicates: LintCheck = {
  codes: ['SV3111'],
  what: 'a syscall named twice in one rule',
  run(model) {
    return model.rules.filter((r) => r.duplicates.length > 0)
      .map((r) => diag('SV3111', r.syscallsRange, { syscalls: r.duplicates.join(', '), rule: r.label }));
  },
};

// --- mount namespaces around path rules -----------------------------------------------------------

const CLONE_NEWNS = BigInt(constantOf('CLONE_NEWNS'));

/**
 * The calls that give a program a mount namespace of its own, and the values of one argument
 * that do it, as conditions on that argument (a call does it if it meets any one).
 * unshare(2) and clone(2) with CLONE_NEWNS: alone as root, with CLONE_NEWUSER
 * (in the same call or an earlier one) unprivileged. setns(2) into a mount namespace: its
 * nstype is CLONE_NEWNS, or 0 (any type). clone3(2) is not here: its flags are in memory the
 * prefilter cannot read, so the runtime fails every clone3 with ENOSYS (libc falls back to
 * clone, whose flags are in a register) whatever the policy says.
 */
type CallValues = readonly (readonly [op: 'all' | 'eq', value: bigint])[];
interface NsCall { syscall: string; arg: number; values: CallValues }
const NS_CALLS: readonly NsCall[] = ([
  { syscall: 'unshare', arg: 0, values: [['all', CLONE_NEWNS]] },
  { syscall: 'clone', arg: 0, values: [['all', CLONE_NEWNS]] },
  { syscall: 'setns', arg: 1, values: [['all', CLONE_NEWNS], ['eq', 0n]] },
] satisfies NsCall[]).filter((c) => syscallByName(c.syscall) !== undefined);

/** Calls that, in a mount namespace of the program's own, change what a path names there
 *  (attach, detach or move a mount, or hand out a mount the walk never sees). */
const MOUNT_CALLS = ['mount', 'umount', 'umount2', 'move_mount', 'pivot_root', 'fsmount', 'open_tree']
  .filter((s) => syscallByName(s) !== undefined);

type Grant = ModelRule | ModelDefault;
const grantLabel = (g: Grant): string => ('label' in g ? g.label : 'the default');
const grantRange = (g: Grant): SourceRange => ('label' in g ? g.syscallsRange : g.source);

/**
 * The first rule, or the default, that lets through a call of `syscall` whose argument `arg`
 * meets `values` (every call when `values` is empty), in rule order; undefined when an earlier
 * rule that does not pass catches every such call. Conservative: a rule that denies only
 * some of them does not count as catching.
 */
function firstGrant(model: PolicyModel, syscall: string, arg: number, values: CallValues): Grant | undefined {
  const info = syscallByName(syscall)?.args?.[arg];
  const call: IntCondition[] = values.map(([op, v]) => ({ kind: 'int', arg, argName: info?.name ?? `arg${arg}`, op, values: [v],
    width: info?.width ?? 32, signed: info?.signed ?? false, source: { file: '', line: 0, column: 0, endLine: 0, endColumn: 0 } }));
  for (const r of model.rules) {
    for (const p of r.parts) {
      if (!p.syscalls.includes(syscall)) continue;
      if (isPass(r.verdict)) {
        // Passes such a call unless every alternative's conditions on the argument exclude it.
        if (p.match === null || p.match.some((alt) => contradiction([...alt.filter((c): c is IntCondition => c.kind === 'int' && c.arg === arg), ...call]) === undefined)) return r;
      } else if (p.match === null || p.match.some((alt) => alt.every((c) => call.some((cc) => implies(c, cc, false, false))))) {
        return undefined;
      }
    }
  }
  return model.default && isPass(model.default.verdict) ? model.default : undefined;
}

/** Whether a rule decides on a name the supervisor resolves: a path, an fd's path, a unix socket path. */
const namesPaths = (p: RuleIR): boolean => (p.match ?? []).some((alt) => alt.some((c) =>
  c.kind === 'path' || (c.kind === 'fd' && c.values !== undefined) || (c.kind === 'sockaddr' && c.patterns.some((x) => x.values !== undefined))));

const mountNamespace: LintCheck = {
  codes: ['SV3112'],
  what: 'path rules in a policy that lets the program make a mount namespace and mount in it',
  run(model) {
    const pathRules = model.rules.filter((r) => r.parts.some(namesPaths));
    if (pathRules.length === 0) return [];
    // Each way in, per call: the first grant of a call that makes or enters a mount namespace.
    const nsGrants = NS_CALLS.flatMap((c) => c.values.map((v) => [c.syscall, firstGrant(model, c.syscall, c.arg, [v])] as const))
      .filter((x): x is readonly [string, Grant] => x[1] !== undefined);
    const mountGrants = MOUNT_CALLS.map((s) => [s, firstGrant(model, s, 0, [])] as const)
      .filter((x): x is readonly [string, Grant] => x[1] !== undefined);
    if (nsGrants.length === 0 || mountGrants.length === 0) return [];
    const ns = nsGrants[0]![1];
    const mount = mountGrants[0]![1];
    const callsOf = (grants: readonly (readonly [string, Grant])[], g: Grant): string =>
      listNames([...new Set(grants.filter(([, x]) => x === g).map(([s]) => s))]);
    // Point at what the policy's author wrote: findings in a built-in are dropped unless the
    // built-in itself is linted, and a user's path rules under a built-in's grants are the user's.
    const mine = (file: string): boolean => !file.startsWith(BUILTIN_PREFIX);
    const at = mine(ns.file) ? grantRange(ns) : mine(mount.file) ? grantRange(mount)
      : pathRules.find((r) => mine(r.file))?.source ?? grantRange(ns);
    const how = ns === mount
      ? `${grantLabel(ns)} lets the program make a mount namespace (${callsOf(nsGrants, ns)}) and mount in it (${callsOf(mountGrants, mount)})`
      : `${grantLabel(ns)} lets the program make a mount namespace (${callsOf(nsGrants, ns)}) and ${grantLabel(mount)} lets it mount there (${callsOf(mountGrants, mount)})`;
    return [diag('SV3112', at, { how, paths: listNames(pathRules.map((r) => r.label), 3) })];
  },
};

const missingWithoutPath: LintCheck = {
  codes: ['SV3113'],
  what: '`missing:` on a deny rule without a path condition',
  run(model) {
    // evaluate answers `missing` only through a path condition of the deciding alternative.
    const hasPath = (p: RuleIR): boolean => (p.match ?? []).some((alt) => alt.some((c) => c.kind === 'path'));
    return model.rules.flatMap((r) => (r.verdict.kind !== 'deny' || r.verdict.missing === undefined || r.missingRange === undefined
      || r.parts.some(hasPath) ? []
      : [diag('SV3113', r.missingRange, { errno: r.verdict.missing.errnoName, rule: r.label, deny: r.verdict.errnoName })]));
  },
};

/** Every lint check, in the order they run. */
export const CHECKS: readonly LintCheck[] = [
  shadowing, neverMatches, dangerousPass, vdso, advisory, logForcesStop, quietNotDeny, unusedVars, duplicates, mountNamespace, missingWithoutPath,
];
