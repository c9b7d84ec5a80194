// The intent-level sections and the partial-VM emulations through the real front end:
// YAML -> PolicyIR (front/load.ts, front/sections.ts) -> evaluate. Literal tables: the rules
// each section expands to (names, syscalls, conditions, verdicts), their order against raw
// rules and `extends`, and the decisions `evaluate` makes for invocations.
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { loadPolicy } from '../src/front/load.js';
import { checkPolicy } from '../src/lint/lint.js';
import { evaluate } from '../src/evaluate.js';
import { formatVerdict } from '../src/compile/explain.js';
import { constant, syscallNumber } from '../src/abi/index.js';
import { parseDuration, parseTimestamp } from '../src/front/time.js';
import type { Condition, FdInfo, PolicyIR, RuleIR } from '../src/ir.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const context = { cwd: '/work/project', home: '/home/user', tmp: '/tmp/sysvm', env: {} };

function load(text: string, file = '/virt/p.yaml', files: Record<string, string> = {}): PolicyIR {
  const r = loadPolicy({ file, text }, {
    context,
    readFile: (p) => { const t = files[p]; if (t === undefined) throw Object.assign(new Error('no'), { code: 'ENOENT' }); return t; },
  });
  expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return r.ir!;
}

/** A condition as one short literal string. */
function cond(c: Condition): string {
  if (c.kind === 'int') return `${c.argName}(${c.arg}) ${c.op} ${c.values.map((v) => `0x${v.toString(16)}`).join(',')}`;
  if (c.kind === 'path') return `path(${c.args.join(',')}) ${c.op} ${c.values.join(',')}`;
  if (c.kind === 'fd') return `fd(${c.arg})${c.virtual !== undefined ? ` virtual=${c.virtual}` : ''}${c.op ? ` ${c.op} ${(c.values ?? []).join(',')}` : ''}`;
  return `addr(${c.arg})${c.negate ? ' none of' : ''} ${c.patterns.map((p) => JSON.stringify(p)).join(' | ')}`;
}

/** An IR rule as [name, line, syscalls, match, verdict]. */
const row = (r: RuleIR): [string, number, string, string, string] => [
  r.name ?? '', r.source.line, r.syscalls.join(' '),
  r.match === null ? 'always' : r.match.map((alt) => alt.map(cond).join(' & ')).join(' | '), formatVerdict(r.verdict),
];

/** The rule names in IR order, the parts of one rule (adjacent, same name) once. */
const names = (ir: PolicyIR): string[] => ir.rules.map((r) => r.name ?? `#${r.index}`).filter((n, i, a) => a[i - 1] !== n);

