// seccomp's side of classic BPF: the filter's return values and what the kernel makes
// of them. The SECCOMP_RET_* values come from the generated abi constants (read from
// include/uapi/linux/seccomp.h), never typed here.
import { constant } from '../abi/index.js';

function u32Constant(name: string): number {
  const v = constant(name);
  if (v === undefined) throw new Error(`abi constant ${name} missing: regenerate the abi (pnpm gen:abi)`);
  return Number(BigInt.asUintN(32, v));
}

export const SECCOMP_RET_KILL_PROCESS = u32Constant('SECCOMP_RET_KILL_PROCESS');
export const SECCOMP_RET_KILL_THREAD = u32Constant('SECCOMP_RET_KILL_THREAD');
export const SECCOMP_RET_TRAP = u32Constant('SECCOMP_RET_TRAP');
export const SECCOMP_RET_ERRNO = u32Constant('SECCOMP_RET_ERRNO');
export const SECCOMP_RET_USER_NOTIF = u32Constant('SECCOMP_RET_USER_NOTIF');
export const SECCOMP_RET_TRACE = u32Constant('SECCOMP_RET_TRACE');
export const SECCOMP_RET_LOG = u32Constant('SECCOMP_RET_LOG');
export const SECCOMP_RET_ALLOW = u32Constant('SECCOMP_RET_ALLOW');
export const SECCOMP_RET_ACTION_FULL = u32Constant('SECCOMP_RET_ACTION_FULL');
export const SECCOMP_RET_DATA = u32Constant('SECCOMP_RET_DATA');

export type SeccompAction =
  | 'kill_process'
  | 'kill_thread'
  | 'trap'
  | 'errno'
  | 'user_notif'
  | 'trace'
  | 'log'
  | 'allow';

/** A filter's return value split the way kernel/seccomp.c reads it. */
export interface SeccompRet {
  action: SeccompAction;
  /** The SECCOMP_RET_DATA bits (errno for ERRNO, the tracer's message for TRACE). */
  data: number;
}

/**
 * Decode a filter's 32-bit return value. As in the kernel (since 4.14), an action
 * value it does not know is treated as KILL_PROCESS.
 */
export function decodeRet(ret: number): SeccompRet {
  const r = ret >>> 0;
  const full = (r & SECCOMP_RET_ACTION_FULL) >>> 0;
  const data = r & SECCOMP_RET_DATA;
  switch (full) {
    case SECCOMP_RET_KILL_PROCESS: return { action: 'kill_process', data };
    case SECCOMP_RET_KILL_THREAD: return { action: 'kill_thread', data };
    case SECCOMP_RET_TRAP: return { action: 'trap', data };
    case SECCOMP_RET_ERRNO: return { action: 'errno', data };
    case SECCOMP_RET_USER_NOTIF: return { action: 'user_notif', data };
    case SECCOMP_RET_TRACE: return { action: 'trace', data };
    case SECCOMP_RET_LOG: return { action: 'log', data };
    case SECCOMP_RET_ALLOW: return { action: 'allow', data };
    default: return { action: 'kill_process', data };
  }
}

/** Readable form of a return value: `ALLOW`, `ERRNO(13)`, `TRACE(3)`, `KILL_PROCESS`. */
export function formatRet(ret: number): string {
  const { action, data } = decodeRet(ret);
  const name = action.toUpperCase();
  if (action === 'errno' || action === 'trace' || action === 'trap') return `${name}(${data})`;
  return data === 0 ? name : `${name}(${data})`;
}

/** `SECCOMP_RET_ERRNO | errno`, checking the errno fits the kernel's range (1..4095). */
export function retErrno(errno: number): number {
  if (!Number.isInteger(errno) || errno < 1 || errno > 4095) {
    throw new RangeError(`errno ${errno} out of range: the kernel returns -errno only for 1..4095`);
  }
  return (SECCOMP_RET_ERRNO | errno) >>> 0;
}

/** `SECCOMP_RET_TRACE | data`; data is the 16-bit message the tracer reads with PTRACE_GETEVENTMSG. */
export function retTrace(data: number): number {
  if (!Number.isInteger(data) || data < 0 || data > 0xffff) {
    throw new RangeError(`SECCOMP_RET_TRACE data ${data} does not fit 16 bits`);
  }
  return (SECCOMP_RET_TRACE | data) >>> 0;
}
