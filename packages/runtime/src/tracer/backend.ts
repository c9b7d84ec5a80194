// The mechanisms that carry out the supervisor's verdicts. The core speaks the three
// verdicts of the ptrace_vm tags at a syscall-entry (or seccomp) stop:
//   skipcall(R) = PTRACE_VM_SKIPCALL: the call does not run and returns R; no exit stop;
//   skipexit    = PTRACE_VM_SKIPEXIT: the call runs; no exit stop is wanted;
//   exit        = tag 0: the call runs and its exit stop is reported.
// (The names are not symmetric: SKIPCALL implies SKIPEXIT.) Each may come with argument
// rewrites, applied before the call runs. A backend turns them into ptrace requests.
import {
  ENOSYS, PTRACE_CONT, PTRACE_O_EXITKILL, PTRACE_O_TRACECLONE, PTRACE_O_TRACEEXEC, PTRACE_O_TRACEFORK,
  PTRACE_O_TRACESECCOMP, PTRACE_O_TRACESYSGOOD, PTRACE_O_TRACEVFORK, PTRACE_O_VM_TAGS, PTRACE_SYSCALL,
  PTRACE_VM_SKIPCALL, PTRACE_VM_SKIPEXIT,
} from '../linux/consts.js';
import { ptrace } from '../linux/libc.js';
import { ARG_REGS_X86_64, pokeReg, REG } from '../linux/regs.js';
import type { BackendName } from '../types.js';

export type EntryAction =
  | { tag: 'skipcall'; ret: bigint; rewrite?: ArgRewrite[] }
  | { tag: 'skipexit'; rewrite?: ArgRewrite[] }
  | { tag: 'exit'; rewrite?: ArgRewrite[] };

import type { ArgRewrite } from '../types.js';

/** Per-thread state the backends and the core share. */
export interface Tracee {
  tid: number;
  /** Thread group id. */
  pid: number;
  /** The launcher stub, before its execve of the target: its calls are not the policy's. */
  stub: boolean;
  /** The seccomp install sequence in progress at the stub's execve, if any. */
  install: unknown;
  /** The backend must deliver this thread's next syscall-exit stop. */
  exitWanted: boolean;
  /** ptrace backend: the return value to put in rax at the exit of a skipped call. */
  pendingRet: bigint | null;
  /** Core: an audit event to complete with the call's result at the exit stop. */
  pending: unknown;
}

export const BASE_OPTIONS = PTRACE_O_TRACESYSGOOD | PTRACE_O_TRACEEXEC | PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK
  | PTRACE_O_TRACECLONE | PTRACE_O_EXITKILL;

export interface Backend {
  readonly name: BackendName;
  /** PTRACE_O_* for PTRACE_SEIZE. */
  readonly options: number;
  /** Seccomp filters are installed in the stub before the target's execve. */
  readonly installsFilter: boolean;
  /** Decisions are made at syscall-entry stops (else at PTRACE_EVENT_SECCOMP stops). */
  readonly decidesAtEntry: boolean;
  /** Resume from any stop that is not a decision, delivering `sig` (0: none). */
  resume(t: Tracee, sig: number): boolean;
  /** Carry out an entry verdict and resume. */
  entry(t: Tracee, action: EntryAction): boolean;
  /** At a syscall-exit stop, before the core looks at the result; the core resumes. */
  exit(t: Tracee): void;
}

function rewrite(t: Tracee, action: EntryAction): boolean {
  for (const r of action.rewrite ?? []) if (!pokeReg(t.tid, ARG_REGS_X86_64[r.arg]!, r.value)) return false;
  return true;
}

/** Plain PTRACE_SYSCALL for everything: two stops per call; the reference and the fallback. */
export class PtraceBackend implements Backend {
  readonly name = 'ptrace' as const;
  readonly options = BASE_OPTIONS;
  readonly installsFilter = false;
  readonly decidesAtEntry = true;
  resume(t: Tracee, sig: number): boolean {
    return ptrace(PTRACE_SYSCALL, t.tid, 0, sig) >= 0;
  }
  entry(t: Tracee, a: EntryAction): boolean {
    if (!rewrite(t, a)) return false;
    if (a.tag === 'skipcall') {
      // Skip = orig_rax -1 at entry (the kernel then returns -ENOSYS); the return value
      // is set at the exit stop, not here: the entry path still writes rax after us.
      if (!pokeReg(t.tid, REG.orig_rax, -1n)) return false;
      t.pendingRet = a.ret;
    }
    t.exitWanted = a.tag === 'exit';
    return this.resume(t, 0);
  }
  exit(t: Tracee): void {
    if (t.pendingRet !== null) {
      pokeReg(t.tid, REG.rax, t.pendingRet);
      t.pendingRet = null;
    }
    t.exitWanted = false;
  }
}

/**
 * The compiled prefilter in the kernel; only SECCOMP_RET_TRACE stops (PTRACE_EVENT_SECCOMP).
 * Calls no rule needs never stop. Skip = nr -1 and the return register at that stop (since
 * Linux 4.8 seccomp re-checks a changed call, and never for -1); exit wanted = PTRACE_SYSCALL.
 */
