// The bridge from a compiled sysvm policy (PolicyIR) to what the tracer thread runs: the
// seccomp-BPF prefilter from @sysvm/policy's compiler and its `evaluate` as the decision
// function. The IR crosses into the worker thread by structured clone (bigints included);
// the worker imports this module and calls `createSupervisorPolicy`.
import { abi, type EvaluateOptions, evaluate, namedSyscalls, type PolicyIR, safetyDefault } from '@sysvm/policy/evaluate';
import { vmWorldFromIR } from './emulate/index.js';
import type { ModulePolicy, SupervisorPolicy } from './types.js';

export interface IrPolicyOptions {
  ir: PolicyIR;
  /**
   * The seccomp-BPF prefilter of this very `ir` (struct sock_filter[], as @sysvm/policy's
   * compileBpf and bpf.toSockFilter make it), when the caller has it already: `sysvm run`
   * keeps the two together in its cache. The tracer thread then neither loads nor runs the
   * compiler. Without it the prefilter is compiled here.
   */
  filter?: Uint8Array;
}

/** The prefilter of `ir`, compiled (the compiler is loaded only when needed). */
async function compileFilter(ir: PolicyIR): Promise<Uint8Array> {
  const { bpf, compileBpf } = await import('@sysvm/policy/compile');
  return bpf.toSockFilter(compileBpf(ir, 'x86_64').program);
}

/**
 * Invariant: the prefilter and `decide` come from the same IR (a given `filter` must be the
 * compiled `ir`), and the compiler's differential tests hold them to the same decisions; so
 * a call the kernel sends to the supervisor is decided by the same rule order the prefilter
 * followed.
 */
export async function createSupervisorPolicy(options: IrPolicyOptions): Promise<SupervisorPolicy> {
  const { ir } = options;
  const filter = options.filter ?? await compileFilter(ir);
  const named = namedSyscalls(ir);
  return {
    filter,
    decide: (inv) => evaluate(ir, inv, X86_64),
    silentAllow: silentAllows(ir, named),
    allowPtrace: named.has('ptrace'),
    allowIoUring: named.has('io_uring_setup'),
    vm: vmWorldFromIR(ir),
  };
}

const X86_64: EvaluateOptions = { native: 'x86_64' };

/**
 * The x86_64 calls `evaluate` allows silently whatever their arguments: it decides an
 * x86_64 call (no guard applies: the tracer denies other ABIs and x32 itself) by the
 * rules naming it, then the io_uring safety default, then the policy's default. With no
 * rule and no safety default, the default decides: a silent allow when it is an unlogged
 * allow.
 */
function silentAllows(ir: PolicyIR, named: Set<string>): Uint8Array {
  const out = new Uint8Array(1024);
  if (ir.default.verdict.kind !== 'allow' || ir.default.log) return out;
  for (const s of abi.allSyscalls()) {
    const nr = s.nr.x86_64;
    if (nr === undefined || nr < 0 || nr >= out.length) continue;
    if (named.has(s.name) || safetyDefault(ir, s.name) !== undefined) continue;
    // The name evaluate() will look up for this number must be this one.
    if (abi.syscallName('x86_64', nr) !== s.name) continue;
    out[nr] = 1;
  }
  return out;
}

/**
 * A policy source for `spawn`/`run` from a compiled policy; `filter`, when given, must be the
 * compiled `ir` (see IrPolicyOptions).
 */
export function policyFromIR(ir: PolicyIR, filter?: Uint8Array): ModulePolicy {
  // the worker runs built JavaScript: from the TypeScript source (tests) use dist/
  const here = import.meta.url;
  const module = here.endsWith('.ts') ? new URL('../dist/policy-module.js', here) : new URL('./policy-module.js', here);
  return { module, options: { ir, ...(filter ? { filter } : {}) } satisfies IrPolicyOptions };
}
