// Path resolution in the *virtual* namespace: the file tree the program sees when the policy
// binds directories (PRoot-style, `/data` -> `./sandbox/data`), and under openat2's
// RESOLVE_IN_ROOT. The tracer's PathDeref (tracer/paths.ts) resolves paths as the host
// kernel will; with binds that is not what the program means:
//   - `cd /data && cat ../etc/passwd`: the kernel's cwd is the bind target, and `..` would
//     go to the host parent of the target; in the virtual namespace `..` of /data is /.
//   - a symlink inside the target whose text is absolute (`/data/x`, `/etc/passwd`) names a
//     virtual path, as with a real bind mount (the kernel would read `/data/x` on the host).
//   - the /proc magic links (/proc/PID/cwd, /proc/PID/fd/N, /proc/PID/root) name host paths
//     inside a bind target: they are read back through the binds first.
// So this walk resolves component by component with `..`, symlinks and /proc/self done in
// the virtual namespace, and every lstat/readlink done on the host path that the virtual
// prefix stands for (`toReal`).
//
// Invariant (what the policy's path rules rest on when binds exist): the path a rule sees
// is the virtual path of the object the call will act on, and the runtime makes the kernel
// act on exactly `toReal(that path)` (see `hostPathFor` and `worldPass` in index.ts: when the
// kernel's own resolution of the program's argument would differ, the argument is rewritten
// to that absolute host path). A path a rule hides can therefore not be reached by a
// resolution the rule did not see.
import { lstatSync, readlinkSync } from 'node:fs';
import { posix } from 'node:path';

import { toReal, toVirtual, type Bind } from './bind.js';

export { RESOLVE_IN_ROOT } from '../linux/consts.js';

const MAX_LINKS = 40;

/**
 * Resolve `rel` from the virtual directory `cur`, as the kernel would in the namespace the
 * binds describe. `follow`: follow a final symlink (a trailing slash always follows). `root`
 * is the virtual root: `..` stops there and absolute symlink texts start there. A component
 * that does not exist is appended lexically with the rest (the call creates it or fails).
 * `seen.bind` is set when a component was looked up through a bind.
 */
export function walkVirtual(binds: readonly Bind[], cur: string, rel: string, follow: boolean, pid: number, tid: number,
  root = '/', seen?: { bind: boolean }): string {
  const todo = rel.split('/').filter((c) => c !== '' && c !== '.');
  const trailingSlash = rel.endsWith('/');
  const real = (v: string): string => {
    const r = toReal(binds, v);
    if (r === undefined) return v;
    // The walk went through a bound path: the kernel cannot resolve the text itself.
    if (seen !== undefined) seen.bind = true;
    return r;
  };
  let links = 0;
  while (todo.length > 0) {
    const c = todo.shift()!;
    if (c === '..') {
      if (cur !== root) cur = posix.dirname(cur);
      continue;
    }
    const next = cur === '/' ? `/${c}` : `${cur}/${c}`;
    if (todo.length === 0 && !follow && !trailingSlash) return next;
    const st = lstatSync(real(next), { throwIfNoEntry: false });
    if (st === undefined) return posix.normalize([next, ...todo].join('/'));
    if (!st.isSymbolicLink()) { cur = next; continue; }
    if (++links > MAX_LINKS) return posix.normalize([next, ...todo].join('/')); // ELOOP: the call fails
    let target: string;
    try {
      target = readlinkSync(real(next));
    } catch {
      return posix.normalize([next, ...todo].join('/'));
    }
    if (cur === '/proc' && (c === 'self' || c === 'thread-self')) {
      // /proc/self names the caller: resolved here it would name the supervisor.
      target = c === 'self' ? `${pid}` : `${pid}/task/${tid}`;
    } else if (next.startsWith('/proc/') && target.startsWith('/')) {
      // A magic link prints a host path: read it back through the binds.
      target = toVirtual(binds, target) ?? target;
    } else if (next.startsWith('/proc/') && !target.startsWith('/') && /^[a-z_]+:\[/.test(target)) {
      // pipe:[N], socket:[N], anon_inode:[...]: an object, not a path; the call acts on it.
      return next;
    }
    if (target.startsWith('/')) cur = root;
    todo.unshift(...target.split('/').filter((x) => x !== '' && x !== '.'));
  }
  return cur;
}

/** A directory the kernel printed (cwd, dirfd), as the program sees it. */
export function virtualDir(binds: readonly Bind[], hostDir: string): string {
  return toVirtual(binds, hostDir) ?? hostDir;
}

/** The host path the kernel must be given for a virtual path. */
export function hostPathFor(binds: readonly Bind[], virtualPath: string): string {
  return toReal(binds, virtualPath) ?? virtualPath;
}

/**
 * Resolve a path string the program passed in an argument that PATH_ARGS does not describe
 * (mount's source, move_mount's from_path), following every symlink, relative to `dirfd`
 * (AT_FDCWD: the cwd). undefined when unreadable or when the base is not a directory path.
 */
export function resolveText(binds: readonly Bind[], pid: number, tid: number, text: string, dirfd: number, atFdcwd: number): string | undefined {
  if (text.startsWith('/')) return walkVirtual(binds, '/', text, true, pid, tid);
  let base: string;
  try {
    base = readlinkSync(dirfd === atFdcwd ? `/proc/${tid}/cwd` : `/proc/${tid}/fd/${dirfd}`);
  } catch {
    return undefined;
  }
  if (!base.startsWith('/') || base.endsWith(' (deleted)')) return undefined;
  return walkVirtual(binds, virtualDir(binds, base), text, true, pid, tid);
}
