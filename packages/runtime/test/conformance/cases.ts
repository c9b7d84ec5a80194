// The conformance suite as data: each case is a policy (a YAML file of this directory or a
// builtin), a command, and what must come out: stdout, exit status, the audit events
// (verdict, syscall, rule; in order), and where deterministic, how many calls reached the
// supervisor per backend. conformance.test.ts runs every case on every backend the kernel
// offers (ptrace and seccomp; vmtags too on the patched kernel, kernel/test/vmtags-runtime).
//
// In `command`, `cwd` and `stdout`: `$fs` is the fixture directory (also ${tmp} in the
// policies): $fs/allowed/ok.txt ("fine"), $fs/secret/key.txt, $fs/allowed/link ->
// ../secret/key.txt, $fs/allowed/dirlink -> $fs/secret; names that are not UTF-8:
// $fs/raw/\xff and $fs/raw/\xfe -> ../secret, $fs/raw/t -> \xfe, $fs/sécret/\xff (a file).
// `$bin/NAME` is the program compiled from test/c/NAME.c.
import type { BackendName } from '../../src/index.js';

export interface Case {
  name: string;
  /** A file of this directory, or builtin:NAME. */
  policy: string;
  command: string[];
  cwd?: string;
  stdout?: string;
  /** The exit code (default 0) or the signal that ended the program. */
  code?: number | null;
  signal?: string;
  stderrContains?: string;
  /**
   * Every audit event, as "verdict syscall rule" (omitted: not checked). The runtime's own
   * safety rules are enforced in the kernel under a prefilter (no audit event there), so the
   * cases for them check the result only.
   */
  audit?: string[];
  /** Calls that reached the supervisor: a count for every backend, or per backend (absent: 0). */
  decided?: Record<string, number | Partial<Record<BackendName, number>>>;
  /** Processes and threads the tracer saw. */
  tracees?: number;
  /**
   * What the kernel must have for the case to mean anything; skipped elsewhere.
   * ia32: 32-bit syscall emulation (IA32_EMULATION; without it `int 0x80` is a SIGSEGV,
   * as in the vmtags test guest's tinyconfig kernel). Detected by running the program bare.
   */
  requires?: 'ia32';
}

const deny = (n: number, syscall = 'openat'): string[] => Array<string>(n).fill(`deny ${syscall} no-secrets`);

