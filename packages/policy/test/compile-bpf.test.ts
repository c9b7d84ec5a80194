// The seccomp-BPF back end on IR built literally: every IntOp with 32- and 64-bit
// arguments, signed and unsigned, negative literals and high-half garbage; every
// verdict; the guards; the io_uring safety default; dispatch by binary search; long
// jumps. Each row is run through the BPF interpreter and through `evaluate`.
import { describe, expect, test } from 'vitest';
import { evaluate, seccompRetForDecision } from '../src/evaluate.js';
import type { IntOp, Verdict } from '../src/ir.js';
import { checkProgram } from '../src/bpf/validate.js';
import { CompileError } from '../src/compile/errors.js';
import { compileBpf } from '../src/compile/bpf.js';
import { ALLOW, KILL, TRACE, bpfRet, compiled, deny, emulateReturn, int, inv, path, policy } from './bpf-fixtures.js';

const RET_ALLOW = 0x7fff0000;
const RET_EACCES = 0x5000d;

type Row = [op: IntOp, width: 32 | 64, signed: boolean, values: bigint | bigint[], arg: bigint, hit: boolean];

const rows: Row[] = [
  // 32-bit unsigned: only the low half counts.
  ['eq', 32, false, 5n, 5n, true],
  ['eq', 32, false, 5n, 0xdeadbeef_00000005n, true],
  ['eq', 32, false, 5n, 6n, false],
  ['ne', 32, false, 5n, 5n, false],
  ['ne', 32, false, 5n, 0x1_00000005n, false],
  ['ne', 32, false, 5n, 7n, true],
  ['lt', 32, false, 10n, 9n, true],
  ['lt', 32, false, 10n, 10n, false],
  ['lt', 32, false, 10n, 0xffffffffn, false],
  ['lt', 32, false, 10n, 0xffffffff_00000009n, true],
  ['le', 32, false, 10n, 10n, true],
  ['le', 32, false, 10n, 11n, false],
  ['gt', 32, false, 10n, 11n, true],
  ['gt', 32, false, 10n, 10n, false],
  ['gt', 32, false, 10n, 0x5_00000000n, false],
  ['ge', 32, false, 10n, 10n, true],
  ['ge', 32, false, 10n, 9n, false],
  ['ge', 32, false, 0n, 0n, true],
  // 32-bit signed: the sign bit is bit 31 of the low half.
  ['lt', 32, true, 0n, 0xffffffffn, true],
  ['lt', 32, true, 0n, 0n, false],
  ['lt', 32, true, 0n, 0x7fffffffn, false],
  ['lt', 32, true, 0n, 0x80000000n, true],
  ['lt', 32, true, 0n, 0x00000001_ffffffffn, true],
  ['lt', 32, true, 0n, 0xffffffff_00000001n, false],
  ['le', 32, true, -5n, 0xfffffffbn, true],
  ['le', 32, true, -5n, 0xfffffffcn, false],
  ['le', 32, true, -5n, 0xfffffffan, true],
  ['gt', 32, true, -100n, 0xffffff9dn, true],
  ['gt', 32, true, -100n, 0xffffff9cn, false],
  ['gt', 32, true, -100n, 5n, true],
  ['gt', 32, true, -100n, 0x80000000n, false],
  ['ge', 32, true, -100n, 0xffffff9cn, true],
  ['ge', 32, true, -100n, 0xffffff9bn, false],
  ['ge', 32, true, 0x7fffffffn, 0x7fffffffn, true],
  ['ge', 32, true, 0x7fffffffn, 0x80000000n, false],
  ['eq', 32, true, -100n, 0xffffff9cn, true],
  ['eq', 32, true, -100n, 0xffffffff_ffffff9cn, true],
  ['eq', 32, true, -100n, 0x12345678_ffffff9cn, true],
  ['ne', 32, true, -100n, 0xffffff9cn, false],
  ['in', 32, false, [2n, 10n], 2n, true],
  ['in', 32, false, [2n, 10n], 10n, true],
  ['in', 32, false, [2n, 10n], 3n, false],
  ['in', 32, false, [2n, 10n], 0x7_0000000an, true],
  ['not-in', 32, false, [2n, 10n], 2n, false],
  ['not-in', 32, false, [2n, 10n], 3n, true],
  ['in', 32, false, [], 0n, false],
  ['not-in', 32, false, [], 0n, true],
  ['all', 32, false, 0x41n, 0x41n, true],
  ['all', 32, false, 0x41n, 0xc1n, true],
  ['all', 32, false, 0x41n, 0x40n, false],
  ['all', 32, false, 0x1n, 0x1_00000000n, false],
  ['any', 32, false, 0x41n, 0x1n, true],
  ['any', 32, false, 0x41n, 0x2n, false],
  ['any', 32, false, 0x41n, 0x41_00000000n, false],
  ['none', 32, false, 0x41n, 0x2n, true],
  ['none', 32, false, 0x41n, 0x40n, false],
  ['all', 32, false, 0n, 0n, true],
  ['any', 32, false, 0n, 0xffffffffn, false],
  ['none', 32, false, 0n, 0xffffffffn, true],
  // 64-bit unsigned: both halves.
  ['eq', 64, false, 0x1_00000005n, 0x1_00000005n, true],
  ['eq', 64, false, 0x1_00000005n, 5n, false],
  ['eq', 64, false, 0x1_00000005n, 0x2_00000005n, false],
  ['ne', 64, false, 0x1_00000005n, 5n, true],
  ['ne', 64, false, 0x1_00000005n, 0x1_00000005n, false],
  ['lt', 64, false, 0x1_00000000n, 0xffffffffn, true],
  ['lt', 64, false, 0x1_00000000n, 0x1_00000000n, false],
  ['lt', 64, false, 0x1_00000000n, 0x1_00000001n, false],
  ['lt', 64, false, 0x1_00000000n, 0n, true],
  ['lt', 64, false, 0x1_00000000n, 0xffffffff_ffffffffn, false],
  ['le', 64, false, 0x1_00000000n, 0x1_00000000n, true],
  ['le', 64, false, 0x1_00000000n, 0x1_00000001n, false],
  ['gt', 64, false, 0x1_00000000n, 0x1_00000001n, true],
  ['gt', 64, false, 0x1_00000000n, 0x2_00000000n, true],
  ['gt', 64, false, 0x1_00000000n, 0x1_00000000n, false],
  ['gt', 64, false, 0x1_00000000n, 0xffffffffn, false],
  ['ge', 64, false, 0x1_00000000n, 0x1_00000000n, true],
  ['ge', 64, false, 0x1_00000000n, 0xffffffffn, false],
  ['gt', 64, false, 5n, 0x1_00000000n, true],
  ['gt', 64, false, 5n, 4n, false],
  ['lt', 64, false, 5n, 0x1_00000000n, false],
  ['lt', 64, false, 5n, 4n, true],
  ['ge', 64, false, 0xffffffff_ffffffffn, 0xffffffff_ffffffffn, true],
  ['ge', 64, false, 0xffffffff_ffffffffn, 0xffffffff_fffffffen, false],
  // 64-bit signed: the sign bit is bit 63, in the high half.
  ['lt', 64, true, 0n, 0xffffffff_ffffffffn, true],
  ['lt', 64, true, 0n, 0n, false],
  ['lt', 64, true, 0n, 0x80000000_00000000n, true],
  ['lt', 64, true, 0n, 0x7fffffff_ffffffffn, false],
  ['lt', 64, true, 0n, 0x00000000_ffffffffn, false],
  ['gt', 64, true, -1n, 0n, true],
  ['gt', 64, true, -1n, 0xffffffff_ffffffffn, false],
  ['gt', 64, true, -1n, 0xffffffff_fffffffen, false],
  ['gt', 64, true, -1n, 0xffffffffn, true],
  ['le', 64, true, -0x1_00000000n, 0xffffffff_00000000n, true],
  ['le', 64, true, -0x1_00000000n, 0xffffffff_00000001n, false],
  ['le', 64, true, -0x1_00000000n, 0xfffffffe_ffffffffn, true],
  ['ge', 64, true, -5n, 0xffffffff_fffffffbn, true],
  ['ge', 64, true, -5n, 0xffffffff_fffffffan, false],
  ['ge', 64, true, -5n, 0x7fffffff_ffffffffn, true],
  ['ge', 64, true, -5n, 0x80000000_00000000n, false],
  ['eq', 64, true, -100n, 0xffffffff_ffffff9cn, true],
  ['eq', 64, true, -100n, 0x00000000_ffffff9cn, false],
  ['in', 64, false, [0x1_00000002n, -1n], 0x1_00000002n, true],
  ['in', 64, false, [0x1_00000002n, -1n], 2n, false],
  ['in', 64, false, [0x1_00000002n, -1n], 0xffffffff_ffffffffn, true],
  ['in', 64, false, [0x1_00000002n, -1n], 0xffffffffn, false],
  ['not-in', 64, false, [0x1_00000002n, -1n], 0x1_00000002n, false],
  ['not-in', 64, false, [0x1_00000002n, -1n], 2n, true],
  ['in', 64, false, [], 0n, false],
  ['not-in', 64, false, [], 5n, true],
  ['any', 64, false, 0x1_00000000n, 0x1_00000000n, true],
  ['any', 64, false, 0x1_00000000n, 0x1n, false],
  ['any', 64, false, 0x1_00000001n, 0x1n, true],
  ['any', 64, false, 0x1_00000001n, 0x1_00000000n, true],
  ['any', 64, false, 0x1_00000001n, 0x2n, false],
  ['all', 64, false, 0x1_00000001n, 0x1_00000001n, true],
  ['all', 64, false, 0x1_00000001n, 0x1n, false],
  ['all', 64, false, 0x1_00000001n, 0x1_00000000n, false],
  ['all', 64, false, 0x1_00000001n, 0xffffffff_ffffffffn, true],
  ['all', 64, false, 0x80000000_00000000n, 0xffffffff_ffffffffn, true],
  ['all', 64, false, 0x80000000_00000000n, 0x7fffffff_ffffffffn, false],
  ['none', 64, false, 0x1_00000001n, 0x2n, true],
  ['none', 64, false, 0x1_00000001n, 0x1n, false],
  ['none', 64, false, 0x1_00000001n, 0x1_00000000n, false],
  ['all', 64, false, 0n, 0n, true],
  ['any', 64, false, 0n, 0xffffffff_ffffffffn, false],
  ['none', 64, false, 0n, 0xffffffff_ffffffffn, true],
];

