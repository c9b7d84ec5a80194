// Emulation of the wall clock (umview's umtime): clock_gettime on the realtime clocks
// (CLOCK_REALTIME, _COARSE, _ALARM, CLOCK_TAI), gettimeofday and time answer the host's time
// shifted by an offset, or one frozen instant. Every other clock (MONOTONIC, BOOTTIME,
// PROCESS_CPUTIME_ID, ...) passes to the kernel unchanged, so timeouts and durations work.
//
// The vDSO answers these calls in user space without a syscall, so at every exec the runtime
// hides it: at the PTRACE_EVENT_EXEC stop it sets the AT_SYSINFO_EHDR entry of the new
// program's auxiliary vector to 0 (as VUOS does). glibc (`setup_vdso`: no vDSO when
// GLRO(dl_sysinfo_dso) is NULL), musl and Go then use real syscalls, which the prefilter
// sends to the supervisor.
//
// Absolute deadlines on a realtime clock are virtual times too, so they are translated to the
// host's clock before the kernel reads them: clock_nanosleep(TIMER_ABSTIME),
// timerfd_settime(TFD_TIMER_ABSTIME), timer_settime(TIMER_ABSTIME), futex waits with
// FUTEX_CLOCK_REALTIME (and FUTEX_LOCK_PI, whose timeout is always realtime), futex_waitv on
// CLOCK_REALTIME, mq_timedsend and mq_timedreceive (see `deadline`). adjtimex and
// clock_adjtime(CLOCK_REALTIME) show the virtual time in their struct timex. With an offset,
// file times can be shifted too (filetimes.ts).
//
// A frozen clock and absolute deadlines: a deadline is translated as if the clock ran from
// the frozen instant at the moment of the call, so "frozen now + 2 s" sleeps 2 s and a
// deadline at or before the frozen instant returns at once. (Never waking up would be the
// literal reading of a clock that does not advance, and no program could use it.)
//
// What it cannot do: SO_TIMESTAMP and SIOCGSTAMP, /proc/stat's btime, the RTC
// (/dev/rtc, /sys/class/rtc), file times under a frozen clock, and a program that finds the
// still-mapped vDSO itself (/proc/self/maps) or reads the TSC see real time. A frozen clock
// makes a realtime sleep loop that waits for the clock to advance spin forever.
//
// Security: virtual time is a convenience world, not a boundary: see above. The module only
// writes the program's own buffers (EFAULT as from the kernel), scratch memory below its stack
// (a translated copy of a deadline, see `scratchLayout`) and the auxv entry of a program that
// has not run a single instruction yet. A sibling thread that changes the scratch copy only
// changes its own process's deadline.
import { readFileSync } from 'node:fs';

import type { VirtualClock } from '../ir.js';
import {
  AT_NULL, AT_SYSINFO_EHDR, CLOCK_REALTIME, CLOCK_REALTIME_ALARM, CLOCK_REALTIME_COARSE, CLOCK_TAI, EFAULT, ENOSYS,
  FUTEX_CLOCK_REALTIME, FUTEX_CMD_MASK, FUTEX_LOCK_PI, TFD_TIMER_ABSTIME, TIMER_ABSTIME,
} from '../linux/consts.js';
import { clockGettime } from '../linux/libc.js';
import { readMem, writeMem } from '../linux/mem.js';
import { type EmuContext, type EmuOutcome, scratchLayout } from './context.js';

/** The calls this module answers (the front end names these in a time rule). */
export const TIME_SYSCALLS = ['clock_gettime', 'gettimeofday', 'time', 'adjtimex', 'clock_adjtime'] as const;

/** The calls whose absolute realtime deadline this module translates. */
export const DEADLINE_SYSCALLS = ['clock_nanosleep', 'timerfd_settime', 'timer_settime', 'futex', 'futex_waitv',
  'mq_timedsend', 'mq_timedreceive'] as const;

