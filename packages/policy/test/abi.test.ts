// The generated catalogue against values every Linux programmer can check in the
// man pages and <asm/unistd_64.h>: if the generator misreads a table, these fail.
import { describe, expect, test } from 'vitest';
import {
  AUDIT_ARCH, KERNEL_SOURCE, constant, constantsWithPrefix, errnoName, errnoNumber, formatConstant, syscallByName, syscallName,
  syscallNumber,
} from '../src/abi/index.js';
import { SYSCALLS } from '../src/abi/generated/syscalls.js';

describe('syscall numbers', () => {
  test.for([
    ['x86_64', 'read', 0], ['x86_64', 'getpid', 39], ['x86_64', 'openat', 257], ['x86_64', 'clone3', 435],
    ['x86_64', 'io_uring_setup', 425], ['x86_64', 'ptrace', 101], ['x86_64', 'seccomp', 317],
    ['i386', 'getpid', 20], ['i386', 'open', 5], ['i386', 'socketcall', 102],
    ['aarch64', 'getpid', 172], ['aarch64', 'openat', 56], ['aarch64', 'renameat', 38],
  ] as const)('%s %s = %i', ([arch, name, nr]) => {
    expect(syscallNumber(arch, name)).toBe(nr);
    expect(syscallName(arch, nr)).toBe(name);
  });

  test('x32-only and legacy calls are not in the x86_64 table; open is not on aarch64', () => {
    expect(syscallNumber('x86_64', 'socketcall')).toBeUndefined();
    expect(syscallNumber('aarch64', 'open')).toBeUndefined();
    expect(syscallName('x86_64', 512)).toBeUndefined();
  });

  test('the source is named', () => {
    expect(KERNEL_SOURCE).toMatch(/^linux-source-6\.12 /);
  });
});

describe('arguments from SYSCALL_DEFINEn', () => {
  test.for([
    ['openat', 0, 'dfd', 'dirfd', 32, true],
    ['openat', 1, 'filename', 'path', 64, false],
    ['openat', 2, 'flags', 'flags', 32, true],
    ['socket', 0, 'family', 'flags', 32, true],
    ['connect', 1, 'uservaddr', 'sockaddr', 64, false],
    ['clone', 0, 'clone_flags', 'flags', 32, false], // unsigned long, of which the kernel reads the low half (gen-abi WIDTH)
    // unsigned long fd, which fget()/fdget_pos() take as an unsigned int (gen-abi WIDTH)
    ['mmap', 4, 'fd', 'fd', 32, false],
    ['writev', 0, 'fd', 'fd', 32, false],
    ['pwritev2', 0, 'fd', 'fd', 32, false],
    ['ptrace', 1, 'pid', 'int', 32, true], // long, passed on as a pid_t
    ['landlock_add_rule', 1, 'rule_type', 'uint', 32, false], // an enum is an int
    ['read', 2, 'count', 'size', 64, false],
    ['symlink', 0, 'oldname', 'string', 64, false],
    ['symlink', 1, 'newname', 'path', 64, false],
    ['kill', 0, 'pid', 'pid', 32, true],
    // umode_t is an unsigned short: the kernel reads the low 16 bits of the register
    ['fchmodat', 2, 'mode', 'mode', 16, false],
    ['openat', 3, 'mode', 'mode', 16, false],
    ['mq_open', 2, 'mode', 'mode', 16, false],
    ['creat', 1, 'mode', 'flags', 16, false],
  ] as const)('%s arg %i is %s (%s, %i bits, signed %s)', ([sys, i, name, kind, width, signed]) => {
    const a = syscallByName(sys)?.args?.[i];
    expect(a).toMatchObject({ name, kind, width, signed });
  });

  test('every umode_t argument is 16 bits wide, and no other argument is', () => {
    const narrow = SYSCALLS.flatMap((s) => (s.args ?? []).filter((a) => a.width === 16 || a.ctype === 'umode_t').map((a) => `${s.name}:${a.name}:${a.ctype}:${a.width}`));
    expect(narrow.length).toBe(12);
    for (const a of narrow) expect(a).toMatch(/:umode_t:16$/);
  });

  test('a path knows its dirfd; a sockaddr its length; flags their constants', () => {
    expect(syscallByName('renameat2')?.args?.[1]).toMatchObject({ name: 'oldname', kind: 'path', dirfd: 0 });
    expect(syscallByName('renameat2')?.args?.[3]).toMatchObject({ name: 'newname', kind: 'path', dirfd: 2 });
    expect(syscallByName('bind')?.args?.[1]).toMatchObject({ kind: 'sockaddr', lenArg: 2 });
    expect(syscallByName('openat')?.args?.[2]?.constPrefix).toBe('O_');
    expect(syscallByName('socket')?.args?.[0]?.aliases).toEqual(['domain']);
  });
});