describe('integer conditions', () => {
  test.for(rows)('%s w%i signed=%s %s on %s -> %s', ([op, width, signed, values, arg, hit]) => {
    // The condition sits on argument 2 so the offsets of a middle argument are exercised;
    // the other arguments carry garbage.
    const ir = policy([{ syscalls: ['lseek'], match: [[int(2, op, values, width, signed)]], verdict: deny(13, 'EACCES') }]);
    const call = inv('lseek', [0xffffffff_ffffffffn, 0x12345678_9abcdef0n, arg, 0xaaaaaaaa_55555555n]);
    expect(bpfRet(ir, call)).toBe(hit ? RET_EACCES : RET_ALLOW);
    expect(evaluate(ir, call).verdict.kind).toBe(hit ? 'deny' : 'allow');
  });

  test.for([0, 1, 2, 3, 4, 5])('argument %i is read from its own slot', (arg) => {
    const ir = policy([{ syscalls: ['mmap'], match: [[int(arg, 'eq', 0x11_00000022n)]], verdict: deny(13, 'EACCES') }]);
    const args = [0n, 0n, 0n, 0n, 0n, 0n];
    expect(bpfRet(ir, inv('mmap', args))).toBe(RET_ALLOW);
    args[arg] = 0x11_00000022n;
    expect(bpfRet(ir, inv('mmap', args))).toBe(RET_EACCES);
  });

  test('every condition of an alternative must hold; any alternative suffices', () => {
    const ir = policy([{
      syscalls: ['socket'],
      match: [[int(0, 'eq', 2n, 32), int(1, 'eq', 1n, 32)], [int(0, 'eq', 10n, 32)]],
      verdict: deny(13, 'EACCES'),
    }]);
    const rows: [bigint[], number][] = [
      [[2n, 1n], RET_EACCES], [[2n, 2n], RET_ALLOW], [[10n, 5n], RET_EACCES], [[1n, 1n], RET_ALLOW],
    ];
    for (const [args, ret] of rows) expect(bpfRet(ir, inv('socket', args))).toBe(ret);
  });
});

