// Decoding path arguments the way the call itself will resolve them.
//
// A path is read from the tracee (split at page boundaries), made absolute against the
// dirfd (/proc/TID/fd/N) or the thread's cwd (/proc/TID/cwd), and resolved like the kernel:
// `..` after a symlink goes up from the symlink's target, every symlink but the last is
// followed, and the last one only if the call follows it (not for lstat-like calls,
// AT_SYMLINK_NOFOLLOW, O_NOFOLLOW, O_CREAT|O_EXCL). A final component that does not exist
// yet (O_CREAT, mkdir) is appended to its resolved parent.
//
// Security: a path read at syscall entry can be changed by another thread of the tracee
// before the kernel reads it (TOCTOU). A pass decided on it is advisory unless the argument
// is rewritten to memory the tracee cannot change or the call is emulated.
import { posix } from 'node:path';

import {
  AT_EMPTY_PATH, AT_FDCWD, AT_SYMLINK_FOLLOW, AT_SYMLINK_NOFOLLOW, EACCES, EINVAL, ENOENT, ENOTDIR, FAN_MARK_DONT_FOLLOW,
  FSPICK_SYMLINK_NOFOLLOW, IN_DONT_FOLLOW, O_CREAT, O_EXCL, O_NOFOLLOW, PROC_ROOT_INO, PROC_SUPER_MAGIC, UMOUNT_NOFOLLOW,
} from '../linux/consts.js';
import { fsTypeOrErrno, inodeOrErrno, lstatPath, procFdText, readlinkOrErrno, realpathText, searchDenied } from '../linux/fsx.js';
import { readCStringText, readMem } from '../linux/mem.js';
import type { SockAddr } from '@sysvm/policy/evaluate';
import { policySockaddrs, type Sockaddr, sockaddrOfCall } from './sockaddr.js';

/** How the kernel treats the final component of one path argument. */
type Follow =
  | 'yes' | 'no'
  /** Not resolved at all: a symlink's target text. */
  | 'raw'
  /** open(2) flags in argument `arg`. */
  | { openFlags: number }
  /** openat2(2): `struct open_how *` in argument `arg` (u64 flags first). */
  | { openHow: number }
  /** Follows unless flag `mask` is set in argument `arg`. */
  | { unless: number; mask: number }
  /** Follows only if flag `mask` is set in argument `arg`. */
  | { onlyIf: number; mask: number };

interface PathArg { arg: number; dirfd?: number; follow: Follow; emptyPath?: number }

const nofollowAt = (arg: number): Follow => ({ unless: arg, mask: AT_SYMLINK_NOFOLLOW });
const p = (arg: number, follow: Follow, dirfd?: number, emptyPath?: number): PathArg =>
  ({ arg, follow, ...(dirfd !== undefined ? { dirfd } : {}), ...(emptyPath !== undefined ? { emptyPath } : {}) });

/**
 * The path arguments of the x86_64 calls, with how each resolves its final component.
 * Semantics from the man pages and fs/namei.c. The tests check that every `kind: 'path'`
 * argument of the syscall catalogue is here; a few more are (mount, umount2, utime, utimes,
 * name_to_handle_at, acct: the catalogue types them as plain pointers or strings).
 */
