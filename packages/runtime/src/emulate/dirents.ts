// Directory listings of the virtual world: a path the policy hides (denied with ENOENT, as
// `filesystem.hide` compiles) must not show in its parent's listing either, else `ls ~`
// shows `.ssh` although opening it says it does not exist.
//
// How: getdents64 and getdents (x86_64 has both) stop when the world hides anything or
// lists a virtual file (the world filter, index.ts), and at their exit the records the kernel wrote into the
// program's buffer are read back, those naming a hidden entry dropped, the rest compacted
// to the front of the buffer, and the return value set to the bytes kept. The records'
// own d_off (the directory position after each) are kept as the kernel wrote them, so
// telldir/seekdir still work: a position after a dropped entry is never handed out, and
// one after a kept entry is still the kernel's own.
//
// When every record of a batch is hidden, returning 0 would tell the program "end of
// directory" while more entries may follow, and keeping one would show a hidden name. The
// kernel has already moved the directory's position past the batch, so the call is simply
// issued again (ExitContext.restart: the same call, same buffer, from the new position):
// the program sees the next batch that has a visible entry, or the real end (0). This
// loops at most once per batch of the directory and needs no memory of the directory.
//
// Which entries are hidden: an entry DIR/NAME is hidden when the policy would deny an lstat
// of it with ENOENT (the tracer asks the policy's own decision, so the rule order holds: a
// virtual file that precedes a hide stays listed). DIR is what the fd names, seen through
// the binds. Only names under a hidden value are asked (VmWorld.hidden).
//
// Invariant (race): the fd's path is read at the exit; a sibling thread could have dup2'd
// another directory onto the fd while the call ran, so the path-based check alone could
// judge the records of one directory by another's name. As a second check that needs no
// path, a record whose name and inode are those of a hidden path itself (`under`/`equals`
// values, lstat'd on the host) is dropped whatever directory the fd names now.
//
// Virtual files at paths absent on the host (VmWorld.listed) are added to their directory's
// listing after the host's entries: when the kernel says "end of directory" (0) for the
// first time in a pass over the directory, the supervisor writes their records instead (as
// many as fit; the rest at the next call), and only the next call sees the 0. Each record's
// d_ino is the prepared file's inode (what stat shows), d_type DT_REG, and d_off the
// kernel's end position (a seekdir there goes to the end). A pass starts again whenever the
// kernel returns records (rewinddir, or the fd reused for another directory: every pass
// over a directory returns some, at least `.` and `..`). The state is per process, fd and
// directory inode.
//
// What it does not do: bound directories (`bind`) are not added to their parent's listing
// when `from` does not exist on the host; a process that shares a directory's open file
// description with another (fork) and takes over its listing halfway may see the virtual
// records twice or not at all.
import { lstatSync, readFileSync, statSync } from 'node:fs';
import { posix } from 'node:path';

import { DT_REG, EINVAL } from '../linux/consts.js';
import { readMem, writeMem } from '../linux/mem.js';
import { decodePath, encodePath } from '../linux/pathtext.js';
import { dirPath } from '../tracer/paths.js';
import { under } from './bind.js';
import type { EmuContext, ExitHandler, VmWorld } from './context.js';
import { hostPathFor, virtualDir } from './vpath.js';

export const DIRENT_CALLS = ['getdents64', 'getdents'] as const;

/** linux_dirent64: u64 d_ino, s64 d_off, u16 d_reclen, u8 d_type, char d_name[]. */
const NAME64 = 19;
/** linux_dirent (old getdents): ulong d_ino, ulong d_off, u16 d_reclen, char d_name[], ..., u8 d_type. */
const NAME = 18;

/** One directory record for `name` (getdents64's layout, or the old getdents'). */
function record(is64: boolean, ino: bigint, off: bigint, name: string): Buffer {
  const bytes = encodePath(name);
  const len = ((is64 ? NAME64 + bytes.length + 1 : NAME + bytes.length + 2) + 7) & ~7;
  const rec = Buffer.alloc(len);
  rec.writeBigUInt64LE(ino, 0);
  rec.writeBigInt64LE(off, 8);
  rec.writeUInt16LE(len, 16);
  if (is64) rec.writeUInt8(DT_REG, 18);
  else rec.writeUInt8(DT_REG, len - 1);
  bytes.copy(rec, is64 ? NAME64 : NAME);
  return rec;
}

/** The directory an fd names: its virtual path, and `dev:ino` (undefined: not a directory path). */
function dirOf(world: VmWorld, tid: number, fd: number): { path: string; id: string } | undefined {
  try {
    const link = dirPath(tid, fd);
    if (link === undefined) return undefined;
    const st = statSync(`/proc/${tid}/fd/${fd}`);
    return { path: virtualDir(world.binds, link), id: `${st.dev}:${st.ino}` };
  } catch {
    return undefined;
  }
}

/** The kernel's position in an open directory (/proc/TID/fdinfo/FD), or 0. */
function position(tid: number, fd: number): bigint {
  try {
    const m = /^pos:\s+(\d+)$/m.exec(readFileSync(`/proc/${tid}/fdinfo/${fd}`, 'utf8'));
    return m === null ? 0n : BigInt.asIntN(64, BigInt(m[1]!));
  } catch {
    return 0n;
  }
}

