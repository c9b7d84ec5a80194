// `sysvm doctor`: what this machine offers the sandbox, found by trying (not by version
// numbers): a stopped child is spawned and seized, options are set on it, syscalls are
// called. Every probe is synchronous and on the calling thread (ptrace requests must come
// from the thread that attached); the child is spawned through posix_spawn, never through
// child_process (libuv would reap it).
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';

import {
  EINVAL, EIO, PTRACE_GET_SYSCALL_INFO, PTRACE_INTERRUPT, PTRACE_O_VM_TAGS, PTRACE_SEIZE, PTRACE_SETOPTIONS,
  SIGKILL, WUNTRACED, __WALL,
} from './linux/consts.js';
import { errno, kill, ptrace, ptraceBuf, strerror, waitpid } from './linux/libc.js';
import { landlockAbi, LANDLOCK_MIN_ABI, LANDLOCK_SCOPE_ABI } from './linux/landlock.js';
import { AUTO_BACKEND, BASE_OPTIONS } from './tracer/backend.js';
import { spawnStub } from './tracer/launch.js';

export { AUTO_BACKEND, landlockAbi };

/** One finding. `ok`: true (available), false (missing), null (informational). */
export interface Check {
  id: string;
  title: string;
  ok: boolean | null;
  /** What was found, short (a version, a value). */
  value: string;
  /** What it means for sysvm. */
  why: string;
}

const WNOHANG = 1;
// include/uapi/linux/capability.h
const CAP_SYS_PTRACE = 19;

function read(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return undefined;
  }
}

function statusField(name: string): string | undefined {
  const m = new RegExp(`^${name}:\\s*(.*)$`, 'm').exec(read('/proc/self/status') ?? '');
  return m?.[1]?.trim();
}

/** Wait for `pid` to change state, at most `ms` (a doctor must never hang). */
function waitFor(pid: number, status: Int32Array, flags: number, ms = 2000): number {
  const sleep = new Int32Array(new SharedArrayBuffer(4));
  for (let waited = 0; waited <= ms; waited += 5) {
    const r = waitpid(pid, status, flags | WNOHANG);
    if (r !== 0) return r;
    Atomics.wait(sleep, 0, 0, 5);
  }
  return 0;
}

export interface PtraceProbe {
  seize: { ok: boolean; error?: string };
  vmTags: { ok: boolean; error?: string } | null;
  syscallInfo: { ok: boolean; error?: string } | null;
}

/** Spawn a stopped child, PTRACE_SEIZE it, try PTRACE_O_VM_TAGS and PTRACE_GET_SYSCALL_INFO on it. */
export function probePtrace(): PtraceProbe {
  const pid = spawnStub({ file: '/bin/true', args: [], env: [], stdio: [{ kind: 'ignore' }, { kind: 'ignore' }, { kind: 'ignore' }] });
  const status = new Int32Array(1);
  const out: PtraceProbe = { seize: { ok: false }, vmTags: null, syscallInfo: null };
  try {
    if (waitFor(pid, status, WUNTRACED) !== pid) {
      out.seize = { ok: false, error: 'the test child did not stop' };
      return out;
    }
    if (ptrace(PTRACE_SEIZE, pid, 0, BASE_OPTIONS) < 0) {
      out.seize = { ok: false, error: strerror(errno()) };
      return out;
    }
    out.seize = { ok: true };
    // A ptrace-stop to set options on: PTRACE_INTERRUPT traps the seized child.
    ptrace(PTRACE_INTERRUPT, pid, 0, 0);
    if (waitFor(pid, status, __WALL) !== pid) return out;
    // Stock kernels reject the unknown option bit with EINVAL (the ptrace_vm patch defines it).
    if (ptrace(PTRACE_SETOPTIONS, pid, 0, BASE_OPTIONS | PTRACE_O_VM_TAGS) < 0) {
      const e = errno();
      out.vmTags = { ok: false, error: e === EINVAL ? 'EINVAL (stock kernel)' : strerror(e) };
    } else {
      out.vmTags = { ok: true };
      ptrace(PTRACE_SETOPTIONS, pid, 0, BASE_OPTIONS);
    }
    const info = Buffer.alloc(96);
    if (ptraceBuf(PTRACE_GET_SYSCALL_INFO, pid, info.length, info) < 0) {
      const e = errno();
      out.syscallInfo = { ok: false, error: e === EIO ? 'EIO (before Linux 5.3)' : strerror(e) };
    } else {
      out.syscallInfo = { ok: true };
    }
    return out;
  } finally {
    kill(pid, SIGKILL);
    waitFor(pid, status, __WALL);
  }
}

const YAMA: Record<string, string> = {
  '0': 'classic: a process may trace any process of its user',
  '1': 'restricted: only descendants — fine, sysvm traces the processes it starts',
  '2': 'admin-only: tracing needs CAP_SYS_PTRACE',
  '3': 'no attach: ptrace is disabled until reboot',
};

