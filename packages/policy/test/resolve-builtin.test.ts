// What builtin:default (issue 3 §4) and the examples decide for real invocations, through the
// front end and `evaluate`: a literal table of calls and the verdicts they must get.
import { describe, expect, test } from 'vitest';
import { fileURLToPath } from 'node:url';
import { constant, syscallNumber } from '../src/abi/index.js';
import { evaluate } from '../src/evaluate.js';
import { loadPolicy } from '../src/front/load.js';
import type { PolicyIR } from '../src/ir.js';

const context = { cwd: '/home/u/proj', home: '/home/u', tmp: '/tmp/sysvm-1', env: { HOME: '/home/u' } };
const root = fileURLToPath(new URL('../../../', import.meta.url));
const u64 = (v: bigint): bigint => BigInt.asUintN(64, v);
const c = (name: string): bigint => {
  const v = constant(name);
  if (v === undefined) throw new Error(name);
  return v;
};

type Call = [syscall: string, args: bigint[], paths?: Record<number, string>];
const AT_FDCWD = u64(c('AT_FDCWD'));
const openat = (path: string, flags: bigint): Call => ['openat', [AT_FDCWD, 0x1000n, flags, 0o644n], { 1: path }];
const RD = c('O_RDONLY');
const WR_CREAT = c('O_WRONLY') | c('O_CREAT') | c('O_TRUNC');

function decide(ir: PolicyIR, [name, args, paths]: Call): string {
  const nr = syscallNumber('x86_64', name);
  if (nr === undefined) throw new Error(`no x86_64 number for ${name}`);
  const d = evaluate(ir, { arch: 'x86_64', nr, args: [...args, 0n, 0n, 0n, 0n, 0n, 0n].slice(0, 6),
    deref: { path: (i) => paths?.[i] } });
  const v = d.verdict;
  const what = v.kind === 'deny' ? `deny ${v.errnoName}` : v.kind === 'emulate'
    ? `emulate ${v.emulate.kind === 'return' ? v.emulate.value : 'uname'}` : v.kind;
  return `${what} (${d.rule?.name ?? 'default'})`;
}

describe('builtin:default', () => {
  const ir = loadPolicy('builtin:default', { context }).ir!;
  const cases: [string, Call, string][] = [
    ['read a system library', openat('/usr/lib/x86_64-linux-gnu/libc.so.6', RD), 'allow (read-system)'],
    ['read /etc/passwd', openat('/etc/passwd', RD), 'allow (read-system)'],
    ['write into /etc', openat('/etc/passwd', WR_CREAT), 'deny EACCES (other-paths)'],
    ['read /etc/shadow', openat('/etc/shadow', RD), 'deny EACCES (no-system-secrets)'],
    ['read an ssh host key', openat('/etc/ssh/ssh_host_ed25519_key', RD), 'deny EACCES (no-system-secrets)'],
    ['read the public host key', openat('/etc/ssh/ssh_host_ed25519_key.pub', RD), 'allow (read-system)'],
    ['write in the current directory', openat('/home/u/proj/build/out.o', WR_CREAT), 'allow (work-and-tmp)'],
    ['write in the private tmp', openat('/tmp/sysvm-1/cc123.s', WR_CREAT), 'allow (work-and-tmp)'],
    ['write in the shared /tmp', openat('/tmp/other', WR_CREAT), 'deny EACCES (other-paths)'],
    ['read ~/.ssh/id_ed25519', openat('/home/u/.ssh/id_ed25519', RD), 'deny EACCES (no-home-secrets)'],
    ['read ~/.aws/credentials', openat('/home/u/.aws/credentials', RD), 'deny EACCES (no-home-secrets)'],
    ['read ~/.docker/config.json', openat('/home/u/.docker/config.json', RD), 'deny EACCES (no-home-secrets)'],
    ['read ~/.kube/config', openat('/home/u/.kube/config', RD), 'deny EACCES (no-home-secrets)'],
    ['read ~/.config/gcloud/credentials.db', openat('/home/u/.config/gcloud/credentials.db', RD), 'deny EACCES (no-home-secrets)'],
    ['read another home file', openat('/home/u/notes.txt', RD), 'deny EACCES (other-paths)'],
    ['read another process\'s environ', openat('/proc/4242/environ', RD), 'deny EACCES (no-system-secrets)'],
    ['read /proc/PID/maps', openat('/proc/4242/maps', RD), 'allow (read-system)'],
    ['open /dev/null for writing', openat('/dev/null', WR_CREAT), 'allow (devices)'],
    ['rename from the work dir into ~/.ssh', ['rename', [0x1000n, 0x2000n], { 0: '/home/u/proj/k', 1: '/home/u/.ssh/authorized_keys' }], 'deny EACCES (no-home-secrets)'],
    ['rename from the work dir to /tmp', ['rename', [0x1000n, 0x2000n], { 0: '/home/u/proj/k', 1: '/tmp/k' }], 'deny EACCES (other-paths)'],
    ['stat anything', ['newfstatat', [AT_FDCWD, 0x1000n, 0x2000n, 0n], { 1: '/var/lib/foo' }], 'allow (metadata)'],
    ['stat a secret', ['newfstatat', [AT_FDCWD, 0x1000n, 0x2000n, 0n], { 1: '/home/u/.gnupg/pubring.kbx' }], 'deny EACCES (no-home-secrets)'],
    ['run /usr/bin/cc', ['execve', [0x1000n, 0n, 0n], { 0: '/usr/bin/cc' }], 'allow (run-system)'],
    ['run a program in the work dir', ['execve', [0x1000n, 0n, 0n], { 0: '/home/u/proj/a.out' }], 'allow (work-and-tmp)'],
    ['run a program from the home dir', ['execve', [0x1000n, 0n, 0n], { 0: '/home/u/bin/tool' }], 'deny EACCES (other-paths)'],
    ['an inet socket', ['socket', [c('AF_INET'), c('SOCK_STREAM'), 0n]], 'deny EAFNOSUPPORT (no-network)'],
    ['a netlink socket', ['socket', [c('AF_NETLINK'), c('SOCK_DGRAM'), 0n]], 'deny EAFNOSUPPORT (no-network)'],
    ['a unix socket', ['socket', [c('AF_UNIX'), c('SOCK_STREAM'), 0n]], 'allow (unix-sockets)'],
    ['ptrace', ['ptrace', [c('PTRACE_ATTACH'), 1n, 0n, 0n]], 'deny EPERM (no-escape)'],
    ['io_uring_setup', ['io_uring_setup', [8n, 0x1000n]], 'deny EPERM (no-escape)'],
    ['mount', ['mount', [0n, 0x1000n, 0n, 0n, 0n], { 1: '/home/u/proj' }], 'deny EPERM (no-escape)'],
    ['a user namespace', ['unshare', [c('CLONE_NEWUSER')]], 'deny EPERM (no-escape)'],
    ['TIOCSTI', ['ioctl', [0n, 0x5412n, 0x1000n]], 'deny EPERM (no-terminal-injection)'],
    ['TCGETS', ['ioctl', [0n, 0x5401n, 0x1000n]], 'allow (fd-io)'],
    ['read from a file descriptor', ['read', [3n, 0x1000n, 4096n]], 'allow (fd-io)'],
    ['getpid', ['getpid', []], 'allow (basics)'],
    ['exit_group', ['exit_group', [0n]], 'allow (basics)'],
    ['mmap', ['mmap', [0n, 4096n, c('PROT_READ'), c('MAP_PRIVATE'), 3n, 0n]], 'allow (memory)'],
    ['clone a thread', ['clone', [c('CLONE_THREAD') | c('CLONE_VM'), 0n, 0n, 0n, 0n]], 'allow (processes)'],
    ['sethostname', ['sethostname', [0x1000n, 8n]], 'deny EPERM (no-escape)'],
    ['reboot', ['reboot', [0n, 0n, 0n, 0n]], 'deny EPERM (no-escape)'],
  ];
  test.for(cases)('%s', ([, call, want]) => {
    expect(decide(ir, call)).toBe(want);
  });
});

