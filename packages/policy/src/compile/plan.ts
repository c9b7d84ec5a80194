// The per-syscall plan both back ends read: for one syscall, the rules that name it in
// order, each alternative split into what the kernel can check (integer conditions)
// and what only the supervisor can (paths), and the seccomp return value each outcome
// has. compile/bpf.ts turns plans into code; explain.ts prints them; decidedBy()
// summarises them.
import { syscallNumber } from '../abi/index.js';
import type { ArchName, Condition, DecidedBy, FdCondition, IntCondition, PathCondition, PolicyIR, RuleIR, SockaddrCondition, SourceRange,
  Verdict } from '../ir.js';
import {
  SECCOMP_RET_ACTION_FULL, SECCOMP_RET_ALLOW, SECCOMP_RET_KILL_PROCESS, SECCOMP_RET_TRACE, retErrno, retTrace,
} from '../bpf/seccomp.js';
import { CompileError } from './errors.js';
import { IO_URING_SYSCALLS, safetyDefault } from './safety.js';

/** The verdicts and flags that need the supervisor even when the kernel can match. */
export function needsSupervisor(verdict: Verdict, log: boolean): boolean {
  return log || verdict.kind === 'trace' || verdict.kind === 'emulate';
}

/** The return value of a verdict the kernel carries out alone (allow, deny, kill). */
export function kernelRet(verdict: Verdict, source?: SourceRange): number {
  switch (verdict.kind) {
    case 'allow': return SECCOMP_RET_ALLOW;
    case 'kill': return SECCOMP_RET_KILL_PROCESS;
    case 'deny':
      if (!Number.isInteger(verdict.errno) || verdict.errno < 1 || verdict.errno > 4095) {
        throw new CompileError('SVB001', `errno ${verdict.errno} (${verdict.errnoName}) cannot be returned by the kernel`, source,
          'use an errno between 1 and 4095');
      }
      return retErrno(verdict.errno);
    default:
      throw new Error(`verdict ${verdict.kind} is decided by the supervisor`);
  }
}

/** SECCOMP_RET_TRACE data of a rule: its index + 1 (0 is the default). */
export function traceData(rule: RuleIR): number {
  if (rule.index + 1 > 0xffff) {
    throw new CompileError('SVB002', `rule #${rule.index} cannot be named in SECCOMP_RET_DATA (16 bits)`, rule.source,
      'a policy may have at most 65534 rules');
  }
  return rule.index + 1;
}

/** What the prefilter returns when `rule` matches on its integer conditions alone. */
export function ruleRet(rule: RuleIR): number {
  return needsSupervisor(rule.verdict, rule.log) ? retTrace(traceData(rule)) : kernelRet(rule.verdict, rule.source);
}

export interface AltPlan {
  /** The alternative's integer conditions (all must hold), checked by the kernel. */
  ints: IntCondition[];
  /** Its path conditions: when non-empty the kernel sends the call to the supervisor. */
  /** Conditions that need the supervisor (paths, fds, socket addresses). */
  paths: Array<PathCondition | FdCondition | SockaddrCondition>;
  /** The prefilter's return value when `ints` hold. */
  ret: number;
  where: DecidedBy;
}

export interface StepPlan {
  rule: RuleIR;
  /** Alternatives, those without paths first (any order decides the same rule). */
  alts: AltPlan[];
  /** False when an earlier step always returns in the kernel (the BPF never gets here). */
  reachable: boolean;
}

export interface FallbackPlan {
  kind: 'default' | 'safety';
  verdict: Verdict;
  log: boolean;
  ret: number;
  where: DecidedBy;
  reason?: string;
  source?: SourceRange;
  reachable: boolean;
}

export interface SyscallPlan {
  name: string;
  nr: number;
  steps: StepPlan[];
  fallback: FallbackPlan;
  /** Where this syscall's invocations are decided. */
  decidedBy: DecidedBy | 'mixed';
  /** When every reachable outcome returns the same value: that value. */
  constantRet: number | undefined;
}

const where = (ret: number): DecidedBy => ((ret & SECCOMP_RET_ACTION_FULL) >>> 0 === SECCOMP_RET_TRACE ? 'supervisor' : 'kernel');

function checkCondition(c: Condition, rule: RuleIR): void {
  if (c.kind === 'int') {
    if (!Number.isInteger(c.arg) || c.arg < 0 || c.arg > 5) throw new CompileError('SVB005', `argument index ${c.arg} is not 0..5`, c.source);
    if (c.width !== 16 && c.width !== 32 && c.width !== 64) throw new CompileError('SVB005', `argument width ${String(c.width)} is not 16, 32 or 64`, c.source);
    const single = ['eq', 'ne', 'lt', 'le', 'gt', 'ge', 'all', 'any', 'none'].includes(c.op);
    if (single && c.values.length !== 1) {
      throw new CompileError('SVB005', `${c.op} takes one operand, got ${c.values.length}`, c.source);
    }
  } else if (c.kind === 'path' && c.args.length === 0) {
    throw new CompileError('SVB005', `path condition of rule #${rule.index} names no argument`, c.source);
  }
}