export class SeccompBackend implements Backend {
  readonly name = 'seccomp' as const;
  readonly options = BASE_OPTIONS | PTRACE_O_TRACESECCOMP;
  readonly installsFilter = true;
  readonly decidesAtEntry = false;
  resume(t: Tracee, sig: number): boolean {
    const req = t.stub || t.install !== null || t.exitWanted ? PTRACE_SYSCALL : PTRACE_CONT;
    return ptrace(req, t.tid, 0, sig) >= 0;
  }
  entry(t: Tracee, a: EntryAction): boolean {
    if (!rewrite(t, a)) return false;
    if (a.tag === 'skipcall') {
      if (!pokeReg(t.tid, REG.orig_rax, -1n) || !pokeReg(t.tid, REG.rax, a.ret)) return false;
    }
    t.exitWanted = a.tag === 'exit';
    return this.resume(t, 0);
  }
  exit(t: Tracee): void {
    t.exitWanted = false;
  }
}

/**
 * The patched kernel's ptrace_vm tags (kernel/ in this repo): PTRACE_O_VM_TAGS, the verdict
 * as a tag in `addr` of the resume request. One stop per decided call, skip or pass; two
 * only when the exit is wanted. Two modes:
 *  - with the policy's seccomp prefilter (the default when the policy has one): decisions at
 *    PTRACE_EVENT_SECCOMP stops; skip = PTRACE_CONT with PTRACE_VM_SKIPCALL (the kernel's
 *    seccomp honours it, kernel/patches/0002) and the return register; pass = PTRACE_CONT;
 *    exit wanted = PTRACE_SYSCALL with tag 0. Calls no rule needs never stop.
 *  - without it: every call stops once, at its syscall-entry stop (PTRACE_SYSCALL); pass =
 *    PTRACE_VM_SKIPEXIT, skip = PTRACE_VM_SKIPCALL, exit wanted = tag 0.
 * Not usable on a stock kernel: PTRACE_SEIZE with the option fails with EIO
 * (PTRACE_SETOPTIONS with EINVAL), which is how `auto` detects the patch.
 */
export class VmTagsBackend implements Backend {
  readonly name = 'vmtags' as const;
  readonly options: number;
  readonly installsFilter: boolean;
  readonly decidesAtEntry: boolean;
  constructor(readonly prefilter: boolean) {
    this.options = BASE_OPTIONS | PTRACE_O_VM_TAGS | (prefilter ? PTRACE_O_TRACESECCOMP : 0);
    this.installsFilter = prefilter;
    this.decidesAtEntry = !prefilter;
  }
  private request(t: Tracee): number {
    if (!this.prefilter) return PTRACE_SYSCALL;
    // The stub's execve entry (the filter install) and a wanted exit need syscall stops.
    return t.stub || t.install !== null || t.exitWanted ? PTRACE_SYSCALL : PTRACE_CONT;
  }
  /**
   * The tag for the call in progress, if any. Each resume replaces the tags, so a resume
   * from a stop inside a call (a fork, clone or exec event, a signal) must repeat SKIPEXIT,
   * or that call's exit stop comes back. The install sequence in the stub needs its exits.
   */
  private passTag(t: Tracee): number {
    return t.exitWanted || t.install !== null ? 0 : PTRACE_VM_SKIPEXIT;
  }
  resume(t: Tracee, sig: number): boolean {
    return ptrace(this.request(t), t.tid, this.passTag(t), sig) >= 0;
  }
  entry(t: Tracee, a: EntryAction): boolean {
    if (!rewrite(t, a)) return false;
    t.exitWanted = a.tag === 'exit';
    let tag = this.passTag(t);
    if (a.tag === 'skipcall') {
      // SKIPCALL: the kernel skips the call and leaves rax as the tracer set it; no exit
      // stop (SKIPCALL implies SKIPEXIT). At a seccomp stop, too (no nr -1 needed).
      if (!pokeReg(t.tid, REG.rax, a.ret)) return false;
      tag = PTRACE_VM_SKIPCALL;
    }
    return ptrace(this.request(t), t.tid, tag, 0) >= 0;
  }
  exit(t: Tracee): void {
    t.exitWanted = false;
  }
}

/**
 * What `backend: 'auto'` does: the ptrace_vm tags (`tags`) where the kernel accepts
 * PTRACE_O_VM_TAGS (the patched kernel of kernel/), else start with `first`; when the stub
 * cannot install the seccomp filters (no CONFIG_SECCOMP_FILTER, a seccomp policy of the
 * parent that forbids it), go on with `fallback` for that run (vmtags: without the prefilter).
 */
export const AUTO_BACKEND = {
  tags: 'vmtags',
  first: 'seccomp',
  fallback: 'ptrace',
  why: 'seccomp stops only the calls a rule needs (the kernel decides the rest); ptrace stops every call twice',
} as const satisfies { tags: BackendName; first: BackendName; fallback: BackendName; why: string };

export interface BackendChoice {
  /** vmtags: use the policy's seccomp prefilter (false: every call stops at its entry). */
  prefilter?: boolean;
}

export function makeBackend(name: BackendName, choice: BackendChoice = {}): Backend {
  switch (name) {
    case 'ptrace': return new PtraceBackend();
    case 'seccomp': return new SeccompBackend();
    case 'vmtags': return new VmTagsBackend(choice.prefilter ?? true);
  }
}

/** -ENOSYS as a return register value. */
export const RET_ENOSYS = BigInt(-ENOSYS);