/** Every probe but the backend trial run (see the CLI), in display order. */
export function probeMachine(): Check[] {
  const checks: Check[] = [];
  const add = (c: Check): void => { checks.push(c); };
  add({ id: 'kernel', title: 'kernel', ok: null, value: `${os.type()} ${os.release()} ${os.machine()}`, why: os.version() });

  const seccompMode = statusField('Seccomp');
  const filters = statusField('Seccomp_filters');
  const actions = read('/proc/sys/kernel/seccomp/actions_avail');
  const hasTrace = actions?.split(/\s+/).includes('trace') ?? false;
  add({
    id: 'seccomp', title: 'seccomp filters', ok: seccompMode !== undefined && (actions === undefined || hasTrace),
    value: seccompMode === undefined ? 'no (no Seccomp field in /proc/self/status)'
      : `mode ${seccompMode} here${filters !== undefined ? `, ${filters} filter(s)` : ''}; actions: ${actions ?? 'unknown'}`,
    why: seccompMode === undefined ? 'the seccomp backend is unavailable; auto falls back to ptrace'
      : hasTrace ? 'SECCOMP_RET_TRACE is there: the kernel decides what it can, only the rest stops'
        : 'RET_TRACE not listed: the seccomp backend cannot hand calls to the supervisor',
  });

  const scope = read('/proc/sys/kernel/yama/ptrace_scope');
  const root = process.getuid?.() === 0;
  const capEff = BigInt(`0x${statusField('CapEff') ?? '0'}`);
  const capPtrace = (capEff >> BigInt(CAP_SYS_PTRACE)) & 1n;
  add({
    id: 'yama', title: 'ptrace restrictions (Yama)', ok: scope === undefined || scope === '0' || scope === '1' || (scope === '2' && capPtrace === 1n),
    value: scope === undefined ? 'no Yama' : `ptrace_scope ${scope}`,
    why: scope === undefined ? 'no LSM restriction on ptrace' : (YAMA[scope] ?? 'unknown value'),
  });
  add({
    id: 'user', title: 'privileges', ok: null,
    value: root ? 'root' : `uid ${process.getuid?.() ?? '?'}`,
    why: `${capPtrace ? 'has' : 'no'} CAP_SYS_PTRACE; sysvm needs no privileges (NO_NEW_PRIVS lets it install filters)`,
  });

  let probe: PtraceProbe | undefined;
  let probeError: string | undefined;
  try {
    probe = probePtrace();
  } catch (e) {
    probeError = e instanceof Error ? e.message : String(e);
  }
  add({
    id: 'ptrace', title: 'ptrace a child (PTRACE_SEIZE)', ok: probe?.seize.ok ?? false,
    value: probe?.seize.ok ? 'yes' : `no: ${probe?.seize.error ?? probeError}`,
    why: probe?.seize.ok ? 'every backend works by tracing the sandboxed processes' : 'no backend can run: sysvm needs ptrace',
  });
  add({
    id: 'vmtags', title: 'PTRACE_O_VM_TAGS (ptrace_vm patch)', ok: probe?.vmTags?.ok ?? false,
    value: probe?.vmTags ? (probe.vmTags.ok ? 'accepted' : `no: ${probe.vmTags.error}`) : 'not tried (no ptrace)',
    why: probe?.vmTags?.ok ? 'the vmtags backend works: one stop per call, skip and pass by tag'
      : 'the vmtags backend needs a kernel with the patch in kernel/; seccomp and ptrace emulate the tags',
  });
  add({
    id: 'syscall-info', title: 'PTRACE_GET_SYSCALL_INFO', ok: probe?.syscallInfo?.ok ?? false,
    value: probe?.syscallInfo ? (probe.syscallInfo.ok ? 'yes' : `no: ${probe.syscallInfo.error}`) : 'not tried (no ptrace)',
    why: 'the tracer tells entry, exit and seccomp stops apart with it (Linux 5.3+)',
  });

  const ll = landlockAbi();
  add({
    id: 'landlock', title: 'Landlock', ok: 'version' in ll,
    value: 'version' in ll
      ? `ABI ${ll.version}${ll.version >= LANDLOCK_MIN_ABI ? ': sandboxes are scoped' : ': too old to scope sandboxes'}` : `no: ${ll.error}`,
    why: 'version' in ll && ll.version >= LANDLOCK_MIN_ABI
      ? `every sandbox runs in a Landlock domain: no ptrace, /proc/PID/mem${ll.version >= LANDLOCK_SCOPE_ABI ? ' or signal' : ''} to processes outside it`
      : 'version' in ll ? `ABI ${LANDLOCK_MIN_ABI}+ is needed to scope sandboxes (a sandbox can open /proc/PID/mem of its user's other processes)`
      : ll.error === 'EOPNOTSUPP' ? 'built in but disabled at boot (lsm= does not list landlock)' : 'path rules stay in the supervisor',
  });

  const unpriv = read('/proc/sys/kernel/unprivileged_userns_clone');
  const maxNs = read('/proc/sys/user/max_user_namespaces');
  const apparmor = read('/proc/sys/kernel/apparmor_restrict_unprivileged_userns');
  // The sysctl exists without CONFIG_USER_NS too: the kernel has user namespaces only if this
  // process is in one (/proc/self/ns/user).
  const hasUserNs = existsSync('/proc/self/ns/user');
  const userns = hasUserNs && maxNs !== undefined && maxNs !== '0' && unpriv !== '0';
  add({
    id: 'userns', title: 'user namespaces', ok: userns,
    value: [...(hasUserNs ? [] : ['not in this kernel']), `max_user_namespaces ${maxNs ?? 'n/a'}`, ...(unpriv !== undefined ? [`unprivileged_userns_clone ${unpriv}`] : []),
      ...(apparmor !== undefined ? [`apparmor_restrict_unprivileged_userns ${apparmor}`] : [])].join(', '),
    why: 'not used by sysvm today; builtin:default denies unshare and setns',
  });
  const nnp = statusField('NoNewPrivs');
  add({
    id: 'no-new-privs', title: 'NO_NEW_PRIVS', ok: null, value: nnp === '1' ? 'set on this process' : 'not set on this process',
    why: 'sysvm sets it in every sandbox (setuid programs do not gain privileges inside)',
  });
  return checks;
}
