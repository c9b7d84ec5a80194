// The file-system primitives of path resolution, called at every stop that checks a path:
// readlink(2) and realpath(3) through koffi into preallocated buffers. Unlike Node's fs,
// a failure is an errno, not a thrown Error with a stack (an ENOENT per call is routine:
// compilers probe include directories), and nothing is allocated but the result string.
//
// Precondition: one thread (the tracer's); the buffers are shared by every call.
import { readlinkSync } from 'node:fs';

import { errno, readlinkInto, realpathInto, statfsInto, statInto } from './libc.js';

/** Larger than PATH_MAX (4096, the NUL included): a full buffer means a truncated link. */
const LINK = Buffer.alloc(8192);
/** realpath(3) writes at most PATH_MAX bytes. */
const REAL = Buffer.alloc(4096);
/** A struct statfs (120 bytes on x86_64), a struct stat (144). */
const STATFS = Buffer.alloc(128);
const STAT = Buffer.alloc(160);

/**
 * The target of the symlink `path`, or the errno of readlink(2) (EINVAL: `path` exists
 * and is not a symlink; ENOENT, ENOTDIR: it does not exist). Decoded as UTF-8, like
 * Node's `readlinkSync`.
 */
export function readlinkOrErrno(path: string): string | number {
  const n = readlinkInto(path, LINK, LINK.length);
  if (n < 0) return errno();
  if (n < LINK.length) return LINK.toString('utf8', 0, n);
  // Longer than any path the kernel resolves: let Node's fs size it (never in practice).
  try {
    return readlinkSync(path);
  } catch (e) {
    return -((e as { errno?: number }).errno ?? -1);
  }
}

/** The target of a symlink (a /proc/PID/{cwd,root,fd/N} link), or undefined. */
export function readlinkText(path: string): string | undefined {
  const r = readlinkOrErrno(path);
  return typeof r === 'string' ? r : undefined;
}

/** realpath(3): the canonical path, or null when it fails (a missing component, a loop, EACCES). */
export function realpathText(path: string): string | null {
  return realpathInto(path, REAL);
}

/**
 * The f_type of statfs(2) of `path` (the magic number of the file system it is on, a
 * symlink followed: give a directory), or the negated errno.
 */
export function fsTypeOrErrno(path: string): number {
  if (statfsInto(path, STATFS) < 0) return -errno();
  return Number(STATFS.readBigInt64LE(0));
}

/** The inode number of `path` (stat(2), a symlink followed), or the negated errno. */
export function inodeOrErrno(path: string): number {
  if (statInto(path, STAT) < 0) return -errno();
  return Number(STAT.readBigUInt64LE(8));
}
