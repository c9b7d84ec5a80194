// Emulation of bind mounts (the way PRoot binds, umview's umfuse "mount"): a path under
// `from` is rewritten to the same rest under `to` before the call runs, for every path call
// (open, stat, chdir, mkdir, unlink, rename, execve, ...); the results that show paths are
// mapped back, so that the program sees `from`: getcwd, and readlink of the /proc magic links
// (/proc/PID/cwd, /proc/PID/fd/N, /proc/PID/exe, /proc/PID/root) at their exit.
//
// Paths are resolved in the virtual tree (vpath.ts, through VmDeref in fds.ts): `..` above
// `from` goes to the virtual parent, an absolute symlink text inside `to` names a virtual
// path, a relative one that climbs above the top climbs in the virtual tree, a cwd or dirfd
// inside `to` is its virtual directory. Whatever rule passes a path call, the kernel is
// made to act on the object the virtual path names (`worldPass` in index.ts).
//
// What it cannot do: a symlink created with a target under `from` keeps that text (resolved
// through the bind by the program's calls, not by other host programs); /proc/PID/maps,
// /proc/PID/mountinfo and AF_UNIX socket names show the real paths; a `from` absent on the
// host is not listed in its parent directory; openat2's RESOLVE_IN_ROOT with a path that
// crosses a bind is judged on the virtual path but not remapped for the kernel (it fails or
// resolves on the host, inside its dirfd); the policy's other rules are not consulted for a remapped
// call (first matching rule wins: the bind rule decided it).
//
// Security: the new path is written below the caller's stack (see `scratchLayout`). For an
// open, the exit checks that the fd is the file the rewritten path resolves to, else the
// process is killed (a sibling thread swapped the string). For the other calls a racing
// sibling thread could make the call act on a path of its choosing: as for every pass decided
// on a path, that is advisory until the argument lives in memory no tracee thread can write.
import { statSync } from 'node:fs';

import { EFAULT, ERANGE, EXDEV, O_CREAT, O_EXCL, O_NOFOLLOW } from '../linux/consts.js';
import { readlinkText, realpathText } from '../linux/fsx.js';
import { cString, decodePath, encodePath } from '../linux/pathtext.js';
import { readMem, writeMem } from '../linux/mem.js';
import type { ArgRewrite } from '../types.js';
import { PATH_ARGS, resolveAbsolute } from '../tracer/paths.js';
import { VmDeref } from './fds.js';
import type { FileStore } from './files.js';
import { type EmuContext, type EmuOutcome, type ExitHandler, scratchLayout } from './context.js';

export interface Bind { from: string; to: string }

/** `p` is `dir` or below it. */
export const under = (dir: string, p: string): boolean =>
  p === dir || p.startsWith(dir === '/' ? '/' : `${dir}/`);

const join = (dir: string, rest: string): string => (rest === '' ? dir : dir === '/' ? rest : `${dir}${rest}`);

/** The bind target as the kernel prints it (canonical), or the text as given if absent. */
function canonical(p: string): string {
  return realpathText(p) ?? p;
}

/** Virtual -> real: the longest `from` that contains `p`. */
export function toReal(binds: readonly Bind[], p: string): string | undefined {
  let best: Bind | undefined;
  for (const b of binds) if (under(b.from, p) && (best === undefined || b.from.length > best.from.length)) best = b;
  return best === undefined ? undefined : join(canonical(best.to), p.slice(best.from.length));
}

/** The bind (its `from`) a virtual path lies under, or '' for none. */
function bindOf(binds: readonly Bind[], p: string): string {
  let best = '';
  for (const b of binds) if (under(b.from, p) && b.from.length > best.length) best = b.from;
  return best;
}

/** The two-path calls that cannot cross a mount: rename and link. */
const CROSS_CALLS = new Set(['rename', 'renameat', 'renameat2', 'link', 'linkat']);

/**
 * A rename or link between a bind and elsewhere (or two binds) fails with EXDEV, as across
 * two real mounts: else the call, remapped for one path, would move a file in or out of the
 * bind target on the host. Returns the errno, or undefined.
 */
