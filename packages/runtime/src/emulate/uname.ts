// Emulation of uname(2): the supervisor writes a struct utsname built from the host's, with
// the policy's fields over it, and the call is skipped with 0 (or -EFAULT).
import { readFileSync } from 'node:fs';
import os from 'node:os';

import type { UtsField } from '../ir.js';
import { EFAULT } from '../linux/consts.js';
import { writeMem } from '../linux/mem.js';

/** struct utsname: six char[__NEW_UTS_LEN + 1] fields. */
export const UTS_FIELD_LEN = 65;
export const UTS_FIELDS: readonly UtsField[] = ['sysname', 'nodename', 'release', 'version', 'machine', 'domainname'];

function hostUts(): Record<UtsField, string> {
  let domainname = '(none)';
  try {
    domainname = readFileSync('/proc/sys/kernel/domainname', 'utf8').trim();
  } catch {
    // keep the kernel's default
  }
  return {
    sysname: os.type(), nodename: os.hostname(), release: os.release(), version: os.version(),
    machine: os.machine(), domainname,
  };
}

export function buildUtsname(fields: Partial<Record<UtsField, string>>): Buffer {
  const host = hostUts();
  const buf = Buffer.alloc(UTS_FIELD_LEN * UTS_FIELDS.length);
  UTS_FIELDS.forEach((f, i) => {
    const value = Buffer.from(fields[f] ?? host[f], 'utf8').subarray(0, UTS_FIELD_LEN - 1);
    value.copy(buf, i * UTS_FIELD_LEN);
  });
  return buf;
}

/** Carry out the emulation for the thread `tid` whose uname buffer is at `addr`; returns the result. */
export function emulateUname(tid: number, addr: bigint, fields: Partial<Record<UtsField, string>>): number {
  return writeMem(tid, addr, buildUtsname(fields)) === 0 ? 0 : -EFAULT;
}