describe('verdicts', () => {
  const vrows: [string, Verdict, boolean, number][] = [
    ['allow', ALLOW, false, 0x7fff0000],
    ['deny EACCES', deny(13, 'EACCES'), false, 0x5000d],
    ['deny 4095', deny(4095), false, 0x50fff],
    ['kill', KILL, false, 0x80000000],
    ['trace', TRACE, false, 0x7ff00003],
    ['emulate', emulateReturn(0), false, 0x7ff00003],
    ['allow + log', ALLOW, true, 0x7ff00003],
    ['deny + log', deny(1, 'EPERM'), true, 0x7ff00003],
  ];
  test.for(vrows)('rule verdict %s', ([, verdict, log, ret]) => {
    // The rule under test is the third (index 2): TRACE carries index + 1 = 3.
    const ir = policy([
      { syscalls: ['read'], verdict: KILL },
      { syscalls: ['getppid'], match: [[int(0, 'eq', 1n)]], verdict: KILL },
      { syscalls: ['getppid'], verdict, log },
    ], deny(1, 'EPERM'));
    expect(bpfRet(ir, inv('getppid'))).toBe(ret);
    expect(seccompRetForDecision(evaluate(ir, inv('getppid')))).toBe(ret);
  });

  const drows: [string, Verdict, boolean, number][] = [
    ['allow', ALLOW, false, 0x7fff0000],
    ['deny EPERM', deny(1, 'EPERM'), false, 0x50001],
    ['kill', KILL, false, 0x80000000],
    ['trace', TRACE, false, 0x7ff00000],
    ['emulate', emulateReturn(-38), false, 0x7ff00000],
    ['allow + log', ALLOW, true, 0x7ff00000],
  ];
  test.for(drows)('default verdict %s', ([, verdict, log, ret]) => {
    const ir = policy([{ syscalls: ['read'], verdict: deny(9, 'EBADF') }], verdict, log);
    expect(bpfRet(ir, inv('getpid'))).toBe(ret);
    // A named syscall whose rules do not match falls to the default too.
    const ir2 = policy([{ syscalls: ['getpid'], match: [[int(0, 'eq', 1n)]], verdict: deny(9, 'EBADF') }], verdict, log);
    expect(bpfRet(ir2, inv('getpid'))).toBe(ret);
    expect(seccompRetForDecision(evaluate(ir2, inv('getpid')))).toBe(ret);
  });

  test('the first matching rule decides', () => {
    const ir = policy([
      { syscalls: ['write'], match: [[int(0, 'eq', 2n, 32)]], verdict: deny(5) },
      { syscalls: ['write'], match: [[int(0, 'lt', 3n, 32)]], verdict: deny(6) },
      { syscalls: ['write'], verdict: deny(7) },
      { syscalls: ['write'], verdict: ALLOW },
    ]);
    expect(bpfRet(ir, inv('write', [2n]))).toBe(0x50005);
    expect(bpfRet(ir, inv('write', [1n]))).toBe(0x50006);
    expect(bpfRet(ir, inv('write', [3n]))).toBe(0x50007);
  });

  test('a rule with a path condition sends the call to the supervisor when its integer part holds', () => {
    const ir = policy([
      { syscalls: ['openat'], match: [[int(2, 'any', 0x3n, 32), path([1], 'under', ['/etc'])]], verdict: deny(13, 'EACCES') },
      { syscalls: ['openat'], match: [[int(0, 'eq', 7n, 32)]], verdict: KILL },
    ]);
    expect(bpfRet(ir, inv('openat', [0n, 0n, 0x1n]))).toBe(0x7ff00001);
    expect(bpfRet(ir, inv('openat', [0n, 0n, 0x0n]))).toBe(RET_ALLOW);
    expect(bpfRet(ir, inv('openat', [7n, 0n, 0x0n]))).toBe(0x80000000);
    expect(bpfRet(ir, inv('openat', [7n, 0n, 0x2n]))).toBe(0x7ff00001);
  });

  test('an alternative without paths is tried before one with paths', () => {
    const ir = policy([{
      syscalls: ['openat'],
      match: [[path([1], 'under', ['/etc'])], [int(0, 'eq', 3n, 32)]],
      verdict: deny(13, 'EACCES'),
    }]);
    expect(bpfRet(ir, inv('openat', [3n]))).toBe(RET_EACCES);
    expect(bpfRet(ir, inv('openat', [4n]))).toBe(0x7ff00001);
  });
});