export function crossBind(ctx: EmuContext): number | undefined {
  if (ctx.world.binds.length === 0 || !CROSS_CALLS.has(ctx.name)) return undefined;
  const specs = PATH_ARGS[ctx.name] ?? [];
  const paths = specs.map((s) => ctx.deref.path(s.arg));
  if (paths.length !== 2 || paths.some((p) => p === undefined)) return undefined;
  return bindOf(ctx.world.binds, paths[0]!) === bindOf(ctx.world.binds, paths[1]!) ? undefined : EXDEV;
}

/** Real -> virtual: the longest (canonical) `to` that contains `p`. */
export function toVirtual(binds: readonly Bind[], p: string): string | undefined {
  let best: { from: string; to: string } | undefined;
  for (const b of binds) {
    const to = canonical(b.to);
    if (under(to, p) && (best === undefined || to.length > best.to.length)) best = { from: b.from, to };
  }
  return best === undefined ? undefined : join(best.from, p.slice(best.to.length));
}

const MAGIC_LINK = /^\/proc\/\d+(?:\/task\/\d+)?\/(?:cwd|exe|root|fd\/\d+)$/;

/** readlink of a /proc magic link: at the exit, show the virtual path. */
function readlinkExit(binds: readonly Bind[], link: string, buf: bigint, size: bigint, files?: FileStore): ExitHandler {
  return (x) => {
    if (x.rval < 0n) return;
    const real = readlinkText(link);
    if (real === undefined) return;
    // A virtual file's fd names the supervisor's private copy: show the virtual path.
    let v = toVirtual(binds, real);
    if (v === undefined && files !== undefined) {
      const st = statSync(link, { throwIfNoEntry: false });
      v = st === undefined ? undefined : files.virtualPathOf(st.dev, st.ino);
    }
    if (v === undefined) return;
    const bytes = encodePath(v).subarray(0, Number(size & 0x7fffffffn));
    if (writeMem(x.tid, buf, bytes) === 0) x.setReturn(BigInt(bytes.length));
  };
}

/** getcwd returns the length with the NUL; a virtual cwd too long for the buffer is ERANGE. */
function getcwdExit(binds: readonly Bind[], buf: bigint, size: bigint): ExitHandler {
  return (x) => {
    if (x.rval <= 0n) return;
    const raw = readMem(x.tid, buf, Number(x.rval));
    if (raw === null) return;
    const v = toVirtual(binds, decodePath(raw, 0, raw.indexOf(0) < 0 ? raw.length : raw.indexOf(0)));
    if (v === undefined) return;
    const bytes = cString(v);
    if (BigInt(bytes.length) > size) return x.setReturn(BigInt(-ERANGE));
    if (writeMem(x.tid, buf, bytes) === 0) x.setReturn(BigInt(bytes.length));
  };
}

/** At the exit of an open through a rewritten path: the fd must be what that path names. */
export function verifyBoundOpen(real: string, follow: boolean): ExitHandler {
  return (x) => {
    if (x.rval < 0n) return;
    // The caller's fd table (a thread can have one of its own: /proc/TID, not /proc/PID).
    const got = readlinkText(`/proc/${x.tid}/fd/${x.rval}`);
    const want = resolveAbsolute(real, follow);
    // A /proc fd link to a pipe or socket opens that object (the kernel names it
    // `pipe:[N]`); the resolution is the link's own name, which must name that same object.
    const object = got !== undefined && !got.startsWith('/') && readlinkText(want) === got;
    if (got !== want && !object) x.killProcess('sysvm:bind-tamper');
  };
}

export function openFollows(ctx: EmuContext): boolean | undefined {
  let flags: number;
  if (ctx.name === 'open' || ctx.name === 'openat') flags = Number(ctx.args[ctx.name === 'open' ? 1 : 2]! & 0xffffffffn);
  else if (ctx.name === 'openat2') {
    const how = readMem(ctx.tid, ctx.args[2]!, 8);
    if (how === null || how.length < 8) return true;
    flags = Number(how.readBigUInt64LE(0) & 0xffffffffn);
  } else return undefined;
  return (flags & O_NOFOLLOW) === 0 && (flags & (O_CREAT | O_EXCL)) !== (O_CREAT | O_EXCL);
}

