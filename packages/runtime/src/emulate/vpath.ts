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
// So the walk resolves component by component with `..`, symlinks and /proc/self done in
// the virtual namespace, and every readlink/lstat done on the host path that the virtual
// prefix stands for (`toReal`). It is the host's walk (`walkPath` in tracer/paths.ts, one
// loop for both, its invariants written there) given the binds as its WalkSpace.
//
// Invariant (what the policy's path rules rest on when binds exist): the path a rule sees
// is the virtual path of the object the call will act on, and the runtime makes the kernel
// act on exactly `toReal(that path)` (see `hostPathFor` and `worldPass` in index.ts: when the
// kernel's own resolution of the program's argument would differ, the argument is rewritten
// to that absolute host path). A path a rule hides can therefore not be reached by a
// resolution the rule did not see.
import { dirPath, walkPath, type WalkSpace } from '../tracer/paths.js';
import { toReal, toVirtual, type Bind } from './bind.js';

export { RESOLVE_IN_ROOT } from '../linux/consts.js';

/**
 * Resolve `rel` from the virtual directory `cur`, as the kernel would in the namespace the
 * binds describe: the runtime's one walk (`walkPath`, tracer/paths.ts, where its
 * invariants are written) in the space whose lookups go through the binds. `follow`:
 * follow a final symlink (a trailing slash always follows). `root` is the virtual root:
 * `..` stops there and absolute symlink texts start there. A component that does not exist
 * is appended lexically with the rest (the call creates it or fails).
 * `seen.bind` is set when a component was looked up through a bind.
 */
export function walkVirtual(binds: readonly Bind[], cur: string, rel: string, follow: boolean, pid: number, tid: number,
  root = '/', seen?: { bind: boolean }): string {
  return walkPath(cur, rel, follow, pid, tid, root, bindSpace(binds, seen));
}

/**
 * The virtual namespace of `binds` as a WalkSpace: a virtual path is looked up at the host
 * path its longest bind prefix stands for (the path itself outside every bind), and a
 * magic link's host path is read back through the binds (a path inside a bind target is
 * its virtual path; elsewhere host and virtual paths coincide).
 */
function bindSpace(binds: readonly Bind[], seen?: { bind: boolean }): WalkSpace {
  return {
    host: (v) => {
      const r = toReal(binds, v);
      if (r === undefined) return v;
      // The walk went through a bound path: the kernel cannot resolve the text itself.
      if (seen !== undefined) seen.bind = true;
      return r;
    },
    fromHost: (h) => toVirtual(binds, h) ?? h,
  };
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
export function resolveText(binds: readonly Bind[], pid: number, tid: number, text: string, dirfd: number): string | undefined {
  if (text.startsWith('/')) return walkVirtual(binds, '/', text, true, pid, tid);
  const base = dirPath(tid, dirfd);
  if (base === undefined) return undefined;
  return walkVirtual(binds, virtualDir(binds, base), text, true, pid, tid);
}
