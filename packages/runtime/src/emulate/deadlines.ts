// Absolute deadlines and the struct timex under a virtual clock (umview's umtime, continued):
// part of the policy's world, applied to every call a rule lets run (allow, trace), like a
// bind's results, so a rule that denies one of these calls still denies it.
//
// A deadline on a realtime clock is a virtual instant, so it is translated to the host's
// clock before the kernel reads it: clock_nanosleep(TIMER_ABSTIME) on CLOCK_REALTIME(_ALARM)
// or CLOCK_TAI; timerfd_settime(TFD_TIMER_ABSTIME) and timer_settime(TIMER_ABSTIME) on a
// timer of such a clock (a timerfd's clock is read from /proc, a POSIX timer's is remembered
// from its timer_create, see `timerClocks`); futex waits with FUTEX_CLOCK_REALTIME and FUTEX_LOCK_PI, whose timeout
// is always realtime (pthread_cond_timedwait, sem_timedwait, pthread_mutex_timedlock);
// futex_waitv on CLOCK_REALTIME; mq_timedsend and mq_timedreceive. Relative timeouts
// (nanosleep, poll, select, FUTEX_WAIT, timers without the ABSTIME flag) and monotonic
// deadlines are untouched, and timerfd_gettime / timer_gettime report the time left, which
// is the same on both clocks. adjtimex and clock_adjtime(CLOCK_REALTIME) show the virtual
// time in their struct timex (a call that sets the clock, with CAP_SYS_TIME, sets the host's).
//
// A frozen clock and absolute deadlines: a deadline is translated as if the clock ran from
// the frozen instant at the moment of the call, so "frozen now + 2 s" sleeps 2 s and a
// deadline at or before the frozen instant returns at once. (Never waking up would be the
// literal reading of a clock that does not advance, and no program could use it.) A wait
// restarted after a signal, or retried after EINTR, ends when the first attempt would have
// (see `interrupted`).
//
// What it cannot do: io_uring timeouts (io_uring is denied unless the policy allows it).
//
// Security: the module writes only a translated copy of a deadline below the caller's stack
// (see `scratchLayout`) and the struct timex the kernel has just filled in the program's own
// memory. A sibling thread that changes the copy changes only its own process's deadline, as
// it could by passing another deadline.
import { readFileSync } from 'node:fs';

import type { VirtualClock } from '../ir.js';
import {
  CLOCK_REALTIME, EINTR, FUTEX_CLOCK_REALTIME, FUTEX_CMD_MASK, FUTEX_LOCK_PI, FUTEX_LOCK_PI2, FUTEX_PRIVATE_FLAG,
  FUTEX_WAIT_BITSET, FUTEX_WAIT_REQUEUE_PI, TFD_TIMER_ABSTIME, TIMER_ABSTIME,
} from '../linux/consts.js';
import { readMem, writeMem } from '../linux/mem.js';
import type { ArgRewrite } from '../types.js';
import { type EmuContext, type ExitHandler, scratchLayout } from './context.js';
import { hostNs, pair, REALTIME_CLOCKS, split, virtualNs } from './time.js';

/** What the world does to a call: an exit handler, and maybe argument rewrites. */
export interface WorldOutcome { atExit: ExitHandler; rewrite?: ArgRewrite[] }

const NS = 1_000_000_000n;

/**
 * The calls of the world's seccomp filter (emulate/index.ts `worldFilter`): name, then the
 * conditions on integer arguments (all must hold; an argument matches if it is one of the
 * values, or, for `set`, if it has that one bit) under which the call stops.
 */
