// The tracer: launches the sandboxed command, follows every process and thread it creates,
// and carries out the policy's verdict for every syscall the backend stops at.
//
// Precondition: everything here runs on ONE thread (the worker's). Only the thread that
// attached may call ptrace on a tracee, and koffi's `.async` would run on a pool thread.
//
// The loop, phase by phase (named after strace's syscall.c):
//   wait   waitpid(-1, __WALL | __WNOTHREAD) for any tracee;
//   gone   an exit or a kill: forget the thread; when the main process is gone, kill the rest;
//   stop   classify: syscall stop (entry/exit), seccomp stop, ptrace event (fork/exec/...),
//          group-stop (parked with PTRACE_LISTEN), signal-delivery stop (re-injected);
//   decide at an entry (ptrace, vmtags) or a seccomp stop: safety rules, then the policy;
//   carry  the verdict as a ptrace_vm tag through the backend; at the exit, the result.
import { readFileSync } from 'node:fs';
import os from 'node:os';

import { abi, isBlocking } from '@sysvm/policy/evaluate';

import { syscallName } from '../abi.js';
import { EMPTY_WORLD, type ExitHandler, FileStore, hiddenByPolicy, hideVdso, runEmulation, VmDeref, worldFilter, worldPass } from '../emulate/index.js';
import type { Invocation, SourceRange, Verdict } from '../ir.js';
import { safetyFilter, traceAllFilter } from '../linux/bpf.js';
import {
  AUDIT_ARCH_X86_64, CLONE_UNTRACED, ECHILD, EFAULT, EINTR, EINVAL, EIO, ENOENT, ENOSYS, EOPNOTSUPP, EPERM, NR, NR_MAX_KNOWN, PR_SET_DUMPABLE, PR_SET_NO_NEW_PRIVS, PTRACE_EVENT_CLONE,
  PTRACE_EVENT_EXEC, PTRACE_EVENT_FORK, PTRACE_EVENT_SECCOMP, PTRACE_EVENT_STOP, PTRACE_EVENT_VFORK,
  PTRACE_GETEVENTMSG, PTRACE_LISTEN, PTRACE_SEIZE, PTRACE_SYSCALL, PTRACE_SYSCALL_INFO_ENTRY,
  PTRACE_SYSCALL_INFO_EXIT, PTRACE_SYSCALL_INFO_SECCOMP, O_CLOEXEC, O_PATH, AT_FDCWD, SECCOMP_FILTER_FLAG_NEW_LISTENER, SECCOMP_SET_MODE_FILTER, SIGCONT, SIGKILL, SIGSTOP,
  SIGTRAP, SIGTSTP, SIGTTIN, SIGTTOU, WUNTRACED, __WALL, __WNOTHREAD, X32_SYSCALL_BIT,
} from '../linux/consts.js';
import { readlinkText } from '../linux/fsx.js';
import {
  LANDLOCK_ACCESS_FS_REFER, LANDLOCK_RULE_PATH_BENEATH, LANDLOCK_SCOPE_ABI, LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET, LANDLOCK_SCOPE_SIGNAL, pathBeneathAttr, rulesetAttr, scopedRulesetAttr,
  scopingAbi,
} from '../linux/landlock.js';
import { errno, kill, Pinned, prctl, ptrace, ptraceBuf, strerror, waitpid, waitpidAt } from '../linux/libc.js';
import { writeMem } from '../linux/mem.js';
import { ARG_REGS_X86_64, pokeReg, PtraceError, REG, Regs, SyscallInfo } from '../linux/regs.js';
import type {
  ArgRewrite, AuditEvent, BackendName, DecideContext, ExitStatus, Stats, SupervisorDecision, SupervisorPolicy,
} from '../types.js';
import { AUTO_BACKEND, type Backend, type EntryAction, makeBackend, type Tracee, VmTagsBackend } from './backend.js';
import { type LaunchSpec, LaunchError, spawnStub } from './launch.js';
import { decodeArgs } from './decode.js';
import { PathDeref } from './paths.js';
import { type AffinityMode, Placement } from './placement.js';

export interface TracerOptions {
  backend: 'auto' | BackendName;
  policy: SupervisorPolicy;
  /** Handed to `decide` as `ctx.data`. */
  data?: unknown;
  /**
   * Audit mode: a deny or kill of the policy is logged (audit event with `audit: true`) and
   * the call runs. The safety rules are not the policy's and stay enforced.
   */
  audit?: boolean;
  /** Called for every audited decision (each denial, each `log` rule, each `trace`). */
  onAudit?: (e: AuditEvent) => void;
  /** Called once the stub runs under the tracer. */
  onSpawn?: (pid: number, backend: BackendName) => void;
  /**
   * Shared with the main thread: [0] is set when the run must stop. The main thread then
   * SIGKILLs the main process (a blocking waitpid cannot be interrupted otherwise); its
   * death wakes the tracer, which kills every other tracee, and any newcomer.
   */
  shared?: Int32Array;
  /** vmtags: use the policy's seccomp prefilter (default true; false: every call stops once). */
  prefilter?: boolean;
  /** CPU placement of the sandbox relative to the supervisor thread (placement.ts). Default 'auto'. */
  affinity?: AffinityMode;
}

export interface TracerResult {
  status: ExitStatus;
  stats: Stats;
  backend: BackendName;
}

/**
 * One call the tracer runs in the stub at its execve entry (see `startInstall`). `build`
 * gets the address its data (`size` bytes) is written to, below the stub's stack pointer,
 * and returns the arguments and that data.
 */
interface InstallCall {
  what: string;
  nr: number;
  size: number;
  build: (ins: Install, at: bigint) => { args: bigint[]; data?: Buffer };
  /** The result is a new fd (>= 0; kept by `keep`), not 0. */
  keep?: (ins: Install, fd: bigint) => void;
  /** Part of the Landlock sequence (a failure there is not the seccomp backend's). */
  landlock?: boolean;
}

/** The install sequence run in the stub at its execve entry (see `startInstall`). */
interface Install {
  saved: Regs;
  calls: InstallCall[];
  /** The index of the call in flight. */
  next: number;
  /** The Landlock ruleset's fd and the O_PATH fd of "/" in the stub, once open. */
  ruleset: bigint;
  root: bigint;
}

/** "-13" as "EACCES (errno 13)". */
function errnoText(rval: bigint): string {
  const e = Number(-rval);
  return `${abi.errnoName(e) ?? 'errno'} (errno ${e})`;
}