export function emulateBind(ctx: EmuContext, bind: Bind): EmuOutcome {
  const binds = ctx.world.binds.length > 0 ? ctx.world.binds : [bind];
  const a = ctx.args;
  if (ctx.name === 'getcwd') return { pass: true, atExit: getcwdExit(binds, a[0]!, a[1]!) };

  // Every path argument whose virtual path lies under a bind's `from`, or that the kernel
  // would resolve to another object than the virtual path (`..` above the bind's top from
  // inside it, see vpath.ts), is rewritten to that object's absolute host path.
  const rewrites: Array<{ arg: number; real: string }> = [];
  let magic: string | undefined;
  for (const spec of PATH_ARGS[ctx.name] ?? []) {
    if (spec.follow === 'raw') continue;
    const v = ctx.deref.path(spec.arg);
    if (v === undefined) continue;
    const real = toReal(binds, v) ?? (ctx.deref instanceof VmDeref ? ctx.deref.hostRewrite(spec.arg) : undefined);
    if (real !== undefined) rewrites.push({ arg: spec.arg, real });
    else if (MAGIC_LINK.test(v)) magic = v;
  }
  let atExit: ExitHandler | undefined;
  if (magic !== undefined && ctx.name === 'readlink') atExit = readlinkExit(binds, magic, a[1]!, a[2]!, ctx.files);
  if (magic !== undefined && ctx.name === 'readlinkat') atExit = readlinkExit(binds, magic, a[2]!, a[3]!, ctx.files);
  if (rewrites.length === 0) return atExit === undefined ? { pass: true } : { pass: true, atExit };

  const rewrite = writeRewrites(ctx, rewrites);
  if (rewrite === null) return { skip: -EFAULT };
  const follow = openFollows(ctx);
  if (follow !== undefined) atExit = verifyBoundOpen(rewrites[0]!.real, follow);
  return atExit === undefined ? { pass: true, rewrite } : { pass: true, rewrite, atExit };
}

/** Write the host paths below the caller's stack; the argument rewrites, or null if unwritable. */
export function writeRewrites(ctx: EmuContext, reals: ReadonlyArray<{ arg: number; real: string }>): ArgRewrite[] | null {
  const at = scratchLayout(ctx.sp, reals.map((r) => cString(r.real)));
  const rewrite: ArgRewrite[] = [];
  for (let i = 0; i < reals.length; i++) {
    if (writeMem(ctx.tid, at[i]!, cString(reals[i]!.real)) !== 0) return null;
    rewrite.push({ arg: reals[i]!.arg, value: at[i]! });
  }
  return rewrite;
}

/**
 * The calls whose results show paths (the world's view of them, whatever rule decided the
 * call): with binds, the runtime sends them to the supervisor itself (`worldFilter` in
 * emulate/index.ts) and maps their results back, even under a policy that only allows them.
 */
export const PATH_RESULT_CALLS = ['getcwd', 'readlink', 'readlinkat'] as const;

/** The result mapping of a path-result call the policy passed (allow, trace), or undefined. */
export function bindResults(ctx: EmuContext): ExitHandler | undefined {
  if (!(PATH_RESULT_CALLS as readonly string[]).includes(ctx.name)) return undefined;
  if (ctx.world.binds.length === 0) {
    // No binds, virtual files: only readlink of a /proc fd link needs the virtual path.
    if (ctx.world.files !== true || ctx.name === 'getcwd') return undefined;
    const link = ctx.deref.path(ctx.name === 'readlink' ? 0 : 1);
    if (link === undefined || !MAGIC_LINK.test(link)) return undefined;
    const a = ctx.args;
    return ctx.name === 'readlink' ? readlinkExit([], link, a[1]!, a[2]!, ctx.files) : readlinkExit([], link, a[2]!, a[3]!, ctx.files);
  }
  const out = emulateBind({ ...ctx, deref: ctx.deref }, ctx.world.binds[0]!);
  // Only the exit part: a pass decided by another rule keeps its own arguments.
  return 'pass' in out && out.rewrite === undefined ? out.atExit : undefined;
}