describe('constants', () => {
  test.for([
    ['O_RDONLY', 0n], ['O_WRONLY', 1n], ['O_RDWR', 2n], ['O_CREAT', 0o100n], ['O_CLOEXEC', 0o2000000n],
    ['O_TMPFILE', 0o20200000n], ['AT_FDCWD', -100n], ['AT_SYMLINK_NOFOLLOW', 0x100n], ['AT_EMPTY_PATH', 0x1000n],
    ['AF_UNIX', 1n], ['AF_INET', 2n], ['AF_INET6', 10n], ['SOCK_STREAM', 1n], ['SOCK_CLOEXEC', 0o2000000n],
    ['CLONE_THREAD', 0x10000n], ['CLONE_NEWUSER', 0x10000000n], ['CLONE_CLEAR_SIGHAND', 0x100000000n],
    ['PROT_EXEC', 4n], ['MAP_ANONYMOUS', 0x20n], ['MAP_32BIT', 0x40n],
    ['PTRACE_SEIZE', 0x4206n], ['PTRACE_LISTEN', 0x4208n], ['PTRACE_GETREGS', 12n], ['PTRACE_O_EXITKILL', 1n << 20n],
    ['PTRACE_O_TRACESECCOMP', 1n << 7n], ['PTRACE_EVENT_SECCOMP', 7n],
    ['SECCOMP_RET_ALLOW', 0x7fff0000n], ['SECCOMP_RET_TRACE', 0x7ff00000n], ['SECCOMP_RET_ERRNO', 0x50000n],
    ['SECCOMP_RET_KILL_PROCESS', 0x80000000n], ['SECCOMP_SET_MODE_FILTER', 1n],
    ['SIGKILL', 9n], ['SIGSTOP', 19n], ['SIGCHLD', 17n], ['__WALL', 0x40000000n], ['PR_SET_NO_NEW_PRIVS', 38n],
    ['AT_SYSINFO_EHDR', 33n],
  ] as const)('%s = %s', ([name, value]) => {
    expect(constant(name)).toBe(value);
  });

  test('audit arches and errnos', () => {
    expect(AUDIT_ARCH.x86_64).toBe(0xc000003e);
    expect(AUDIT_ARCH.i386).toBe(0x40000003);
    expect(AUDIT_ARCH.aarch64).toBe(0xc00000b7);
    expect(errnoNumber('EPERM')).toBe(1);
    expect(errnoNumber('EACCES')).toBe(13);
    expect(errnoNumber('ENOSYS')).toBe(38);
    expect(errnoName(11)).toBe('EAGAIN');
    expect(errnoNumber('EWOULDBLOCK')).toBe(11);
  });

  test('a prefix lists a family', () => {
    const o = constantsWithPrefix('O_').map(([n]) => n);
    expect(o).toContain('O_NOFOLLOW');
    expect(o).not.toContain('AT_FDCWD');
  });
});

describe('symbolic values (xlat)', () => {
  test.for([
    ['O_', 0n, 'O_RDONLY'],
    ['O_', 0o2101n, 'O_WRONLY|O_CREAT|O_APPEND'],
    ['O_', 0o20200002n, 'O_RDWR|O_TMPFILE'],
    ['O_', 0x80000000n, 'O_RDONLY|0x80000000'],
    ['SOCK_', 0o2000001n, 'SOCK_STREAM|SOCK_CLOEXEC'],
    ['CLONE_', 17n, 'SIGCHLD'],
    ['CLONE_', 0x10900n | 17n, 'SIGCHLD|CLONE_VM|CLONE_SIGHAND|CLONE_THREAD'],
    ['MAP_', 0x22n, 'MAP_PRIVATE|MAP_ANONYMOUS'],
    ['PROT_', 0n, '0'],
    ['AT_', 0x1100n, 'AT_SYMLINK_NOFOLLOW|AT_EMPTY_PATH'],
    ['AF_', 10n, 'AF_INET6'],
    ['AF_', 999n, '999'],
    ['SIG', 9n, 'SIGKILL'],
    ['PTRACE_', 0x4206n, 'PTRACE_SEIZE'],
    ['W', 1n, 'WNOHANG'],
  ] as const)('%s %s = %s', ([prefix, value, text]) => {
    expect(formatConstant(prefix, value)).toBe(text);
  });
});
