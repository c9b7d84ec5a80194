// A compiled policy (PolicyIR) as the supervisor runs it: the seccomp prefilter from
// @sysvm/policy's compileBpf and every supervisor decision from its `evaluate`. The tracer
// thread loads this module itself (functions cannot cross threads): pass `irPolicy(ir)`
// as the `policy` of spawn/run.
import * as policyPackage from '@sysvm/policy';

import type { Decision, Invocation, PolicyIR } from './ir.js';
import { vmWorldFromIR } from './emulate/index.js';
import type { SupervisorPolicy } from './types.js';

/** The part of @sysvm/policy this adapter uses (its BPF back end and decision program). */
interface PolicyBackEnd {
  compileBpf(ir: PolicyIR, arch: 'x86_64'): { program: unknown };
  bpf: { toSockFilter(program: unknown): Uint8Array };
  evaluate(ir: PolicyIR, inv: Invocation): Decision;
}

/** Whether this build of @sysvm/policy has the BPF back end and `evaluate`. */
export function hasPolicyBackEnd(): boolean {
  const p = policyPackage as unknown as Partial<PolicyBackEnd>;
  return typeof p.compileBpf === 'function' && typeof p.evaluate === 'function' && typeof p.bpf?.toSockFilter === 'function';
}

export function createSupervisorPolicy(ir: PolicyIR): SupervisorPolicy {
  if (!hasPolicyBackEnd()) {
    throw new Error('this build of @sysvm/policy has no compileBpf/evaluate: cannot run a compiled policy');
  }
  const p = policyPackage as unknown as PolicyBackEnd;
  const filter = p.bpf.toSockFilter(p.compileBpf(ir, 'x86_64').program);
  // The runtime's safety rules give way only where a rule names the call.
  const named = new Set(ir.rules.flatMap((r) => r.syscalls));
  return {
    filter,
    decide: (inv) => p.evaluate(ir, inv),
    allowPtrace: named.has('ptrace'),
    allowIoUring: named.has('io_uring_setup'),
    vm: vmWorldFromIR(ir),
  };
}
