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
import { readlinkSync, statSync } from 'node:fs';

import type { FdInfo } from '../ir.js';
import { PathDeref } from '../tracer/paths.js';
import { toVirtual } from './bind.js';
import type { VmWorld } from './context.js';
import type { FileStore } from './files.js';

export function fdInfo(pid: number, fd: number, world: VmWorld, files: FileStore): FdInfo | undefined {
  if (!Number.isInteger(fd) || fd < 0) return { virtual: false };
  const link = `/proc/${pid}/fd/${fd}`;
  let target: string;
  try {
    target = readlinkSync(link);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ENOENT' ? { virtual: false } : undefined;
  }
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

/** The tracer's dereferencer: paths as PathDeref resolves them, fds as `fdInfo` knows them. */
export class VmDeref extends PathDeref {
  constructor(private readonly vmPid: number, name: string, tid: number, private readonly vmArgs: readonly bigint[],
    private readonly world: VmWorld, private readonly files: FileStore, root?: () => string) {
    super(vmPid, tid, name, vmArgs, root);
  }

  fd(arg: number): FdInfo | undefined {
    const raw = this.vmArgs[arg];
    if (raw === undefined) return undefined;
    return fdInfo(this.vmPid, Number(BigInt.asIntN(32, raw)), this.world, this.files);
  }
}