describe('what each section expands to', () => {
  test('identity', () => {
    const ir = load(`sysvm: 1
default: deny
identity: { uid: 0, gid: 0, groups: [0, 27], hostname: box }
`);
    expect(ir.rules.map(row)).toEqual([
      ['identity.ids', 3, 'getuid geteuid getgid getegid getresuid getresgid getgroups setuid setgid setreuid setregid '
        + 'setresuid setresgid setgroups setfsuid setfsgid', 'always', 'emulate identity {uid: 0, gid: 0, groups: [0, 27]}'],
      ['identity.uname', 3, 'uname', 'always', 'emulate uname {nodename: box}'],
      ['identity.hostname-files', 3, 'open creat stat lstat access readlink getxattr lgetxattr listxattr llistxattr', 'path(0) equals /etc/hostname,/proc/sys/kernel/hostname', 'emulate file {"box\\n"}'],
      ['identity.hostname-files', 3, 'openat openat2 newfstatat statx faccessat faccessat2 readlinkat', 'path(1) equals /etc/hostname,/proc/sys/kernel/hostname', 'emulate file {"box\\n"}'],
    ]);
  });

  test('time, offset and frozen', () => {
    expect(load('sysvm: 1\ndefault: deny\ntime: { offset: -365d }\n').rules.map(row)).toEqual([
      // only the clocks that tell the time of day: CLOCK_MONOTONIC and the CPU clocks never stop
      ['time.clocks', 3, 'clock_gettime', 'which_clock(0) in 0x0,0x5,0x8,0xb', 'emulate time {offset: -365d}'],
      ['time.clocks', 3, 'gettimeofday time', 'always', 'emulate time {offset: -365d}'],
    ]);
    const frozen = load('sysvm: 1\ndefault: deny\ntime:\n  frozen: 2000-01-01T00:00:00Z\n').rules[0]!;
    expect(frozen.verdict).toEqual({ kind: 'emulate', emulate: { kind: 'time', clock: { kind: 'frozen', epochNs: 946684800000000000n } } });
  });

  test.for([
    ['{ offset: -1d }', { kind: 'offset', offsetNs: -86400000000000n, files: true }, 'time {offset: -1d}'],
    ['{ offset: -1d, files: true }', { kind: 'offset', offsetNs: -86400000000000n, files: true }, 'time {offset: -1d}'],
    ['{ offset: -1d, files: false }', { kind: 'offset', offsetNs: -86400000000000n, files: false }, 'time {offset: -1d, files: false}'],
  ])('time: %s (file times follow an offset unless files: false)', ([spec, clock, shown]) => {
    const ir = load(`sysvm: 1\ndefault: deny\ntime: ${spec as string}\n`);
    expect(ir.rules[0]!.verdict).toEqual({ kind: 'emulate', emulate: { kind: 'time', clock } });
    expect(row(ir.rules[0]!)[4]).toBe(`emulate ${shown as string}`);
  });

  test.for([
    ['none', [['network.families', 3, 'socket socketpair', 'always', 'deny EAFNOSUPPORT']]],
    ['unix', [
      ['network.families', 3, 'socket socketpair', 'family(0) ne 0x1', 'deny EAFNOSUPPORT'],
      ['network.sockets', 3, 'accept accept4 bind connect getpeername getsockname getsockopt listen recvfrom recvmmsg recvmsg '
        + 'sendmmsg sendmsg sendto setsockopt shutdown socket socketpair', 'always', 'allow'],
    ]],
    ['{ allow: all }', [
      ['network.sockets', 3, 'accept accept4 bind connect getpeername getsockname getsockopt listen recvfrom recvmmsg recvmsg '
        + 'sendmmsg sendmsg sendto setsockopt shutdown socket socketpair', 'always', 'allow'],
    ]],
  ] as const)('network: %s', ([mode, expected]) => {
    expect(load(`sysvm: 1\ndefault: deny\nnetwork: ${mode}\n`).rules.map(row)).toEqual(expected);
  });

  test('filesystem: read, write, hide (literal syscall sets, per argument layout)', () => {
    const ir = load(`sysvm: 1
default: deny
filesystem:
  read: [/usr, "\${cwd}"]
  write: "\${tmp}"
  hide: ["~/.ssh"]
`);
    const rows = ir.rules.map(row);
    expect(rows.map((r) => [r[0], r[1], r[3], r[4]])).toEqual([
      ['filesystem.hide', 6, 'path(0) under /home/user/.ssh', 'deny ENOENT'],
      ['filesystem.hide', 6, 'path(1) under /home/user/.ssh', 'deny ENOENT'],
      ['filesystem.hide', 6, 'path(4) under /home/user/.ssh', 'deny ENOENT'],
      ['filesystem.hide', 6, 'path(0,1) under /home/user/.ssh', 'deny ENOENT'],
      ['filesystem.hide', 6, 'path(1,3) under /home/user/.ssh', 'deny ENOENT'],
      ['filesystem.hide', 6, 'path(2) under /home/user/.ssh', 'deny ENOENT'],
      ['filesystem.write', 5, 'path(0) under /tmp/sysvm', 'allow'],
      ['filesystem.write', 5, 'path(1) under /tmp/sysvm', 'allow'],
      ['filesystem.write', 5, 'path(0,1) under /tmp/sysvm', 'allow'],
      ['filesystem.write', 5, 'path(1,3) under /tmp/sysvm', 'allow'],
      ['filesystem.write', 5, 'path(2) under /tmp/sysvm', 'allow'],
      ['filesystem.read', 4, 'path(0) under /usr,/work/project & flags(1) none 0x643', 'allow'],
      ['filesystem.read', 4, 'path(1) under /usr,/work/project & flags(2) none 0x643', 'allow'],
      ['filesystem.read', 4, 'path(0) under /usr,/work/project', 'allow'],
      ['filesystem.read', 4, 'path(1) under /usr,/work/project', 'allow'],
    ]);
    const of = (name: string): string[] => ir.rules.filter((r) => r.name === name).flatMap((r) => r.syscalls);
    expect(of('filesystem.read')).toEqual(['open', 'openat', 'stat', 'lstat', 'access', 'readlink', 'statfs', 'getxattr',
      'lgetxattr', 'listxattr', 'llistxattr', 'chdir', 'execve', 'newfstatat', 'statx', 'faccessat', 'faccessat2',
      'readlinkat', 'execveat']);
    const write = of('filesystem.write');
    for (const s of ['openat', 'openat2', 'creat', 'unlink', 'unlinkat', 'mkdir', 'rmdir', 'rename', 'renameat2', 'link',
      'symlink', 'chmod', 'fchmodat', 'chown', 'fchownat', 'truncate', 'utimensat', 'setxattr', 'mknod', 'execve']) {
      expect(write).toContain(s);
    }
    // Not file-system calls: they name a path but change far more than a file.
    for (const s of ['chroot', 'mount_setattr', 'pivot_root', 'swapon', 'open_tree', 'fanotify_mark', 'read', 'close']) {
      expect(write).not.toContain(s);
    }
    const hide = of('filesystem.hide');
    for (const s of ['openat', 'execve', 'chroot', 'swapon', 'rename', 'chdir', 'inotify_add_watch']) expect(hide).toContain(s);
    // Every call with a path argument on the 64-bit ABIs: the catalogue (Linux 6.12) has 71,
    // 13 of them i386-only (chown32, stat64, ...).
    expect(hide.length).toBe(58);
    expect(hide).not.toContain('stat64');
  });

  test('filesystem: files and bind (host paths relative to the policy file)', () => {
    const ir = load(`sysvm: 1
default: deny
filesystem:
  files:
    /etc/motd: "hi\\n"
    /etc/resolv.conf: { from: ./fixtures/resolv.conf }
  bind: { /data: ./fixtures/data }
`, `${root}examples/inline.yaml`);
    const rows = ir.rules.map(row);
    expect(rows.slice(0, 4)).toEqual([
      ['filesystem.files[/etc/motd]', 5, 'open creat stat lstat access readlink getxattr lgetxattr listxattr llistxattr', 'path(0) equals /etc/motd', 'emulate file {"hi\\n"}'],
      ['filesystem.files[/etc/motd]', 5, 'openat openat2 newfstatat statx faccessat faccessat2 readlinkat', 'path(1) equals /etc/motd', 'emulate file {"hi\\n"}'],
      ['filesystem.files[/etc/resolv.conf]', 6, 'open creat stat lstat access readlink getxattr lgetxattr listxattr llistxattr', 'path(0) equals /etc/resolv.conf',
        `emulate file {from ${root}examples/fixtures/resolv.conf}`],
      ['filesystem.files[/etc/resolv.conf]', 6, 'openat openat2 newfstatat statx faccessat faccessat2 readlinkat', 'path(1) equals /etc/resolv.conf',
        `emulate file {from ${root}examples/fixtures/resolv.conf}`],
    ]);
    const bind = `emulate bind /data -> ${root}examples/fixtures/data`;
    // Every path argument is under /data: a rename out of the bound tree is not the bind's.
    expect(rows.filter((r) => r[0] === 'filesystem.bind[/data]').map((r) => [r[3], r[4]])).toEqual([
      ['path(0) under /data', bind],
      ['path(1) under /data', bind],
      ['path(0) under /data & path(1) under /data', bind],
      ['path(1) under /data & path(3) under /data', bind],
      ['path(2) under /data', bind],
    ]);
  });

  test('a virtual /etc/hostname in files: wins over identity\'s, which keeps /proc/sys/kernel/hostname', () => {
    const ir = load(`sysvm: 1
default: deny
filesystem: { files: { /etc/hostname: "mine\\n" } }
identity: { hostname: box }
`);
    expect(ir.rules.filter((r) => r.syscalls.includes('openat')).map(row)).toEqual([
      ['filesystem.files[/etc/hostname]', 3, 'openat openat2 newfstatat statx faccessat faccessat2 readlinkat', 'path(1) equals /etc/hostname', 'emulate file {"mine\\n"}'],
      ['identity.hostname-files', 4, 'openat openat2 newfstatat statx faccessat faccessat2 readlinkat', 'path(1) equals /proc/sys/kernel/hostname', 'emulate file {"box\\n"}'],
    ]);
  });
});