export const CASES: Case[] = [
  // Coreutils, shells, interpreters.
  { name: 'cat a file', policy: 'allow-all.yaml', command: ['cat', '$fs/allowed/ok.txt'], stdout: 'fine\n', audit: [] },
  { name: 'ls a directory', policy: 'allow-all.yaml', command: ['ls', '$fs/allowed'], stdout: 'dirlink\nlink\nok.txt\n' },
  { name: 'exit status', policy: 'allow-all.yaml', command: ['sh', '-c', 'exit 7'], code: 7 },
  { name: 'killed by SIGTERM', policy: 'allow-all.yaml', command: ['sh', '-c', 'kill -TERM $$'], code: null, signal: 'SIGTERM' },
  { name: 'killed by SIGKILL', policy: 'allow-all.yaml', command: ['sh', '-c', 'kill -KILL $$'], code: null, signal: 'SIGKILL' },
  { name: 'a shell pipeline', policy: 'allow-all.yaml', command: ['sh', '-c', 'printf "b\\na\\nc\\n" | sort | head -n 2'], stdout: 'a\nb\n' },
  {
    name: 'python3 with threads', policy: 'allow-all.yaml', stdout: '4\n',
    command: ['python3', '-c', 'import threading, os\nr = []\nts = [threading.Thread(target=lambda: r.append(len(os.listdir("/")) > 0)) for _ in range(4)]\n[t.start() for t in ts]\n[t.join() for t in ts]\nprint(sum(r))'],
  },

  // Processes: vfork, clone3 threads, exec from a thread, a signal during a blocking call.
  { name: 'vfork then exec in the child', policy: 'allow-all.yaml', command: ['$bin/vfork'], stdout: 'child\nparent 0\n' },
  { name: 'clone3 threads opening an allowed file', policy: 'paths.yaml', command: ['$bin/threads', '$fs/allowed/ok.txt', 'f'], stdout: 'threads 4\n', audit: [] },
  {
    // clone3 is answered ENOSYS (its flags are in memory: a safety rule) and glibc falls
    // back to clone; under a prefilter the kernel does that, under ptrace the supervisor.
    // The openat calls: the dynamic loader's two (ld.so.cache, libc) and the threads' four.
    name: 'clone3 threads opening a denied file', policy: 'paths.yaml', command: ['$bin/threads', '$fs/secret/key.txt', 'h'],
    stdout: 'threads 0\n', audit: deny(4), tracees: 5, decided: { clone3: { ptrace: 4 }, clone: { ptrace: 4 }, openat: 2 + 4 },
  },
  { name: 'exec from a non-leader thread', policy: 'allow-all.yaml', command: ['$bin/exec_thread'], stdout: 'from-thread\n' },
  { name: 'a signal during a blocking read: EINTR, handler runs', policy: 'allow-all.yaml', command: ['$bin/sigblock'], stdout: 'read=-1 errno=EINTR hits=1\n' },

  // Arguments: paths across a page boundary, symlinks and `..` out of an allowed directory, dirfd.
  { name: 'a path across a page boundary (denied)', policy: 'paths.yaml', command: ['$bin/pagepath', '$fs/secret/key.txt'], stdout: 'cross=EACCES edge=EACCES\n', audit: deny(2) },
  { name: 'a path across a page boundary (allowed)', policy: 'paths.yaml', command: ['$bin/pagepath', '$fs/allowed/ok.txt'], stdout: 'cross=ok edge=ok\n', audit: [] },
  { name: 'cat allowed/ok.txt', policy: 'paths.yaml', cwd: '$fs', command: ['cat', 'allowed/ok.txt'], stdout: 'fine\n', audit: [] },
  { name: 'cat a symlink out of the allowed directory', policy: 'paths.yaml', cwd: '$fs', command: ['cat', 'allowed/link'], stdout: '', code: 1, stderrContains: 'Permission denied', audit: deny(1) },
  { name: 'cat `..` out of it', policy: 'paths.yaml', cwd: '$fs', command: ['cat', 'allowed/../secret/key.txt'], stdout: '', code: 1, stderrContains: 'Permission denied', audit: deny(1) },
  { name: 'cat through a directory symlink', policy: 'paths.yaml', cwd: '$fs', command: ['cat', 'allowed/dirlink/key.txt'], stdout: '', code: 1, audit: deny(1) },
  { name: 'cat `..` after a symlink (up from its target)', policy: 'paths.yaml', cwd: '$fs', command: ['cat', 'allowed/dirlink/../allowed/ok.txt'], stdout: 'fine\n', audit: [] },
  {
    name: 'relative paths with a dirfd', policy: 'paths.yaml', command: ['$bin/dirfd', '$fs/allowed', 'ok.txt', '../secret/key.txt', 'link', 'missing'],
    stdout: 'ok.txt=ok\n../secret/key.txt=EACCES\nlink=EACCES\nmissing=ENOENT\n', audit: deny(2),
  },
  // Many threads at once, then an exec from a thread (the tids change hands): every relative
  // name is judged from its own thread's fd.
  {
    name: 'relative paths from 300 threads, then after an exec from a thread', policy: 'paths.yaml',
    command: ['$bin/dirfd_threads', '$fs/allowed'], stdout: 'threads: ok=300 denied=300\nafter exec: ok=1 denied=1\n', audit: deny(302),
  },
  // File names are bytes: a name that is not UTF-8 is looked up and judged as those bytes
  // (a lossy decoding looked up another name, got ENOENT and judged the unresolved path:
  // raw/\xff/key.txt was opened). rawname opens and reads, with no other call.
  {
    name: 'names that are not UTF-8: a symlink, a link text, a file below a UTF-8 directory', policy: 'paths.yaml',
    command: ['$bin/rawname', '$fs', 'raw/\\xff/key.txt', 'raw/t/key.txt', 's\u00e9cret/\\xff', 'allowed/ok.txt'],
    stdout: 'raw/\\xff/key.txt=EACCES\nraw/t/key.txt=EACCES\ns\u00e9cret/\\xff=EACCES\nallowed/ok.txt=fine\n', audit: deny(3),
  },
  // O_NOFOLLOW is about the kernel's last component: in `dirlink/.` that is `.`, so the
  // link is followed (the walk judged the link itself, and the secret directory was listed).
  {
    name: 'O_NOFOLLOW of a directory symlink with `/.` after it', policy: 'paths.yaml', cwd: '$fs', command: ['$bin/nofollow', 'allowed/dirlink/.', 'allowed/dirlink/./.', 'allowed/dirlink', 'allowed/.'],
    stdout: 'allowed/dirlink/.=EACCES\nallowed/dirlink/./.=EACCES\nallowed/dirlink=ENOTDIR\nallowed/.=ok 3\n', audit: deny(2),
  },
  // A rule's path through a symlink: the walk judges the canonical path ($fs/secret/...),
  // which a rule on allowed/dirlink, normalised only lexically, never matched (cat read both).
  {
    name: 'a rule on a path through a symlink holds for the object', policy: 'linkrule.yaml', cwd: '$fs',
    command: ['sh', '-c', 'cat allowed/dirlink/key.txt; cat secret/key.txt; cat allowed/ok.txt'], stdout: 'fine\n', audit: deny(2),
  },
  // A rule on /proc/self/environ: the walk judges the caller's /proc/PID/environ, which the
  // rule's text never matched (the environment was read). The shell's own is another process's.
  {
    name: 'a rule on /proc/self holds for the caller', policy: 'procself.yaml',
    command: ['sh', '-c', 'head -c 1 /proc/self/environ >/dev/null 2>&1; echo $?; head -c 1 /proc/$$/environ >/dev/null; echo $?'],
    stdout: '1\n0\n', audit: ['deny openat no-own-environ'],
  },
  // An fd condition judges the fd in the caller's own table: a thread with a table of its own
  // (unshare(CLONE_FILES)) wrote to secret/key.txt through an fd number that, in the main
  // thread's table, named allowed/ok.txt.
  {
    name: 'fd conditions read the calling thread\'s fd table', policy: 'fdpaths.yaml', command: ['$bin/fdtable', '$fs/secret/key.txt', '$fs/allowed/ok.txt'],
    stdout: 'write=EACCES\n', audit: ['deny write no-secret-writes'],
  },
  // Integer arguments are compared at the width the kernel reads: clone's flags are an
  // unsigned long of which it keeps the low 32 bits (the prefilter decides: no audit event).
  { name: 'clone flags with high bits set are the flags the kernel reads', policy: 'cloneflags.yaml', command: ['$bin/clonehigh'], stdout: 'plain=EPERM\nhigh=EPERM\n' },
  // A umode_t is 16 bits (unsigned short): fchmodat's mode with bit 16 set is the mode without
  // it, so a rule on the mode holds for it (the prefilter decides: no audit event).
  { name: 'a mode with bits above 16 set is the mode the kernel reads', policy: 'modewidth.yaml', command: ['$bin/modehigh'], stdout: 'plain=EPERM\nhigh=EPERM\nmode=644\n' },
  // A path through a regular file fails with ENOTDIR in the kernel: the supervisor's walk
  // must let the call say so, not deny it.
  { name: 'a path below a regular file is ENOTDIR', policy: 'paths.yaml', command: ['cat', '$fs/allowed/ok.txt/x'], stdout: '', code: 1, stderrContains: 'Not a directory', audit: [] },
  {
    name: 'a relative path below a regular file, with a dirfd', policy: 'paths.yaml', command: ['$bin/dirfd', '$fs/allowed', 'ok.txt/x', 'link/x'],
    stdout: 'ok.txt/x=ENOTDIR\nlink/x=EACCES\n', audit: deny(1),
  },

  // The runtime's safety rules, whatever the policy says.
  { name: 'int 0x80 (ia32) is ENOSYS', policy: 'allow-all.yaml', command: ['$bin/int80'], stdout: 'int80=-38\n', requires: 'ia32' },
  { name: 'io_uring_setup is EPERM unless a rule names it', policy: 'allow-all.yaml', command: ['$bin/uring'], stdout: 'io_uring_setup=EPERM\n' },
  // A call of a newer kernel than the syscall catalogue (getxattrat, 6.13): no rule can name
  // it, so a passing default let it do the work of calls rules name (setxattrat set an
  // xattr on a file a rule on setxattr protected). ENOSYS, as on an older kernel.
  { name: 'a syscall newer than the catalogue is ENOSYS', policy: 'allow-all.yaml', command: ['$bin/newcall', '$fs/allowed/ok.txt'], stdout: 'getxattrat=ENOSYS\n' },
  // A seccomp listener of the program's own: SECCOMP_RET_USER_NOTIF outranks the policy's
  // SECCOMP_RET_TRACE, and the listener's CONTINUE ran the openat with no stop (the seccomp
  // backend read secret/key.txt). Creating a listener is refused.
  { name: 'a seccomp listener of its own is EPERM', policy: 'paths.yaml', command: ['$bin/usernotif', '$fs/secret/key.txt'], stdout: 'install=EPERM\n' },

  // Verdicts carried out by the supervisor, and the audit stream.
  {
    name: 'emulate return, emulate uname, trace', policy: 'verdicts.yaml', command: ['$bin/emul'],
    stdout: 'getpid=4242\nuname=0 Linux sandbox 1.2.3\n', audit: ['emulate getpid fake-pid', 'trace write watch-write'],
  },

  // Stop counts: getpid 10,000 times under a policy with no getpid rule never reaches the
  // supervisor under a prefilter; under ptrace every call does.
  {
    name: 'getpid x10000 with no getpid rule', policy: 'paths.yaml', command: ['$bin/getpid_loop', '10000'], stdout: 'getpid 10000\n',
    audit: [], decided: { getpid: { ptrace: 10000 } },
  },
];
