// The decision program the supervisor runs: a pure function from a policy and one
// syscall invocation to its decision. It is the reference semantics; the BPF prefilter
// (compile/bpf.ts) must agree with it on everything the kernel decides alone, which
// the differential tests check.
import { syscallName } from './abi/index.js';
import type {
  Condition, FdCondition, ArchName, DecidedBy, Decision, Deref, IntCondition, Invocation, PathCondition, PolicyIR, RuleIR,
  SockaddrCondition, Verdict,
} from './ir.js';
import { sockaddrMatches } from './compile/addrmatch.js';
import { retTrace } from './bpf/seccomp.js';
import { kernelRet, needsSupervisor, planSyscall, traceData } from './compile/plan.js';
import { auditArch, prefilterGuard, safetyDefault } from './compile/safety.js';
import { pathMatches } from './compile/pathmatch.js';
import { syscallNumber } from './abi/index.js';

/** Whether an integer condition holds for the raw 64-bit register value `raw`. */
export function intHolds(c: IntCondition, raw: bigint): boolean {
  // A 32-bit argument is its low half (what the kernel reads of an int), a 16-bit one its
  // low 16 bits (a umode_t); the rest of the register can hold anything.
  const w = c.width;
  const ordered = c.signed && ['lt', 'le', 'gt', 'ge'].includes(c.op);
  const norm = (v: bigint): bigint => (ordered ? BigInt.asIntN(w, v) : BigInt.asUintN(w, v));
  const x = norm(raw);
  const vs = c.values.map(norm);
  const v = vs[0] ?? 0n;
  switch (c.op) {
    case 'eq': return x === v;
    case 'ne': return x !== v;
    case 'lt': return x < v;
    case 'le': return x <= v;
    case 'gt': return x > v;
    case 'ge': return x >= v;
    case 'in': return vs.includes(x);
    case 'not-in': return !vs.includes(x);
    case 'all': return (x & v) === v;
    case 'any': return (x & v) !== 0n;
    case 'none': return (x & v) === 0n;
  }
}

/** Verdicts under which a path condition fails closed (an unreadable path matches). */
export function isDenyLike(v: Verdict): boolean {
  return v.kind === 'deny' || v.kind === 'kill' || v.kind === 'emulate';
}

/**
 * Whether a path condition holds. Security: with several path arguments, a deny-like
 * verdict matches if any path matches and a pass verdict only if every path does; a
 * path that cannot be read never satisfies a pass and always satisfies a deny-like
 * match (fail closed).
 *
 * A "path" that does not start with `/` is the kernel's name of an object outside the
 * filesystem that the call reaches through an fd the program already holds (`pipe:[12]`,
 * `socket:[34]`, `anon_inode:[eventfd]`: fstat(fd) is newfstatat(fd, "", AT_EMPTY_PATH)).
 * No file can be reached through it, so path rules neither protect nor block it: it
 * satisfies pass conditions and no deny-like one. The runtime only produces such names
 * from /proc/PID/fd links, never from a string the program passes (those are made
 * absolute against the cwd or dirfd first).
 */
export function pathHolds(c: PathCondition, verdict: Verdict, deref: Deref | undefined): boolean {
  const denyLike = isDenyLike(verdict);
  // denyLike: does some argument match; else: does every one (loops, not closures: every
  // supervised path call comes here)
  for (const arg of c.args) {
    const p = deref?.path(arg);
    const holds = p === undefined ? denyLike : !p.startsWith('/') ? !denyLike : pathMatches(c.op, c.values, p);
    if (holds === denyLike) return denyLike;
  }
  return !denyLike;
}

/**
 * Whether an fd condition holds. Security: what the supervisor does not know about an
 * fd (no fd tracking, an fd it never saw opened) fails closed like an unreadable path.
 */
export function fdHolds(c: FdCondition, verdict: Verdict, deref: Deref | undefined): boolean {
  const denyLike = isDenyLike(verdict);
  const info = deref?.fd?.(c.arg);
  if (info === undefined) return denyLike;
  if (c.virtual !== undefined && info.virtual !== c.virtual) return false;
  if (c.op !== undefined) {
    if (info.path === undefined) return denyLike;
    return pathMatches(c.op, c.values ?? [], info.path);
  }
  return true;
}

/**
 * Whether a sockaddr condition holds for the call `name`. Security: like paths, an address
 * that cannot be read (or a Deref without addresses) never satisfies a pass and always
 * satisfies a deny-like match (fail closed); with several addresses (sendmmsg) a deny-like
 * verdict matches if any address matches, a pass verdict only if every one does. An empty
 * sendmmsg (vlen 0) sends nothing: it is judged like a call without an address.
 */
export function sockaddrHolds(c: SockaddrCondition, verdict: Verdict, deref: Deref | undefined, name: string): boolean {
  const denyLike = isDenyLike(verdict);
  const list = deref?.sockaddrs?.(c.arg);
  if (list === undefined) return denyLike;
  const addrs = list.length === 0 ? [null] : list;
  const test = (sa: (typeof addrs)[number]): boolean => sockaddrMatches(c, sa, name !== 'bind');
  return denyLike ? addrs.some(test) : addrs.every(test);
}