/** Can anything below `dir` (or `dir`'s entry `name`) be hidden by the world's values? */
function candidate(world: VmWorld, full: string): boolean {
  for (const h of world.hidden ?? []) {
    if (h.op === 'glob') return true;
    if (h.op === 'equals' ? full === h.value : under(h.value, full)) return true;
  }
  return false;
}

/** Name -> inodes of the hidden paths themselves (the race check, see the header). */
function hiddenInodes(world: VmWorld): Map<string, Set<bigint>> {
  const out = new Map<string, Set<bigint>>();
  for (const h of world.hidden ?? []) {
    if (h.op === 'glob' || h.value === '/') continue;
    const st = lstatSync(hostPathFor(world.binds, h.value), { throwIfNoEntry: false, bigint: true });
    if (st === undefined) continue;
    const name = posix.basename(h.value);
    const set = out.get(name) ?? new Set<bigint>();
    set.add(st.ino);
    out.set(name, set);
  }
  return out;
}

/** The exit handler of a getdents64/getdents call, or undefined when the world changes no listing. */
export function direntsExit(ctx: EmuContext): ExitHandler | undefined {
  const world = ctx.world;
  const isHidden = ctx.hidden;
  const hides = isHidden !== undefined && (world.hidden ?? []).length > 0;
  const lists = (world.listed ?? []).length > 0;
  if (!hides && !lists) return undefined;
  const is64 = ctx.name === 'getdents64';
  const fd = Number(BigInt.asIntN(32, ctx.args[0]!));
  const buf = ctx.args[1]!;
  const count = Number(ctx.args[2]! & 0xffffffffn);
  const files = ctx.files;
  return (x) => {
    if (x.rval < 0n) return;
    const dir = dirOf(world, x.tid, fd);
    const key = dir === undefined ? undefined : `${x.pid}:${fd}:${dir.id}`;
    if (x.rval === 0n) {
      if (!lists || dir === undefined || key === undefined) return;
      // The end of the host's entries: the virtual files of this directory, once per pass.
      const mine = (world.listed ?? []).filter((l) => posix.dirname(l.path) === dir.path
        && lstatSync(hostPathFor(world.binds, l.path), { throwIfNoEntry: false }) === undefined
        && isHidden?.(l.path) !== true);
      const done = files.listedIn.get(key) ?? 0;
      if (done >= mine.length) return;
      const off = position(x.tid, fd);
      const out: Buffer[] = [];
      let n = 0;
      for (const l of mine.slice(done)) {
        let ino: bigint;
        try {
          ino = BigInt(statSync(files.prepare(l.path, l.content)).ino);
        } catch {
          ino = 1n;
        }
        const rec = record(is64, ino, off, posix.basename(l.path));
        if (n + rec.length > count) break;
        out.push(rec);
        n += rec.length;
      }
      if (out.length === 0) return x.setReturn(BigInt(-EINVAL)); // as the kernel: no room for one record
      if (writeMem(x.tid, buf, Buffer.concat(out, n)) !== 0) return;
      files.listedIn.set(key, done + out.length);
      x.setReturn(BigInt(n));
      return;
    }
    // The kernel gave records: a (new) pass over the directory.
    if (key !== undefined) files.listedIn.delete(key);
    if (!hides) return;
    const len = Number(x.rval);
    // Security: records the supervisor cannot read or parse were changed under it (a sibling
    // thread made the buffer unreadable, or rewrote a record, after the kernel wrote it): left
    // alone they would show the hidden names the kernel put there. The process dies instead,
    // as when the filtered records cannot be written back.
    const raw = readMem(x.tid, buf, len);
    if (raw === null || raw.length !== len) return x.killProcess('sysvm:dirents-unreadable');
    const inodes = hiddenInodes(world);
    const kept: Buffer[] = [];
    let keptLen = 0;
    for (let at = 0; at + (is64 ? NAME64 : NAME) <= len;) {
      const reclen = raw.readUInt16LE(at + 16);
      if (reclen === 0 || at + reclen > len) return x.killProcess('sysvm:dirents-unreadable'); // not the kernel's layout
      const rec = raw.subarray(at, at + reclen);
      at += reclen;
      const nameBytes = rec.subarray(is64 ? NAME64 : NAME);
      const nul = nameBytes.indexOf(0);
      const name = decodePath(nameBytes, 0, nul < 0 ? nameBytes.length : nul);
      if (name !== '.' && name !== '..') {
        if (inodes.get(name)?.has(rec.readBigUInt64LE(0)) === true) continue;
        if (dir !== undefined) {
          const full = dir.path === '/' ? `/${name}` : `${dir.path}/${name}`;
          if (candidate(world, full) && isHidden!(full)) continue;
        }
      }
      kept.push(rec);
      keptLen += reclen;
    }
    if (keptLen === len) return;
    if (keptLen === 0) {
      // Every record hidden: not the end of the directory. Read on (see the header).
      x.restart();
      return;
    }
    if (writeMem(x.tid, buf, Buffer.concat(kept, keptLen)) === 0) x.setReturn(BigInt(keptLen));
    else x.killProcess('sysvm:dirents-unwritable'); // hidden names would stay in its buffer
  };
}
