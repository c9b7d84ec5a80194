// File times under a virtual clock with an offset (`time: { offset: ..., files: true }`, the
// default for an offset): a file written now must look written now on the program's clock,
// or `make` warns of clock skew (and rebuilds or not by the wrong file), `find -newer` and
// `find -mmin` disagree with `date`, and `touch -d` then `stat` does not give back the date.
// So, whichever rule passed the call (this is part of the world, like a bind's results):
//   - stat, lstat, fstat, newfstatat, statx: at the exit, the atime, mtime and ctime in the
//     program's buffer (and statx's btime) are shifted forward by the offset;
//   - utimensat (futimens is utimensat with no path), utimes, futimesat, utime: explicit
//     times are shifted back by the offset before the kernel reads them (UTIME_NOW and
//     UTIME_OMIT are left alone, as is a NULL "now"), written to a copy below the stack.
// A frozen clock leaves file times real: there is no instant to map them to that keeps their
// order, and a build under a frozen clock needs their real order.
//
// What it cannot do: times the kernel reports elsewhere (getdents has none; inotify has none;
// /proc/PID/stat's start time is boot-relative and fine; SO_TIMESTAMP, /proc/stat's btime and
// the RTC are real), and the fstat answers of other emulation modules (a virtual file's
// answer is written by its module, not shifted here).
//
// Cost: every stat-family call stops at its exit (the runtime adds them to the world's
// seccomp filter), which is why `files: false` exists.
//
// Security: only the program's own stat buffer (after the kernel wrote it) and a scratch copy
// of its times below its stack are written; the kernel checks the path and the permission
// exactly as for the program's own call. A sibling thread that changes the copy changes only
// the times the program itself asked to set.
import {
  STATX_ATIME, STATX_BTIME, STATX_CTIME, STATX_MTIME, UTIME_NOW, UTIME_OMIT,
} from '../linux/consts.js';
import { readMem, writeMem } from '../linux/mem.js';
import type { ArgRewrite } from '../types.js';
import { type EmuContext, type ExitHandler, scratchLayout, type VmWorld } from './context.js';

/** The offset file times are shifted by in this world, or undefined. */
export function fileTimeOffset(world: VmWorld): bigint | undefined {
  const c = world.clock;
  return c?.kind === 'offset' && c.files === true && c.offsetNs !== 0n ? c.offsetNs : undefined;
}

/** The calls whose result holds file times (shifted forward at the exit). */
export const FILE_TIME_RESULT_CALLS = ['stat', 'lstat', 'fstat', 'newfstatat', 'statx'] as const;
/** The calls whose arguments hold file times (shifted back at the entry). */
export const FILE_TIME_ARG_CALLS = ['utimensat', 'utimes', 'futimesat', 'utime'] as const;

const NS = 1_000_000_000n;

/** struct stat (x86_64, arch/x86/include/uapi/asm/stat.h): st_atime, st_mtime, st_ctime, each {sec, nsec}. */
const STAT_SIZE = 144;
const STAT_TIMES = [72, 88, 104];
/** struct statx (include/uapi/linux/stat.h): stx_mask at 0, then statx_timestamp {i64 sec, u32 nsec} by mask bit. */
const STATX_SIZE = 256;
const STATX_TIMES: Array<[number, number]> = [[STATX_ATIME, 64], [STATX_BTIME, 80], [STATX_CTIME, 96], [STATX_MTIME, 112]];

/**
 * Below what another module may have written for the same call (a bind's rewritten paths,
 * at most two of PATH_MAX bytes under the red zone), so that both copies can live at once.
 */
const SCRATCH_GAP = 16384n;

/** sec + nsec (nsec of `unit` ns) shifted by `delta` ns, as [sec, fraction] with 0 <= fraction < 1e9/unit. */
function shift(sec: bigint, frac: bigint, unit: bigint, delta: bigint): [bigint, bigint] {
  const ns = sec * NS + frac * unit + delta;
  let s = ns / NS;
  let f = ns % NS;
  if (f < 0n) { s -= 1n; f += NS; }
  return [s, f / unit];
}

