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
// The rest of the virtual clock is part of the policy's world, applied to every call a rule
// lets run (like a bind's results): absolute realtime deadlines and adjtimex (deadlines.ts),
// and, with an offset, file times (filetimes.ts).
//
// What it cannot do: SO_TIMESTAMP and SIOCGSTAMP, /proc/stat's btime, the RTC
// (/dev/rtc, /sys/class/rtc), file times under a frozen clock, and a program that finds the
// still-mapped vDSO itself (/proc/self/maps) or reads the TSC see real time. A frozen clock
// makes a realtime sleep loop that waits for the clock to advance spin forever.
//
// Security: virtual time is a convenience world, not a boundary: see above. The module only
// writes the program's own buffers (EFAULT as from the kernel) and the auxv entry of a
// program that has not run a single instruction yet.
import type { VirtualClock } from '../ir.js';
import {
  AT_NULL, AT_SYSINFO_EHDR, CLOCK_REALTIME, CLOCK_REALTIME_ALARM, CLOCK_REALTIME_COARSE, CLOCK_TAI, EFAULT, ENOSYS,
} from '../linux/consts.js';
import { clockGettime } from '../linux/libc.js';
import { readMem, writeMem } from '../linux/mem.js';
import type { EmuContext, EmuOutcome } from './context.js';

/** The calls this module answers (the front end names these in a time rule). */
export const TIME_SYSCALLS = ['clock_gettime', 'gettimeofday', 'time'] as const;

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
export function split(ns: bigint, unit: bigint): [bigint, bigint] {
  let s = ns / NS;
  let f = ns % NS;
  if (f < 0n) { s -= 1n; f += NS; }
  return [s, f / unit];
}

export function pair(a: bigint, b: bigint): Buffer {
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
    default:
      return { skip: -ENOSYS };
  }
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