describe('precedence', () => {
  const child = `sysvm: 1
extends: ./base.yaml
filesystem: { hide: [/secret], write: [/work], files: { /etc/motd: "child\\n" } }
network: unix
rules:
  - { name: child-raw, syscalls: [getpid], action: allow }
`;
  const base = `sysvm: 1
default: { deny: EPERM }
identity: { uid: 0, gid: 0 }
time: { offset: 1h }
filesystem: { read: [/usr], files: { /etc/motd: "base\\n" } }
rules:
  - { name: base-raw, syscalls: [getppid], action: allow }
`;
  test('world rules of every file, then per file its rules and its section allows, then the default', () => {
    const ir = load(child, '/virt/child.yaml', { '/virt/base.yaml': base });
    expect(names(ir)).toEqual([
      'filesystem.files[/etc/motd]', 'filesystem.hide', 'network.families', // child's world
      'filesystem.files[/etc/motd]', 'identity.ids', 'time.clocks', // base's world
      'child-raw', 'filesystem.write', 'network.sockets', // child's rules, then its allows
      'base-raw', 'filesystem.read', // base's
    ]);
    // The extending file's virtual file wins over the extended one's.
    expect(decide(ir, { syscall: 'openat', args: [AT_FDCWD, 0n, RDONLY], paths: { 1: '/etc/motd' } }))
      .toEqual(['emulate file {"child\\n"}', 'filesystem.files[/etc/motd]']);
    expect(decide(ir, { syscall: 'getuid' })).toEqual(['emulate identity {uid: 0, gid: 0}', 'identity.ids']);
  });

  test('raw rules come after the world rules and before the section allows', () => {
    const ir = load(`sysvm: 1
default: deny
filesystem: { write: ["\${cwd}"], hide: ["\${cwd}/.env"] }
identity: { uid: 0, gid: 0 }
rules:
  - { name: no-git-writes, syscalls: [openat], match: { path: { under: "\${cwd}/.git" }, flags: { any: [O_WRONLY, O_RDWR] } }, action: { deny: EROFS } }
  - { name: real-uid, syscalls: [getuid], action: allow }
`);
    expect(names(ir)).toEqual(['filesystem.hide', 'identity.ids', 'no-git-writes', 'real-uid', 'filesystem.write']);
  });

  test('virtual files, then hide, then binds: a path hidden inside a bound tree stays hidden', () => {
    const ir = load(`sysvm: 1
default: deny
filesystem:
  bind: { /data: /srv/data }
  hide: [/data/private]
  files: { /data/private/README: "nothing here\\n" }
  read: []
`);
    expect(names(ir)).toEqual(['filesystem.files[/data/private/README]', 'filesystem.hide', 'filesystem.bind[/data]',
      'filesystem.bind-views']);
    expect(ir.rules.filter((r) => r.name === 'filesystem.bind-views').map(row)).toEqual([
      ['filesystem.bind-views', 4, 'getcwd', 'always', 'trace'],
    ]);
    const open = (path: string): [string, string] => decide(ir, { syscall: 'openat', args: [AT_FDCWD, 0n, RDONLY], paths: { 1: path } });
    expect(open('/data/private/README')).toEqual(['emulate file {"nothing here\\n"}', 'filesystem.files[/data/private/README]']);
    expect(open('/data/private/key')).toEqual(['deny ENOENT', 'filesystem.hide']);
    expect(open('/data/public/x')).toEqual(['emulate bind /data -> /srv/data', 'filesystem.bind[/data]']);
  });

  test('a read-only bind: writes under it fail with EROFS before the remap', () => {
    const ir = load(`sysvm: 1
default: deny
filesystem:
  bind: { /data: { from: /srv/data, readonly: true } }
`);
    expect(names(ir)).toEqual(['filesystem.bind-readonly[/data]', 'filesystem.bind[/data]', 'filesystem.bind-views']);
    expect(ir.rules.filter((r) => r.name === 'filesystem.bind-readonly[/data]').slice(0, 2).map(row)).toEqual([
      ['filesystem.bind-readonly[/data]', 4, 'open', 'path(0) under /data & flags(1) any 0x643', 'deny EROFS'],
      ['filesystem.bind-readonly[/data]', 4, 'openat', 'path(1) under /data & flags(2) any 0x643', 'deny EROFS'],
    ]);
    const ro = ir.rules.filter((r) => r.name === 'filesystem.bind-readonly[/data]').flatMap((r) => r.syscalls);
    for (const s of ['openat2', 'creat', 'unlink', 'mkdir', 'rename', 'renameat2', 'chmod', 'truncate', 'setxattr', 'symlink']) {
      expect(ro).toContain(s);
    }
    for (const s of ['stat', 'newfstatat', 'readlink', 'execve', 'chdir', 'getxattr', 'inotify_add_watch']) expect(ro).not.toContain(s);
    const bind = 'emulate bind /data -> /srv/data';
    const cases: [Call, [string, string]][] = [
      [{ syscall: 'openat', args: [AT_FDCWD, 0n, RDONLY], paths: { 1: '/data/a' } }, [bind, 'filesystem.bind[/data]']],
      [{ syscall: 'openat', args: [AT_FDCWD, 0n, WRITE], paths: { 1: '/data/a' } }, ['deny EROFS', 'filesystem.bind-readonly[/data]']],
      [{ syscall: 'newfstatat', args: [AT_FDCWD], paths: { 1: '/data/a' } }, [bind, 'filesystem.bind[/data]']],
      [{ syscall: 'unlinkat', args: [AT_FDCWD], paths: { 1: '/data/a' } }, ['deny EROFS', 'filesystem.bind-readonly[/data]']],
      [{ syscall: 'rename', paths: { 0: '/data/a', 1: '/tmp/a' } }, ['deny EROFS', 'filesystem.bind-readonly[/data]']],
      [{ syscall: 'openat2', args: [AT_FDCWD], paths: { 1: '/data/a' } }, ['deny EROFS', 'filesystem.bind-readonly[/data]']],
    ];
    for (const [call, expected] of cases) expect([call.syscall, ...decide(ir, call)]).toEqual([call.syscall, ...expected]);
  });

  test('no vDSO warning for time emulation (the runtime disables the vDSO), but for other emulations', () => {
    const codes = (text: string): string[] => checkPolicy({ file: '/virt/p.yaml', text }, { context }).diagnostics.map((d) => d.code);
    expect(codes('sysvm: 1\ndefault: deny\ntime: { offset: 1h }\n')).toEqual([]);
    expect(codes('sysvm: 1\ndefault: deny\nrules:\n  - { syscalls: [time], action: { emulate: { time: { offset: 1h } } } }\n')).toEqual([]);
    expect(codes('sysvm: 1\ndefault: deny\nrules:\n  - { syscalls: [time], action: { emulate: { return: 0 } } }\n')).toEqual(['SV3106']);
  });

  test('a raw rule that a world rule decides first is reported as shadowed', () => {
    const r = checkPolicy({ file: '/virt/p.yaml', text: `sysvm: 1
default: deny
identity: { uid: 0, gid: 0 }
rules:
  - { name: real-uid, syscalls: [getuid], action: allow }
` }, { context });
    expect(r.diagnostics.map((d) => [d.code, d.range.line, d.message])).toEqual([
      ['SV3101', 5, "rule 'real-uid' never decides anything: rule 'identity.ids' already decides every call it could match"],
    ]);
  });
});

