// Starting a tracee without child_process (libuv would waitpid our tracees and steal their
// stops). posix_spawnp runs a stub shell that stops itself before exec'ing the target:
//     /bin/sh -c 'kill -STOP $$; exec "$0" "$@"' TARGET ARGS...
// The tracer waits for that stop (WUNTRACED), PTRACE_SEIZEs the stub and sends SIGCONT; the
// stub's execve of the target is then the first call the supervisor sees.
// Precondition: the stub is trusted code running before the policy applies; its argv and
// environment are the caller's (not the sandboxed program's). With bash as /bin/sh, an
// exported function in that environment would run in the stub.
import { readdirSync } from 'node:fs';

import {
  O_CREAT, O_RDONLY, O_TRUNC, O_WRONLY, POSIX_SPAWN_SETPGROUP, POSIX_SPAWN_SETSIGDEF, POSIX_SPAWN_SETSIGMASK,
  SIGKILL, SIGSTOP,
} from '../linux/consts.js';
import {
  addressOf, fileActionsAddChdir, fileActionsAddClose, fileActionsAddClosefrom, fileActionsAddDup2, fileActionsAddOpen, fileActionsDestroy, fileActionsInit, posixSpawnp,
  sigdelset, sigemptyset, sigfillset, SIGSET_SIZE, SPAWN_FILE_ACTIONS_SIZE, spawnattrDestroy, spawnattrInit,
  SPAWNATTR_SIZE, spawnattrSetflags, spawnattrSetpgroup, spawnattrSetsigdefault, spawnattrSetsigmask, strerror,
} from '../linux/libc.js';
import { accessSync, constants as fsConstants } from 'node:fs';

import { cString } from '../linux/pathtext.js';

/** Where a standard fd of the tracee comes from. */
export type StdioTarget =
  | { kind: 'inherit' }
  | { kind: 'fd'; fd: number }
  | { kind: 'file'; path: string }
  | { kind: 'ignore' };

/**
 * Strings here are byte strings as linux/pathtext.ts writes them (a byte that is not part of
 * valid UTF-8 is U+DC80 + its value): each is passed to the program as exactly those bytes,
 * so an argument or file name that is not UTF-8 reaches it unchanged.
 */
export interface LaunchSpec {
  /** Absolute path of the target executable (already searched in PATH). */
  file: string;
  /**
   * Further executables of the same name later in PATH: the stub runs the first of `file`
   * and these that the sandbox lets it run (see stubScript).
   */
  alternatives?: string[];
  /** The target's arguments after argv[0]. */
  args: string[];
  /** 'KEY=value' strings. */
  env: string[];
  cwd?: string;
  stdio: [StdioTarget, StdioTarget, StdioTarget];
  /** Start the sandbox in a process group of its own (then `kill 0` inside stays inside). */
  newProcessGroup?: boolean;
}

export const STUB_SCRIPT = 'kill -STOP $$; exec "$0" "$@"';

/**
 * The stub for a target with alternatives (further executables of the same name later in
 * PATH, its $1..$n before the target's arguments): bash, where there is one, whose
 * `execfail` lets a failed `exec` go on (in POSIX sh a failed exec ends the shell). The
 * first execve is the stub's last call outside the policy (the install runs at its entry,
 * see tracer.ts); if the policy refuses it (builtin:default and a ~/.pyenv/shims or
 * ~/.cargo/bin early in PATH), the next candidate is tried under the policy, as execvp(3)
 * inside the sandbox, or bubblewrap, would find the program. Each refusal is the policy's,
 * audited and printed as any other.
 * Security: `-p` (privileged mode) makes bash ignore $BASH_ENV and $ENV and the functions
 * exported in the environment: the caller's environment is the target's, and it must not
 * name code that runs in the stub, outside the policy (a ~/.bashrc the sandboxed program
 * could have written when the cwd was the home directory).
 */
export const BASH = '/bin/bash';
export function stubArgv(spec: LaunchSpec, haveBash: () => boolean): { shell: string; argv: string[] } {
  const alts = spec.alternatives ?? [];
  if (alts.length === 0 || !haveBash()) return { shell: '/bin/sh', argv: ['/bin/sh', '-c', STUB_SCRIPT, spec.file, ...spec.args] };
  // $0 is "sysvm", so that bash's message for a refused candidate (a line, printed before
  // the next is tried) is read as the launcher's, not the program's.
  const n = alts.length + 1;
  const script = `kill -STOP $$; shopt -s execfail; c=("\${@:1:${n}}"); shift ${n}; for f in "\${c[@]}"; do exec "$f" "$@"; done; exit $?`;
  return { shell: BASH, argv: [BASH, '-p', '-c', script, 'sysvm', spec.file, ...alts, ...spec.args] };
}

