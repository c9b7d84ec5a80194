// The file-system primitives of path resolution, called at every stop that checks a path:
// readlink(2) and realpath(3) through koffi into preallocated buffers. Unlike Node's fs,
// a failure is an errno, not a thrown Error with a stack (an ENOENT per call is routine:
// compilers probe include directories), and nothing is allocated but the result string.
// Names go in and come out through linux/pathtext.ts, byte for byte (see its invariant):
// what is looked up is the name the tracee gave, and a link's text is its bytes.
//
// Precondition: one thread (the tracer's); the buffers are shared by every call.
import { accessSync, constants as fsConstants, lstatSync, readlinkSync, type Stats } from 'node:fs';

import { AT_FDCWD, ENAMETOOLONG } from './consts.js';
import { errno, Pinned, readlinkAt, realpathInto, statfsInto, statInto } from './libc.js';
import { decodePath, encodePath, encodePathInto, PATH_MAX } from './pathtext.js';

/**
 * The link text buffer (larger than PATH_MAX, 4096 with the NUL: a full buffer means a
 * truncated link), then the name passed in (3 bytes per UTF-16 unit at most: encodePathInto's
 * precondition). Passed by address (libc.ts, Pinned).
 */
const LINK_SIZE = 8192;
const NAME_SIZE = 3 * PATH_MAX + 1;
const SCRATCH = new Pinned(LINK_SIZE + NAME_SIZE);
const LINK = SCRATCH.bytes.subarray(0, LINK_SIZE);
const NAME = SCRATCH.bytes.subarray(LINK_SIZE);
/** realpath(3) writes at most PATH_MAX bytes. */
const REAL = Buffer.alloc(PATH_MAX);
/** A struct statfs (120 bytes on x86_64), a struct stat (144). */
const STATFS = Buffer.alloc(128);
const STAT = Buffer.alloc(160);

/** readlink(2) of the name in NAME: its text, or the errno. */
function readlinkName(nameLen: number): string | number {
  const n = readlinkAt(SCRATCH.addr + LINK_SIZE, SCRATCH.addr, LINK_SIZE);
  if (n < 0) return errno();
  if (n < LINK_SIZE) return decodePath(LINK, 0, n);
  // Longer than any path the kernel resolves: let Node's fs size it (never in practice).
  try {
    return decodePath(readlinkSync(NAME.subarray(0, nameLen), { encoding: 'buffer' }));
  } catch (e) {
    return -((e as { errno?: number }).errno ?? -1);
  }
}

/**
 * The target of the symlink `path`, or the errno of readlink(2) (EINVAL: `path` exists
 * and is not a symlink; ENOENT, ENOTDIR: it does not exist; ENAMETOOLONG).
 */
export function readlinkOrErrno(path: string): string | number {
  const len = encodePathInto(path, NAME);
  if (len < 0) return ENAMETOOLONG;
  return readlinkName(len);
}

/** Write the decimal digits of `v` (a non-negative integer) into NAME at `at`; the index past them. */
function digits(v: number, at: number): number {
  let n = 1;
  for (let x = v; x >= 10; x = Math.floor(x / 10)) n++;
  for (let i = at + n - 1, x = v; i >= at; i--, x = Math.floor(x / 10)) NAME[i] = 0x30 + (x % 10);
  return at + n;
}

/** Write the ASCII text `s` into NAME at `at`; the index past it. */
function ascii(s: string, at: number): number {
  for (let i = 0; i < s.length; i++) NAME[at + i] = s.charCodeAt(i);
  return at + s.length;
}

/**
 * The text of /proc/TID/fd/FD (/proc/TID/cwd for AT_FDCWD), the magic link the walk starts a
 * relative path from, or undefined: what readlinkText of that name gives, with the name
 * written as bytes (the per-stop path: no string is built for it). Another negative fd names
 * nothing (the call fails with EBADF): undefined.
 */
export function procFdText(tid: number, fd: number): string | undefined {
  if (fd < 0 && fd !== AT_FDCWD) return undefined;
  // Security: the name is looked up whole at every call. A directory fd kept open per thread
  // (readlinkat of `N` in it costs ≈ 0.6 µs less) was tried and dropped: the supervisor runs
  // inside its embedder's process, where code that closes an fd number twice can close it
  // (under vitest, another thread closed one the tracer had opened), and the number can
  // then name another directory: another thread's fd table.
  let at = digits(tid, ascii('/proc/', 0));
  at = fd === AT_FDCWD ? ascii('/cwd', at) : digits(fd, ascii('/fd/', at));
  NAME[at] = 0;
  const r = readlinkName(at);
  return typeof r === 'string' ? r : undefined;
}

/**
 * Whether the supervisor lacks search permission on the directory `dir` (access(2) with
 * X_OK fails with EACCES): a permission check of the kernel's own (DAC, or an LSM's inode
 * permission hook), which a lookup by the program fails the same way.
 */
export function searchDenied(dir: string): boolean {
  try {
    accessSync(encodePath(dir), fsConstants.X_OK);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EACCES';
  }
}

/**
 * lstat(2) of `path` by its bytes, as Node's lstatSync answers (undefined when nothing is
 * there; throws for other failures).
 */
export function lstatPath(path: string): Stats | undefined {
  return lstatSync(encodePath(path), { throwIfNoEntry: false });
}

/** The target of a symlink (a /proc/PID/{cwd,root,fd/N} link), or undefined. */
export function readlinkText(path: string): string | undefined {
  const r = readlinkOrErrno(path);
  return typeof r === 'string' ? r : undefined;
}

/** realpath(3): the canonical path, or null when it fails (a missing component, a loop, EACCES). */
export function realpathText(path: string): string | null {
  if (encodePathInto(path, NAME) < 0) return null;
  const r = realpathInto(NAME, REAL);
  if (r === 0 || r === 0n) return null;
  const end = REAL.indexOf(0);
  return decodePath(REAL, 0, end < 0 ? REAL.length : end);
}

/**
 * The f_type of statfs(2) of `path` (the magic number of the file system it is on, a
 * symlink followed: give a directory), or the negated errno.
 */
export function fsTypeOrErrno(path: string): number {
  if (encodePathInto(path, NAME) < 0) return -ENAMETOOLONG;
  if (statfsInto(NAME, STATFS) < 0) return -errno();
  return Number(STATFS.readBigInt64LE(0));
}

/** The inode number of `path` (stat(2), a symlink followed), or the negated errno. */
export function inodeOrErrno(path: string): number {
  if (encodePathInto(path, NAME) < 0) return -ENAMETOOLONG;
  if (statInto(NAME, STAT) < 0) return -errno();
  return Number(STAT.readBigUInt64LE(8));
}