// --- decisions --------------------------------------------------------------------------------

interface Call { syscall: string; args?: bigint[]; paths?: Record<number, string>; fds?: Record<number, FdInfo> }

function decide(ir: PolicyIR, c: Call): [string, string] {
  const nr = syscallNumber('x86_64', c.syscall);
  if (nr === undefined) throw new Error(`no ${c.syscall}`);
  const args = [...(c.args ?? []), 0n, 0n, 0n, 0n, 0n, 0n].slice(0, 6);
  const d = evaluate(ir, { arch: 'x86_64', nr, args, deref: { path: (i) => c.paths?.[i], fd: (i) => c.fds?.[i] } });
  return [formatVerdict(d.verdict), d.rule?.name ?? 'default'];
}

const O = (name: string): bigint => constant(name)!;
const AF = (name: string): bigint => constant(name)!;
const RDONLY = 0n;
const WRITE = O('O_WRONLY') | O('O_CREAT') | O('O_TRUNC');
const AT_FDCWD = BigInt.asUintN(64, -100n);

describe('evaluate on the expanded rules', () => {
  const ir = load(`sysvm: 1
default: { deny: EPERM }
filesystem:
  read: [/usr, /etc, "\${cwd}"]
  write: ["\${cwd}/out", "\${tmp}"]
  hide: ["~/.ssh", "\${cwd}/.env"]
  files: { /etc/hostname: "sandbox\\n" }
  bind: { /data: /srv/fixtures }
network: unix
identity: { uid: 0, gid: 0, hostname: sandbox }
time: { frozen: 2000-01-01T00:00:00Z }
rules:
  - { name: no-out-secrets, syscalls: [openat], match: { path: { under: "\${cwd}/out/secrets" } }, action: { deny: EACCES } }
  - { name: virtual-reads, syscalls: [read, fstat, lseek], match: { fd: { virtual: true } }, action: allow }
  - { name: dev-reads, syscalls: [read], match: { fd: { under: /dev } }, action: allow }
`);
  const cases: [string, Call, [string, string]][] = [
    ['read a system file', { syscall: 'openat', args: [AT_FDCWD, 0n, RDONLY], paths: { 1: '/usr/lib/libc.so.6' } },
      ['allow', 'filesystem.read']],
    ['write a system file', { syscall: 'openat', args: [AT_FDCWD, 0n, WRITE], paths: { 1: '/etc/passwd' } },
      ['deny EPERM', 'default']],
    ['read in the work dir', { syscall: 'open', args: [0n, RDONLY], paths: { 0: '/work/project/src/a.c' } },
      ['allow', 'filesystem.read']],
    ['write in the work dir (read-only there)', { syscall: 'openat', args: [AT_FDCWD, 0n, WRITE], paths: { 1: '/work/project/a.c' } },
      ['deny EPERM', 'default']],
    ['write under out/', { syscall: 'openat', args: [AT_FDCWD, 0n, WRITE], paths: { 1: '/work/project/out/a.o' } },
      ['allow', 'filesystem.write']],
    ['a raw rule narrows a write allow', { syscall: 'openat', args: [AT_FDCWD, 0n, RDONLY], paths: { 1: '/work/project/out/secrets/k' } },
      ['deny EACCES', 'no-out-secrets']],
    ['unlink under tmp', { syscall: 'unlink', paths: { 0: '/tmp/sysvm/x' } }, ['allow', 'filesystem.write']],
    ['rename within out/', { syscall: 'rename', paths: { 0: '/work/project/out/a', 1: '/work/project/out/b' } },
      ['allow', 'filesystem.write']],
    ['rename out of the writable tree', { syscall: 'rename', paths: { 0: '/work/project/out/a', 1: '/home/user/a' } },
      ['deny EPERM', 'default']],
    ['stat in a readable tree', { syscall: 'newfstatat', args: [AT_FDCWD], paths: { 1: '/usr/bin' } }, ['allow', 'filesystem.read']],
    ['exec a system program', { syscall: 'execve', paths: { 0: '/usr/bin/ls' } }, ['allow', 'filesystem.read']],
    ['hidden, though the work dir is readable', { syscall: 'openat', args: [AT_FDCWD, 0n, RDONLY], paths: { 1: '/work/project/.env' } },
      ['deny ENOENT', 'filesystem.hide']],
    ['hidden: stat', { syscall: 'newfstatat', args: [AT_FDCWD], paths: { 1: '/home/user/.ssh/id_ed25519' } },
      ['deny ENOENT', 'filesystem.hide']],
    ['hidden: either path of a rename', { syscall: 'rename', paths: { 0: '/tmp/sysvm/k', 1: '/home/user/.ssh/k' } },
      ['deny ENOENT', 'filesystem.hide']],
    ['an unreadable path fails closed: the first deny-like path rule decides', { syscall: 'openat', args: [AT_FDCWD, 0n, RDONLY] },
      ['emulate file {"sandbox\\n"}', 'filesystem.files[/etc/hostname]']],
    ['a virtual file', { syscall: 'openat', args: [AT_FDCWD, 0n, RDONLY], paths: { 1: '/etc/hostname' } },
      ['emulate file {"sandbox\\n"}', 'filesystem.files[/etc/hostname]']],
    ['identity\'s hostname file', { syscall: 'open', args: [0n, RDONLY], paths: { 0: '/proc/sys/kernel/hostname' } },
      ['emulate file {"sandbox\\n"}', 'identity.hostname-files']],
    ['a bound path', { syscall: 'openat', args: [AT_FDCWD, 0n, RDONLY], paths: { 1: '/data/x.csv' } },
      ['emulate bind /data -> /srv/fixtures', 'filesystem.bind[/data]']],
    ['rename within the bound tree', { syscall: 'renameat2', args: [AT_FDCWD, 0n, AT_FDCWD], paths: { 1: '/data/a', 3: '/data/b' } },
      ['emulate bind /data -> /srv/fixtures', 'filesystem.bind[/data]']],
    ['rename out of the bound tree: not the bind\'s', { syscall: 'renameat2', args: [AT_FDCWD, 0n, AT_FDCWD], paths: { 1: '/data/a', 3: '/tmp/sysvm/a' } },
      ['deny EPERM', 'default']],
    ['getuid', { syscall: 'getuid' }, ['emulate identity {uid: 0, gid: 0}', 'identity.ids']],
    ['setresuid', { syscall: 'setresuid', args: [0n, 0n, 0n] }, ['emulate identity {uid: 0, gid: 0}', 'identity.ids']],
    ['uname', { syscall: 'uname' }, ['emulate uname {nodename: sandbox}', 'identity.uname']],
    ['clock_gettime', { syscall: 'clock_gettime' }, ['emulate time {frozen: 2000-01-01T00:00:00.000Z}', 'time.clocks']],
    ['time', { syscall: 'time' }, ['emulate time {frozen: 2000-01-01T00:00:00.000Z}', 'time.clocks']],
    ['a unix socket', { syscall: 'socket', args: [AF('AF_UNIX'), 1n] }, ['allow', 'network.sockets']],
    ['an inet socket', { syscall: 'socket', args: [AF('AF_INET'), 1n] }, ['deny EAFNOSUPPORT', 'network.families']],
    ['connect (on the only sockets there are: unix)', { syscall: 'connect', args: [3n] }, ['allow', 'network.sockets']],
    ['read a virtual fd', { syscall: 'read', args: [3n], fds: { 0: { virtual: true, path: '/etc/hostname' } } },
      ['allow', 'virtual-reads']],
    ['read a real fd opened under /dev', { syscall: 'read', args: [4n], fds: { 0: { virtual: false, path: '/dev/urandom' } } },
      ['allow', 'dev-reads']],
    ['read a real fd elsewhere', { syscall: 'read', args: [5n], fds: { 0: { virtual: false, path: '/work/project/a.c' } } },
      ['deny EPERM', 'default']],
    ['read an fd the supervisor knows nothing of: fails closed', { syscall: 'read', args: [6n] }, ['deny EPERM', 'default']],
    ['fstat a virtual fd', { syscall: 'fstat', args: [3n], fds: { 0: { virtual: true } } }, ['allow', 'virtual-reads']],
  ];
  test.for(cases)('%s', ([, call, expected]) => {
    expect(decide(ir, call)).toEqual(expected);
  });
});