export class LaunchError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
  }
}

/** A NULL-terminated array of the addresses of the strings' bytes, and the Buffers that hold them. */
function cStrings(list: readonly string[]): { array: BigUint64Array; strings: Buffer[] } {
  const strings = list.map(cString);
  const array = new BigUint64Array(strings.length + 1);
  strings.forEach((b, i) => { array[i] = addressOf(b); });
  return { array, strings };
}

const isExecutable = (f: string): boolean => {
  try {
    accessSync(f, fsConstants.X_OK);
    return true;
  } catch {
    return false;
  }
};

function keepAlive(..._values: unknown[]): void {
  // referenced after the call, so the Buffers cannot be collected during it
}

/** Spawn the stopped stub. Returns its pid. The caller must wait for its stop. */
export function spawnStub(spec: LaunchSpec): number {
  const fa = Buffer.alloc(SPAWN_FILE_ACTIONS_SIZE);
  const attr = Buffer.alloc(SPAWNATTR_SIZE);
  const sigs = Buffer.alloc(SIGSET_SIZE);
  fileActionsInit(fa);
  spawnattrInit(attr);
  try {
    spec.stdio.forEach((s, fd) => {
      let r = 0;
      switch (s.kind) {
        // Node marks fds 0-2 close-on-exec: dup2 onto themselves clears the flag.
        case 'inherit': r = fileActionsAddDup2(fa, fd, fd); break;
        case 'fd': r = fileActionsAddDup2(fa, s.fd, fd); break;
        case 'ignore': r = fileActionsAddOpen(fa, fd, cString('/dev/null'), fd === 0 ? O_RDONLY : O_WRONLY, 0); break;
        case 'file':
          r = fileActionsAddOpen(fa, fd, cString(s.path), fd === 0 ? O_RDONLY : O_WRONLY | O_CREAT | O_TRUNC, 0o644);
          break;
      }
      if (r !== 0) throw new LaunchError('ESPAWN', `posix_spawn_file_actions for fd ${fd}: ${strerror(r)}`);
    });
    // Security: the program gets fds 0-2 and nothing else of the supervisor's. An fd that
    // sysvm's own parent left open without close-on-exec (Node marks only 0-16 so at start)
    // would reach the sandbox: a connected socket to a service outside, a file the policy
    // denies, already open, judged by no path rule. After the dup2s, whose sources it closes.
    // (glibc < 2.34: each fd this process has open from 3 up, as /proc/self/fd lists them.)
    const closed = fileActionsAddClosefrom !== null ? fileActionsAddClosefrom(fa, 3)
      : readdirSync('/proc/self/fd').map(Number).filter((n) => n >= 3).reduce((r, n) => r || fileActionsAddClose(fa, n), 0);
    if (closed !== 0) throw new LaunchError('ESPAWN', `closing the supervisor's fds in the program: ${strerror(closed)}`);
    if (spec.cwd !== undefined && fileActionsAddChdir(fa, cString(spec.cwd)) !== 0) {
      throw new LaunchError('ESPAWN', `posix_spawn_file_actions_addchdir_np(${spec.cwd}) failed`);
    }
    // Node ignores SIGPIPE and SIGXFSZ, and that survives exec: reset every signal to its
    // default and unblock them all.
    spawnattrSetflags(attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK
      | (spec.newProcessGroup === true ? POSIX_SPAWN_SETPGROUP : 0));
    if (spec.newProcessGroup === true) spawnattrSetpgroup(attr, 0);
    sigfillset(sigs);
    sigdelset(sigs, SIGKILL);
    sigdelset(sigs, SIGSTOP);
    spawnattrSetsigdefault(attr, sigs);
    sigemptyset(sigs);
    spawnattrSetsigmask(attr, sigs);
    const pid = new Int32Array(1);
    // bash is looked for only when there are alternatives (an access(2) the common launch skips)
    const stub = stubArgv(spec, () => isExecutable(BASH));
    const argv = cStrings(stub.argv);
    const envp = cStrings(spec.env);
    const r = posixSpawnp(pid, stub.shell, fa, attr, argv.array, envp.array);
    // The strings must live until posix_spawnp has returned (it has copied them by then).
    keepAlive(argv.strings, envp.strings);
    if (r !== 0) {
      const msg = r === 2 && spec.cwd !== undefined ? `cannot enter ${spec.cwd}` : strerror(r);
      throw new LaunchError('ESPAWN', `cannot start /bin/sh for ${spec.file}: ${msg}`);
    }
    return pid[0]!;
  } finally {
    fileActionsDestroy(fa);
    spawnattrDestroy(attr);
  }
}