export const PATH_ARGS: Record<string, PathArg[]> = {
  open: [p(0, { openFlags: 1 })],
  creat: [p(0, 'yes')],
  openat: [p(1, { openFlags: 2 }, 0)],
  openat2: [p(1, { openHow: 2 }, 0)],
  stat: [p(0, 'yes')], lstat: [p(0, 'no')],
  newfstatat: [p(1, nofollowAt(3), 0, 3)],
  statx: [p(1, nofollowAt(2), 0, 2)],
  access: [p(0, 'yes')], faccessat: [p(1, 'yes', 0)], faccessat2: [p(1, nofollowAt(3), 0, 3)],
  chdir: [p(0, 'yes')], chroot: [p(0, 'yes')],
  chmod: [p(0, 'yes')], fchmodat: [p(1, 'yes', 0)], fchmodat2: [p(1, nofollowAt(3), 0, 3)],
  chown: [p(0, 'yes')], lchown: [p(0, 'no')], fchownat: [p(1, nofollowAt(4), 0, 4)],
  truncate: [p(0, 'yes')], statfs: [p(0, 'yes')],
  utime: [p(0, 'yes')], utimes: [p(0, 'yes')], futimesat: [p(1, 'yes', 0)],
  utimensat: [p(1, nofollowAt(3), 0)],
  readlink: [p(0, 'no')], readlinkat: [p(1, 'no', 0)],
  unlink: [p(0, 'no')], unlinkat: [p(1, 'no', 0)], rmdir: [p(0, 'no')],
  mkdir: [p(0, 'no')], mkdirat: [p(1, 'no', 0)], mknod: [p(0, 'no')], mknodat: [p(1, 'no', 0)],
  rename: [p(0, 'no'), p(1, 'no')], renameat: [p(1, 'no', 0), p(3, 'no', 2)], renameat2: [p(1, 'no', 0), p(3, 'no', 2)],
  link: [p(0, 'no'), p(1, 'no')],
  linkat: [p(1, { onlyIf: 4, mask: AT_SYMLINK_FOLLOW }, 0, 4), p(3, 'no', 2)],
  symlink: [p(0, 'raw'), p(1, 'no')], symlinkat: [p(0, 'raw'), p(2, 'no', 1)],
  execve: [p(0, 'yes')], execveat: [p(1, nofollowAt(4), 0, 4)],
  getxattr: [p(0, 'yes')], setxattr: [p(0, 'yes')], listxattr: [p(0, 'yes')], removexattr: [p(0, 'yes')],
  lgetxattr: [p(0, 'no')], lsetxattr: [p(0, 'no')], llistxattr: [p(0, 'no')], lremovexattr: [p(0, 'no')],
  name_to_handle_at: [p(1, { onlyIf: 4, mask: AT_SYMLINK_FOLLOW }, 0, 4)],
  open_tree: [p(1, nofollowAt(2), 0, 2)], mount_setattr: [p(1, nofollowAt(2), 0, 2)],
  fanotify_mark: [p(4, { unless: 1, mask: FAN_MARK_DONT_FOLLOW }, 3)],
  fspick: [p(1, { unless: 2, mask: FSPICK_SYMLINK_NOFOLLOW }, 0)],
  inotify_add_watch: [p(1, { unless: 2, mask: IN_DONT_FOLLOW })],
  mount: [p(1, 'yes')], umount2: [p(0, { unless: 1, mask: UMOUNT_NOFOLLOW })],
  pivot_root: [p(0, 'yes'), p(1, 'yes')], swapon: [p(0, 'yes')], swapoff: [p(0, 'yes')], acct: [p(0, 'yes')],
  uselib: [p(0, 'yes')],
};

/** PATH_ARGS by name, each call's specs by argument index (the per-stop lookup). */
const SPECS = new Map<string, (PathArg | undefined)[]>(Object.entries(PATH_ARGS).map(([name, specs]) => {
  const byArg: (PathArg | undefined)[] = [];
  for (const a of specs) byArg[a.arg] = a;
  return [name, byArg];
}));

/** The indices of the path arguments of a call (empty for none). */
export function pathArgIndices(name: string): number[] {
  return (PATH_ARGS[name] ?? []).map((a) => a.arg);
}

function follows(f: Follow, pid: number, args: readonly bigint[]): boolean {
  if (f === 'yes') return true;
  if (f === 'no' || f === 'raw') return false;
  if ('openFlags' in f) {
    const flags = Number(args[f.openFlags]! & 0xffffffffn);
    return (flags & O_NOFOLLOW) === 0 && (flags & (O_CREAT | O_EXCL)) !== (O_CREAT | O_EXCL);
  }
  if ('openHow' in f) {
    const how = readMem(pid, args[f.openHow]!, 8);
    if (how === null || how.length < 8) return true;
    const flags = Number(how.readBigUInt64LE(0) & 0xffffffffn);
    return (flags & O_NOFOLLOW) === 0 && (flags & (O_CREAT | O_EXCL)) !== (O_CREAT | O_EXCL);
  }
  const v = Number(args[('unless' in f ? f.unless : f.onlyIf)]! & 0xffffffffn);
  return 'unless' in f ? (v & f.mask) === 0 : (v & f.mask) !== 0;
}

/** The fd a call's `dirfd` argument names (AT_FDCWD when the call has none). */
export function dirfdOf(args: readonly bigint[], dirfd: number | undefined): number {
  return dirfd === undefined ? AT_FDCWD : Number(BigInt.asIntN(32, args[dirfd]!));
}