describe('fd conditions in rules', () => {
  test('on the fd argument wherever it is; virtual and the path it was opened with', () => {
    const ir = load(`sysvm: 1
default: deny
rules:
  - { name: v, syscalls: [read, mmap], match: { fd: { virtual: true } }, action: allow }
  - { name: dev, syscalls: [write, ioctl], match: { fd: { under: /dev, ge: 3 } }, action: allow }
  - { name: tty, syscalls: [ioctl], match: { fd: /dev/tty }, action: allow }
`);
    expect(ir.rules.map(row)).toEqual([
      ['v', 4, 'read', 'fd(0) virtual=true', 'allow'],
      ['v', 4, 'mmap', 'fd(4) virtual=true', 'allow'],
      ['dev', 5, 'write ioctl', 'fd(0) ge 0x3 & fd(0) under /dev', 'allow'],
      ['tty', 6, 'ioctl', 'fd(0) equals /dev/tty', 'allow'],
    ]);
  });
});

describe('emulations in raw rules', () => {
  test('every new form compiles to its IR emulation', () => {
    const ir = load(`sysvm: 1
default: deny
rules:
  - { syscalls: [getuid, geteuid], action: { emulate: { identity: { uid: 1000, gid: 100, euid: 0 } } } }
  - { syscalls: [gettimeofday], action: { emulate: { time: { offset: +1w2d3h4m5s } } } }
  - { syscalls: [openat], match: { path: /etc/issue }, action: { emulate: { file: { text: "" } } } }
  - { syscalls: [openat], match: { path: /etc/os-release }, action: { emulate: { file: { from: /etc/hostname } } } }
  - syscalls: [mkdirat, unlinkat]
    match: { path: { under: "~/data" } }
    action: { emulate: { bind: { from: "~/data", to: "\${tmp}/data" } } }
`);
    expect(ir.rules.map((r) => r.verdict)).toEqual([
      { kind: 'emulate', emulate: { kind: 'identity', identity: { uid: 1000, gid: 100, euid: 0 } } },
      { kind: 'emulate', emulate: { kind: 'time', clock: { kind: 'offset', offsetNs: 788645000000000n, files: true } } },
      { kind: 'emulate', emulate: { kind: 'file', content: { text: '' } } },
      { kind: 'emulate', emulate: { kind: 'file', content: { hostPath: '/etc/hostname' } } },
      { kind: 'emulate', emulate: { kind: 'bind', from: '/home/user/data', to: '/tmp/sysvm/data' } },
    ]);
  });
});