/** The clocks that show wall-clock time (the rest pass through). */
export const REALTIME_CLOCKS = [CLOCK_REALTIME, CLOCK_REALTIME_COARSE, CLOCK_REALTIME_ALARM, CLOCK_TAI] as const;

const NS = 1_000_000_000n;
const ts = new BigInt64Array(2);

export function hostNs(clk: number): bigint {
  if (clockGettime(clk, ts) !== 0) return hostNs(CLOCK_REALTIME);
  return ts[0]! * NS + ts[1]!;
}

/** The virtual value of a realtime-like clock, in nanoseconds since the epoch. */
export function virtualNs(clock: VirtualClock, clk: number = CLOCK_REALTIME): bigint {
  const host = hostNs(clk);
  if (clock.kind === 'offset') return host + clock.offsetNs;
  // Frozen: the instant, plus what separates this clock from CLOCK_REALTIME (TAI's leap seconds).
  return clock.epochNs + (clk === CLOCK_TAI ? host - hostNs(CLOCK_REALTIME) : 0n);
}

/** Floor division, so that instants before 1970 get a negative second and a positive fraction. */
function split(ns: bigint, unit: bigint): [bigint, bigint] {
  let s = ns / NS;
  let f = ns % NS;
  if (f < 0n) { s -= 1n; f += NS; }
  return [s, f / unit];
}

function pair(a: bigint, b: bigint): Buffer {
  const buf = Buffer.alloc(16);
  buf.writeBigInt64LE(a, 0);
  buf.writeBigInt64LE(b, 8);
  return buf;
}

export function emulateTime(ctx: EmuContext, clock: VirtualClock): EmuOutcome {
  const a = ctx.args;
  switch (ctx.name) {
    case 'clock_gettime': {
      const clk = Number(BigInt.asIntN(32, a[0]!));
      if (!(REALTIME_CLOCKS as readonly number[]).includes(clk)) return { pass: true };
      const [s, ns] = split(virtualNs(clock, clk), 1n);
      return { skip: writeMem(ctx.tid, a[1]!, pair(s, ns)) === 0 ? 0 : -EFAULT };
    }
    case 'gettimeofday': {
      const [s, us] = split(virtualNs(clock), 1000n);
      if (a[0] !== 0n && writeMem(ctx.tid, a[0]!, pair(s, us)) !== 0) return { skip: -EFAULT };
      // struct timezone: the kernel's sys_tz, which nearly every system leaves at 0 (UTC).
      if (a[1] !== 0n && writeMem(ctx.tid, a[1]!, Buffer.alloc(8)) !== 0) return { skip: -EFAULT };
      return { skip: 0 };
    }
    case 'time': {
      const [s] = split(virtualNs(clock), 1n);
      if (a[0] !== 0n) {
        const b = Buffer.alloc(8);
        b.writeBigInt64LE(s, 0);
        if (writeMem(ctx.tid, a[0]!, b) !== 0) return { skip: -EFAULT };
      }
      return { skip: Number(s) };
    }
    case 'adjtimex':
    case 'clock_adjtime':
      return timex(ctx, clock);
    default:
      return deadline(ctx, clock) ?? { skip: -ENOSYS };
  }
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
 * (see `scratchLayout`). The no-op exit handler is what makes the tracer give back the
 * program's own pointer when the kernel restarts the call after a signal (the signal frame
 * may have overwritten the scratch copy): the restarted call stops and is translated afresh.
 */