/**
 * The absolute directory a relative path starts from, for fd `fd` of thread `tid`
 * (AT_FDCWD: its cwd), read afresh (see fdObject), or undefined.
 */
export function dirPath(tid: number, fd: number): string | undefined {
  const link = fdObject(tid, fd);
  // The kernel prints a removed directory as "PATH (deleted)": no base to resolve from.
  return link !== undefined && link.startsWith('/') && !link.endsWith(' (deleted)') ? link : undefined;
}

/**
 * What an fd (or the cwd, for AT_FDCWD) refers to: an absolute path, or for an object
 * outside the filesystem its kernel name such as `pipe:[123]` or `anon_inode:[eventfd]`
 * (never starts with `/`; path conditions treat it as outside every subtree).
 */
function fdObject(tid: number, fd: number): string | undefined {
  // Read afresh at every call: no cache is exact (another thread or a CLONE_FS sibling can
  // chdir or dup2 without a stop, and a rename of any ancestor changes the name).
  return procFdText(tid, fd);
}

/**
 * The namespace a walk resolves in: the host's own (no WalkSpace), or a virtual tree laid
 * over it (the policy's binds, emulate/vpath.ts). Paths of the walk (`cur`, `root`, the
 * result) are paths of that namespace; only the file system is read on the host.
 */
export interface WalkSpace {
  /** The host path a lookup of `p` (a path of this namespace) reads. */
  host(p: string): string;
  /** A magic link's text (an absolute path the kernel printed, a host path) as a path of this namespace. */
  fromHost(hostPath: string): string;
}

/** The kernel's MAXSYMLINKS: the 41st symlink of one resolution fails with ELOOP. */
const MAX_LINKS = 40;

/**
 * The text of a procfs link that names an object, not a path: pipe:[N], socket:[N],
 * anon_inode:[eventfd], anon_inode:inotify, mnt:[N]. (A file's text is absolute; the only
 * other relative texts on a procfs are its own links, `self/mounts` and the like.)
 */
const OBJECT = /^[a-z_]+:/;

const isSelfName = (c: string): boolean => c === 'self' || c === 'thread-self';

/** Is the directory `dir` (a host path) on a procfs? One statfs(2). */
function onProcfs(dir: string): boolean {
  return fsTypeOrErrno(dir) === PROC_SUPER_MAGIC;
}

/**
 * Is `dir` (a host path) the root directory of a procfs, the one that holds `self` and
 * `thread-self` (also with subset=pid)? One statfs(2), and a stat(2) on a procfs.
 */
function isProcRoot(dir: string): boolean {
  return onProcfs(dir) && inodeOrErrno(dir) === PROC_ROOT_INO;
}

/**
 * The text a procfs root's `self` (`thread-self`) link has for the tracee: its pid (its
 * pid/task/tid), relative, as the kernel gives it to the caller. `seen` is what the
 * supervisor read there: the supervisor's own pid in that procfs's pid namespace, or
 * undefined (ENOENT: the supervisor is not in it). The tracee's pid is known in the
 * supervisor's pid namespace only; a procfs of another one (the tracee's own, an
 * ancestor's) fails closed: this throws, and the call is denied.
 */
function selfText(c: string, seen: string | undefined, pid: number, tid: number, host: string): string {
  const own = String(process.pid);
  if (seen === undefined || !(seen === own || seen.startsWith(`${own}/`))) {
    throw new Error(`${host} is the ${c} link of a procfs of another pid namespace: the tracee's pid there is unknown`);
  }
  return c === 'self' ? `${pid}` : `${pid}/task/${tid}`;
}