function conditionHolds(c: Condition, rule: RuleIR, inv: Invocation, name: string): boolean {
  return c.kind === 'int' ? intHolds(c, inv.args[c.arg] ?? 0n)
    : c.kind === 'path' ? pathHolds(c, rule.verdict, inv.deref)
      : c.kind === 'fd' ? fdHolds(c, rule.verdict, inv.deref) : sockaddrHolds(c, rule.verdict, inv.deref, name);
}

/** Some alternative of the rule's match has all its conditions hold (no match: always). */
function ruleMatches(rule: RuleIR, inv: Invocation, name: string): boolean {
  if (rule.match === null) return true;
  for (const alt of rule.match) {
    let all = true;
    for (const c of alt) {
      if (!conditionHolds(c, rule, inv, name)) {
        all = false;
        break;
      }
    }
    if (all) return true;
  }
  return false;
}

/**
 * Whether a matching rule with `{ deny, missing }` answers `missing`: some path argument that
 * a path condition of a holding alternative looks at names nothing (Deref.missing). Not when
 * an alternative of integer conditions alone holds: the kernel decides that call with the
 * deny's errno without looking at any path (prefilterRet), and this must agree with it.
 *
 * Security: `missing` tells the program whether a path exists, so a policy gives it only
 * where existence is no secret (builtin:default: where stat is allowed anyway, never on the
 * secrets' rules). An unreadable path or a Deref that does not say is not missing: the deny's
 * own errno stands (fail closed to the policy's first answer).
 */
function namesMissingPath(rule: RuleIR, inv: Invocation, name: string): boolean {
  const missing = inv.deref?.missing;
  if (rule.match === null || missing === undefined) return false;
  let found = false;
  for (const alt of rule.match) {
    if (!alt.every((c) => conditionHolds(c, rule, inv, name))) continue;
    if (alt.every((c) => c.kind === 'int')) return false;
    for (const c of alt) {
      if (c.kind === 'path' && !found) found = c.args.some((a) => missing.call(inv.deref, a));
    }
  }
  return found;
}

// Rules by syscall name, per policy. The IR is treated as immutable once built.
const index = new WeakMap<PolicyIR, Map<string, RuleIR[]>>();
function rulesFor(ir: PolicyIR, name: string): RuleIR[] {
  let m = index.get(ir);
  if (!m) {
    m = new Map();
    for (const r of ir.rules) {
      for (const s of r.syscalls) {
        const list = m.get(s) ?? [];
        if (!list.includes(r)) list.push(r);
        m.set(s, list);
      }
    }
    index.set(ir, m);
  }
  return m.get(name) ?? [];
}

export interface EvaluateOptions {
  /** The architecture the policy is enforced for (the tracee's native ABI). */
  native?: ArchName;
}

/**
 * The decision for one invocation: the prefilter's guards (other architecture, x32,
 * nr -1; see compile/safety.ts), then the first rule in order that names the syscall
 * and matches, then the io_uring safety default, then the policy's default.
 */
export function evaluate(ir: PolicyIR, inv: Invocation, opts: EvaluateOptions = {}): Decision {
  const native = opts.native ?? 'x86_64';
  const guard = prefilterGuard(native, auditArch(inv.arch), inv.nr);
  if (guard) return { verdict: guard.verdict, rule: null, log: false };
  const name = syscallName(native, inv.nr >>> 0);
  return name === undefined ? byDefault(ir) : byRules(ir, inv, name, rulesFor(ir, name), safetyDefault(ir, name)?.verdict);
}

/**
 * The decision for a call of the syscall `name` no guard decided: the first of `rules` (the
 * policy's rules naming it, in order) that matches, then `safety` (its safety default's
 * verdict), then the policy's default.
 */
function byRules(ir: PolicyIR, inv: Invocation, name: string, rules: readonly RuleIR[], safety: Verdict | undefined): Decision {
  for (const rule of rules) {
    if (ruleMatches(rule, inv, name)) {
      const v = rule.verdict;
      if (v.kind === 'deny' && v.missing !== undefined && namesMissingPath(rule, inv, name)) {
        return { verdict: { kind: 'deny', errno: v.missing.errno, errnoName: v.missing.errnoName }, rule, log: rule.log, missing: true };
      }
      return { verdict: v, rule, log: rule.log };
    }
  }
  if (safety !== undefined) return { verdict: safety, rule: null, log: false };
  return byDefault(ir);
}

function byDefault(ir: PolicyIR): Decision {
  return { verdict: ir.default.verdict, rule: null, log: ir.default.log };
}

/** The syscall numbers `decider` looks up ahead, from 0 (the catalogue's are below). */
const DECIDER_NRS = 1024;