describe('durations and timestamps', () => {
  test.for([
    ['-365d', -31536000000000000n], ['+1h30m', 5400000000000n], ['90s', 90000000000n], ['1w', 604800000000000n],
    ['0s', 0n], ['2d12h', 216000000000000n],
    ['1y', undefined], ['', undefined], ['-', undefined], ['5', undefined], ['1.5h', undefined], ['d', undefined], ['1h 30m', undefined],
  ] as const)('duration %s', ([text, ns]) => {
    expect(parseDuration(text)).toBe(ns);
  });

  // Expected values checked against `date -u -d TEXT +%s.%N` (GNU coreutils).
  test.for([
    ['2000-01-01T00:00:00Z', 946684800000000000n],
    ['2024-02-29T12:30:00.25+01:00', 1709206200250000000n],
    ['1969-12-31T23:59:59.5Z', -500000000n],
    ['1999-12-31T19:00:00-05:00', 946684800000000000n],
    ['2038-01-19T03:14:08Z', 2147483648000000000n],
    ['2038-01-19t03:14:08z', 2147483648000000000n],
  ] as const)('timestamp %s', ([text, ns]) => {
    expect(parseTimestamp(text)).toEqual({ ns });
  });

  test.for([
    ['2000-01-01', 'a date needs a time and a zone (T00:00:00Z)'],
    ['2000-01-01T00:00:00', 'the zone is missing (add Z for UTC, or ±HH:MM)'],
    ['2023-02-29T00:00:00Z', '2023-02 has no day 29'],
    ['2000-13-01T00:00:00Z', 'there is no month 13'],
    ['2000-01-01T24:00:00Z', 'the time of day is out of range'],
    ['2016-12-31T23:59:60Z', 'leap seconds (:60) cannot be represented'],
    ['yesterday', 'expected YYYY-MM-DDTHH:MM:SS[.frac] and Z or ±HH:MM'],
  ] as const)('not a timestamp: %s', ([text, reason]) => {
    expect(parseTimestamp(text)).toEqual({ reason });
  });
});

