// What the supervisor knows of a file descriptor, for the policy's fd conditions
// (`fd: { virtual: true }`, `fd: { under: /dev }`): whether it came from a virtual open, and
// the path it was opened with (the virtual path for a virtual or bound file).
//
// How: no table of fds is kept. The kernel already tracks every fd across dup, dup2, dup3,
// fcntl(F_DUPFD*), close, close_range, O_CLOEXEC at exec, fork, clone (shared or copied
// tables), SCM_RIGHTS and pidfd_getfd; /proc/PID/fd/N names the open file, and its device
// and inode say whether it is one of the run's prepared virtual files. So fd tracking costs
// no stop at all (a table would need the exit of every open, dup and close), cannot drift
// from the truth, and is read lazily, only when a rule asks.
//
// What it cannot do: "the path an fd was opened with" is the path the kernel keeps for the
// open file (symlinks resolved; a renamed file shows its new name; a deleted one ends in
// " (deleted)"); objects outside the filesystem are named as the kernel names them
// (`pipe:[123]`, `socket:[45]`), which no `under`/`equals` condition matches. An fd of a bound
// file is not virtual (the file is real); its path is shown under the bind's `from`.
//
// Security: like a path, an fd is judged at the stop; a sibling thread can dup2 another file
// onto that number before the call runs. An fd rule is as advisory as a path rule against a
// racing sibling thread. An fd the process does not have is `{ virtual: false }` (the call
// fails with EBADF whatever the verdict).
import { statSync } from 'node:fs';

import type { FdInfo } from '../ir.js';
import { ENOENT, O_CREAT, O_EXCL, O_NOFOLLOW } from '../linux/consts.js';
import { readlinkOrErrno } from '../linux/fsx.js';
import { decodePath } from '../linux/pathtext.js';
import { readCString, readMem } from '../linux/mem.js';
import { dirfdOf, dirPath, PATH_ARGS, PathDeref } from '../tracer/paths.js';
import { toVirtual } from './bind.js';
import { hostPathFor, RESOLVE_IN_ROOT, virtualDir, walkVirtual } from './vpath.js';
import type { VmWorld } from './context.js';
import type { FileStore } from './files.js';

export function fdInfo(tid: number, fd: number, world: VmWorld, files: FileStore): FdInfo | undefined {
  if (!Number.isInteger(fd) || fd < 0) return { virtual: false };
  const link = `/proc/${tid}/fd/${fd}`;
  const target = readlinkOrErrno(link);
  if (typeof target !== 'string') return target === ENOENT ? { virtual: false } : undefined;
  try {
    const st = statSync(link);
    const v = files.virtualPathOf(st.dev, st.ino);
    if (v !== undefined) return { virtual: true, path: v };
  } catch {
    // a dangling or special object: not a prepared file
  }
  if (!target.startsWith('/')) return { virtual: false, path: target };
  return { virtual: false, path: toVirtual(world.binds, target) ?? target };
}

type PathSpec = NonNullable<(typeof PATH_ARGS)[string]>[number];

/** Does the call follow a final symlink (the `follow` of a PATH_ARGS entry, see tracer/paths.ts)? */
function follows(f: PathSpec['follow'], args: readonly bigint[], how: Buffer | null): boolean {
  if (f === 'yes') return true;
  if (f === 'no' || f === 'raw') return false;
  const openFollows = (flags: number): boolean => (flags & O_NOFOLLOW) === 0 && (flags & (O_CREAT | O_EXCL)) !== (O_CREAT | O_EXCL);
  if ('openFlags' in f) return openFollows(Number(args[f.openFlags]! & 0xffffffffn));
  if ('openHow' in f) return how === null ? true : openFollows(Number(how.readBigUInt64LE(0) & 0xffffffffn));
  const v = Number(args['unless' in f ? f.unless : f.onlyIf]! & 0xffffffffn);
  return 'unless' in f ? (v & f.mask) === 0 : (v & f.mask) !== 0;
}

/**
 * The tracer's dereferencer: paths as the program means them, fds as `fdInfo` knows them.
 *
 * Paths: without binds, as the host kernel resolves them (PathDeref). With binds, in the
 * virtual namespace (emulate/vpath.ts): `..` above a bind's `from`, absolute symlink texts
 * inside a bind target and the /proc magic links all resolve as the program sees the tree,
 * and `hostRewrite` says when the kernel must be given another (absolute, host) path to act
 * on that same object. openat2 with RESOLVE_IN_ROOT resolves from its dirfd as the root,
 * like the kernel (else `/x` would be judged as the host's /x while the kernel opens
 * DIRFD/x: a hidden path reached under another name).
 */
export class VmDeref extends PathDeref {
  /** The arguments whose virtual resolution went through a bind (from a bind target, or `from`), as bits. */
  private viaBind = 0;
  private how: Buffer | null | undefined;