// Security invariant: every sandboxed process is in a Landlock domain (where the kernel has
// Landlock ABI >= 2), and the supervisor is not. Landlock refuses a process in a domain
// every PTRACE_MODE_ATTACH access (ptrace, /proc/PID/mem, fd/, process_vm_*) to a process
// outside that domain or a nested one, whatever its capabilities (security/landlock/task.c,
// hook_ptrace_access_check; any domain, whatever its ruleset handles): a sandboxed program
// cannot reach the memory of its user's other processes nor, as root, the supervisor's; the
// supervisor (outside) still traces it.
// A ruleset must handle something, and that is the domain's only other effect:
//   ABI >= 6: the signal and abstract unix socket scopes and no access right: no signal to a
//     process outside the sandbox, and no connect or send to an abstract unix socket (a name
//     that starts with NUL: no file, so no path rule can judge it) made outside the sandbox:
//     the D-Bus bus, an X server or an agent listening on one (files, mounts, the network and
//     socket files are untouched: the policy's address rules judge socket paths);
//   ABI 2..5: the REFER right, allowed everywhere below "/" (a domain that does not handle it
//     forbids every cross-directory rename and link). Any handled file right makes the kernel
//     refuse mount, umount and pivot_root in the domain (security/landlock/fs.c,
//     hook_sb_mount...): containers in user namespaces do not work inside there.
/** landlock_create_ruleset(&attr, sizeof attr, 0), keeping the ruleset's fd. */
const createRuleset = (attr: Buffer): InstallCall => ({
  what: 'landlock_create_ruleset', nr: NR.landlock_create_ruleset, size: attr.length, landlock: true,
  build: (_ins, at) => ({ args: [at, BigInt(attr.length), 0n], data: attr }),
  keep: (ins, fd) => { ins.ruleset = fd; },
});
const RESTRICT_SELF: InstallCall = {
  what: 'landlock_restrict_self', nr: NR.landlock_restrict_self, size: 0, landlock: true,
  build: (ins) => ({ args: [ins.ruleset, 0n] }),
};
/** close() of the fd `which` of the sequence. */
const closeFd = (which: 'ruleset' | 'root'): InstallCall => ({
  what: 'close', nr: NR.close, size: 0, landlock: true, build: (ins) => ({ args: [ins[which]] }),
});
const LANDLOCK_SCOPED_CALLS: readonly InstallCall[] = [
  createRuleset(scopedRulesetAttr(LANDLOCK_SCOPE_SIGNAL | LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET)),
  RESTRICT_SELF,
  closeFd('ruleset'),
];
const LANDLOCK_REFER_CALLS: readonly InstallCall[] = [
  createRuleset(rulesetAttr(LANDLOCK_ACCESS_FS_REFER)),
  {
    what: 'openat("/")', nr: NR.openat, size: 2, landlock: true,
    build: (_ins, at) => ({ args: [BigInt(AT_FDCWD), at, BigInt(O_PATH | O_CLOEXEC), 0n], data: Buffer.from('/\0') }),
    keep: (ins, fd) => { ins.root = fd; },
  },
  {
    what: 'landlock_add_rule', nr: NR.landlock_add_rule, size: 12, landlock: true,
    build: (ins, at) => ({
      args: [ins.ruleset, BigInt(LANDLOCK_RULE_PATH_BENEATH), at, 0n],
      data: pathBeneathAttr(LANDLOCK_ACCESS_FS_REFER, Number(ins.root)),
    }),
  },
  RESTRICT_SELF,
  closeFd('root'),
  closeFd('ruleset'),
];

/** The Landlock calls for this kernel (none below ABI 2). */
function landlockCalls(): readonly InstallCall[] {
  const v = scopingAbi();
  return v === null ? [] : v >= LANDLOCK_SCOPE_ABI ? LANDLOCK_SCOPED_CALLS : LANDLOCK_REFER_CALLS;
}

interface PendingAudit {
  event: AuditEvent;
}

interface Thread extends Tracee {
  install: Install | null;
  pending: PendingAudit | null;
  /**
   * An emulation module's handler for this thread's next syscall exit (null: none), and the
   * program's own values of the argument registers the supervisor rewrote (given back there).
   */
  atExit: { handler: ExitHandler | null; nr: number; name: string; restore?: ArgRewrite[] } | null;
  /** In chroot, pivot_root or setns: forget every cached root at its exit. */
  rootChange: boolean;
}

/** The entry action of a silent pass (never modified: the backends only read actions). */
const SKIPEXIT: EntryAction = Object.freeze({ tag: 'skipexit' });

/** -ERESTARTSYS, -ERESTARTNOINTR, -ERESTARTNOHAND, -ERESTART_RESTARTBLOCK (kernel-internal, include/linux/errno.h). */
const RESTARTS = new Set([-512n, -513n, -514n, -516n]);

const STOP_SIGNALS = new Set([SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU]);
const SIGNAL_NAMES = new Map<number, NodeJS.Signals>(
  Object.entries(os.constants.signals).map(([name, n]) => [n, name as NodeJS.Signals]),
);

const wifexited = (s: number): boolean => (s & 0x7f) === 0;
const wifstopped = (s: number): boolean => (s & 0xff) === 0x7f;

const VERDICTS = new Set(['allow', 'deny', 'kill', 'trace', 'emulate']);
const EMULATIONS = new Set<string | undefined>(['return', 'uname', 'identity', 'time', 'file', 'bind']);

/** A decision the core can carry out, or an exception (which denies the call). */
function checkDecision(d: SupervisorDecision): void {
  const v = (d as Partial<SupervisorDecision> | undefined)?.verdict;
  if (v === undefined || !VERDICTS.has(v.kind)) throw new Error(`decide returned no valid verdict: ${JSON.stringify(v)}`);
  if (v.kind === 'deny' && !(Number.isInteger(v.errno) && v.errno > 0 && v.errno < 4096)) {
    throw new Error(`deny needs an errno in 1..4095, not ${String(v.errno)}`);
  }
  if (v.kind === 'emulate' && !EMULATIONS.has(v.emulate?.kind)) {
    throw new Error(`emulate needs one of the IR's emulation kinds, not ${JSON.stringify(v.emulate?.kind)}`);
  }
  if (v.kind === 'emulate' && v.emulate.kind === 'return' && !Number.isSafeInteger(v.emulate.value)) {
    throw new Error('emulate return needs an integer value');
  }
  for (const r of d.rewrite ?? []) {
    if (!Number.isInteger(r.arg) || r.arg < 0 || r.arg > 5 || typeof r.value !== 'bigint') {
      throw new Error(`rewrite of argument ${String(r.arg)}: give { arg: 0..5, value: bigint }`);
    }
  }
}

