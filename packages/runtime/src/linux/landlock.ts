// Landlock, as far as the runtime uses it: the ABI probe (doctor, tracer) and the structures
// of the ruleset the tracer installs in every sandbox (tracer.ts, `startInstall`).
//
// The constants and layouts are from include/uapi/linux/landlock.h (Linux 6.12); the
// generated catalogue does not hold them (it covers O_ AT_ AF_ ... PTRACE_, errno).
import { abi } from '@sysvm/policy/evaluate';
import koffi from 'koffi';

import { errno, strerror } from './libc.js';

/** The flag of landlock_create_ruleset() that asks for the ABI version. */
export const LANDLOCK_CREATE_RULESET_VERSION = 1;
/** enum landlock_rule_type: a rule on a file hierarchy (struct landlock_path_beneath_attr). */
export const LANDLOCK_RULE_PATH_BENEATH = 1;
/** Linking or renaming a file to another directory (ABI 2). */
export const LANDLOCK_ACCESS_FS_REFER = 1n << 13n;
/** Scope: no connect or send to an abstract unix socket made outside the domain (ABI 6). */
export const LANDLOCK_SCOPE_ABSTRACT_UNIX_SOCKET = 1n << 0n;
/** Scope: no signal to a process outside the domain (ABI 6). */
export const LANDLOCK_SCOPE_SIGNAL = 1n << 1n;
/** The first ABI whose rulesets may handle a scope and no access right. */
export const LANDLOCK_SCOPE_ABI = 6;
/** The first ABI whose domains can allow REFER: under ABI 1 a domain forbids every cross-directory rename/link. */
export const LANDLOCK_MIN_ABI = 2;

/**
 * struct landlock_ruleset_attr, cut after its first field: the kernel takes any size from
 * offsetofend(handled_access_fs) up (copy_min_struct_from_user) and treats a missing
 * field as 0, so these 8 bytes mean the same on every ABI.
 */
export function rulesetAttr(handledAccessFs: bigint): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(handledAccessFs, 0);
  return b;
}

/** The whole struct landlock_ruleset_attr of ABI 6: handled_access_fs, handled_access_net, scoped (3 × __u64). */
export function scopedRulesetAttr(scoped: bigint): Buffer {
  const b = Buffer.alloc(24);
  b.writeBigUInt64LE(scoped, 16);
  return b;
}

/** struct landlock_path_beneath_attr { __u64 allowed_access; __s32 parent_fd; } __attribute__((packed)): 12 bytes. */
export function pathBeneathAttr(allowedAccess: bigint, parentFd: number): Buffer {
  const b = Buffer.alloc(12);
  b.writeBigUInt64LE(allowedAccess, 0);
  b.writeInt32LE(parentFd, 8);
  return b;
}

const libc = koffi.load('libc.so.6');
const syscall3: (nr: number, a: number | null, b: number, c: number) => number =
  libc.func('long syscall(long nr, void *a, long b, long c)');

/** The Landlock ABI version, or the errno name that says why there is none. */
export function landlockAbi(): { version: number } | { error: string } {
  const nr = abi.syscallNumber('x86_64', 'landlock_create_ruleset');
  if (nr === undefined) return { error: 'unknown syscall' };
  const r = syscall3(nr, null, 0, LANDLOCK_CREATE_RULESET_VERSION);
  if (r >= 0) return { version: r };
  const e = errno();
  return { error: abi.errnoName(e) ?? strerror(e) };
}

let cached: number | null | undefined;

/**
 * The ABI version when sandboxes get a Landlock domain (≥ LANDLOCK_MIN_ABI), else null.
 * Probed once per process (the kernel's answer does not change while it runs).
 */
export function scopingAbi(): number | null {
  if (cached === undefined) {
    const ll = landlockAbi();
    const version = 'version' in ll ? Math.min(ll.version, abiCap()) : 0;
    cached = version >= LANDLOCK_MIN_ABI ? version : null;
  }
  return cached;
}

/**
 * SYSVM_LANDLOCK_ABI_MAX=N: use Landlock as a kernel of ABI N would (0 or 1: no domain).
 * For testing the older kernels' ruleset on a newer kernel (runtime.test.ts), and a way out
 * where a kernel's Landlock gets in a program's way. Anything but a whole number is ignored.
 */
function abiCap(): number {
  const v = process.env.SYSVM_LANDLOCK_ABI_MAX;
  return v !== undefined && /^\d+$/.test(v) ? Number(v) : Infinity;
}