/**
 * Resolve `rel` from the canonical directory `cur` as the kernel would, component by
 * component (readlink, lstat where readlink cannot tell), appending what does not exist
 * lexically. The one walk of the runtime: the host's (`space` undefined) and the virtual
 * namespace's (`space` maps each lookup to its host path, emulate/vpath.ts).
 * `follow`: follow a final symlink. A trailing slash (or `/.`) always follows. `root` is the
 * caller's root directory (a path of the namespace): `..` stops there and absolute symlink
 * texts start there. `pid`/`tid` (when not 0) are the tracee's, for a procfs's `self`.
 *
 * Invariants (a wrong resolution lets a rule judge another object than the call acts on):
 *  - `..` is lexical on the path walked so far, which is canonical (every symlink on it was
 *    replaced by its target): so `..` after a symlink goes up from the target, as in the
 *    kernel; in a virtual namespace it stays in that namespace (the virtual parent of a
 *    bind's top, never the host parent of its target). It never climbs above `root`.
 *  - Every component but the last is followed; the last only with `follow` or a trailing
 *    slash or `/.` (then the kernel's last component is empty or `.`, not that name).
 *    Symlink texts are read on the host path of the component (`space.host`) and name
 *    paths of the namespace (an absolute text starts at `root`).
 *  - At most MAX_LINKS symlinks are followed; past that the call fails (ELOOP) and the
 *    path so far, with the rest appended, is returned.
 *  - A component that does not exist (ENOENT), lies below a non-directory (ENOTDIR) or in
 *    a directory the supervisor may not search (EACCES, confirmed by access(2): with the
 *    program's credentials, the call fails there too) ends the walk: the call creates it or fails, so the rest is
 *    appended lexically. Any other failure (EIO, ...) is answered by lstat, which throws
 *    what it cannot answer: the caller's decision then denies the call (fail closed).
 *  - A procfs is told by the file system, wherever it is mounted (the host's /proc, a bind
 *    of it, a chroot's ROOT/proc, a policy's bind of any of these), never by a name: a
 *    link is on a procfs when statfs(2) of its directory says PROC_SUPER_MAGIC. Asked only
 *    for a link named `self`/`thread-self`, one with an object text, and one with an
 *    absolute text when `root` is not `/` or there is a `space` (else a magic link's text
 *    is walked exactly like any absolute text); no other link needs it (`self/mounts` and
 *    the like read the same for anyone). The common walk makes no more system calls.
 *  - A procfs root's (inode PROC_ROOT_INO) `self` and `thread-self` name the *caller*:
 *    read by the supervisor they name the supervisor, so their text is the tracee's pid
 *    (pid/task/tid) instead, relative, as the kernel gives it to the caller (and, in a
 *    virtual namespace, the kernel is given the host path: resolved as the supervisor, the
 *    tracee would read the supervisor's environ, fds and memory maps). The tracee's pid is
 *    known in the supervisor's pid namespace only: on a procfs of another pid namespace
 *    (where the supervisor reads another pid, or ENOENT) the walk throws (fail closed).
 *  - A procfs link with an absolute text is a magic link (cwd, root, exe, fd/N,
 *    map_files/...): the kernel jumps to the object whatever the caller's root, and its
 *    text is a host path the kernel printed (relative to the supervisor's root). The walk
 *    goes on from that path (read back into the namespace, `space.fromHost`), from `/`,
 *    not from `root`. One whose text names an object (a pipe, a socket) is not a path: the
 *    result is the link's own name (with the rest appended; the call acts on the object,
 *    or fails with ENOTDIR), which the kernel can be given to act on it. A link named
 *    `self` elsewhere (a directory bound over /proc) is an ordinary symlink.
 *  - Not covered: the walk reads the file system in the supervisor's mount namespace. A
 *    tracee in another one (unshare(CLONE_NEWNS), setns, or a path through
 *    /proc/PID/root of a process in another one) acts on mounts and symlinks the walk does
 *    not see: its paths are judged by the supervisor's tree. Rules name paths, not
 *    objects: a mount (a procfs or a bind at another path) gives an object another name
 *    that a rule on the first name does not match (deny mount, as builtin:default does).
 */
