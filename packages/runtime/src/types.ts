// Public types of the runtime: the policy the supervisor runs, audit events, statistics.
import type { VmWorld } from './emulate/context.js';
import type { AffinityMode } from './tracer/placement.js';
import type { Decision, Invocation, SourceRange, Verdict } from './ir.js';

/** What the supervisor knows about the thread stopped at a syscall. */
export interface DecideContext {
  /** Thread group id (the process) and thread id of the caller. */
  pid: number;
  tid: number;
  /** The syscall's name (from the catalogue), or `syscall_<nr>` if unknown. */
  name: string;
  /**
   * SECCOMP_RET_DATA of the RET_TRACE that stopped the call (seccomp backend only).
   * Security: informational, never a ground for a verdict. The program may install seccomp
   * filters of its own (after the runtime's), and among equal actions the kernel keeps the
   * most recently installed filter's data (seccomp_run_filters): a program's filter that
   * returns SECCOMP_RET_TRACE with data of its choosing forges this value, and stops calls
   * the policy's filter would have allowed. `decide` must judge the call itself.
   */
  retData?: number;
  /** The `data` of an inline policy (see `InlinePolicy`), else undefined. */
  data?: unknown;
}

/** Set argument register `arg` (0..5) to `value` before the call runs. */
export interface ArgRewrite { arg: number; value: bigint }

/**
 * A decision, optionally with argument rewrites carried out before the call runs (for
 * allow and trace). This is the hook for making a checked pointer argument TOCTOU-safe:
 * point it at memory the tracee's threads cannot change.
 */
export interface SupervisorDecision extends Decision {
  rewrite?: ArgRewrite[];
}

/**
 * The policy as the supervisor runs it: a prefilter for the kernel and a decision
 * function for what the prefilter sends to the supervisor.
 */
export interface SupervisorPolicy {
  /**
   * The seccomp program (struct sock_filter[] bytes) to install before the target's execve.
   * null: no prefilter, every call stops (under the seccomp backend the runtime then
   * installs a filter that traces every call).
   */
  filter: Uint8Array | null;
  /** Decide one invocation stopped at syscall entry (or at a PTRACE_EVENT_SECCOMP stop). */
  decide(inv: Invocation, ctx: DecideContext): SupervisorDecision;
  /** A rule names ptrace(2): only then may a tracee call it at all (see the safety rules). */
  allowPtrace?: boolean;
  /** A rule names io_uring_setup(2): only then is it not denied. */
  allowIoUring?: boolean;
  /**
   * x86_64 syscall numbers that `decide` allows, unlogged and unrewritten, whatever the
   * arguments (no rule names them and the default is a silent allow): the tracer resumes
   * them without calling `decide` (after its own safety rules). Only a promise the policy
   * can keep exactly; leave it out otherwise. Indexed by number: 1 for such a call.
   */
  silentAllow?: Uint8Array;
  /**
   * The policy's virtual world beyond single verdicts (emulate/index.ts `vmWorldFromIR`):
   * time emulated (the vDSO is hidden at exec), every bind (for mapping results back).
   */
  vm?: VmWorld;
}

/**
 * How a policy reaches the tracer thread. Functions cannot cross threads, so either
 *  - a module the worker imports: its export `createSupervisorPolicy(options)` (or the
 *    default export) returns a SupervisorPolicy (or a Promise of one); or
 *  - an inline policy whose `decide` is sent as source text: it must be self-contained
 *    (no closure: it may use only its parameters, `ctx.data` and globals).
 */
export type PolicySource = ModulePolicy | InlinePolicy;
export interface ModulePolicy {
  module: string | URL;
  exportName?: string;
  options?: unknown;
}
export interface InlinePolicy {
  filter: Uint8Array | null;
  decide: (inv: Invocation, ctx: DecideContext) => SupervisorDecision;
  allowPtrace?: boolean;
  allowIoUring?: boolean;
  /** The virtual world beyond single verdicts (see SupervisorPolicy.vm); structured-cloneable. */
  vm?: VmWorld;
  /** Structured-cloneable data handed to `decide` as `ctx.data`. */
  data?: unknown;
}

export type BackendName = 'seccomp' | 'ptrace' | 'vmtags';

/** One audited decision: every denial, and every decision whose rule says `log`. */
export interface AuditEvent {
  /** ISO 8601 time of the decision. */
  time: string;
  pid: number;
  tid: number;
  syscall: string;
  nr: number;
  /** Decoded arguments: integers as hex strings, resolved paths as strings. */
  args: Record<string, string | number>;
  verdict: Verdict['kind'];
  /** The verdict's detail: errno name of a deny, emulation kind. */
  detail?: string;
  /** The call's result (negative: -errno), or null if it never returned (killed). */
  result: number | null;
  /** The rule's name (or `#index`), `default`, or `sysvm:<safety rule>`. */
  rule: string;
  /** Where the rule is, `file:line`. */
  source?: string;
  sourceRange?: SourceRange;
  /**
   * Audit mode (`SpawnOptions.audit`): the verdict (deny or kill) was only logged, the call
   * ran; `result` is what it returned.
   */
  audit?: boolean;
  /**
   * Printed on no stderr (human.ts): the rule says `quiet: true` (an expected refusal), or it
   * answered its `missing` errno (the path names nothing: the kernel's own answer).
   */
  quiet?: true;
}

export interface Stats {
  /** Stops by kind. */
  stops: {
    syscallEntry: number;
    syscallExit: number;
    seccomp: number;
    signal: number;
    group: number;
    event: number;
    total: number;
  };
  /** Supervisor decisions per syscall name (entries and seccomp stops that reached `decide`). */
  syscalls: Record<string, number>;
  /** Processes and threads seen. */
  tracees: number;
  /**
   * CPU placement (tracer/placement.ts): the mode in effect ('off' also where the supervisor
   * has one CPU), and how many times the sandbox was pinned to the supervisor's CPU and freed.
   */
  placement?: { mode: AffinityMode; pins: number; frees: number };
}

export interface ExitStatus {
  /** Exit code, or null if killed by a signal. */
  code: number | null;
  /** Name of the signal that killed it (e.g. 'SIGKILL'), or null. */
  signal: NodeJS.Signals | null;
  /** The signal's number, or null. */
  signalNumber: number | null;
}