export const DEADLINE_STOPS: Array<{ name: string; when: Array<{ arg: number; in?: number[]; set?: number }> }> = [
  { name: 'clock_nanosleep', when: [{ arg: 0, in: [...REALTIME_CLOCKS] }, { arg: 1, set: TIMER_ABSTIME }] },
  { name: 'timerfd_settime', when: [{ arg: 1, set: TFD_TIMER_ABSTIME }] },
  { name: 'timer_create', when: [] },
  { name: 'timer_settime', when: [{ arg: 1, set: TIMER_ABSTIME }] },
  // FUTEX_LOCK_PI always; FUTEX_WAIT_BITSET, FUTEX_WAIT_REQUEUE_PI and FUTEX_LOCK_PI2 with
  // FUTEX_CLOCK_REALTIME (kernel/futex/syscalls.c); each with or without FUTEX_PRIVATE_FLAG.
  { name: 'futex', when: [{ arg: 1, in: [FUTEX_LOCK_PI, ...[FUTEX_WAIT_BITSET, FUTEX_WAIT_REQUEUE_PI, FUTEX_LOCK_PI2]
    .map((op) => op | FUTEX_CLOCK_REALTIME)].flatMap((op) => [op, op | FUTEX_PRIVATE_FLAG]) }] },
  { name: 'futex_waitv', when: [{ arg: 4, in: [CLOCK_REALTIME] }] },
  { name: 'mq_timedsend', when: [] },
  { name: 'mq_timedreceive', when: [] },
  { name: 'adjtimex', when: [] },
  { name: 'clock_adjtime', when: [{ arg: 0, in: [...REALTIME_CLOCKS] }] },
];

/** What the world's clock does to a call a rule let run; undefined: nothing. */
export function timeWorld(ctx: EmuContext): WorldOutcome | undefined {
  const clock = ctx.world.clock;
  if (clock === undefined) return undefined;
  if (ctx.name === 'adjtimex' || ctx.name === 'clock_adjtime') return timex(ctx, clock);
  if (ctx.name === 'timer_create') return timerCreated(ctx);
  return deadline(ctx, clock);
}

const isRealtime = (clk: number): boolean => (REALTIME_CLOCKS as readonly number[]).includes(clk);
const int32 = (v: bigint | undefined): number => Number(BigInt.asIntN(32, v ?? 0n));

/** The largest deadline translated (beyond it the program means "never": left as it is). */
const MAX_SEC = 1n << 62n;

/**
 * Absolute deadlines on a realtime clock: the kernel must wait for the host instant at which
 * the virtual clock reads the program's deadline, `t - (virtual now - host now)` (for an
 * offset: `t - offset`). undefined: not one of these calls.
 *
 * The deadline lives in the program's memory, possibly const (a `static const struct
 * timespec`), and other threads may read it at the same time (one deadline shared by the
 * waiters of a condition variable), so it is never changed in place: a translated copy is
 * written to scratch memory below the caller's stack and the pointer argument points at it
 * (see `scratchLayout`). The exit handler is also what makes the tracer give back the
 * program's own pointer when the kernel restarts the call after a signal (the signal frame
 * may have overwritten the scratch copy): the restarted call stops and is translated again.
 */
function deadline(ctx: EmuContext, clock: VirtualClock): WorldOutcome | undefined {
  const a = ctx.args;
  const pass = undefined; // the call runs as the program made it
  switch (ctx.name) {
    case 'clock_nanosleep': {
      const clk = int32(a[0]);
      if ((int32(a[1]) & TIMER_ABSTIME) === 0 || !isRealtime(clk)) return pass;
      return translate(ctx, clock, clk, 2, 16, 0);
    }
    case 'timerfd_settime': {
      if ((int32(a[1]) & TFD_TIMER_ABSTIME) === 0) return pass;
      const clk = timerfdClock(ctx.tid, int32(a[0]));
      return clk !== undefined && isRealtime(clk) ? translate(ctx, clock, clk, 2, 32, 16) : pass;
    }
    case 'timer_settime': {
      if ((int32(a[1]) & TIMER_ABSTIME) === 0) return pass;
      const clk = timerClocks.get(ctx.pid)?.get(int32(a[0])) ?? posixTimerClock(ctx.pid, int32(a[0]));
      return clk !== undefined && isRealtime(clk) ? translate(ctx, clock, clk, 2, 32, 16) : pass;
    }
    case 'futex': {
      // FUTEX_WAIT_BITSET, FUTEX_WAIT_REQUEUE_PI and FUTEX_LOCK_PI2 take an absolute time on
      // CLOCK_REALTIME with FUTEX_CLOCK_REALTIME; FUTEX_LOCK_PI always (kernel/futex/syscalls.c).
      // FUTEX_WAIT's timeout is relative; the others take none or CLOCK_MONOTONIC.
      const op = int32(a[1]);
      const cmd = op & FUTEX_CMD_MASK;
      const realtime = cmd === FUTEX_LOCK_PI || ((op & FUTEX_CLOCK_REALTIME) !== 0
        && (cmd === FUTEX_WAIT_BITSET || cmd === FUTEX_WAIT_REQUEUE_PI || cmd === FUTEX_LOCK_PI2));
      if (!realtime) return pass;
      return translate(ctx, clock, CLOCK_REALTIME, 3, 16, 0);
    }
    case 'futex_waitv':
      return int32(a[4]) === CLOCK_REALTIME ? translate(ctx, clock, CLOCK_REALTIME, 3, 16, 0) : pass;
    case 'mq_timedsend':
    case 'mq_timedreceive':
      return translate(ctx, clock, CLOCK_REALTIME, 4, 16, 0);
    default:
      return undefined;
  }
}

