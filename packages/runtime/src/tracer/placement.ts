import { performance } from 'node:perf_hooks';

// CPU placement: where the sandboxed threads run relative to the supervisor.
//
// Every stop is a round trip: the tracee stops, the supervisor thread wakes, decides,
// resumes the tracee. When the two run on different CPUs each half of that trip wakes an
// idle CPU with an inter-processor interrupt; on a virtual machine that is an exit to the
// hypervisor, and on this project's CI machine it made a stop cost ~8 times more than on one
// CPU (`find /usr` under a path policy: 8.9 s spread, 3.0 s pinned; strace -f: 56 s vs 7 s).
// gVisor's ptrace platform binds its stub threads to the CPU of the Sentry thread that serves
// them for the same reason.
//
// Modes:
//   same  the supervisor thread and every tracee run on the supervisor's CPU, the whole run;
//   off   the scheduler places everything (sysvm touches no affinity);
//   auto  (default) pinned only while the sandbox stops often: the rate of stops is measured
//         over windows of WINDOW_MS, and at PIN_RATE stops/s or more the sandbox is pinned;
//         once it has run QUIET_MS without a single stop it is given its CPUs back. A program
//         that computes in parallel without stopping is thus not held to one CPU, except
//         until its next stop (sysvm runs only at stops: a quiet phase is seen when the next
//         stop comes). One thread that stops often keeps the whole sandbox pinned.
//
// What the program sees: while pinned, sched_getaffinity reports one CPU (so `nproc` prints
// 1). sysvm only ever changes a thread whose mask is the one it gave it (the original mask
// when pinning, the one CPU when freeing): a thread that placed itself with
// sched_setaffinity keeps its own choice, and so do the children it forks.
//
// Invariants: placement is a performance measure only; no decision of the policy or the
// safety rules depends on it, and a failure (ESRCH from a thread that just died, EINVAL
// from a CPU taken offline) is ignored. It only ever changes threads of the sandbox: the
// tids come from the tracer's table, and a traced thread's tid cannot be reused by another
// process before the tracer has reaped it (which removes it from the table first).
import { CPU_SET_SIZE, schedGetaffinity, schedGetcpu, schedSetaffinity } from '../linux/libc.js';

export type AffinityMode = 'auto' | 'same' | 'off';
export const AFFINITY_MODES: readonly AffinityMode[] = ['auto', 'same', 'off'];

/** auto: the window over which the stop rate is measured, the rate that pins (stops per second), the quiet time that frees. */
export const WINDOW_MS = 50;
export const PIN_RATE = 2000;
export const QUIET_MS = 100;

const equal = (a: Uint8Array, b: Uint8Array): boolean => {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
};

export class Placement {
  /** The supervisor thread's mask before any change: what the tracees inherit at spawn. */
  private readonly original = new Uint8Array(CPU_SET_SIZE);
  private readonly one = new Uint8Array(CPU_SET_SIZE);
  private readonly scratch = new Uint8Array(CPU_SET_SIZE);
  private pinned = false;
  private stops = 0;
  private since = 0;
  private last = 0;
  /** Transitions, for Stats. */
  pins = 0;
  frees = 0;

  /**
   * `threads` lists every live tracee tid. Call from the supervisor thread (tid 0 below is
   * the calling thread), before the first tracee is spawned.
   */
  constructor(readonly mode: AffinityMode, private readonly threads: () => Iterable<number>) {
    if (mode === 'off') return;
    if (schedGetaffinity(0, CPU_SET_SIZE, this.original) !== 0) {
      this.mode = 'off';
      return;
    }
    let cpus = 0;
    for (const b of this.original) for (let x = b; x !== 0; x &= x - 1) cpus++;
    // One CPU already: nothing to gain.
    if (cpus < 2) this.mode = 'off';
  }

  /** When the first tracee exists (it inherited the original mask). */
  start(): void {
    if (this.mode === 'same') this.pin();
    this.since = this.last = performance.now();
  }

  /** At every stop. Cheap: one clock read; the decision once per window. */
  tick(): void {
    if (this.mode !== 'auto') return;
    const now = performance.now();
    const quiet = now - this.last >= QUIET_MS;
    this.last = now;
    if (quiet) {
      // A new window starts at this stop.
      if (this.pinned) this.free();
      this.stops = 1;
      this.since = now;
      return;
    }
    this.stops++;
    const ms = now - this.since;
    if (ms < WINDOW_MS) return;
    if (!this.pinned && (this.stops * 1000) / ms >= PIN_RATE) this.pin();
    this.stops = 0;
    this.since = now;
  }

  /** At the end of the run: the supervisor thread's own mask back (the worker may serve again). */
  finish(): void {
    if (this.pinned) schedSetaffinity(0, CPU_SET_SIZE, this.original);
    this.pinned = false;
  }

  /** Every thread on the supervisor's current CPU (the supervisor thread too, so it stays). */
  private pin(): void {
    const cpu = schedGetcpu();
    if (cpu < 0 || cpu >= CPU_SET_SIZE * 8) return;
    this.one.fill(0);
    this.one[cpu >> 3] = 1 << (cpu & 7);
    schedSetaffinity(0, CPU_SET_SIZE, this.one);
    this.move(this.original, this.one);
    this.pinned = true;
    this.pins++;
  }

  private free(): void {
    this.move(this.one, this.original);
    schedSetaffinity(0, CPU_SET_SIZE, this.original);
    this.pinned = false;
    this.frees++;
  }

  /** Threads whose mask is `from` get `to`; any other mask is the program's own choice. */
  private move(from: Uint8Array, to: Uint8Array): void {
    for (const tid of this.threads()) {
      if (schedGetaffinity(tid, CPU_SET_SIZE, this.scratch) !== 0) continue;
      if (equal(this.scratch, from)) schedSetaffinity(tid, CPU_SET_SIZE, to);
    }
  }
}