describe('guards', () => {
  // Default kill, so that anything the guards let through to the rules is visible.
  const ir = policy([{ syscalls: ['getpid'], verdict: ALLOW }], KILL);
  const grows: [string, ReturnType<typeof inv>, number][] = [
    ['native call', inv('getpid'), 0x7fff0000],
    ['ia32 int 0x80 (AUDIT_ARCH_I386, i386 getpid = 20)', inv(20, [], 'i386'), 0x50026],
    ['aarch64', inv(172, [], 'aarch64'), 0x50026],
    ['nr -1 (a tracer skipping)', inv(-1), 0x7fff0000],
    ['nr 0xffffffff', inv(0xffffffff), 0x7fff0000],
    ['x32 getpid (39 | 0x40000000)', inv(0x40000027), 0x50026],
    ['x32 bit alone', inv(0x40000000), 0x50026],
    ['a number above the x32 range without the bit', inv(0x80000027), 0x80000000],
    ['an unknown number', inv(1000), 0x80000000],
  ];
  test.for(grows)('%s', ([, call, ret]) => {
    expect(bpfRet(ir, call)).toBe(ret);
    expect(seccompRetForDecision(evaluate(ir, call))).toBe(ret);
  });
});

describe('io_uring safety default', () => {
  const irows: [string, ReturnType<typeof policy>, string, number][] = [
    ['not named: EPERM despite default allow', policy([{ syscalls: ['read'], verdict: ALLOW }], ALLOW), 'io_uring_setup', 0x50001],
    ['not named: io_uring_enter', policy([], ALLOW), 'io_uring_enter', 0x50001],
    ['not named: io_uring_register', policy([], TRACE), 'io_uring_register', 0x50001],
    ['named by an allow rule', policy([{ syscalls: ['io_uring_setup'], verdict: ALLOW }], KILL), 'io_uring_setup', 0x7fff0000],
    ['named by a rule that does not match: the default', policy([{ syscalls: ['io_uring_setup'], match: [[int(0, 'eq', 99n)]], verdict: KILL }], ALLOW), 'io_uring_setup', 0x7fff0000],
    ['naming one does not release the others', policy([{ syscalls: ['io_uring_setup'], verdict: ALLOW }], ALLOW), 'io_uring_enter', 0x50001],
  ];
  test.for(irows)('%s', ([, ir, name, ret]) => {
    expect(bpfRet(ir, inv(name))).toBe(ret);
    expect(seccompRetForDecision(evaluate(ir, inv(name)))).toBe(ret);
  });
});