/**
 * Rewrite argument `arg` (a pointer to `size` bytes holding a timespec at `at`) to a scratch
 * copy whose timespec is the host's instant for the virtual deadline. Passes the call
 * unchanged where the kernel decides alone: a NULL or unreadable pointer (EFAULT), an invalid
 * timespec (EINVAL), an itimerspec that disarms (it_value 0), a deadline meaning "never".
 */
function translate(ctx: EmuContext, clock: VirtualClock, clk: number, arg: number, size: number, at: number): WorldOutcome | undefined {
  const ptr = ctx.args[arg]!;
  const pass = undefined;
  if (ptr === 0n) return pass;
  const buf = readMem(ctx.tid, ptr, size);
  if (buf === null || buf.length < size) return pass;
  const sec = buf.readBigInt64LE(at);
  const nsec = buf.readBigInt64LE(at + 8);
  if (sec < 0n || nsec < 0n || nsec >= NS || sec > MAX_SEC || (size === 32 && sec === 0n && nsec === 0n)) return pass;
  let real = hostDeadline(ctx.tid, clock, clk, sec * NS + nsec);
  // Already past on the host: the earliest instant that is not 0 (an it_value of 0 disarms).
  if (real < 1n) real = 1n;
  if (real / NS > MAX_SEC) return pass;
  const copy = Buffer.from(buf);
  copy.writeBigInt64LE(real / NS, at);
  copy.writeBigInt64LE(real % NS, at + 8);
  const [where] = scratchLayout(ctx.sp, [copy]);
  // A stack too shallow for the copy (never seen): the deadline stays as the program wrote it.
  if (writeMem(ctx.tid, where!, copy) !== 0) return pass;
  // The exit handler runs when the call ends for good (not when the kernel restarts it: then
  // the tracer gives the program's own pointer back and the restarted call comes here again).
  return {
    rewrite: [{ arg, value: where! }],
    atExit: (x) => { if (x.rval !== BigInt(-EINTR)) interrupted.delete(x.tid); },
  };
}

/**
 * Under a frozen clock, the host instant of a thread's interrupted wait. The mapping depends
 * on when the call is made, so a wait the kernel restarts after a signal handler (futex,
 * with SA_RESTART), or that the program retries after EINTR (clock_nanosleep), with the same
 * deadline gets the host instant of the first attempt, or a thread that receives signals
 * more often than its timeout would never time out. Any other end of the wait forgets it: a
 * later wait for the same virtual instant (under a frozen clock, "now + 1 s" is always the
 * same instant) is a new wait. Bounded: the oldest threads are forgotten first.
 */
const interrupted = new Map<number, { clk: number; t: bigint; real: bigint }>();
const INTERRUPTED_MAX = 4096;

/** The host instant (ns) at which the virtual clock `clk` reads `t`. */
function hostDeadline(tid: number, clock: VirtualClock, clk: number, t: bigint): bigint {
  if (clock.kind === 'offset') return t - clock.offsetNs;
  const prev = interrupted.get(tid);
  if (prev !== undefined && prev.clk === clk && prev.t === t) return prev.real;
  const real = t - (virtualNs(clock, clk) - hostNs(clk));
  interrupted.delete(tid);
  interrupted.set(tid, { clk, t, real });
  if (interrupted.size > INTERRUPTED_MAX) interrupted.delete(interrupted.keys().next().value!);
  return real;
}