/** The exit half: shift the times of a stat buffer the kernel filled. */
function statExit(ptr: bigint, statx: boolean, offset: bigint): ExitHandler {
  return (x) => {
    if (x.rval !== 0n || ptr === 0n) return;
    const buf = readMem(x.tid, ptr, statx ? STATX_SIZE : STAT_SIZE);
    if (buf === null || buf.length < (statx ? STATX_SIZE : STAT_SIZE)) return;
    if (statx) {
      const mask = buf.readUInt32LE(0);
      for (const [bit, at] of STATX_TIMES) {
        if ((mask & bit) === 0) continue;
        const [s, f] = shift(buf.readBigInt64LE(at), BigInt(buf.readUInt32LE(at + 8)), 1n, offset);
        buf.writeBigInt64LE(s, at);
        buf.writeUInt32LE(Number(f), at + 8);
      }
    } else {
      for (const at of STAT_TIMES) {
        const [s, f] = shift(buf.readBigInt64LE(at), buf.readBigInt64LE(at + 8), 1n, offset);
        buf.writeBigInt64LE(s, at);
        buf.writeBigInt64LE(f, at + 8);
      }
    }
    writeMem(x.tid, ptr, buf);
  };
}

/**
 * The times argument, shifted back: `pairs` entries of {sec, frac} (frac in `unit` ns; unit 0:
 * utime's bare seconds). undefined: nothing to change (NULL, unreadable, all special).
 */
function shiftedTimes(tid: number, ptr: bigint, unit: bigint, offset: bigint): Buffer | undefined {
  if (ptr === 0n) return undefined;
  const size = unit === 0n ? 16 : 32;
  const buf = readMem(tid, ptr, size);
  if (buf === null || buf.length < size) return undefined;
  const out = Buffer.from(buf);
  let changed = false;
  if (unit === 0n) {
    // struct utimbuf { time_t actime, modtime; }
    for (const at of [0, 8]) out.writeBigInt64LE(buf.readBigInt64LE(at) - offset / NS, at);
    return out;
  }
  for (const at of [0, 16]) {
    const sec = buf.readBigInt64LE(at);
    const frac = buf.readBigInt64LE(at + 8);
    // UTIME_NOW / UTIME_OMIT (utimensat), or an invalid fraction (the kernel's EINVAL): as written.
    if (frac === BigInt(UTIME_NOW) || frac === BigInt(UTIME_OMIT) || frac < 0n || frac >= NS / unit) continue;
    const [s, f] = shift(sec, frac, unit, -offset);
    out.writeBigInt64LE(s, at);
    out.writeBigInt64LE(f, at + 8);
    changed = true;
  }
  return changed ? out : undefined;
}

/**
 * What the world does to a stat-family or utime-family call: an exit handler (always, so that
 * a restarted call gets its own arguments back) and argument rewrites. undefined: nothing.
 */
export function fileTimes(ctx: EmuContext): { atExit: ExitHandler; rewrite?: ArgRewrite[] } | undefined {
  const offset = fileTimeOffset(ctx.world);
  if (offset === undefined) return undefined;
  const a = ctx.args;
  switch (ctx.name) {
    case 'stat': case 'lstat': case 'fstat': return { atExit: statExit(a[1]!, false, offset) };
    case 'newfstatat': return { atExit: statExit(a[2]!, false, offset) };
    case 'statx': return { atExit: statExit(a[4]!, true, offset) };
    default:
  }
  let arg: number;
  let unit: bigint;
  switch (ctx.name) {
    case 'utimensat': [arg, unit] = [2, 1n]; break;
    case 'futimesat': [arg, unit] = [2, 1000n]; break;
    case 'utimes': [arg, unit] = [1, 1000n]; break;
    case 'utime': [arg, unit] = [1, 0n]; break;
    default: return undefined;
  }
  const times = shiftedTimes(ctx.tid, a[arg]!, unit, offset);
  if (times === undefined) return undefined;
  const [where] = scratchLayout(ctx.sp - SCRATCH_GAP, [times]);
  // A stack too shallow for the copy (never seen): the times stay as the program wrote them.
  if (writeMem(ctx.tid, where!, times) !== 0) return undefined;
  return { atExit: () => undefined, rewrite: [{ arg, value: where! }] };
}
