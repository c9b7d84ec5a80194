// Emulation of the process identity (umview's uid/gid module): getuid, geteuid, getgid,
// getegid, getresuid, getresgid and getgroups answer from the policy's virtual identity;
// setuid, setgid, setreuid, setregid, setresuid, setresgid, setfsuid, setfsgid and setgroups
// succeed as no-ops when they only name virtual ids, else fail with EPERM.
//
// Stat-like calls (stat, lstat, fstat, newfstatat, statx) routed to this module run, and at
// their exit an owner or group equal to the real (effective) id is shown as the virtual one,
// so `ls -l` shows the program's own files as owned by its virtual user. That costs an exit
// stop per stat, so the front end routes them here only when asked.
//
// What it cannot do: the kernel still checks permissions with the real ids (a virtual root
// cannot read a file the real user cannot), files created get the real owner,
// /proc/self/status shows the real ids, and a set*id call never changes them.
//
// Security: every answer is a skipped call (nothing runs in the kernel); the only memory
// written is the program's own buffers, at the addresses it passed (a bad address is EFAULT,
// as from the kernel). A "successful" setuid that changed nothing cannot raise privileges:
// the real credentials are untouched, and NO_NEW_PRIVS holds for the whole sandbox.
import type { VirtualIdentity } from '../ir.js';
import { EFAULT, EINVAL, ENOSYS, EPERM } from '../linux/consts.js';
import { readMem, writeMem } from '../linux/mem.js';
import type { EmuContext, EmuOutcome, ExitHandler } from './context.js';

/** The calls this module answers (the front end names these in an identity rule). */
export const IDENTITY_SYSCALLS = [
  'getuid', 'geteuid', 'getgid', 'getegid', 'getresuid', 'getresgid', 'getgroups',
  'setuid', 'setgid', 'setreuid', 'setregid', 'setresuid', 'setresgid', 'setfsuid', 'setfsgid', 'setgroups',
] as const;

/** Stat-like calls whose owner this module can show as the virtual one: buffer argument, uid/gid offsets. */
export const STAT_OWNER: Record<string, { buf: number; uid: number; gid: number }> = {
  // struct stat (x86_64): st_uid at 28, st_gid at 32.
  stat: { buf: 1, uid: 28, gid: 32 }, lstat: { buf: 1, uid: 28, gid: 32 }, fstat: { buf: 1, uid: 28, gid: 32 },
  newfstatat: { buf: 2, uid: 28, gid: 32 },
  // struct statx: stx_uid at 20, stx_gid at 24.
  statx: { buf: 4, uid: 20, gid: 24 },
};

/** The sandbox runs with the supervisor's credentials (spawned by it, NO_NEW_PRIVS). */
const REAL = { uid: process.geteuid?.() ?? 0, gid: process.getegid?.() ?? 0 };

function statOwnerExit(buf: bigint, where: { uid: number; gid: number }, i: Ids): ExitHandler {
  return (x) => {
    if (x.rval !== 0n) return;
    const ids = readMem(x.tid, buf + BigInt(where.uid), where.gid - where.uid + 4);
    if (ids === null || ids.length < 8) return;
    const uid = ids.readUInt32LE(0);
    const gid = ids.readUInt32LE(where.gid - where.uid);
    if (uid === REAL.uid) writeMem(x.tid, buf + BigInt(where.uid), u32s([i.euid]));
    if (gid === REAL.gid) writeMem(x.tid, buf + BigInt(where.gid), u32s([i.egid]));
  };
}

interface Ids { uid: number; gid: number; euid: number; egid: number; suid: number; sgid: number; groups: number[] }

function ids(v: VirtualIdentity): Ids {
  const euid = v.euid ?? v.uid;
  const egid = v.egid ?? v.gid;
  return { uid: v.uid, gid: v.gid, euid, egid, suid: v.suid ?? euid, sgid: v.sgid ?? egid, groups: v.groups ?? [v.gid] };
}

/** A 32-bit id argument; -1 (0xffffffff) means "unchanged". */
const idArg = (a: bigint): number => Number(a & 0xffffffffn);
const UNCHANGED = 0xffffffff;

function u32s(values: number[]): Buffer {
  const b = Buffer.alloc(4 * values.length);
  values.forEach((v, i) => b.writeUInt32LE(v >>> 0, 4 * i));
  return b;
}

/** Write the three ids of getresuid/getresgid to three separate pointers. */
function writeThree(ctx: EmuContext, values: [number, number, number]): number {
  for (let i = 0; i < 3; i++) {
    if (writeMem(ctx.tid, ctx.args[i]!, u32s([values[i]!])) !== 0) return -EFAULT;
  }
  return 0;
}

/** Every named id is one of the virtual ones (or -1): the call is a no-op that succeeds. */
function setIds(named: bigint[], allowed: number[]): number {
  return named.every((a) => idArg(a) === UNCHANGED || allowed.includes(idArg(a))) ? 0 : -EPERM;
}

export function emulateIdentity(ctx: EmuContext, v: VirtualIdentity): EmuOutcome {
  const i = ids(v);
  const a = ctx.args;
  const uids = [i.uid, i.euid, i.suid];
  const gids = [i.gid, i.egid, i.sgid];
  switch (ctx.name) {
    case 'getuid': return { skip: i.uid };
    case 'geteuid': return { skip: i.euid };
    case 'getgid': return { skip: i.gid };
    case 'getegid': return { skip: i.egid };
    case 'getresuid': return { skip: writeThree(ctx, [i.uid, i.euid, i.suid]) };
    case 'getresgid': return { skip: writeThree(ctx, [i.gid, i.egid, i.sgid]) };
    case 'getgroups': {
      const size = Number(BigInt.asIntN(32, a[0]!));
      if (size < 0) return { skip: -EINVAL };
      if (size === 0) return { skip: i.groups.length };
      if (size < i.groups.length) return { skip: -EINVAL };
      return { skip: writeMem(ctx.tid, a[1]!, u32s(i.groups)) === 0 ? i.groups.length : -EFAULT };
    }
    case 'setuid': return { skip: setIds([a[0]!], uids) };
    case 'setgid': return { skip: setIds([a[0]!], gids) };
    case 'setreuid': return { skip: setIds([a[0]!, a[1]!], uids) };
    case 'setregid': return { skip: setIds([a[0]!, a[1]!], gids) };
    case 'setresuid': return { skip: setIds([a[0]!, a[1]!, a[2]!], uids) };
    case 'setresgid': return { skip: setIds([a[0]!, a[1]!, a[2]!], gids) };
    // setfsuid/setfsgid return the previous fs id whether or not they change it.
    case 'setfsuid': return { skip: i.euid };
    case 'setfsgid': return { skip: i.egid };
    case 'setgroups': {
      const size = Number(BigInt.asIntN(32, a[0]!));
      if (size < 0 || size > 65536) return { skip: -EINVAL };
      const raw = size === 0 ? Buffer.alloc(0) : readMem(ctx.tid, a[1]!, 4 * size);
      if (raw === null || raw.length < 4 * size) return { skip: -EFAULT };
      const asked = Array.from({ length: size }, (_, k) => raw.readUInt32LE(4 * k));
      return { skip: asked.every((g) => i.groups.includes(g)) ? 0 : -EPERM };
    }
    default: {
      const st = STAT_OWNER[ctx.name];
      if (st !== undefined) return { pass: true, atExit: statOwnerExit(a[st.buf]!, st, i) };
      // A call the front end routed here that this module does not know: fail closed.
      return { skip: -ENOSYS };
    }
  }
}