describe('examples', () => {
  const load = (f: string): PolicyIR => {
    const r = loadPolicy(`${root}examples/${f}`, { context });
    expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    return r.ir!;
  };
  const cases: [string, string, Call, string][] = [
    ['fake-identity.yaml', 'getuid', ['getuid', []], 'emulate 0 (root)'],
    ['fake-identity.yaml', 'uname', ['uname', [0x1000n]], 'emulate uname (hostname)'],
    ['fake-identity.yaml', 'ssh keys stay denied', openat('/home/u/.ssh/id_rsa', RD), 'deny EACCES (no-home-secrets)'],
    ['no-network.yaml', 'inet socket', ['socket', [c('AF_INET6'), c('SOCK_DGRAM'), 0n]], 'deny EAFNOSUPPORT (no-inet-sockets)'],
    ['no-network.yaml', 'writing a home file', openat('/home/u/notes.txt', WR_CREAT), 'allow (default)'],
    ['read-only.yaml', 'writing in the work dir', openat('/home/u/proj/x', WR_CREAT), 'deny EROFS (no-writes)'],
    ['read-only.yaml', 'reading in the work dir', openat('/home/u/proj/x', RD), 'allow (read)'],
    ['read-only.yaml', 'unlink', ['unlink', [0x1000n], { 0: '/home/u/proj/x' }], 'deny EROFS (changes)'],
    ['build-sandbox.yaml', 'the ccache dir', openat('/home/u/.cache/ccache/a/b', WR_CREAT), 'allow (build-caches)'],
    ['build-sandbox.yaml', 'running cc is traced', ['execve', [0x1000n, 0n, 0n], { 0: '/usr/bin/cc' }], 'trace (log-exec)'],
    ['build-sandbox.yaml', 'no ssh', ['execve', [0x1000n, 0n, 0n], { 0: '/usr/bin/ssh' }], 'deny EACCES (no-ssh)'],
    ['project-dev.yaml', 'deps read-only', openat('/home/u/deps/lib.js', RD), 'allow (deps-read-only)'],
    ['project-dev.yaml', 'deps not writable', openat('/home/u/deps/lib.js', WR_CREAT), 'deny EACCES (other-paths)'],
  ];
  test.for(cases)('%s: %s', ([file, , call, want]) => {
    expect(decide(load(file), call)).toBe(want);
  });
});
