// Audit mode (`sysvm run --audit`): decide every call as the policy says, block none, and
// log every call the policy would deny or kill. For rolling a policy out on a trusted
// program before enforcing it.
//
// The kernel prefilter carries out a kernel-decidable deny or kill itself, without a stop,
// so the supervisor would never see it. `auditPolicy` returns a copy of the IR in which
// every deny and kill (rules and default) carries `log: true`: the compiler then sends those
// calls to the supervisor (SECCOMP_RET_TRACE with the rule's index), where the runtime's
// audit option lets them run and emits an audit event with the original verdict.
// Verdicts, rule order and matches are unchanged, so `evaluate` on the copy decides exactly
// as on the original: only where the decision is made moves.
import type { PolicyIR, RuleIR, Verdict } from '../ir.js';

/** A verdict that blocks the call: what audit mode turns into a logged pass. */
export function isBlocking(v: Verdict): boolean {
  return v.kind === 'deny' || v.kind === 'kill';
}

/** The IR for audit mode: every deny/kill rule and default logged (so decided in the supervisor). */
export function auditPolicy(ir: PolicyIR): PolicyIR {
  const rules: RuleIR[] = ir.rules.map((r) => (isBlocking(r.verdict) && !r.log ? { ...r, log: true } : r));
  const def = isBlocking(ir.default.verdict) && !ir.default.log ? { ...ir.default, log: true } : ir.default;
  return { ...ir, default: def, rules };
}
