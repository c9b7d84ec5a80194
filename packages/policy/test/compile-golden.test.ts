// Golden files: the disassembly of the BPF program and the explain output of three
// representative policies, built literally as IR. A change to the code generator shows
// up as a reviewable diff of these files (vitest -u rewrites them).
import { describe, expect, test } from 'vitest';
import { constant } from '../src/abi/index.js';
import { disassembleBpf } from '../src/compile/bpf.js';
import { explainPolicy } from '../src/compile/explain.js';
import type { PolicyIR } from '../src/ir.js';
import { ALLOW, KILL, TRACE, compiled, deny, emulateReturn, int, path, policy } from './bpf-fixtures.js';

const C = (name: string): bigint => {
  const v = constant(name);
  if (v === undefined) throw new Error(`no constant ${name}`);
  return v;
};

// The example: paths to the supervisor, sockets in the kernel, emulation.
const sandbox: PolicyIR = policy([
  { name: 'no-secrets', syscalls: ['open', 'openat', 'stat', 'newfstatat'], match: [[path([1], 'under', ['/home/u/.ssh', '/etc/shadow'])]], verdict: deny(13, 'EACCES'), log: true },
  { name: 'no-inet', syscalls: ['socket'], match: [[int(0, 'in', [C('AF_INET'), C('AF_INET6')], 32, true, 'family')]], verdict: deny(13, 'EACCES') },
  { name: 'hostname', syscalls: ['uname'], verdict: { kind: 'emulate', emulate: { kind: 'uname', fields: { nodename: 'sandbox' } } } },
  { name: 'root', syscalls: ['getuid', 'geteuid'], verdict: emulateReturn(0) },
  { name: 'rest', syscalls: ['read', 'write', 'close', 'open', 'openat', 'stat', 'newfstatat', 'socket', 'exit_group', 'brk', 'mmap'], verdict: ALLOW },
], deny(1, 'EPERM'));

// Integer conditions of every shape.
const integers: PolicyIR = policy([
  { name: 'no-wx', syscalls: ['mmap', 'mprotect'], match: [[int(2, 'all', C('PROT_WRITE') | C('PROT_EXEC'), 64, false, 'prot')]], verdict: KILL },
  { name: 'no-negative-seek', syscalls: ['lseek'], match: [[int(1, 'lt', 0n, 64, true, 'offset')]], verdict: deny(22, 'EINVAL') },
  { name: 'cwd-only', syscalls: ['openat'], match: [[int(0, 'ne', C('AT_FDCWD'), 32, true, 'dfd')], [int(2, 'any', C('O_CREAT'), 32, false, 'flags'), int(3, 'gt', 0o644n, 32, false, 'mode')]], verdict: deny(1, 'EPERM') },
  { name: 'big-reads', syscalls: ['read'], match: [[int(2, 'ge', 0x1_00000000n, 64, false, 'count')]], verdict: TRACE },
  { name: 'small-fds', syscalls: ['close'], match: [[int(0, 'not-in', [0n, 1n, 2n], 32, false, 'fd')]], verdict: ALLOW, log: true },
], ALLOW);

// A larger allowlist with a kill default: binary-search dispatch.
const allowlist: PolicyIR = policy([
  { name: 'basics', syscalls: ['read', 'write', 'close', 'fstat', 'lseek', 'mmap', 'mprotect', 'munmap', 'brk', 'rt_sigaction', 'rt_sigprocmask', 'rt_sigreturn', 'ioctl', 'pread64', 'access', 'getpid', 'exit', 'exit_group', 'openat', 'newfstatat', 'getrandom', 'arch_prctl', 'set_tid_address', 'prlimit64'], verdict: ALLOW },
  { name: 'no-ptrace', syscalls: ['ptrace'], verdict: deny(1, 'EPERM') },
], KILL);

describe.for([
  ['sandbox', sandbox],
  ['integers', integers],
  ['allowlist', allowlist],
] as const)('%s', ([name, ir]) => {
  test('BPF disassembly', async () => {
    await expect(disassembleBpf(compiled(ir))).toMatchFileSnapshot(`golden/${name}.bpf.txt`);
  });
  test('explain', async () => {
    await expect(explainPolicy(ir)).toMatchFileSnapshot(`golden/${name}.explain.txt`);
  });
});