export function walkPath(cur: string, rel: string, follow: boolean, pid: number, tid: number, root = '/', space?: WalkSpace): string {
  // One plain name, its final symlink not followed (fstatat(dirfd, NAME, AT_SYMLINK_NOFOLLOW)
  // as find and tar call it): nothing to look up. What the loop below returns for it.
  if (!follow && rel !== '' && rel !== '.' && rel !== '..' && !rel.includes('/')) return cur === '/' ? `/${rel}` : `${cur}/${rel}`;
  const todo = rel.split('/').filter((c) => c !== '' && c !== '.');
  // Security: the kernel's last component is the last one *written*. After `NAME/` or
  // `NAME/.` (or `NAME/./.`) it is empty or `.`, so NAME is an inner component and is
  // followed even by a call that does not follow its last one (O_NOFOLLOW, lchown,
  // AT_SYMLINK_NOFOLLOW): open("dirlink/.", O_NOFOLLOW) opens the link's target directory.
  // Judging the link itself there let such calls act on a denied directory.
  const trailingSlash = rel.endsWith('/') || rel === '.' || rel.endsWith('/.');
  let links = 0;
  while (todo.length > 0) {
    const c = todo.shift()!;
    if (c === '..') {
      if (cur !== root) cur = posix.dirname(cur);
      continue;
    }
    const next = cur === '/' ? `/${c}` : `${cur}/${c}`;
    if (todo.length === 0 && !follow && !trailingSlash) return next;
    const host = space === undefined ? next : space.host(next);
    // One readlink(2) tells the three cases apart: a symlink (its target), not a symlink
    // (EINVAL), nothing there (ENOENT, or ENOTDIR under a non-directory: the call fails
    // too, and the rest is appended lexically).
    const link = readlinkOrErrno(host);
    if (link === EINVAL) { cur = next; continue; }
    if (link === ENOENT || link === ENOTDIR) {
      // A procfs's `self` is ENOENT for a reader outside its pid namespace (the supervisor),
      // never for the tracee that may be inside: fail closed (selfText throws).
      if (link === ENOENT && pid !== 0 && isSelfName(c) && isProcRoot(posix.dirname(host))) selfText(c, undefined, pid, tid, host);
      return posix.normalize([next, ...todo].join('/'));
    }
    if (link === EACCES && searchDenied(space === undefined ? cur : space.host(cur))) {
      // No search permission on `cur` (access(2) says so: the kernel's permission check, not
      // an LSM's rule on readlink itself): the supervisor holds the program's credentials
      // or more (the same user, and under NO_NEW_PRIVS neither a setuid file nor an LSM
      // transition gives the program a right the supervisor lacks), so the program's lookup
      // fails with EACCES in the kernel too; the rest is appended lexically, as for ENOENT.
      // (Denying the call instead, with EPERM, stopped programs that search PATH at an
      // entry they may not search: make, sh.)
      return posix.normalize([next, ...todo].join('/'));
    }
    let target: string;
    if (typeof link === 'string') {
      if (++links > MAX_LINKS) return posix.normalize([next, ...todo].join('/')); // ELOOP: the call fails
      target = link;
    } else {
      // Anything else (ENAMETOOLONG, EIO, ...): as lstat reports it, which throws for what
      // it cannot answer (the call is then denied: fail closed).
      const st = lstatPath(host);
      if (st === undefined) return posix.normalize([next, ...todo].join('/'));
      if (!st.isSymbolicLink()) { cur = next; continue; }
      if (++links > MAX_LINKS) return posix.normalize([next, ...todo].join('/'));
      const again = readlinkOrErrno(host);
      if (typeof again !== 'string') return posix.normalize([next, ...todo].join('/'));
      target = again;
    }
    // Told by the file system the link is on, not by its name: a procfs can be mounted
    // anywhere (a bind of /proc, a chroot's ROOT/proc, a bind of the policy), and a
    // directory bound over /proc has none of these links. Asked only where the answer
    // changes the walk: a `self` name, an object text, and an absolute text when the walk
    // has a root or a namespace of its own (on the host from `/`, a magic link's text is
    // walked as any absolute text is: /usr/bin/cc -> /etc/alternatives/cc costs nothing more).
    if (isSelfName(c)) {
      if (pid !== 0 && isProcRoot(posix.dirname(host))) target = selfText(c, target, pid, tid, host);
    } else if ((OBJECT.test(target) || (target.startsWith('/') && (root !== '/' || space !== undefined)))
      && onProcfs(posix.dirname(host))) {
      // A magic link (cwd, root, exe, fd/N, map_files/...): the kernel jumps to the object
      // itself, whatever the caller's root. Its text names it as a host path the kernel
      // printed (relative to the supervisor's root); an object is not a path at all.
      if (!target.startsWith('/')) return posix.normalize([next, ...todo].join('/'));
      cur = '/';
      todo.unshift(...(space === undefined ? target : space.fromHost(target)).split('/').filter((x) => x !== '' && x !== '.'));
      continue;
    }
    if (target.startsWith('/')) cur = root;
    todo.unshift(...target.split('/').filter((x) => x !== '' && x !== '.'));
  }
  return cur;
}

/**
 * Resolve an absolute path as the kernel would. `follow`: follow a final symlink.
 * `pid`/`tid` (when not 0) are the tracee's, for a procfs's self and thread-self;
 * `root` is its root directory as a host path ('/' unless it chrooted).
 */