/** The clock of a timerfd, from /proc/TID/fdinfo/FD (`clockid:`); undefined if not a timerfd. */
function timerfdClock(tid: number, fd: number): number | undefined {
  try {
    const m = /^clockid:\s*(-?\d+)$/m.exec(readFileSync(`/proc/${tid}/fdinfo/${fd}`, 'latin1'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The clock of each POSIX timer, per process (timer ids are per thread group), seen at
 * timer_create's exit. Every id a process can pass to timer_settime came from a timer_create
 * the sandbox saw (timers are not inherited across fork, and exec deletes them), so an entry
 * left by an earlier image or an earlier process with the same pid is always replaced by
 * the timer_create that made the id valid again. Bounded: the oldest processes are
 * forgotten first (their timers then fall back to /proc, see `posixTimerClock`).
 */
const timerClocks = new Map<number, Map<number, number>>();
const TIMER_PROCESSES_MAX = 4096;

function timerCreated(ctx: EmuContext): WorldOutcome {
  const clk = int32(ctx.args[0]);
  const idPtr = ctx.args[2]!;
  return {
    atExit: (x) => {
      if (x.rval !== 0n) return;
      const b = readMem(x.tid, idPtr, 4);
      if (b === null || b.length < 4) return;
      let ids = timerClocks.get(x.pid);
      if (ids === undefined) {
        ids = new Map();
        timerClocks.set(x.pid, ids);
        if (timerClocks.size > TIMER_PROCESSES_MAX) timerClocks.delete(timerClocks.keys().next().value!);
      }
      ids.set(b.readInt32LE(0), clk);
    },
  };
}

/**
 * The clock of POSIX timer `id` of process `pid` from /proc/PID/timers (`ID:` ... `ClockID:`,
 * fs/proc/base.c), for a timer whose creation was not seen. That file needs
 * CONFIG_CHECKPOINT_RESTORE; without it the clock is unknown and the deadline is left as the
 * program wrote it.
 */
function posixTimerClock(pid: number, id: number): number | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/timers`, 'latin1');
  } catch {
    return undefined;
  }
  for (const block of text.split(/^(?=ID:)/m)) {
    const i = /^ID:\s*(-?\d+)/.exec(block);
    const c = /^ClockID:\s*(-?\d+)/m.exec(block);
    if (i && c && Number(i[1]) === id) return Number(c[1]);
  }
  return undefined;
}

/** struct __kernel_timex: `time` (a timeval, or a timespec with STA_NANO) at offset 72. */
const TIMEX_TIME = 72;
const TIMEX_SIZE = 208;
const STA_NANO = 0x2000;
const TIMEX_STATUS = 40;

/**
 * adjtimex and clock_adjtime on a realtime clock report the time in struct timex: shift it at
 * the exit. A call that sets the clock (needs CAP_SYS_TIME) sets the host's, as it would.
 */
function timex(ctx: EmuContext, clock: VirtualClock): WorldOutcome | undefined {
  const clk = ctx.name === 'adjtimex' ? CLOCK_REALTIME : int32(ctx.args[0]);
  if (!isRealtime(clk)) return undefined;
  const ptr = ctx.args[ctx.name === 'adjtimex' ? 0 : 1]!;
  return {
    atExit: (x) => {
      if (x.rval < 0n) return;
      const buf = readMem(x.tid, ptr, TIMEX_SIZE);
      if (buf === null || buf.length < TIMEX_SIZE) return;
      const unit = (buf.readInt32LE(TIMEX_STATUS) & STA_NANO) !== 0 ? 1n : 1000n;
      const host = buf.readBigInt64LE(TIMEX_TIME) * NS + buf.readBigInt64LE(TIMEX_TIME + 8) * unit;
      const [s, f] = split(host + virtualNs(clock, clk) - hostNs(clk), unit);
      writeMem(x.tid, ptr + BigInt(TIMEX_TIME), pair(s, f));
    },
  };
}