  constructor(private readonly vmPid: number, private readonly vmName: string, private readonly vmTid: number,
    private readonly vmArgs: readonly bigint[], private readonly world: VmWorld, private readonly files: FileStore,
    private readonly vmRoot: () => string = () => '/') {
    super(vmPid, vmTid, vmName, vmArgs, vmRoot);
  }

  fd(arg: number): FdInfo | undefined {
    const raw = this.vmArgs[arg];
    if (raw === undefined) return undefined;
    // Security: the caller's own fd table, /proc/TID/fd (not the process's, /proc/PID/fd: a
    // thread made without CLONE_FILES or after unshare(CLONE_FILES) has a table of its own,
    // and its fd N was judged by what N is in the main thread's).
    return fdInfo(this.vmTid, Number(BigInt.asIntN(32, raw)), this.world, this.files);
  }

  /** In the virtual namespace when it applies, else as the host resolves it (PathDeref's path() caches either). */
  protected override resolve(arg: number): string | undefined {
    const v = this.virtualPath(arg);
    return v === null ? super.resolve(arg) : v;
  }

  /**
   * The absolute host path to give the kernel instead of argument `arg`, when the kernel's
   * own resolution of the argument (from its real cwd or dirfd, symlink texts read on the
   * host) would act on another object than the virtual path the policy judged: when the
   * virtual walk went through a bind. undefined otherwise (or when nothing is known).
   */
  hostRewrite(arg: number): string | undefined {
    if (this.world.binds.length === 0 || this.inRoot()) return undefined;
    const v = this.path(arg);
    if (v === undefined || !v.startsWith('/')) return undefined;
    const host = hostPathFor(this.world.binds, v);
    // Through a bind the kernel's own walk differs (it would look up `/data` on the host,
    // or take `..` from the target to its host parent), so such a path is given as `host`.
    // A walk that touched no bind is the kernel's own walk: the argument stays as it is
    // (also /proc/self/fd/N of a pipe, which names an object, not a path).
    return (this.viaBind & (1 << arg)) !== 0 ? host : undefined;
  }

  /** A virtual path is looked up at the host path its binds stand for (a chroot's paths are host paths). */
  protected override hostOf(p: string): string {
    return this.world.binds.length === 0 || this.vmRoot() !== '/' ? p : hostPathFor(this.world.binds, p);
  }

  /** openat2 with RESOLVE_IN_ROOT (struct open_how: flags, mode, resolve). */
  private inRoot(): boolean {
    if (this.vmName !== 'openat2') return false;
    const how = this.openHow();
    return how !== null && how.length >= 24 && (how.readBigUInt64LE(16) & BigInt(RESOLVE_IN_ROOT)) !== 0n;
  }

  private openHow(): Buffer | null {
    if (this.how === undefined) {
      const how = readMem(this.vmTid, this.vmArgs[2]!, 24);
      this.how = how !== null && how.length >= 24 ? how : null;
    }
    return this.how;
  }

  /** The virtual resolution of argument `arg`; null: resolve as the host kernel does. */
  private virtualPath(arg: number): string | undefined | null {
    const inRoot = this.inRoot();
    if (this.world.binds.length === 0 && !inRoot) return null;
    // Chrooted: the host resolution, from its root (binds are not applied there). Security:
    // but RESOLVE_IN_ROOT still takes its dirfd for the root, whatever the process's root
    // (judged from the chroot, openat2(DIRFD, "/secret", RESOLVE_IN_ROOT) was ROOT/secret
    // while the kernel opened DIRFD/secret).
    const chrooted = this.vmRoot() !== '/';
    if (chrooted && !inRoot) return null;
    const spec = PATH_ARGS[this.vmName]?.find((a) => a.arg === arg);
    if (spec === undefined || spec.follow === 'raw') return null;
    const ptr = this.vmArgs[arg]!;
    if (ptr === 0n) return null;
    const raw = readCString(this.vmTid, ptr);
    if (raw === null) return undefined;
    const text = decodePath(raw);
    if (text === '') return null; // AT_EMPTY_PATH and friends: the fd itself
    const follow = follows(spec.follow, this.vmArgs, this.vmName === 'openat2' ? this.openHow() : null);
    const binds = chrooted ? [] : this.world.binds;
    const seen = { bind: false };
    const done = (v: string): string => {
      if (seen.bind) this.viaBind |= 1 << arg;
      return v;
    };
    if (text.startsWith('/') && !inRoot) return done(walkVirtual(binds, '/', text, follow, this.vmPid, this.vmTid, '/', seen));
    const base = dirPath(this.vmTid, dirfdOf(this.vmArgs, spec.dirfd));
    if (base === undefined) return undefined;
    const dir = virtualDir(binds, base);
    if (dir !== base) seen.bind = true; // relative to a directory inside a bind target
    return done(walkVirtual(binds, dir, text, follow, this.vmPid, this.vmTid, inRoot ? dir : '/', seen));
  }
}