export function resolveAbsolute(path: string, follow: boolean, pid = 0, tid = 0, root = '/'): string {
  if (root !== '/') return walkPath(root, path, follow, pid, tid, root);
  // Security: for a tracee's path (pid given), never realpath(3): it follows a symlink
  // into a procfs's self (/dev/stdin -> /proc/self/fd/0) as the *supervisor*, so a tracee
  // could reach a file it holds open under the name of one the supervisor holds. Only the
  // walk maps self to the tracee, on whatever procfs it is. (realpath(3) does the same
  // readlink per component in C, so the walk costs no more system calls.) For the
  // supervisor's own paths (pid 0) both read every link as the supervisor: the same result.
  if (pid === 0) {
    // Fast path for the supervisor's own paths: realpath(3). When it fails (something does
    // not exist, a loop), the walk below.
    const name = posix.basename(path);
    if (follow || name === '.' || name === '..') {
      const real = realpathText(path);
      if (real !== null) return real;
    } else if (name !== '' && !path.endsWith('/')) {
      const dir = realpathText(posix.dirname(path));
      if (dir !== null) return dir === '/' ? `/${name}` : `${dir}/${name}`;
    }
  }
  return walkPath('/', path, follow, pid, tid);
}

/**
 * Resolve `rel` (relative) from `base`, a directory path the kernel printed for a dirfd or
 * the cwd (so already canonical): only the relative part is walked.
 */
export function resolveRelative(base: string, rel: string, follow: boolean, pid = 0, tid = 0, root = '/'): string {
  return walkPath(base, rel, follow, pid, tid, root);
}

/**
 * The path argument of each call that names what the call creates, when its last component
 * is missing in an existing directory (mkdir, mknod, creat, the new name of symlink, link and
 * rename); open, openat and openat2 create with O_CREAT (see `createsLast`).
 */
const CREATED: Record<string, number> = {
  creat: 0, mkdir: 0, mkdirat: 1, mknod: 0, mknodat: 1, symlink: 1, symlinkat: 2, link: 1, linkat: 3,
  rename: 1, renameat: 3, renameat2: 3,
};

/** Whether the call would create argument `arg`'s last component where it is missing. */
function createsLast(name: string, arg: number, spec: PathArg, tid: number, args: readonly bigint[]): boolean {
  if (CREATED[name] === arg) return true;
  const f = spec.follow;
  if (typeof f !== 'object') return false;
  if ('openFlags' in f) return (Number(args[f.openFlags]! & 0xffffffffn) & O_CREAT) !== 0;
  if ('openHow' in f) {
    const how = readMem(tid, args[f.openHow]!, 8);
    return how !== null && how.length >= 8 && (Number(how.readBigUInt64LE(0) & 0xffffffffn) & O_CREAT) !== 0;
  }
  return false;
}

/**
 * Whether the host path `host` (a resolved path: every symlink on it replaced, the last as the
 * call follows it) names nothing for a call: lstat-like, one readlink(2), which does not follow
 * the last component (ENOENT: it, or a directory on the way, does not exist). For a call that
 * creates its last component (`creates`), only its directory is looked up: a missing name in
 * an existing directory is made by the kernel, not missing. ENOTDIR, EACCES, ELOOP and the
 * rest are not "missing": the kernel gives those errnos, not ENOENT.
 */
export function namesNothing(host: string, creates: boolean): boolean {
  const at = creates ? posix.dirname(host) : host;
  return readlinkOrErrno(at) === ENOENT;
}

const UNSET = Symbol('unset');

/** Dereferences the path arguments of one stopped call, lazily, each at most once. */
export class PathDeref {
  /** Resolved paths by argument index; UNSET until asked (a call has at most six arguments). */
  private readonly cache: (string | undefined | typeof UNSET)[] = [UNSET, UNSET, UNSET, UNSET, UNSET, UNSET];
  /**
   * `root` gives the tracee's root directory as a host path ('/' unless it chrooted); it
   * is asked only when a path is resolved.
   */
  constructor(private readonly pid: number, private readonly tid: number, private readonly name: string,
    private readonly args: readonly bigint[], private readonly root: () => string = () => '/') {}