function deadline(ctx: EmuContext, clock: VirtualClock): EmuOutcome | undefined {
  const a = ctx.args;
  const pass: EmuOutcome = { pass: true };
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
      const clk = posixTimerClock(ctx.pid, int32(a[0]));
      return clk !== undefined && isRealtime(clk) ? translate(ctx, clock, clk, 2, 32, 16) : pass;
    }
    case 'futex': {
      // FUTEX_WAIT_BITSET, FUTEX_WAIT_REQUEUE_PI and FUTEX_LOCK_PI2 take an absolute time on
      // CLOCK_REALTIME with FUTEX_CLOCK_REALTIME; FUTEX_LOCK_PI always (kernel/futex/syscalls.c).
      // FUTEX_WAIT's timeout is relative; the others take none or CLOCK_MONOTONIC.
      const op = int32(a[1]);
      const cmd = op & FUTEX_CMD_MASK;
      if ((op & FUTEX_CLOCK_REALTIME) === 0 && cmd !== FUTEX_LOCK_PI) return pass;
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
function translate(ctx: EmuContext, clock: VirtualClock, clk: number, arg: number, size: number, at: number): EmuOutcome {
  const ptr = ctx.args[arg]!;
  const pass: EmuOutcome = { pass: true };
  if (ptr === 0n) return pass;
  const buf = readMem(ctx.tid, ptr, size);
  if (buf === null || buf.length < size) return pass;
  const sec = buf.readBigInt64LE(at);
  const nsec = buf.readBigInt64LE(at + 8);
  if (sec < 0n || nsec < 0n || nsec >= NS || sec > MAX_SEC || (size === 32 && sec === 0n && nsec === 0n)) return pass;
  let real = sec * NS + nsec - (virtualNs(clock, clk) - hostNs(clk));
  // Already past on the host: the earliest instant that is not 0 (an it_value of 0 disarms).
  if (real < 1n) real = 1n;
  if (real / NS > MAX_SEC) return pass;
  const copy = Buffer.from(buf);
  copy.writeBigInt64LE(real / NS, at);
  copy.writeBigInt64LE(real % NS, at + 8);
  const [where] = scratchLayout(ctx.sp, [copy]);
  if (writeMem(ctx.tid, where!, copy) !== 0) return { skip: -EFAULT };
  return { pass: true, rewrite: [{ arg, value: where! }], atExit: () => undefined };
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
 * The clock of POSIX timer `id` of process `pid`, from /proc/PID/timers (`ID:` ... `ClockID:`,
 * fs/proc/base.c). That file needs CONFIG_CHECKPOINT_RESTORE (Debian's and most distributions'
 * kernels have it); without it the clock is unknown and the deadline is left as the program
 * wrote it (tracking timer_create's clock per process would also need the ids the kernel
 * returns, inherited and dropped across fork and exec: /proc already keeps that table).
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
function timex(ctx: EmuContext, clock: VirtualClock): EmuOutcome {
  const clk = ctx.name === 'adjtimex' ? CLOCK_REALTIME : int32(ctx.args[0]);
  if (!isRealtime(clk)) return { pass: true };
  const ptr = ctx.args[ctx.name === 'adjtimex' ? 0 : 1]!;
  return {
    pass: true,
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

/**
 * Hide the vDSO from the program that `tid` has just exec'd (call at the PTRACE_EVENT_EXEC
 * stop, before it runs): walk its initial stack (argc, argv..., NULL, envp..., NULL, then the
 * auxv pairs up to AT_NULL) and zero the value of AT_SYSINFO_EHDR. Returns whether it did.
 */
export function hideVdso(tid: number, sp: bigint): boolean {
  const word = (at: bigint): bigint | null => {
    const b = readMem(tid, at, 8);
    return b === null || b.length < 8 ? null : b.readBigUInt64LE(0);
  };
  const argc = word(sp);
  if (argc === null || argc > 1n << 24n) return false;
  let at = sp + 8n + (argc + 1n) * 8n;
  // envp: up to its NULL (bounded: the kernel limits the argument area).
  for (let n = 0; ; n++) {
    const p = word(at);
    if (p === null || n > 1 << 20) return false;
    at += 8n;
    if (p === 0n) break;
  }
  for (let n = 0; n < 256; n++, at += 16n) {
    const type = word(at);
    if (type === null) return false;
    if (type === BigInt(AT_NULL)) return false;
    if (type === BigInt(AT_SYSINFO_EHDR)) return writeMem(tid, at + 8n, Buffer.alloc(8)) === 0;
  }
  return false;
}