describe('dispatch', () => {
  // 40 syscalls each denied with its own errno (its position + 1), default allow.
  const names = [
    'read', 'write', 'open', 'close', 'stat', 'fstat', 'lstat', 'poll', 'lseek', 'mmap',
    'mprotect', 'munmap', 'brk', 'ioctl', 'pread64', 'pwrite64', 'readv', 'writev', 'access', 'pipe',
    'select', 'sched_yield', 'mremap', 'msync', 'mincore', 'madvise', 'dup', 'dup2', 'pause', 'nanosleep',
    'getpid', 'socket', 'connect', 'accept', 'uname', 'fcntl', 'getcwd', 'chdir', 'openat', 'getrandom',
  ];
  const ir = policy(names.map((name, i) => ({ syscalls: [name], verdict: deny(i + 1) })), ALLOW);

  test('many syscalls dispatch by binary search', () => {
    expect(compiled(ir).stats.dispatch).toBe('binary-search');
    expect(compiled(ir).stats.syscallsDispatched).toBe(43);
  });

  test.for(names.map((n, i) => [n, i + 1] as const))('%s -> ERRNO(%i)', ([name, errno]) => {
    expect(bpfRet(ir, inv(name))).toBe((0x50000 | errno) >>> 0);
  });

  test('numbers between and beyond the dispatched ones get the default', () => {
    // getppid, kill, exit_group and a number past the table are named by no rule.
    for (const name of ['getppid', 'kill', 'exit_group']) expect(bpfRet(ir, inv(name))).toBe(RET_ALLOW);
    expect(bpfRet(ir, inv(2000))).toBe(RET_ALLOW);
  });

  test('few syscalls dispatch linearly', () => {
    const small = policy([{ syscalls: ['read', 'write'], verdict: KILL }], ALLOW);
    expect(compiled(small).stats.dispatch).toBe('linear');
    expect(bpfRet(small, inv('write'))).toBe(0x80000000);
  });

  test('syscalls whose outcome is the default are not dispatched', () => {
    const p = policy([{ syscalls: ['read', 'write'], verdict: ALLOW }], ALLOW);
    // Only the three io_uring calls (EPERM) remain.
    expect(compiled(p).stats.syscallsDispatched).toBe(3);
  });

  test('a condition longer than 255 instructions goes through long jumps', () => {
    const values = Array.from({ length: 300 }, (_, i) => BigInt(i * 7 + 1) << 32n);
    const p = policy([{ syscalls: ['mmap'], match: [[int(1, 'in', values)]], verdict: deny(13, 'EACCES') }], ALLOW);
    const c = compiled(p);
    expect(c.stats.longJumps).toBeGreaterThan(0);
    expect(checkProgram(c.program)).toEqual([]);
    expect(bpfRet(p, inv('mmap', [0n, 1n << 32n]))).toBe(RET_EACCES);
    expect(bpfRet(p, inv('mmap', [0n, 2094n << 32n]))).toBe(RET_EACCES);
    expect(bpfRet(p, inv('mmap', [0n, 2093n << 32n]))).toBe(RET_ALLOW);
    expect(bpfRet(p, inv('mmap', [0n, 1n]))).toBe(RET_ALLOW);
  });
});

describe('errors', () => {
  test('an errno the kernel cannot return', () => {
    const ir = policy([{ syscalls: ['read'], verdict: deny(5000) }]);
    expect(() => compileBpf(ir)).toThrow(CompileError);
    expect(() => compileBpf(ir)).toThrow(/SVB001/);
  });

  test('a program longer than BPF_MAXINSNS', () => {
    const values = Array.from({ length: 1100 }, (_, i) => BigInt(i) << 32n);
    const ir = policy([{ syscalls: ['mmap'], match: [[int(1, 'in', values)]], verdict: KILL }]);
    expect(() => compileBpf(ir)).toThrow(/SVB003/);
  });

  test('an argument index outside 0..5', () => {
    const ir = policy([{ syscalls: ['read'], match: [[int(6, 'eq', 1n)]], verdict: KILL }]);
    expect(() => compileBpf(ir)).toThrow(/SVB005/);
  });

  test('only x86_64', () => {
    expect(() => compileBpf(policy([]), 'aarch64')).toThrow(/SVB004/);
  });
});