  path(arg: number): string | undefined {
    if (!(arg >= 0 && arg < 6)) return undefined;
    const hit = this.cache[arg];
    if (hit !== UNSET) return hit;
    const v = this.resolve(arg);
    this.cache[arg] = v;
    return v;
  }

  /**
   * The destination socket address of connect, bind, sendto or sendmsg (not part of the
   * IR's Deref yet: a helper for socket rules). Advisory like paths (see sockaddr.ts).
   */
  sockaddr(): Sockaddr | undefined {
    return sockaddrOfCall(this.tid, this.name, this.args);
  }

  /**
   * The IR's Deref.sockaddrs: the addresses the call names, for sockaddr conditions (advisory,
   * as above). Read once per stop, so every rule of one decision sees the same addresses.
   */
  sockaddrs(_arg: number): (SockAddr | null)[] | undefined {
    if (this.addrs === 0) this.addrs = policySockaddrs(this.tid, this.name, this.args, (path, follow) => this.resolveText(path, follow, AT_FDCWD));
    return this.addrs;
  }

  private addrs: (SockAddr | null)[] | undefined | 0 = 0;

  /**
   * A path argument asked for was empty and the call has no AT_EMPTY_PATH for it: it names
   * nothing, and the kernel fails the call with ENOENT before it looks at anything (getname).
   */
  emptyName = false;

  /**
   * The IR's Deref.missing: argument `arg` names nothing (resolved as the call will resolve
   * it, it does not exist and the call would not create it). False when its path is unknown
   * or not a file path (an fd's object, a symlink's text): the deny's own errno stands.
   * Asked only when a rule with `missing:` decided (evaluate.ts); one readlink(2).
   */
  missing(arg: number): boolean {
    const spec = SPECS.get(this.name)?.[arg];
    if (spec === undefined || spec.follow === 'raw') return false;
    const p = this.path(arg);
    if (p === undefined || !p.startsWith('/')) return false;
    return namesNothing(this.hostOf(p), createsLast(this.name, arg, spec, this.tid, this.args));
  }

  /** The host path a resolved path of this Deref is looked up at (VmDeref: through the binds). */
  protected hostOf(p: string): string {
    return p;
  }

  /** What was dereferenced so far (for the audit record). */
  resolved(): Map<number, string | undefined> {
    const m = new Map<number, string | undefined>();
    this.cache.forEach((v, i) => { if (v !== UNSET) m.set(i, v); });
    return m;
  }

  /** Argument `arg` resolved, uncached (path() caches it; VmDeref resolves in its namespace). */
  protected resolve(arg: number): string | undefined {
    const spec = SPECS.get(this.name)?.[arg];
    if (spec === undefined) return undefined;
    const ptr = this.args[arg]!;
    if (ptr === 0n) {
      // utimensat(dirfd, NULL, ...) acts on dirfd itself.
      return this.name === 'utimensat' ? dirPath(this.tid, dirfdOf(this.args, spec.dirfd)) : undefined;
    }
    // Paths are bytes, kept exactly as text (linux/pathtext.ts).
    const text = readCStringText(this.tid, ptr);
    if (text === null) return undefined;
    if (spec.follow === 'raw') return text;
    if (text === '') {
      const empty = spec.emptyPath !== undefined
        && (Number(this.args[spec.emptyPath]! & 0xffffffffn) & AT_EMPTY_PATH) !== 0;
      // With AT_EMPTY_PATH the call acts on the fd itself (glibc's fstat() is
      // newfstatat(fd, "", AT_EMPTY_PATH)): its "path" is what the fd refers to, which
      // for a pipe, socket or anonymous inode is not a filesystem path ("pipe:[123]").
      if (!empty) this.emptyName = true;
      return empty ? fdObject(this.tid, dirfdOf(this.args, spec.dirfd)) : undefined;
    }
    const follow = follows(spec.follow, this.tid, this.args);
    return this.resolveText(text, follow, dirfdOf(this.args, spec.dirfd));
  }

  /** A non-empty path the call names, resolved from `dirfd` (or the cwd) as the kernel would. */
  private resolveText(text: string, follow: boolean, dirfd: number): string | undefined {
    const root = this.root();
    if (text.startsWith('/')) return resolveAbsolute(text, follow, this.pid, this.tid, root);
    const base = dirPath(this.tid, dirfd);
    return base === undefined ? undefined : resolveRelative(base, text, follow, this.pid, this.tid, root);
  }
}