describe('the examples', () => {
  const ctx = { ...context, env: { HOME: '/home/user' } };
  const ex = (name: string): PolicyIR => {
    const r = checkPolicy(`${root}examples/${name}.yaml`, { context: ctx });
    expect(r.diagnostics.filter((d) => d.severity !== 'info')).toEqual([]);
    return r.ir!;
  };
  const own = (ir: PolicyIR): string[] => names(ir).filter((n) => /^(filesystem|network|identity|time)\./.test(n));

  test.for([
    ['fs-intent', ['filesystem.hide', 'filesystem.bind[/dev/shm]', 'filesystem.bind-views', 'filesystem.write', 'filesystem.read'], [
      [{ syscall: 'openat', args: [AT_FDCWD, 0n, RDONLY], paths: { 1: '/work/project/.env' } }, ['deny ENOENT', 'filesystem.hide']],
      [{ syscall: 'openat', args: [AT_FDCWD, 0n, WRITE], paths: { 1: '/work/project/secrets/db' } }, ['deny ENOENT', 'filesystem.hide']],
      [{ syscall: 'openat', args: [AT_FDCWD, 0n, WRITE], paths: { 1: '/work/project/main.c' } }, ['allow', 'work-and-tmp']],
      [{ syscall: 'openat', args: [AT_FDCWD, 0n, RDONLY], paths: { 1: '/home/user/.gitconfig' } }, ['allow', 'filesystem.read']],
      [{ syscall: 'openat', args: [AT_FDCWD, 0n, WRITE], paths: { 1: '/home/user/.gitconfig' } }, ['deny EACCES (ENOENT when a path names nothing)', 'other-paths']],
      [{ syscall: 'mkdir', paths: { 0: '/home/user/.cache/fs-intent/x' } }, ['allow', 'filesystem.write']],
      [{ syscall: 'openat', args: [AT_FDCWD, 0n, WRITE], paths: { 1: '/dev/shm/sem.mp-1' } }, [`emulate bind /dev/shm -> ${context.tmp}/.shm`, 'filesystem.bind[/dev/shm]']],
    ]],
    ['identity-time', ['identity.ids', 'identity.uname', 'identity.hostname-files', 'time.clocks', 'filesystem.bind[/dev/shm]', 'filesystem.bind-views'], [
      [{ syscall: 'geteuid' }, ['emulate identity {uid: 0, gid: 0}', 'identity.ids']],
      [{ syscall: 'uname' }, ['emulate uname {nodename: sandbox}', 'identity.uname']],
      [{ syscall: 'openat', args: [AT_FDCWD, 0n, RDONLY], paths: { 1: '/etc/hostname' } }, ['emulate file {"sandbox\\n"}', 'identity.hostname-files']],
      [{ syscall: 'gettimeofday' }, ['emulate time {offset: -365d}', 'time.clocks']],
      [{ syscall: 'getpid' }, ['allow', 'basics']],
    ]],
    ['frozen-clock', ['identity.ids', 'time.clocks', 'filesystem.bind[/dev/shm]', 'filesystem.bind-views'], [
      [{ syscall: 'getgroups' }, ['emulate identity {uid: 1000, gid: 1000, groups: [1000, 100]}', 'identity.ids']],
      [{ syscall: 'clock_gettime' }, ['emulate time {frozen: 2000-01-01T00:00:00.000Z}', 'time.clocks']],
    ]],
    ['virtual-files', ['filesystem.files[/etc/motd]', 'filesystem.files[/etc/resolv.conf]', 'filesystem.bind-readonly[/data]',
      'filesystem.bind[/data]', 'filesystem.bind-views', 'filesystem.bind[/dev/shm]', 'filesystem.bind-views'], [
      [{ syscall: 'openat', args: [AT_FDCWD, 0n, WRITE], paths: { 1: '/data/x' } }, ['deny EROFS', 'filesystem.bind-readonly[/data]']],
      [{ syscall: 'openat', args: [AT_FDCWD, 0n, RDONLY], paths: { 1: '/etc/motd' } }, ['emulate file {"Welcome to the sandbox.\\n"}', 'filesystem.files[/etc/motd]']],
      [{ syscall: 'open', args: [0n, RDONLY], paths: { 0: '/etc/resolv.conf' } }, [`emulate file {from ${root}examples/fixtures/resolv.conf}`, 'filesystem.files[/etc/resolv.conf]']],
      [{ syscall: 'newfstatat', args: [AT_FDCWD], paths: { 1: '/data/hello.txt' } }, [`emulate bind /data -> ${root}examples/fixtures/data`, 'filesystem.bind[/data]']],
      [{ syscall: 'openat', args: [AT_FDCWD, 0n, RDONLY], paths: { 1: '/etc/passwd' } }, ['allow', 'read-system']],
    ]],
    ['partial-vm', ['filesystem.files[/etc/hostname]', 'filesystem.hide', 'filesystem.bind[/data]', 'filesystem.bind-views',
      'identity.ids', 'identity.uname', 'identity.hostname-files', 'time.clocks', 'network.families', 'filesystem.bind[/dev/shm]', 'filesystem.bind-views',
      'filesystem.write', 'filesystem.read', 'network.sockets'], [
      [{ syscall: 'openat', args: [AT_FDCWD, 0n, RDONLY], paths: { 1: '/etc/hostname' } }, ['emulate file {"sandbox\\n"}', 'filesystem.files[/etc/hostname]']],
      [{ syscall: 'openat', args: [AT_FDCWD, 0n, RDONLY], paths: { 1: '/proc/sys/kernel/hostname' } }, ['emulate file {"sandbox\\n"}', 'identity.hostname-files']],
      [{ syscall: 'openat', args: [AT_FDCWD, 0n, RDONLY], paths: { 1: '/home/user/.aws/credentials' } }, ['deny ENOENT', 'filesystem.hide']],
      [{ syscall: 'openat', args: [AT_FDCWD, 0n, WRITE], paths: { 1: '/work/project/build.log' } }, ['allow', 'filesystem.write']],
      [{ syscall: 'openat', args: [AT_FDCWD, 0n, RDONLY], paths: { 1: '/lib/x86_64-linux-gnu/libc.so.6' } }, ['allow', 'filesystem.read']],
      [{ syscall: 'openat', args: [AT_FDCWD, 0n, RDONLY], paths: { 1: '/data/hello.txt' } }, [`emulate bind /data -> ${root}examples/fixtures/data`, 'filesystem.bind[/data]']],
      [{ syscall: 'getcwd' }, ['trace', 'filesystem.bind-views']],
      [{ syscall: 'getresuid' }, ['emulate identity {uid: 0, gid: 0}', 'identity.ids']],
      [{ syscall: 'time' }, ['emulate time {offset: -365d}', 'time.clocks']],
      [{ syscall: 'socket', args: [AF('AF_INET6'), 1n] }, ['deny EAFNOSUPPORT', 'network.families']],
      [{ syscall: 'socket', args: [AF('AF_UNIX'), 1n] }, ['allow', 'network.sockets']],
      [{ syscall: 'read', args: [0n] }, ['allow', 'fd-io']],
    ]],
    ['offline', ['network.families'], [
      [{ syscall: 'socket', args: [AF('AF_UNIX'), 1n] }, ['deny EAFNOSUPPORT', 'network.families']],
      [{ syscall: 'socketpair', args: [AF('AF_INET6'), 1n] }, ['deny EAFNOSUPPORT', 'network.families']],
      [{ syscall: 'getpid' }, ['allow', 'default']],
    ]],
  ] as [string, string[], [Call, [string, string]][]][])('examples/%s.yaml', ([name, rules, calls]) => {
    const ir = ex(name);
    expect(own(ir)).toEqual(rules);
    for (const [call, expected] of calls) expect([call.syscall, ...decide(ir, call)]).toEqual([call.syscall, ...expected]);
  });
});