export function decodeStatus(s: number): ExitStatus {
  if (wifexited(s)) return { code: (s >> 8) & 0xff, signal: null, signalNumber: null };
  const n = s & 0x7f;
  return { code: null, signal: SIGNAL_NAMES.get(n) ?? null, signalNumber: n };
}

function verdictDetail(v: Verdict): string | undefined {
  if (v.kind === 'deny') return v.errnoName;
  if (v.kind === 'emulate') return v.emulate.kind === 'return' ? `return ${v.emulate.value}` : v.emulate.kind;
  return undefined;
}

export class Tracer {
  private backend!: Backend;
  private readonly threads = new Map<number, Thread>();
  private readonly info = new SyscallInfo();
  /** waitpid's status, passed by its address in the loop (libc.ts, Pinned). */
  private readonly statusMem = new Pinned(8);
  private readonly status = new Int32Array(this.statusMem.bytes.buffer, 0, 1);
  private readonly msg = new BigUint64Array(1);
  private mainPid = 0;
  /**
   * Root directory (a host path) per thread, for path resolution; read from /proc/TID/root
   * on first use. Any chroot, pivot_root or setns clears it at its exit (threads and
   * processes sharing an fs_struct change root together). Security: per thread, not per
   * process: a thread with an fs_struct of its own (unshare(CLONE_FS), clone without
   * CLONE_FS) can chroot alone, and a root cached by a sibling judged its paths from `/`
   * (its open("/secret/key.txt") was judged as that, and the kernel opened ROOT/secret/...).
   */
  private readonly roots = new Map<number, string>();
  private mainStatus: ExitStatus | null = null;
  private killing = false;
  /** The run's prepared virtual files (emulate/files.ts), removed when the run ends. */
  private readonly files = new FileStore();
  private readonly stats: Stats = {
    stops: { syscallEntry: 0, syscallExit: 0, seccomp: 0, signal: 0, group: 0, event: 0, total: 0 },
    syscalls: {},
    tracees: 0,
  };
  /** Decided x86_64 calls by number (a keyed update of `stats.syscalls` per stop is slower); folded in at the end. */
  private readonly callCounts = new Float64Array(1024);
  private readonly names: (string | undefined)[] = new Array<string | undefined>(1024).fill(undefined);
  private readonly placement: Placement;

  constructor(private readonly opts: TracerOptions) {
    // Here, on the supervisor thread, before any tracee: its mask is what they inherit.
    this.placement = new Placement(opts.affinity ?? 'auto', () => this.threads.keys());
  }

  /** Launch `spec` under the tracer and trace it to the end. Blocks the calling thread. */
  run(spec: LaunchSpec): TracerResult {
    this.launch(spec);
    try {
      this.loop();
    } catch (e) {
      // Whatever went wrong, nothing may run on untraced and nothing is left a zombie.
      this.killAll();
      this.drain();
      throw e;
    } finally {
      this.files.dispose();
      this.placement.finish();
    }
    this.stats.placement = { mode: this.placement.mode, pins: this.placement.pins, frees: this.placement.frees };
    this.callCounts.forEach((n, nr) => {
      if (n === 0) return;
      const name = syscallName(nr);
      this.stats.syscalls[name] = (this.stats.syscalls[name] ?? 0) + n;
    });
    return { status: this.mainStatus!, stats: this.stats, backend: this.backend.name };
  }

  // --- launch -------------------------------------------------------------------------