/** The default's outcome (for syscalls no rule names and for rules that all fail). */
export function defaultPlan(ir: PolicyIR): FallbackPlan {
  const d = ir.default;
  const ret = needsSupervisor(d.verdict, d.log) ? retTrace(0) : kernelRet(d.verdict, d.source);
  return { kind: 'default', verdict: d.verdict, log: d.log, ret, where: where(ret), source: d.source, reachable: true };
}

/**
 * The alternatives of `rule` as a step plans them (in the rule's order), its conditions
 * checked. The same for every syscall the rule names: planPolicy keeps them per rule (`memo`);
 * each step gets its own AltPlan objects.
 */
function ruleAlts(rule: RuleIR, memo?: Map<RuleIR, readonly AltPlan[]>): AltPlan[] {
  let alts = memo?.get(rule);
  if (alts === undefined) {
    const ret = ruleRet(rule);
    const made: AltPlan[] = [];
    const match = rule.match ?? [[]];
    for (const alt of match) {
      for (const c of alt) checkCondition(c, rule);
      const ints = alt.filter((c): c is IntCondition => c.kind === 'int');
      // path, fd and sockaddr conditions need the supervisor (dereferenced memory, fd tracking)
      const paths = alt.filter((c): c is PathCondition | FdCondition | SockaddrCondition => c.kind !== 'int');
      const r = paths.length > 0 ? retTrace(traceData(rule)) : ret;
      made.push({ ints, paths, ret: r, where: where(r) });
    }
    memo?.set(rule, made);
    alts = made;
  }
  return alts.map((a) => ({ ...a }));
}

/**
 * The plan of one syscall (by name) on the native architecture. `naming`: the rules of `ir`
 * that name it, in order, when the caller has them (planPolicy: one pass over the rules
 * instead of one per syscall); `memo`: each rule's alternatives, planned once (ruleAlts).
 */
export function planSyscall(ir: PolicyIR, name: string, nr: number, naming?: readonly RuleIR[],
  memo?: Map<RuleIR, readonly AltPlan[]>): SyscallPlan {
  const steps: StepPlan[] = [];
  let reachable = true;
  for (const rule of naming ?? ir.rules) {
    if (naming === undefined && !rule.syscalls.includes(name)) continue;
    const alts = ruleAlts(rule, memo);
    // Alternatives without paths first: if one holds the rule matches whatever the
    // paths are, so the kernel can decide before it would send the call away.
    alts.sort((a, b) => Number(a.paths.length > 0) - Number(b.paths.length > 0));
    steps.push({ rule, alts, reachable });
    if (alts.some((a) => a.ints.length === 0)) reachable = false;
  }
  const safety = safetyDefault(ir, name);
  const fallback: FallbackPlan = safety
    ? { kind: 'safety', verdict: safety.verdict, log: false, ret: kernelRet(safety.verdict), where: 'kernel', reason: safety.reason, reachable }
    : { ...defaultPlan(ir), reachable };
  // Stop at the first alternative that always holds in the kernel.
  const reachableRets: number[] = [];
  for (const s of steps) {
    if (!s.reachable) break;
    for (const a of s.alts) {
      reachableRets.push(a.ret);
      if (a.ints.length === 0) break;
    }
  }
  if (fallback.reachable) reachableRets.push(fallback.ret);
  const wheres = new Set(reachableRets.map(where));
  const decidedBy = wheres.size === 1 ? [...wheres][0] ?? 'kernel' : 'mixed';
  const constantRet = new Set(reachableRets).size === 1 ? reachableRets[0] : undefined;
  return { name, nr, steps, fallback, decidedBy, constantRet };
}

export interface PolicyPlan {
  arch: ArchName;
  /** Syscalls some rule names (or a safety default covers), sorted by number. */
  syscalls: SyscallPlan[];
  /** Names some rule uses that have no number on this architecture. */
  unknown: string[];
  default: FallbackPlan;
}

/** Plans for every syscall the policy (or a safety default) names. */
export function planPolicy(ir: PolicyIR, arch: ArchName): PolicyPlan {
  // The rules naming each syscall, in order (a rule that names one twice, once).
  const naming = new Map<string, RuleIR[]>();
  for (const rule of ir.rules) {
    for (const name of rule.syscalls) {
      const list = naming.get(name);
      if (list === undefined) naming.set(name, [rule]);
      else if (list[list.length - 1] !== rule) list.push(rule);
    }
  }
  const names = new Set<string>([...naming.keys(), ...IO_URING_SYSCALLS]);
  const memo = new Map<RuleIR, readonly AltPlan[]>();
  const syscalls: SyscallPlan[] = [];
  const unknown: string[] = [];
  for (const name of names) {
    const nr = syscallNumber(arch, name);
    if (nr === undefined) {
      if (naming.has(name)) unknown.push(name);
      continue;
    }
    const plan = planSyscall(ir, name, nr, naming.get(name) ?? [], memo);
    // A syscall neither named nor covered by a safety default is the default's.
    if (plan.steps.length === 0 && plan.fallback.kind === 'default') continue;
    syscalls.push(plan);
  }
  syscalls.sort((a, b) => a.nr - b.nr);
  return { arch, syscalls, unknown: unknown.sort(), default: defaultPlan(ir) };
}
