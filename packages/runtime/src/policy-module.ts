// The bridge from a compiled sysvm policy (PolicyIR) to what the tracer thread runs: the
// seccomp-BPF prefilter from @sysvm/policy's compiler and its `evaluate` as the decision
// function. The IR crosses into the worker thread by structured clone (bigints included);
// the worker imports this module and calls `createSupervisorPolicy`.
import { bpf, compileBpf, evaluate, namedSyscalls, type PolicyIR } from '@sysvm/policy/evaluate';
import { vmWorldFromIR } from './emulate/index.js';
import type { ModulePolicy, SupervisorPolicy } from './types.js';

export interface IrPolicyOptions {
  ir: PolicyIR;
}

/**
 * Invariant: the prefilter and `decide` come from the same IR, and the compiler's
 * differential tests hold them to the same decisions; so a call the kernel sends to the
 * supervisor is decided by the same rule order the prefilter followed.
 */
export function createSupervisorPolicy(options: IrPolicyOptions): SupervisorPolicy {
  const { ir } = options;
  const compiled = compileBpf(ir, 'x86_64');
  const named = namedSyscalls(ir);
  return {
    filter: bpf.toSockFilter(compiled.program),
    decide: (inv) => evaluate(ir, inv),
    allowPtrace: named.has('ptrace'),
    allowIoUring: named.has('io_uring_setup'),
    vm: vmWorldFromIR(ir),
  };
}

/** A policy source for `spawn`/`run` from a compiled policy. */
export function policyFromIR(ir: PolicyIR): ModulePolicy {
  // the worker runs built JavaScript: from the TypeScript source (tests) use dist/
  const here = import.meta.url;
  const module = here.endsWith('.ts') ? new URL('../dist/policy-module.js', here) : new URL('./policy-module.js', here);
  return { module, options: { ir } satisfies IrPolicyOptions };
}