/**
 * `evaluate` for one policy with its per-call lookups done once: the name, the rules and the
 * safety default of each syscall number of `native` below DECIDER_NRS, looked up at the
 * number's first call and kept, so that a call pays for its own rules alone (the supervisor
 * decides tens of thousands of calls a second; and a decider is made per process when the
 * policy names /proc/self, so it costs nothing ahead). Decides every invocation exactly as
 * `evaluate(ir, inv, opts)` does (the tests compare the two); what the table does not cover
 * (another architecture, a number outside the table: x32, nr -1) goes to `evaluate` itself.
 * The IR is treated as immutable once built.
 */
export function decider(ir: PolicyIR, opts: EvaluateOptions = {}): (inv: Invocation) => Decision {
  const native = opts.native ?? 'x86_64';
  const names: (string | undefined)[] = [];
  const rules: (RuleIR[] | undefined)[] = [];
  const safety: (Verdict | undefined)[] = [];
  return (inv) => {
    const nr = inv.nr;
    // No guard of evaluate applies here: the native architecture, and a number of the table
    // (below 1024: no x32 bit, not nr -1).
    if (inv.arch !== native || !Number.isInteger(nr) || nr < 0 || nr >= DECIDER_NRS) return evaluate(ir, inv, opts);
    let list = rules[nr];
    if (list === undefined) {
      const n = syscallName(native, nr);
      names[nr] = n;
      safety[nr] = n === undefined ? undefined : safetyDefault(ir, n)?.verdict;
      list = rules[nr] = n === undefined ? [] : rulesFor(ir, n);
    }
    const name = names[nr];
    return name === undefined ? byDefault(ir) : byRules(ir, inv, name, list, safety[nr]);
  };
}

/**
 * What the BPF prefilter returns for an invocation that `evaluate` decided as
 * `decision` without looking at any path: the verdict itself when the kernel can
 * carry it out, else SECCOMP_RET_TRACE with the rule's index + 1 (0 for the default).
 * Exact for policies with integer conditions only; with path conditions use
 * `prefilterRet`, which knows the kernel cannot see paths.
 */
export function seccompRetForDecision(decision: Decision): number {
  if (needsSupervisor(decision.verdict, decision.log)) {
    return retTrace(decision.rule ? traceData(decision.rule) : 0);
  }
  return kernelRet(decision.verdict, decision.rule?.source);
}

/**
 * What the prefilter must return for an invocation, stated on the IR (independently of
 * the BPF code): like `evaluate`, but an alternative with path conditions, when its
 * integer conditions hold, sends the call to the supervisor (TRACE | index + 1) unless
 * an alternative of the same rule without paths holds too.
 */
export function prefilterRet(ir: PolicyIR, inv: Invocation, opts: EvaluateOptions = {}): number {
  const native = opts.native ?? 'x86_64';
  const guard = prefilterGuard(native, auditArch(inv.arch), inv.nr);
  if (guard) return kernelRet(guard.verdict);
  const name = syscallName(native, inv.nr >>> 0);
  if (name !== undefined) {
    for (const rule of rulesFor(ir, name)) {
      const alts = rule.match ?? [[]];
      const held = alts.filter((alt) => alt.every((c) => c.kind !== 'int' || intHolds(c, inv.args[c.arg] ?? 0n)));
      if (held.length === 0) continue;
      if (held.some((alt) => alt.every((c) => c.kind === 'int'))) {
        return seccompRetForDecision({ verdict: rule.verdict, rule, log: rule.log });
      }
      return retTrace(traceData(rule));
    }
    const safety = safetyDefault(ir, name);
    if (safety) return kernelRet(safety.verdict);
  }
  return seccompRetForDecision({ verdict: ir.default.verdict, rule: null, log: ir.default.log });
}

/**
 * Where the invocations of syscall `nr` are decided under this policy: all in the
 * kernel, all by the supervisor, or depending on the arguments ('mixed').
 */
export function decidedBy(ir: PolicyIR, arch: ArchName, nr: number): DecidedBy | 'mixed' {
  if (prefilterGuard(arch, auditArch(arch), nr)) return 'kernel';
  const name = syscallName(arch, nr >>> 0);
  if (name === undefined) return seccompWhere(seccompRetForDecision({ verdict: ir.default.verdict, rule: null, log: ir.default.log }));
  return planSyscall(ir, name, syscallNumber(arch, name) ?? nr).decidedBy;
}

/**
 * The rule a SECCOMP_RET_TRACE stop names: the tracer reads the 16-bit data with
 * PTRACE_GETEVENTMSG; 0 is the default, n is `ir.rules[n - 1]`. Undefined when the data
 * names no rule of this policy. The supervisor still decides with `evaluate` (the rule
 * named is the first whose integer conditions held; its path conditions may not).
 */
export function ruleForTraceData(ir: PolicyIR, data: number): RuleIR | null | undefined {
  if (data === 0) return null;
  return ir.rules[data - 1];
}

function seccompWhere(ret: number): DecidedBy {
  return ret >>> 16 === retTrace(0) >>> 16 ? 'supervisor' : 'kernel';
}
