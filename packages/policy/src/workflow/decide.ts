// One invocation decided twice: by `evaluate` (the reference, what the supervisor runs)
// and by the compiled seccomp-BPF prefilter in the interpreter (what the kernel runs).
// Where the prefilter returns a verdict itself (not SECCOMP_RET_TRACE), the kernel decides
// and the two must agree; `sysvm test` and `sysvm explain` report any disagreement as a
// bug of the compiler.
import type { Decision, Invocation, PolicyIR, SourceRange, Verdict } from '../ir.js';
import { evaluate } from '../evaluate.js';
import { compileBpf, type CompiledBpf } from '../compile/bpf.js';
import { formatVerdict } from '../compile/explain.js';
import { auditArch, prefilterGuard, safetyDefault } from '../compile/safety.js';
import { runBpf } from '../bpf/interp.js';
import { decodeRet, formatRet } from '../bpf/seccomp.js';
import { syscallName } from '../abi/index.js';

/** What decided: a rule, the policy's default, a safety default or a prefilter guard. */
export interface DecidedByInfo {
  kind: 'rule' | 'default' | 'safety' | 'guard';
  /** `rule 'no-secrets'`, `rule #3`, `the default`, `safety default (...)`, `guard (...)`. */
  label: string;
  /** The rule's name, for `rule:` in test files. */
  name?: string;
  source?: SourceRange;
}

export interface CallDecision {
  decision: Decision;
  by: DecidedByInfo;
  /** The prefilter's return value, e.g. `ERRNO(97)`, `TRACE(3)`, `ALLOW`. */
  bpfRet: string;
  where: 'kernel' | 'supervisor';
  /** The kernel's verdict when `where` is kernel. */
  kernelVerdict?: Verdict;
  /** Set when the prefilter decides in the kernel and disagrees with evaluate. */
  disagreement?: string;
}

export function ruleLabel(r: { name?: string; index: number }): string {
  return r.name !== undefined ? `rule '${r.name}'` : `rule #${r.index}`;
}

/** The verdict a kernel-decided prefilter return value stands for, or undefined for TRACE and others. */
export function verdictOfRet(ret: number): Verdict | undefined {
  const { action, data } = decodeRet(ret);
  if (action === 'allow') return { kind: 'allow' };
  if (action === 'kill_process') return { kind: 'kill' };
  if (action === 'errno') return { kind: 'deny', errno: data, errnoName: '' };
  return undefined;
}

export function sameVerdict(a: Verdict, b: Verdict): boolean {
  if (a.kind !== b.kind) return false;
  if (a.kind === 'deny' && b.kind === 'deny') return a.errno === b.errno;
  if (a.kind === 'emulate' && b.kind === 'emulate') return JSON.stringify(a.emulate) === JSON.stringify(b.emulate);
  return true;
}

/** Decide `inv` under `ir` with evaluate and with the compiled prefilter (compiled once per policy by the caller). */
export function decideCall(ir: PolicyIR, inv: Invocation, compiled: CompiledBpf = compileBpf(ir, 'x86_64')): CallDecision {
  const decision = evaluate(ir, inv);
  let by: DecidedByInfo;
  const guard = prefilterGuard('x86_64', auditArch(inv.arch), inv.nr);
  const name = syscallName('x86_64', inv.nr >>> 0);
  if (decision.rule) {
    by = { kind: 'rule', label: ruleLabel(decision.rule), source: decision.rule.source,
      ...(decision.rule.name !== undefined ? { name: decision.rule.name } : {}) };
  } else if (guard) by = { kind: 'guard', label: `guard (${guard.reason})` };
  else if (name !== undefined && safetyDefault(ir, name)) by = { kind: 'safety', label: `safety default (${safetyDefault(ir, name)!.reason})` };
  else by = { kind: 'default', label: 'the default', source: ir.default.source };
  const ret = runBpf(compiled.program, { nr: inv.nr, arch: auditArch(inv.arch), args: inv.args }, { checked: true }).ret;
  const kernelVerdict = verdictOfRet(ret);
  const out: CallDecision = { decision, by, bpfRet: formatRet(ret), where: kernelVerdict ? 'kernel' : 'supervisor' };
  if (kernelVerdict) {
    out.kernelVerdict = kernelVerdict;
    if (!sameVerdict(kernelVerdict, decision.verdict)) {
      out.disagreement = `the BPF prefilter returns ${formatRet(ret)} but evaluate decides ${formatVerdict(decision.verdict)} (a bug in sysvm's compiler: please report it)`;
    }
  } else if (decodeRet(ret).action !== 'trace') {
    out.disagreement = `the BPF prefilter returns ${formatRet(ret)}, which sysvm never compiles (a bug: please report it)`;
  }
  return out;
}
