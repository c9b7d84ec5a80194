// What `sysvm test` and `sysvm explain` decide a call with: the policy as `sysvm run` judges it
// (the runtime's own judgedPolicy: the host names of deny rules' paths, the caller's
// /proc/self), and the call as the calling process makes it (its /proc/self and
// /proc/thread-self are its own pid and thread). docs/cli.md, "The verdict sysvm run gives".
import type { FdInfo, Invocation, PolicyIR, SockAddr } from '@sysvm/policy';
import { judgedPolicy } from '@sysvm/runtime';

/**
 * The pid (and thread id) of the process a case or an explained call is made by. PID_MAX_LIMIT
 * (include/linux/threads.h, 64-bit): the kernel never gives it to a process, so a
 * `/proc/PID/...` a call names with a number is never the caller's own, as it would be under
 * `sysvm run` for any number but the caller's.
 */
export const CALLER_PID = 4194304;

/** `/proc/self` and `/proc/thread-self` at the start of a path, as the kernel resolves them for the caller. */
const PROC_SELF = /^\/proc\/(self|thread-self)(?=\/|$)/;

/** `path` with a leading /proc/self (/proc/thread-self) named as the caller's /proc/PID (/proc/PID/task/TID). */
export function callerPath(path: string): string {
  return path.replace(PROC_SELF, (_m, which: string) => (which === 'self' ? `/proc/${CALLER_PID}` : `/proc/${CALLER_PID}/task/${CALLER_PID}`));
}

/** `inv` with every path it names (path arguments, fd paths, unix socket paths) as the caller's. */
function asCaller(inv: Invocation): Invocation {
  const d = inv.deref;
  if (d === undefined) return inv;
  const fd = d.fd;
  const sockaddrs = d.sockaddrs;
  const missing = d.missing;
  const mapPath = (p: string | undefined): string | undefined => (p === undefined ? p : callerPath(p));
  const mapFd = (i: FdInfo | undefined): FdInfo | undefined => (i?.path === undefined ? i : { ...i, path: callerPath(i.path) });
  const mapAddr = (a: SockAddr | null): SockAddr | null => (a !== null && 'path' in a ? { ...a, path: callerPath(a.path) } : a);
  return {
    ...inv,
    deref: {
      path: (arg) => mapPath(d.path(arg)),
      ...(fd !== undefined ? { fd: (arg: number) => mapFd(fd(arg)) } : {}),
      ...(sockaddrs !== undefined ? { sockaddrs: (arg: number) => sockaddrs(arg)?.map(mapAddr) } : {}),
      ...(missing !== undefined ? { missing: (arg: number) => missing.call(d, arg) } : {}),
    },
  };
}

/**
 * The policy `sysvm run` would judge calls of the caller with (resolved on this host, when
 * called), and the mapping of a call to the caller's: for workflow.runTestFile's `judge`.
 */
export function asRun(ir: PolicyIR): { ir: PolicyIR; invocation: (inv: Invocation) => Invocation } {
  const { judged, forCaller } = judgedPolicy(ir);
  return { ir: forCaller === undefined ? judged : forCaller(CALLER_PID, CALLER_PID), invocation: asCaller };
}
