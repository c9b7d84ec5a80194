// Emulation of virtual files (umview's umfuse, reduced to whole files): an open of a path
// the policy gives content to (`{ text }`, or `{ hostPath }`: a host file's content) yields a
// REAL fd whose content is the virtual content, so read, lseek, fstat, mmap, dup, fork and
// exec behave as with any file. The supervisor writes the content once per run to a file in
// a private directory it made (mode 0700, files 0444), and rewrites the call's path argument
// to that file (the "pass with a rewrite" case of the ptrace_vm thread, tag 0). Stat-like
// calls (stat, access, statx, getxattr, ...) on the virtual path see the prepared file too.
//
// What it cannot do: a virtual file is read-only (an open for writing, O_TRUNC or O_TMPFILE,
// and every call that would change it — unlink, rename, chmod, truncate, ... — fail with
// EROFS); its owner, mode and times are the prepared file's; `hostPath` content is copied
// at the first open. A directory listing shows a virtual file absent on the host after the
// host's entries (dirents.ts).
//
// Security: the kernel opens the prepared file by a path string the supervisor writes below
// the caller's stack (see `scratchLayout` in context.ts). A sibling thread that overwrites it
// in time would make the kernel open another path instead: so (1) the open is made read-only
// and non-creating whatever the program asked, and (2) at the call's exit the new fd must be
// the prepared file (same device and inode), else the process is killed before the call
// returns. The prepared files hold only what the policy shows the program anyway.
// Not kept: the fd exists from the kernel's open to that exit stop, and the process's other
// threads can read it in between (the kill comes after): against a program that races, a
// virtual file opens any file the kernel lets it, read-only, like an allow rule (documented
// in docs/policy.md, "What path rules guarantee"). Closing that needs the path out of the
// program's reach (its other threads stopped for the call, or no path at all: a memfd the
// supervisor fills at the exit).
import { copyFileSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import {
  EROFS, O_ACCMODE, O_CREAT, O_EXCL, O_RDONLY, O_TMPFILE, O_TRUNC,
} from '../linux/consts.js';
import { readMem, writeMem } from '../linux/mem.js';
import type { ArgRewrite } from '../types.js';
import { pathArgIndices } from '../tracer/paths.js';
import { cString } from '../linux/pathtext.js';
import { type EmuContext, type EmuOutcome, type ExitHandler, scratchLayout } from './context.js';

export type FileContent = { text: string } | { hostPath: string };

/** Calls that only read a path's metadata or content: they act on the prepared file. */
const READS = new Set([
  'stat', 'lstat', 'newfstatat', 'statx', 'access', 'faccessat', 'faccessat2', 'readlink', 'readlinkat', 'statfs',
  'getxattr', 'lgetxattr', 'listxattr', 'llistxattr', 'execve', 'execveat', 'chdir', 'utime', 'utimes',
]);
const OPENS = new Set(['open', 'openat', 'openat2', 'creat']);

/** The prepared files of one run: virtual path + content -> a file in a private directory. */
export class FileStore {
  private dir: string | null = null;
  private readonly byKey = new Map<string, string>();
  /** `dev:ino` of each prepared file -> the virtual path it stands for. */
  private readonly byInode = new Map<string, string>();
  /**
   * Per open directory (`PID:fd:dev:ino` of the directory), how many of its virtual files
   * its listing showed in this pass (dirents.ts).
   */
  readonly listedIn = new Map<string, number>();

  /** The prepared file for `virtualPath` with `content` (made at the first call). */
  prepare(virtualPath: string, content: FileContent): string {
    const key = JSON.stringify([virtualPath, content]);
    const have = this.byKey.get(key);
    if (have !== undefined) return have;
    this.dir ??= mkdtempSync(path.join(os.tmpdir(), 'sysvm-vfs-'));
    const file = path.join(this.dir, String(this.byKey.size));
    if ('text' in content) writeFileSync(file, content.text, { mode: 0o444 });
    else copyFileSync(content.hostPath, file);
    const st = statSync(file);
    this.byKey.set(key, file);
    this.byInode.set(`${st.dev}:${st.ino}`, virtualPath);
    return file;
  }

  /** The virtual path a file (by device and inode) stands for, if it is a prepared one. */
  virtualPathOf(dev: number, ino: number): string | undefined {
    return this.byInode.get(`${dev}:${ino}`);
  }

  /** Remove the private directory (end of the run). */
  dispose(): void {
    if (this.dir !== null) rmSync(this.dir, { recursive: true, force: true });
    this.dir = null;
  }
}

/** The open flags of an open-like call: [flags, where they are]. */
function openFlags(ctx: EmuContext): { flags: bigint; how?: Buffer } | null {
  switch (ctx.name) {
    case 'open': return { flags: ctx.args[1]! };
    case 'creat': return { flags: BigInt(O_CREAT | O_TRUNC | 1) };
    case 'openat': return { flags: ctx.args[2]! };
    case 'openat2': {
      // struct open_how { u64 flags; u64 mode; u64 resolve; }, `size` bytes (>= 24).
      const size = Number(ctx.args[3]! & 0xffffn);
      const how = readMem(ctx.tid, ctx.args[2]!, Math.max(24, Math.min(size, 256)));
      if (how === null || how.length < 24) return null;
      return { flags: how.readBigUInt64LE(0), how };
    }
    default: return null;
  }
}

/** Check at the exit that the fd is the prepared file, else kill (see the header). */
export function verifyOpen(store: FileStore, prepared: string): ExitHandler {
  const want = statSync(prepared);
  return (x) => {
    if (x.rval < 0n) return;
    let st;
    try {
      // The caller's fd table (a thread can have one of its own: /proc/TID, not /proc/PID).
      st = statSync(`/proc/${x.tid}/fd/${x.rval}`);
    } catch {
      st = undefined;
    }
    if (st === undefined || st.dev !== want.dev || st.ino !== want.ino || store.virtualPathOf(st.dev, st.ino) === undefined) {
      x.killProcess('sysvm:vfs-tamper');
    }
  };
}

export function emulateFile(ctx: EmuContext, content: FileContent): EmuOutcome {
  const args = pathArgIndices(ctx.name);
  const arg = args[0];
  const virtualPath = arg === undefined ? undefined : ctx.deref.path(arg);
  if (arg === undefined || virtualPath === undefined || args.length !== 1) return { skip: -EROFS };
  if (OPENS.has(ctx.name)) {
    const f = openFlags(ctx);
    if (f === null) return { skip: -EROFS };
    const flags = Number(f.flags & 0xffffffffn);
    if ((flags & O_ACCMODE) !== O_RDONLY || (flags & O_TRUNC) !== 0 || (flags & O_TMPFILE) === O_TMPFILE) {
      return { skip: -EROFS };
    }
    let prepared: string;
    try {
      prepared = ctx.files.prepare(virtualPath, content);
    } catch {
      return { skip: -EROFS };
    }
    const chunks: Buffer[] = [cString(prepared)];
    const rewrite: ArgRewrite[] = [];
    const newFlags = f.flags & ~BigInt(O_CREAT | O_EXCL);
    if (f.how !== undefined) {
      const how = Buffer.from(f.how);
      how.writeBigUInt64LE(newFlags, 0);
      // `resolve` (RESOLVE_BENEATH, RESOLVE_IN_ROOT, ...) was about the virtual path, which
      // the supervisor resolved; the prepared file's path is absolute and has no symlinks.
      how.writeBigUInt64LE(0n, 16);
      chunks.push(how);
    }
    const at = scratchLayout(ctx.sp, chunks);
    for (let i = 0; i < chunks.length; i++) if (writeMem(ctx.tid, at[i]!, chunks[i]!) !== 0) return { skip: -EROFS };
    rewrite.push({ arg, value: at[0]! });
    if (ctx.name === 'open') rewrite.push({ arg: 1, value: newFlags });
    if (ctx.name === 'openat') rewrite.push({ arg: 2, value: newFlags });
    if (ctx.name === 'openat2') rewrite.push({ arg: 2, value: at[1]! });
    if (ctx.name === 'creat') return { skip: -EROFS };
    return { pass: true, rewrite, atExit: verifyOpen(ctx.files, prepared) };
  }
  if (READS.has(ctx.name)) {
    let prepared: string;
    try {
      prepared = ctx.files.prepare(virtualPath, content);
    } catch {
      return { skip: -EROFS };
    }
    const [at] = scratchLayout(ctx.sp, [cString(prepared)]);
    if (writeMem(ctx.tid, at!, cString(prepared)) !== 0) return { skip: -EROFS };
    return { pass: true, rewrite: [{ arg, value: at! }] };
  }
  return { skip: -EROFS };
}