  private launch(spec: LaunchSpec): void {
    // Security: the sandboxed programs run as the supervisor's user and are its children.
    // A dumpable supervisor lets them open /proc/SUPERVISOR/mem for writing (ptrace access
    // by uid: no ptrace(2), no process_vm_writev, just open and pwrite, FOLL_FORCE even into
    // its code), its fds through /proc/SUPERVISOR/fd and its environ: the whole sandbox taken
    // over. Non-dumpable, that access needs CAP_SYS_PTRACE (a program run as root has it;
    // see docs). Set before the first tracee exists, and kept for the life of the process
    // (other runs may be under way in other threads). The tracees are not affected: exec
    // makes a process dumpable again.
    if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) !== 0) throw new LaunchError('ESTUB', `prctl(PR_SET_DUMPABLE, 0): ${strerror(errno())}`);
    const pid = spawnStub(spec);
    this.mainPid = pid;
    // The stub stops itself (kill -STOP $$) before anything else.
    let r = waitpid(pid, this.status, WUNTRACED);
    while (r < 0 && errno() === EINTR) r = waitpid(pid, this.status, WUNTRACED);
    const s = this.status[0]!;
    if (r !== pid || !wifstopped(s)) {
      if (r === pid) throw new LaunchError('ESTUB', `the launcher stub ended before the target started (status ${s})`);
      throw new LaunchError('ESTUB', `waitpid(stub): ${strerror(errno())}`);
    }
    const requested = this.opts.backend;
    // vmtags uses the policy's seccomp prefilter when it has one (and it is not turned off).
    const prefilter = this.opts.prefilter !== false && this.opts.policy.filter !== null;
    // `auto`: the ptrace_vm tags where the kernel has them, else seccomp. The detection rule
    // (kernel/README.md): an unpatched kernel refuses PTRACE_O_VM_TAGS, PTRACE_SEIZE with
    // EIO (PTRACE_SETOPTIONS with EINVAL); a refused PTRACE_SEIZE attaches nothing.
    const candidates: BackendName[] = requested === 'auto' ? [AUTO_BACKEND.tags, AUTO_BACKEND.first] : [requested];
    let e = 0;
    for (const name of candidates) {
      this.backend = makeBackend(name, { prefilter });
      if (ptrace(PTRACE_SEIZE, pid, 0, this.backend.options) >= 0) {
        e = 0;
        break;
      }
      e = errno();
      if (name !== 'vmtags' || (e !== EIO && e !== EINVAL)) break;
    }
    if (e !== 0) {
      kill(pid, SIGKILL);
      waitpid(pid, this.status, 0);
      if (requested === 'vmtags' && (e === EIO || e === EINVAL)) {
        throw new LaunchError('ENOVMTAGS',
          'the vmtags backend needs a kernel with the ptrace_vm patch (this kernel rejects PTRACE_O_VM_TAGS); use --backend seccomp or ptrace');
      }
      throw new LaunchError('ESEIZE', `PTRACE_SEIZE failed: ${strerror(e)}`);
    }
    this.addThread(pid, pid, true);
    this.placement.start();
    kill(pid, SIGCONT);
    this.opts.onSpawn?.(pid, this.backend.name);
  }

  private addThread(tid: number, pid: number, stub = false): Thread {
    const t: Thread = {
      tid, pid, stub, install: null, exitWanted: false, pendingRet: null, pending: null, rootChange: false, atExit: null,
    };
    this.threads.set(tid, t);
    this.stats.tracees++;
    if (this.killing || this.stopRequested()) kill(tid, SIGKILL);
    return t;
  }

  private removeThread(tid: number): void {
    this.threads.delete(tid);
  }

  private stopRequested(): boolean {
    return this.opts.shared !== undefined && Atomics.load(this.opts.shared, 0) !== 0;
  }

  /** SIGKILL every tracee. SIGKILL wakes a thread even from a ptrace stop. */
  private killAll(): void {
    this.killing = true;
    for (const t of this.threads.values()) kill(t.tid, SIGKILL);
  }

  /** Reap every tracee after killAll(). */
  private drain(): void {
    while (waitpid(-1, this.status, __WALL | __WNOTHREAD) > 0 || errno() === EINTR) {
      // reaping
    }
  }

  // --- the loop -----------------------------------------------------------------------

  private loop(): void {
    const st = this.status;
    const stAt = this.statusMem.addr;
    while (true) {
      const tid = waitpidAt(-1, stAt, __WALL | __WNOTHREAD);
      if (tid < 0) {
        const e = errno();
        if (e === EINTR) continue;
        if (e === ECHILD) break;
        throw new Error(`waitpid: ${strerror(e)}`);
      }
      if (!this.killing && this.stopRequested()) this.killAll();
      const s = st[0]!;
      if (!wifstopped(s)) {
        this.gone(tid, s);
        if (this.mainStatus !== null && this.threads.size === 0) break;
        continue;
      }
      this.stats.stops.total++;
      this.placement.tick();
      const t = this.threads.get(tid) ?? this.addThread(tid, this.tgidOf(tid));
      const sig = (s >> 8) & 0xff;
      const event = (s >> 16) & 0xff;
      try {
        if (sig === (SIGTRAP | 0x80)) this.syscallStop(t);
        else if (event !== 0) this.eventStop(t, event, sig);
        else {
          // Signal-delivery stop: deliver the signal as it came.
          this.stats.stops.signal++;
          this.backend.resume(t, sig);
        }
      } catch (e) {
        // A tracee killed under our feet (ESRCH) is reported by waitpid next; anything
        // else is a bug: keep the sandbox whole by killing it.
        if (!(e instanceof PtraceError && e.errno === 3)) {
          this.killAll();
          throw e;
        }
      }
    }
  }

  private tgidOf(tid: number): number {
    try {
      const m = /^Tgid:\s+(\d+)$/m.exec(readFileSync(`/proc/${tid}/status`, 'utf8'));
      return m ? Number(m[1]) : tid;
    } catch {
      return tid;
    }
  }

  private gone(tid: number, s: number): void {
    const t = this.threads.get(tid);
    if (t?.pending) this.finishAudit(t, null);
    this.removeThread(tid);
    this.roots.delete(tid);
    if (tid === this.mainPid) {
      this.mainStatus = decodeStatus(s);
      // The sandbox ends with its main process: nothing may run on untraced or orphaned.
      this.killAll();
    }
  }

  private eventStop(t: Thread, event: number, sig: number): void {
    switch (event) {
      case PTRACE_EVENT_SECCOMP:
        this.stats.stops.seccomp++;
        this.decisionStop(t, this.info.get(t.tid));
        return;
      case PTRACE_EVENT_FORK:
      case PTRACE_EVENT_VFORK:
      case PTRACE_EVENT_CLONE: {
        this.stats.stops.event++;
        ptraceBuf(PTRACE_GETEVENTMSG, t.tid, 0, this.msg);
        const child = Number(this.msg[0]);
        if (!this.threads.has(child)) this.addThread(child, event === PTRACE_EVENT_CLONE ? this.tgidOf(child) : child);
        this.backend.resume(t, 0);
        return;
      }
      case PTRACE_EVENT_EXEC: {
        this.stats.stops.event++;
        // After an exec by a non-leader thread the thread takes the leader's tid; the
        // former tid (the event message) is gone without an exit report.
        ptraceBuf(PTRACE_GETEVENTMSG, t.tid, 0, this.msg);
        const former = Number(this.msg[0]);
        if (former !== t.tid) {
          const old = this.threads.get(former);
          if (old) {
            t.exitWanted = old.exitWanted;
            t.pending = old.pending;
            t.pendingRet = old.pendingRet;
            t.atExit = old.atExit;
            this.removeThread(former);
          }
        }
        // Virtual time: hide the vDSO from the new program before its first instruction,
        // so that clock_gettime and friends are real syscalls the supervisor answers.
        if (this.world.time) hideVdso(t.tid, new Regs().get(t.tid).r[REG.rsp]!);
        this.backend.resume(t, 0);
        return;
      }
      case PTRACE_EVENT_STOP:
        if (STOP_SIGNALS.has(sig)) {
          // Group-stop: park it with PTRACE_LISTEN so that job control (SIGCONT) works.
          this.stats.stops.group++;
          ptrace(PTRACE_LISTEN, t.tid, 0, 0);
        } else {
          this.stats.stops.event++;
          this.backend.resume(t, 0);
        }
        return;
      default:
        this.stats.stops.event++;
        this.backend.resume(t, 0);
    }
  }

  private syscallStop(t: Thread): void {
    const op = this.info.get(t.tid);
    if (op === PTRACE_SYSCALL_INFO_ENTRY) {
      this.stats.stops.syscallEntry++;
      if (t.install) return this.installStep(t, op);
      if (t.stub) {
        // The stub's own calls are the launcher's, not the policy's: until its execve.
        if (this.info.nr !== NR.execve || this.info.arch !== AUDIT_ARCH_X86_64) {
          this.backend.resume(t, 0);
          return;
        }
        t.stub = false;
        return this.startInstall(t);
      }
      if (this.backend.decidesAtEntry) this.decisionStop(t, op);
      else this.backend.resume(t, 0);
      return;
    }
    this.stats.stops.syscallExit++;
    if (op === PTRACE_SYSCALL_INFO_EXIT && t.install) return this.installStep(t, op);
    this.backend.exit(t);
    if (!t.atExit && !t.rootChange && !t.pending) {
      // The common exit stop (ptrace backend): nothing waits for this result.
      this.backend.resume(t, 0);
      return;
    }
    let rval = op === PTRACE_SYSCALL_INFO_EXIT ? this.info.rval : null;
    if (t.atExit) {
      const h = t.atExit;
      t.atExit = null;
      if (rval !== null && !RESTARTS.has(rval) && h.handler) rval = this.runExitHandler(t, h.handler, rval, h.nr, h.name);
      // The program's own arguments back: the x86_64 syscall ABI keeps every register but
      // rax, rcx and r11, and compiled code relies on it. A call interrupted by a signal is
      // restarted with the registers as they are, so it is stopped and rewritten afresh (a
      // signal handler may have overwritten the scratch memory below the stack). Not after
      // an execve that succeeded: the registers are the new program's then.
      const exec = h.nr === NR.execve || h.nr === NR.execveat;
      if (!(exec && rval === 0n)) for (const r of h.restore ?? []) pokeReg(t.tid, ARG_REGS_X86_64[r.arg]!, r.value);
    }
    if (t.rootChange) {
      t.rootChange = false;
      this.roots.clear();
    }
    if (t.pending) this.finishAudit(t, rval === null ? null : Number(rval));
    this.backend.resume(t, 0);
  }

  // --- NO_NEW_PRIVS, the Landlock domain and the seccomp install in the stub -----------------
  //
  // At the stub's execve entry the call is turned into prctl(PR_SET_NO_NEW_PRIVS, 1); at each
  // exit the instruction pointer is rewound over the `syscall` instruction to run the next
  // call of the sequence (its data written below the stub's stack pointer, past the red
  // zone): the Landlock calls, then seccomp(SECCOMP_SET_MODE_FILTER, 0, &prog) once per
  // program. At the last exit it is rewound again with the registers of the original
  // execve, which then runs in the domain and under the filters.
  // NO_NEW_PRIVS is what lets an unprivileged process install a filter or restrict itself
  // with Landlock; it also means that setuid and file capabilities do not raise privileges
  // anywhere in the sandboxed tree.

  private startInstall(t: Thread): void {
    const saved = new Regs().get(t.tid);
    const p = this.opts.policy;
    // Security invariant: the sandbox is the same whatever the backend. Every backend
    // (ptrace, seccomp, vmtags with or without its prefilter) runs this one sequence:
    // NO_NEW_PRIVS (a root supervisor would otherwise let a traced setuid exec raise
    // privileges), then, where the kernel can, the Landlock domain; only then the seccomp
    // filters, for the backends that use them (seccomp, and vmtags with the prefilter). The
    // steps resume with plain PTRACE_SYSCALL and addr 0 (under PTRACE_O_VM_TAGS: no tag, so
    // every step's exit stop is reported and its result checked), not through the backend; a
    // signal stop in between resumes through it, and every backend then asks for syscall
    // stops without a tag while `t.install` is set (backend.ts).
    const progs = this.backend.installsFilter ? [
      safetyFilter({ allowPtrace: p.allowPtrace === true, allowIoUring: p.allowIoUring === true }),
      // What the policy's virtual world must see besides its rules (bind results), if anything.
      ...[worldFilter(this.world)].filter((f): f is Uint8Array => f !== null),
      // Installed last, so that its SECCOMP_RET_DATA wins among equal actions.
      p.filter ?? traceAllFilter(),
    ] : [];
    const calls: InstallCall[] = [
      { what: 'prctl', nr: NR.prctl, size: 0, build: () => ({ args: [BigInt(PR_SET_NO_NEW_PRIVS), 1n, 0n, 0n, 0n] }) },
      ...landlockCalls(),
      ...progs.map((prog): InstallCall => ({
        what: 'seccomp', nr: NR.seccomp, size: prog.length + 16,
        build: (_ins, at) => {
          // struct sock_fprog { u16 len; u64 filter } then the program.
          const fprog = Buffer.alloc(16 + prog.length);
          fprog.writeUInt16LE(prog.length / 8, 0);
          fprog.writeBigUInt64LE(at + 16n, 8);
          fprog.set(prog, 16);
          return { args: [BigInt(SECCOMP_SET_MODE_FILTER), 0n, at], data: fprog };
        },
      })),
    ];
    const ins: Install = { saved, calls, next: 0, ruleset: -1n, root: -1n };
    t.install = ins;
    // The first call replaces the execve at its entry (no data: prctl takes none).
    const regs = new Regs();
    regs.buf.set(saved.buf);
    regs.r[REG.orig_rax] = BigInt(NR.prctl);
    this.setArgs(regs, calls[0]!.build(ins, 0n).args);
    regs.set(t.tid);
    ptrace(PTRACE_SYSCALL, t.tid, 0, 0);
  }

  private setArgs(regs: Regs, args: bigint[]): void {
    ARG_REGS_X86_64.forEach((r, i) => { regs.r[r] = BigInt.asUintN(64, args[i] ?? 0n); });
  }

  private installStep(t: Thread, op: number): void {
    const ins = t.install!;
    if (op === PTRACE_SYSCALL_INFO_ENTRY) {
      // A rewound call entering: let it run.
      ptrace(PTRACE_SYSCALL, t.tid, 0, 0);
      return;
    }
    const rval = this.info.rval;
    const call = ins.calls[ins.next]!;
    if (call.keep ? rval < 0n : rval !== 0n) {
      if (!call.landlock) return this.installFailed(t, ins, call, rval);
      // Landlock compiled out or disabled at boot (the probe said otherwise, but a kernel
      // may differ between the supervisor's probe and here only in odd setups): nothing of
      // it was done yet, so the sandbox goes on as on a kernel without it.
      if (call.nr === NR.landlock_create_ruleset && (rval === BigInt(-ENOSYS) || rval === BigInt(-EOPNOTSUPP))) {
        while (ins.calls[ins.next + 1]?.landlock) ins.next++;
      } else {
        // Never a half-made domain: the launch fails.
        this.landlockFailed(call, errnoText(rval));
      }
    } else {
      call.keep?.(ins, rval);
    }
    if (++ins.next >= ins.calls.length) {
      // Every call done: re-issue the original execve.
      this.reissueExecve(t, ins);
      return;
    }
    const next = ins.calls[ins.next]!;
    // Below the red zone, 16-byte aligned.
    const at = (BigInt.asUintN(64, ins.saved.r[REG.rsp]!) - 256n - BigInt(next.size)) & ~15n;
    const { args, data } = next.build(ins, at);
    if (data && writeMem(t.tid, at, data) !== 0) {
      if (!next.landlock) return this.installFailed(t, ins, next, BigInt(-EFAULT));
      this.landlockFailed(next, 'cannot write the stub\'s stack');
    }
    const regs = new Regs();
    regs.buf.set(ins.saved.buf);
    regs.r[REG.rip] = ins.saved.r[REG.rip]! - 2n;
    regs.r[REG.rax] = BigInt(next.nr);
    this.setArgs(regs, args);
    regs.set(t.tid);
    ptrace(PTRACE_SYSCALL, t.tid, 0, 0);
  }

  /** Restore the stub's registers at its execve entry, rewound to run the execve again. */
  private reissueExecve(t: Thread, ins: Install): void {
    const regs = new Regs();
    regs.buf.set(ins.saved.buf);
    regs.r[REG.rip] = ins.saved.r[REG.rip]! - 2n;
    regs.r[REG.rax] = ins.saved.r[REG.orig_rax]!;
    regs.set(t.tid);
    t.install = null;
    this.backend.resume(t, 0);
  }

  /** A step of the Landlock sequence failed: the sandbox is killed and the launch fails. */
  private landlockFailed(call: InstallCall, why: string): never {
    this.killAll();
    throw new LaunchError('ELANDLOCK', `putting the sandbox in its Landlock domain failed (${call.what}: ${why}); `
      + 'see `sysvm doctor` for the Landlock ABI of this kernel');
  }

  private installFailed(t: Thread, ins: Install, call: InstallCall, rval: bigint): void {
    if (this.opts.backend === 'auto' && call.what === 'seccomp') {
      // No seccomp filters here: fall back for this run (vmtags: the tags at every entry).
      // NO_NEW_PRIVS and the Landlock domain (every call before the first seccomp) are in.
      this.backend = this.backend.name === 'vmtags' ? new VmTagsBackend(false) : makeBackend(AUTO_BACKEND.fallback);
      this.reissueExecve(t, ins);
      return;
    }
    this.killAll();
    throw new LaunchError('ESECCOMP',
      `installing the seccomp filter failed (${call.what}: ${errnoText(rval)}); try --backend ptrace`);
  }

  // --- decisions -----------------------------------------------------------------------

  private decisionStop(t: Thread, op: number): void {
    const info = this.info;
    if (op !== PTRACE_SYSCALL_INFO_SECCOMP && op !== PTRACE_SYSCALL_INFO_ENTRY) {
      // The thread is gone or the stop is not a call: nothing to decide.
      this.backend.resume(t, 0);
      return;
    }
    const nr = info.nr;
    if (nr === -1) {
      // A call some tracer already skipped: never ours to decide.
      this.backend.entry(t, { tag: 'skipexit' });
      return;
    }
    const arch = info.arch;
    const x86 = arch === AUDIT_ARCH_X86_64;
    const name = x86 && (nr & X32_SYSCALL_BIT) === 0 ? this.nameOf(nr) : `${x86 ? 'x32' : 'ia32'}:${nr}`;
    if (x86 && nr >= 0 && nr < this.callCounts.length) this.callCounts[nr]!++;
    else this.stats.syscalls[name] = (this.stats.syscalls[name] ?? 0) + 1;
    const args = info.args();

    // Safety rules, whatever the policy says (the same as the seccomp safety filter).
    if (!x86 || (nr & X32_SYSCALL_BIT) !== 0) {
      // ia32 (`int 0x80`) and x32 calls: a policy written for x86_64 numbers cannot judge them.
      return this.safetyDeny(t, nr, name, args, ENOSYS, 'ENOSYS', 'sysvm:abi');
    }
    if (nr < 0 || nr > NR_MAX_KNOWN) {
      // A call of a newer kernel than the catalogue (setxattrat, file_setattr, ...): no rule
      // can name it, so it must not pass by a default (it does the work of calls that rules
      // name). The same as the safety filter's ENOSYS.
      return this.safetyDeny(t, nr, name, args, ENOSYS, 'ENOSYS', 'sysvm:unknown-syscall');
    }
    if (nr === NR.ptrace && !(this.opts.policy.allowPtrace && this.ptraceTargetInside(args))) {
      // A tracee must never detach itself, nor trace the supervisor or anything outside.
      return this.safetyDeny(t, nr, name, args, EPERM, 'EPERM', 'sysvm:ptrace');
    }
    if (nr === NR.clone3) {
      // Its flags are in memory a sibling thread could change after a check: answer
      // ENOSYS, and libc falls back to clone(2), whose flags are in a register.
      // Routine for every threaded program, and invisible under seccomp: not audited.
      return this.safetyDeny(t, nr, name, args, ENOSYS, 'ENOSYS', 'sysvm:clone3', false);
    }
    if (nr === NR.clone && (args[0]! & BigInt(CLONE_UNTRACED)) !== 0n) {
      // CLONE_UNTRACED: the child would not be attached and would run on untraced.
      return this.safetyDeny(t, nr, name, args, EPERM, 'EPERM', 'sysvm:clone-untraced');
    }
    if ((nr === NR.process_vm_readv || nr === NR.process_vm_writev) && !this.threads.has(Number(BigInt.asIntN(32, args[0]!)))) {
      // Reading or writing another process's memory: only inside the sandbox.
      return this.safetyDeny(t, nr, name, args, EPERM, 'EPERM', 'sysvm:foreign-process');
    }
    if (nr === NR.prlimit64 && args[2] !== 0n && (args[0]! & 0xffffffffn) !== 0n && !this.threads.has(Number(BigInt.asIntN(32, args[0]!)))) {
      // New limits for a process outside the sandbox: any of the user's processes (any
      // process, as root), the supervisor included, with no signal, ptrace or Landlock check
      // in the way (check_prlimit_permission compares uids only). RLIMIT_CPU kills it (SIGXCPU,
      // then SIGKILL: around the Landlock signal scope), RLIMIT_NOFILE or RLIMIT_AS breaks it.
      // Reading its limits (new_rlim NULL) tells no more than /proc/PID/limits. pid_t: the
      // low half only; 0 is the caller.
      return this.safetyDeny(t, nr, name, args, EPERM, 'EPERM', 'sysvm:foreign-process');
    }
    if (nr === NR.seccomp && (Number(args[1]! & 0xffffffffn) & SECCOMP_FILTER_FLAG_NEW_LISTENER) !== 0) {
      // A listener of the program's own: its SECCOMP_RET_USER_NOTIF outranks the policy's
      // SECCOMP_RET_TRACE, and the listener can let the call run without any stop (the
      // seccomp backend never sees it). `flags` is an unsigned int: its low half only.
      return this.safetyDeny(t, nr, name, args, EPERM, 'EPERM', 'sysvm:seccomp-listener');
    }
    if (nr === NR.pidfd_getfd) {
      // Its target is an fd a sibling thread can dup2 over after any check.
      return this.safetyDeny(t, nr, name, args, EPERM, 'EPERM', 'sysvm:pidfd_getfd');
    }
    if (nr === NR.io_uring_setup && !this.opts.policy.allowIoUring) {
      // io_uring does the work of syscalls without syscalls the tracer would see.
      return this.safetyDeny(t, nr, name, args, EPERM, 'EPERM', 'sysvm:io_uring');
    }

    if (this.opts.policy.silentAllow?.[nr] === 1 && this.plainWorld
      && nr !== NR.chroot && nr !== NR.pivot_root && nr !== NR.setns) {
      // The policy allows this call silently whatever its arguments: what carryOut would do
      // for that decision (the world adds nothing to a passed call, no root can change).
      this.backend.entry(t, SKIPEXIT);
      return;
    }
    const deref = new VmDeref(t.pid, name, t.tid, args, this.world, this.files, () => this.rootOf(t));
    const inv: Invocation = { arch: 'x86_64', nr, args, deref };
    const ctx: DecideContext = { pid: t.pid, tid: t.tid, name, data: this.opts.data };
    if (op === PTRACE_SYSCALL_INFO_SECCOMP) ctx.retData = info.retData;
    let d: SupervisorDecision;
    try {
      d = this.opts.policy.decide(inv, ctx);
      checkDecision(d);
    } catch (e) {
      // Fail closed: a policy that throws denies the call.
      d = { verdict: { kind: 'deny', errno: EPERM, errnoName: 'EPERM' }, rule: null, log: true };
      this.audit(this.makeEvent(t, nr, name, args, deref, d.verdict, `sysvm:policy-error: ${String(e)}`, undefined), -EPERM);
      this.backend.entry(t, { tag: 'skipcall', ret: BigInt(-EPERM) });
      return;
    }
    if (deref.emptyName && isBlocking(d.verdict)) {
      // An empty path (no AT_EMPTY_PATH) names nothing: the kernel fails the call with ENOENT
      // before looking at anything. A path condition cannot hold for it (the path is
      // undefined, on which rules fail closed), so a refusal here is not the rule's: answer
      // what the kernel would, not the first deny rule's errno (builtin:default logged
      // Python's stat("") as a denial by no-home-secrets). The call does not run either way.
      this.backend.entry(t, { tag: 'skipcall', ret: BigInt(-ENOENT) });
      return;
    }
    this.carryOut(t, nr, name, args, deref, d, info.sp);
  }

  /** syscallName, remembered by number. */
  private nameOf(nr: number): string {
    if (nr < 0 || nr >= this.names.length) return syscallName(nr);
    return this.names[nr] ??= syscallName(nr);
  }

  private get world(): NonNullable<SupervisorPolicy['vm']> {
    return this.opts.policy.vm ?? EMPTY_WORLD;
  }

  /**
   * The policy's world adds nothing to a passed call: no bind, hidden path, listed or
   * virtual file, nor virtual clock (exactly when worldFilter asks for no stop of its own,
   * and worldPass would return nothing).
   */
  private get plainWorld(): boolean {
    return this.plainWorldMemo ??= worldFilter(this.world) === null;
  }

  private plainWorldMemo: boolean | undefined;

  /** Run an emulation module's exit handler; returns the result the program sees. */
  private runExitHandler(t: Thread, h: ExitHandler, rval: bigint, nr: number, name: string): bigint {
    let result = rval;
    h({
      pid: t.pid, tid: t.tid, rval,
      setReturn: (v) => {
        if (pokeReg(t.tid, REG.rax, v)) result = v;
      },
      restart: () => {
        // Run the same call again (vfs: a directory batch whose entries were all hidden).
        const regs = new Regs().get(t.tid);
        regs.r[REG.rip] = regs.r[REG.rip]! - 2n;
        regs.r[REG.rax] = BigInt(nr);
        regs.set(t.tid);
      },
      killProcess: (reason) => {
        // The emulation's premise broke (a rewritten argument was swapped under it): the
        // process dies before the call returns to it.
        kill(t.pid, SIGKILL);
        const v: Verdict = { kind: 'kill' };
        this.audit({
          time: new Date().toISOString(), pid: t.pid, tid: t.tid, syscall: name, nr, args: {}, verdict: v.kind,
          result: null, rule: reason,
        }, null);
      },
    });
    return result;
  }

  private rootOf(t: Thread): string {
    let root = this.roots.get(t.tid);
    if (root === undefined) {
      root = readlinkText(`/proc/${t.tid}/root`) ?? '/';
      if (!root.startsWith('/')) root = '/';
      this.roots.set(t.tid, root);
    }
    return root;
  }

  /** ptrace(2) may only name a tracee of this sandbox (which then fails: it is traced already). */
  private ptraceTargetInside(args: readonly bigint[]): boolean {
    return this.threads.has(Number(BigInt.asIntN(32, args[1]!)));
  }

  private safetyDeny(t: Thread, nr: number, name: string, args: readonly bigint[], err: number, errName: string,
    rule: string, audited = true): void {
    const v: Verdict = { kind: 'deny', errno: err, errnoName: errName };
    if (audited) this.audit(this.makeEvent(t, nr, name, args, undefined, v, rule, undefined), -err);
    this.backend.entry(t, { tag: 'skipcall', ret: BigInt(-err) });
  }

  private carryOut(t: Thread, nr: number, name: string, args: readonly bigint[], deref: VmDeref,
    d: SupervisorDecision, sp: bigint): void {
    const v = d.verdict;
    const ruleName = d.rule === null ? 'default' : (d.rule.name ?? `#${d.rule.index}`);
    const src = d.rule?.source;
    let action: EntryAction;
    let result: number | null | undefined; // undefined: known at the exit stop
    // Audit mode: a blocking verdict becomes a pass whose result is logged.
    const auditOnly = this.opts.audit === true && (v.kind === 'deny' || v.kind === 'kill');
    if (auditOnly) action = { tag: 'exit' };
    else switch (v.kind) {
      case 'allow':
      case 'trace': {
        // SKIPEXIT, unless the decision is logged or traced: then the result is wanted. A
        // call whose result shows a path (getcwd, readlink) is mapped back through the
        // policy's binds whatever rule passed it (the world is the same for every rule).
        // The world also makes the kernel act on the object the policy judged (vfs: binds),
        // drops hidden entries from directory listings, and with a virtual clock translates
        // absolute deadlines and shifts file times (emulate/index.ts `worldPass`).
        // A world that needs no stop of its own (worldFilter: null) does nothing here either.
        const world = this.plainWorld ? {} : worldPass({
          pid: t.pid, tid: t.tid, name, args, sp, deref, world: this.world, files: this.files,
          hidden: hiddenByPolicy((inv) => this.opts.policy.decide(inv, { pid: t.pid, tid: t.tid, name: 'newfstatat', data: this.opts.data }).verdict),
        });
        if (world.deny !== undefined) {
          // The world refuses what no rule may allow (a move or bind mount of a directory
          // that holds a hidden path, a rename across a bind).
          action = { tag: 'skipcall', ret: BigInt(-world.deny) };
          result = -world.deny;
          break;
        }
        // Always set (null: nothing to run at the exit), so that no stale handler is used;
        // the registers a rewrite changes are given back at the exit (below the switch).
        t.atExit = world.atExit === undefined ? null : { handler: world.atExit, nr, name };
        action = d.log || v.kind === 'trace' || world.atExit !== undefined ? { tag: 'exit' } : { tag: 'skipexit' };
        if (world.rewrite !== undefined) action.rewrite = world.rewrite;
        break;
      }
      case 'deny':
        action = { tag: 'skipcall', ret: BigInt(-v.errno) };
        result = -v.errno;
        break;
      case 'kill':
        // SIGKILL wakes the thread from its stop and the call never runs; the whole
        // thread group dies (SECCOMP_RET_KILL_PROCESS semantics).
        kill(t.pid, SIGKILL);
        action = { tag: 'skipcall', ret: BigInt(-ENOSYS) };
        result = null;
        break;
      case 'emulate': {
        // The family's module (src/emulate/) skips the call with its answer, or lets it run
        // with rewritten arguments and, if it wants the result, an exit handler (tag 0).
        const out = runEmulation(v.emulate, {
          pid: t.pid, tid: t.tid, name, args, sp, deref, world: this.world, files: this.files,
        });
        if ('skip' in out) {
          action = { tag: 'skipcall', ret: BigInt(out.skip) };
          result = out.skip;
        } else {
          action = out.atExit !== undefined || d.log ? { tag: 'exit' } : { tag: 'skipexit' };
          if (out.rewrite !== undefined && out.rewrite.length > 0) action.rewrite = out.rewrite;
          t.atExit = out.atExit === undefined ? null : { handler: out.atExit, nr, name };
        }
        break;
      }
    }
    if (action.tag !== 'skipcall' && (nr === NR.chroot || nr === NR.pivot_root || nr === NR.setns)) {
      // The root may change: its exit clears the cached roots.
      action = { ...action, tag: 'exit' };
      t.rootChange = true;
    }
    if (d.rewrite !== undefined && d.rewrite.length > 0 && action.tag !== 'skipcall') {
      action.rewrite = [...(action.rewrite ?? []), ...d.rewrite];
    }
    if (action.rewrite !== undefined && action.rewrite.length > 0 && action.tag !== 'skipcall') {
      // A call that runs with rewritten arguments needs its exit (tag 0, never SKIPEXIT):
      // the exit stop gives the program's own argument registers back (see syscallStop).
      const restore = action.rewrite.map((r) => ({ arg: r.arg, value: args[r.arg]! }));
      t.atExit = { handler: t.atExit?.handler ?? null, nr, name, restore };
      action = { ...action, tag: 'exit' };
    }
    const audited = d.log || v.kind === 'deny' || v.kind === 'trace' || v.kind === 'kill';
    if (audited) {
      const ev = this.makeEvent(t, nr, name, args, deref, v, ruleName, src);
      if (auditOnly) ev.audit = true;
      // Printed on no stderr (human.ts): a quiet rule's refusal, or a `missing` answer (the
      // path names nothing: the program is told what the kernel would have told it).
      if (d.rule?.quiet === true || d.missing === true) ev.quiet = true;
      if (result === undefined) t.pending = { event: ev };
      else this.audit(ev, result);
    }
    this.backend.entry(t, action);
  }

  private makeEvent(t: Thread, nr: number, name: string, args: readonly bigint[], deref: PathDeref | undefined,
    v: Verdict, rule: string, src: SourceRange | undefined): AuditEvent {
    // Every argument of an audited call is decoded, paths resolved whether or not the policy
    // read them.
    const d = deref ?? new PathDeref(t.pid, t.tid, name, args, () => this.rootOf(t));
    let decoded: Record<string, string | number>;
    try {
      decoded = decodeArgs(t.tid, name, args, d);
    } catch {
      decoded = Object.fromEntries(args.map((a, i) => [`arg${i}`, `0x${a.toString(16)}`]));
    }
    const ev: AuditEvent = {
      time: new Date().toISOString(), pid: t.pid, tid: t.tid, syscall: name, nr, args: decoded,
      verdict: v.kind, result: null, rule,
    };
    const detail = verdictDetail(v);
    if (detail !== undefined) ev.detail = detail;
    if (src) {
      ev.source = `${src.file}:${src.line}`;
      ev.sourceRange = src;
    }
    return ev;
  }

  private finishAudit(t: Thread, result: number | null): void {
    const p = t.pending!;
    t.pending = null;
    this.audit(p.event, result);
  }

  private audit(ev: AuditEvent, result: number | null): void {
    ev.result = result;
    this.opts.onAudit?.(ev);
  }
}
