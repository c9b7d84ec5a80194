// The linter: a literal table of small policies and the exact lint findings each must give.
import { describe, expect, test } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ALL_CODES } from '../src/front/codes.js';
import { checkPolicy, isClean, lintPolicy } from '../src/lint/lint.js';
import { contradiction } from '../src/lint/checks.js';
import { loadPolicy } from '../src/front/load.js';

const context = { cwd: '/work/proj', home: '/home/u', tmp: '/tmp/sv', tty: [] as string[], env: {} };
const root = fileURLToPath(new URL('../../../', import.meta.url));

type Row = [code: string, line: number, column: number, message: string];

const lint = (text: string): Row[] =>
  lintPolicy(loadPolicy({ file: 't.yaml', text }, { context }))
    .map((d) => [d.code, d.range.line, d.range.column, d.message]);

const cases: [title: string, policy: string, expected: Row[]][] = [
  ['SV3101 a rule after one with the same syscalls and no match', `sysvm: 1
default: deny
rules:
  - { name: a, syscalls: [read, write], action: allow }
  - { name: b, syscalls: [read], match: { fd: 0 }, action: kill }
`, [['SV3101', 5, 5, "rule 'b' never decides anything: rule 'a' already decides every call it could match"]]],
  ['SV3101 an identical match earlier', `sysvm: 1
default: deny
rules:
  - syscalls: [openat]
    match: { path: { under: /tmp } }
    action: allow
  - syscalls: [openat]
    match: { path: { under: /tmp } }
    action: { deny: EACCES }
`, [
    ['SV3107', 4, 5, "rule 1 (t.yaml:4) passes calls through on a path read from the tracee's memory: advisory only"],
    ['SV3101', 7, 5, 'rule 2 (t.yaml:7) never decides anything: rule 1 (t.yaml:4) already decides every call it could match'],
  ]],
  ['SV3101 an earlier match with fewer conditions', `sysvm: 1
default: deny
rules:
  - { name: a, syscalls: [socket], match: { domain: AF_INET }, action: { deny: EACCES } }
  - { name: b, syscalls: [socket], match: { domain: AF_INET, type: SOCK_STREAM }, action: allow }
`, [['SV3101', 5, 5, "rule 'b' never decides anything: rule 'a' already decides every call it could match"]]],
  ['SV3101 an earlier path rule covering a later one', `sysvm: 1
default: deny
rules:
  - { name: log-exec, syscalls: [execve], match: { path: { under: /usr/bin } }, action: trace }
  - { name: no-ssh, syscalls: [execve], match: { path: { equals: /usr/bin/ssh } }, action: { deny: EACCES } }
  - { name: no-sbin, syscalls: [execve], match: { path: { glob: "/usr/sbin/*" } }, action: { deny: EACCES } }
`, [
    ['SV3107', 4, 5, "rule 'log-exec' passes calls through on a path read from the tracee's memory: advisory only"],
    ['SV3101', 5, 5, "rule 'no-ssh' never decides anything: rule 'log-exec' already decides every call it could match"],
  ]],
  ['SV3101 an earlier integer condition implied by a later one', `sysvm: 1
default: deny
rules:
  - { name: a, syscalls: [socket], match: { domain: { in: [AF_INET, AF_INET6] } }, action: { deny: EACCES } }
  - { name: b, syscalls: [socket], match: { domain: AF_INET6 }, action: allow }
  - { name: c, syscalls: [socket], match: { domain: AF_UNIX }, action: allow }
`, [['SV3101', 5, 5, "rule 'b' never decides anything: rule 'a' already decides every call it could match"]]],
  ['SV3102 part of a rule shadowed', `sysvm: 1
default: deny
rules:
  - { name: a, syscalls: [read], action: allow }
  - { name: b, syscalls: [read, write], action: allow }
`, [['SV3102', 5, 26, "rule 'b' never decides read: rule 'a' already does"]]],
  ['no shadowing across files: a policy overrides what it extends', `sysvm: 1
extends: builtin:default
rules:
  - { name: mine, syscalls: [socket], action: allow }
`, []],
  ['SV3113 missing: on a rule without a path condition', `sysvm: 1
default: deny
rules:
  - { name: writes, syscalls: [openat], match: { flags: { any: O_WRONLY } }, action: { deny: EACCES, missing: ENOENT } }
  - { name: paths, syscalls: [open], match: { path: { under: /srv } }, action: { deny: EACCES, missing: ENOENT } }
  - { name: either, syscalls: [creat], match: [{ path: { under: /srv } }, { mode: 0 }], action: { deny: EACCES, missing: ENOENT } }
`, [
    ['SV3113', 4, 111, "`missing: ENOENT` on rule 'writes' never applies: no alternative of its match has a path condition, so it always answers EACCES"],
  ]],
  ['SV3103 eq 1 and eq 2', `sysvm: 1
default: deny
rules:
  - { name: r, syscalls: [read], match: { fd: { eq: 1, ne: 1 } }, action: allow }
`, [['SV3103', 4, 60, "rule 'r' can never match: no value of 'fd' satisfies eq 1, ne 1"]]],
  ['SV3103 lt 0 on an unsigned argument', `sysvm: 1
default: deny
rules:
  - { name: r, syscalls: [read], match: { count: { lt: 0 } }, action: allow }
`, [['SV3103', 4, 56, "rule 'r' can never match: 'count' is unsigned: lt 0 never holds"]]],
  ['SV3103 empty in', `sysvm: 1
default: deny
rules:
  - { name: r, syscalls: [socket], match: { domain: { in: [] } }, action: allow }
`, [['SV3103', 4, 59, "rule 'r' can never match: 'in' with an empty list never holds"]]],
  ['SV3103 a bit both required and forbidden, in one alternative of two', `sysvm: 1
default: deny
rules:
  - name: r
    syscalls: [openat]
    match:
      - { flags: { all: O_CREAT, none: O_CREAT } }
      - { flags: 0 }
    action: allow
`, [['SV3103', 7, 40, "rule 'r' can never match: one of its alternatives: no value of 'flags' satisfies all 0x40, none 0x40"]]],
  ['SV3104 ptrace allowed', `sysvm: 1
default: deny
rules:
  - { name: dbg, syscalls: [ptrace, getpid], action: allow }
`, [['SV3104', 4, 28, "rule 'dbg' lets ptrace through (it controls other processes, and can detach a tracee from the supervisor)"]]],
  ['SV3104 silenced by acknowledge', `sysvm: 1
default: deny
rules:
  - { name: dbg, syscalls: [ptrace], action: allow, acknowledge: "gdb runs inside the sandbox" }
`, []],
  ['SV3104 unshare is safe when namespaces are excluded', `sysvm: 1
default: deny
rules:
  - { name: ok, syscalls: [unshare], match: { unshare_flags: { none: [CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC, CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET, CLONE_NEWCGROUP, CLONE_NEWTIME] } }, action: allow }
  - { name: bad, syscalls: [unshare], match: { unshare_flags: { none: CLONE_NEWUSER } }, action: allow }
`, [['SV3104', 5, 28, "rule 'bad' lets unshare through (it creates namespaces (CLONE_NEW*))"]]],
  ['SV3104 a passing default', `sysvm: 1
default: allow
rules:
  - { syscalls: ["@debug", "@aio", "@mount", "@module", "@reboot", "@keyring", "@clock", "@raw-io", "@swap", process_vm_readv, process_vm_writev, bpf, personality, userfaultfd, open_by_handle_at, unshare, setns, acct, quotactl, syslog], action: kill }
`, [['SV3104', 2, 10, 'the default lets vhangup through (a default that passes lets through every dangerous call no rule denies)']]],
  ['SV3105 acknowledging nothing', `sysvm: 1
default: deny
rules:
  - { name: r, syscalls: [read], action: allow, acknowledge: just in case }
`, [['SV3105', 4, 62, "rule 'r' acknowledges a danger it does not pass"]]],
  ['SV3106 emulating a vDSO call', `sysvm: 1
default: deny
rules:
  - { syscalls: [clock_gettime, getpid], action: { emulate: { return: 0 } } }
`, [['SV3106', 4, 17, 'clock_gettime: the vDSO answers these without a system call, so emulating them only works with the vDSO disabled']]],
  ['SV3107 and SV3108: path decisions that let calls run', `sysvm: 1
default: deny
rules:
  - { name: no-ssh, syscalls: [openat], match: { path: { under: ~/.ssh } }, action: { deny: EACCES } }
  - { name: home, syscalls: [openat], match: { path: { under: "~" } }, action: allow }
`, [
    ['SV3108', 4, 5, "rule 'no-ssh' denies by path, but openat can still pass through rule 'home': a racing thread can get around this deny"],
    ['SV3107', 5, 5, "rule 'home' passes calls through on a path read from the tracee's memory: advisory only"],
  ]],
  ['no SV3108 when nothing later passes the call', `sysvm: 1
default: deny
rules:
  - { syscalls: [openat], match: { path: { under: /etc/shadow } }, action: kill }
`, []],
  ['SV3109 log on a kernel-decided rule and default', `sysvm: 1
default: { action: deny, log: true }
rules:
  - { name: r, syscalls: [getpid], action: allow, log: true }
  - { name: p, syscalls: [openat], match: { path: { under: /x } }, action: { deny: EACCES }, log: true }
`, [
    ['SV3109', 2, 10, 'the default could be decided in the kernel, but `log: true` makes every matching call stop in the supervisor'],
    ['SV3109', 4, 5, "rule 'r' could be decided in the kernel, but `log: true` makes every matching call stop in the supervisor"],
  ]],
  ['SV3114 quiet on a rule that denies nothing (a deny, decided by either side, is fine)', `sysvm: 1
default: deny
rules:
  - { name: a, syscalls: [getpid], action: allow, quiet: true }
  - { name: k, syscalls: [ptrace], action: kill, quiet: true }
  - { name: d, syscalls: [openat], match: { path: { under: /x } }, action: { deny: EACCES }, quiet: true }
  - { name: e, syscalls: [uname], action: { emulate: { uname: { nodename: x } } }, quiet: true }
  - { name: kd, syscalls: [getppid], action: deny, quiet: true }
`, [
    ['SV3114', 4, 58, "`quiet: true` on rule 'a' does nothing: it quiets denials, and the rule allows"],
    ['SV3114', 5, 57, "`quiet: true` on rule 'k' does nothing: it quiets denials, and the rule kills"],
    ['SV3114', 7, 91, "`quiet: true` on rule 'e' does nothing: it quiets denials, and the rule emulates"],
  ]],
  ['SV3110 unused variable', `sysvm: 1
vars: { used: /srv, unused: /opt }
default: deny
rules:
  - { syscalls: [openat], match: { path: { under: "\${used}" } }, action: { deny: EACCES } }
`, [['SV3110', 2, 21, "variable 'unused' is never used"]]],
  ['SV3111 a syscall named twice', `sysvm: 1
default: deny
rules:
  - { name: r, syscalls: [read, write, read], action: allow }
`, [['SV3111', 4, 26, "read listed more than once in rule 'r'"]]],
  ['SV3112 unshare and mount passed beside a path rule (acknowledge: silences SV3104, not this)', `sysvm: 1
default: deny
rules:
  - { name: no-ssh, syscalls: [openat], match: { path: { under: ~/.ssh } }, action: { deny: EACCES } }
  - { name: containers, syscalls: [unshare, mount], action: allow, acknowledge: rootless podman runs inside }
`, [['SV3112', 5, 35, "rule 'containers' lets the program make a mount namespace (unshare) and mount in it (mount): the supervisor resolves paths in its own mount namespace, so there the path rules (rule 'no-ssh') decide on names that need not mean what they say"]]],
  ['SV3112 clone with CLONE_NEWNS by one rule, the new mount API by another; fd and unix socket paths are path rules too', `sysvm: 1
default: deny
rules:
  - { name: ptys, syscalls: [ioctl], match: { fd: { under: /dev/pts } }, action: allow }
  - { name: own-socket, syscalls: [connect], match: { addr: { under: /run/app } }, action: allow }
  - { name: procs, syscalls: [clone], match: { clone_flags: { all: CLONE_NEWUSER } }, action: allow }
  - { name: new-api, syscalls: [fsopen, fsconfig, fsmount, move_mount], action: allow, acknowledge: a FUSE helper }
`, [
    ['SV3112', 6, 30, "rule 'procs' lets the program make a mount namespace (clone) and rule 'new-api' lets it mount there (move_mount, fsmount): the supervisor resolves paths in its own mount namespace, so there the path rules (rule 'ptys', rule 'own-socket') decide on names that need not mean what they say"],
  ]],
  ['SV3112 setns with nstype 0 (any namespace) and mounting by the default; clone and unshare with CLONE_NEWNS denied first', `sysvm: 1
default: { action: allow, acknowledge: a test harness }
rules:
  - { name: no-clone-ns, syscalls: [clone], match: { clone_flags: { any: CLONE_NEWNS } }, action: { deny: EPERM } }
  - { name: no-unshare-ns, syscalls: [unshare], match: { unshare_flags: { all: CLONE_NEWNS } }, action: { deny: EPERM } }
  - { name: setns-net, syscalls: [setns], match: { flags: CLONE_NEWNET }, action: allow, acknowledge: joins a netns }
  - { name: keys, syscalls: [openat], match: { path: { under: /etc/keys } }, action: kill }
`, [
    ['SV3112', 2, 10, "the default lets the program make a mount namespace (setns) and mount in it (mount, umount, umount2, move_mount, pivot_root, fsmount and 1 more): the supervisor resolves paths in its own mount namespace, so there the path rules (rule 'keys') decide on names that need not mean what they say"],
    ['SV3108', 7, 5, "rule 'keys' denies by path, but openat can still pass through the default: a racing thread can get around this deny"],
  ]],
  ['no SV3112: every call that could make a mount namespace is denied first or excluded by the match', `sysvm: 1
default: deny
rules:
  - { name: no-ssh, syscalls: [openat], match: { path: { under: ~/.ssh } }, action: { deny: EACCES } }
  - { name: no-newns, syscalls: [unshare], match: { unshare_flags: { any: CLONE_NEWNS } }, action: { deny: EPERM } }
  - { name: userns, syscalls: [unshare], action: allow, acknowledge: a user namespace for fakeroot }
  - { name: threads, syscalls: [clone], match: { clone_flags: { none: CLONE_NEWNS } }, action: allow }
  - { name: netns, syscalls: [setns], match: { flags: { in: [CLONE_NEWNET, CLONE_NEWUTS] } }, action: allow, acknowledge: joins a netns }
  - { name: mounts, syscalls: [mount, umount2], action: allow, acknowledge: remounts in a user namespace }
`, []],
  ['no SV3112: clone3 passes, but sysvm fails every clone3 (ENOSYS) and clone is denied', `sysvm: 1
default: deny
rules:
  - { name: no-ssh, syscalls: [openat], match: { path: { under: ~/.ssh } }, action: { deny: EACCES } }
  - { name: threads, syscalls: [clone3], action: allow }
  - { name: mounts, syscalls: [mount], action: allow, acknowledge: remounts }
`, []],
  ['no SV3112 without path rules', `sysvm: 1
default: deny
rules:
  - { name: containers, syscalls: [unshare, mount], action: allow, acknowledge: rootless podman runs inside }
`, []],
  ['SV3112 at the policy\'s own path rule when the grants are in the built-in it extends', `sysvm: 1
extends: builtin:permissive
rules:
  - { name: no-ssh, syscalls: [openat], match: { path: { under: ~/.ssh } }, action: { deny: EACCES } }
`, [
    ['SV3112', 4, 5, "the default lets the program make a mount namespace (unshare, clone, setns) and mount in it (mount, umount, umount2, move_mount, pivot_root, fsmount and 1 more): the supervisor resolves paths in its own mount namespace, so there the path rules (rule 'no-ssh') decide on names that need not mean what they say"],
    ['SV3108', 4, 5, "rule 'no-ssh' denies by path, but openat can still pass through the default: a racing thread can get around this deny"],
  ]],
  ['no SV3112 under builtin:default (clone passes, mounting does not) with path rules of its own', `sysvm: 1
extends: builtin:default
rules:
  - { name: no-keys, syscalls: [openat], match: { path: { under: /etc/keys } }, action: kill }
`, [['SV3108', 4, 5, "rule 'no-keys' denies by path, but openat can still pass through rule 'own-environment': a racing thread can get around this deny"]]],
];

describe('lint findings', () => {
  test.for(cases)('%s', ([, policy, expected]) => {
    expect(lint(policy)).toEqual(expected);
  });
});

// A umode_t is 16 bits (an unsigned short): the kernel reads the low 16 bits of the register,
// and `sysvm lint` (load and lint) judges the values at that width.
const check = (text: string): Row[] =>
  checkPolicy({ file: 't.yaml', text }, { context }).diagnostics.map((d) => [d.code, d.range.line, d.range.column, d.message]);

const sixteen: [title: string, policy: string, expected: Row[]][] = [
  ['SV3005 values that do not fit the 16-bit mode', `sysvm: 1
default: { deny: EPERM }
rules:
  - { name: a, syscalls: [fchmodat], match: { mode: { not-in: [0o4755, 0x109ed] } }, action: allow }
  - { name: b, syscalls: [mkdir], match: { mode: { lt: 0x10000 } }, action: allow }
  - { name: c, syscalls: [openat], match: { mode: -32769 }, action: allow }
  - { name: d, syscalls: [chmod], match: { mode: { none: [0x10000] } }, action: allow }
`, [
    ['SV3005', 4, 72, "0x109ed does not fit in the 16-bit argument 'mode' of fchmodat"],
    ['SV3005', 5, 56, "0x10000 does not fit in the 16-bit argument 'mode' of mkdir"],
    ['SV3005', 6, 51, "-32769 does not fit in the 16-bit argument 'mode' of openat"],
    ['SV3005', 7, 59, "0x10000 does not fit in the 16-bit argument 'mode' of chmod"],
  ]],
  ['the largest 16-bit values fit', `sysvm: 1
default: { deny: EPERM }
rules:
  - { name: a, syscalls: [fchmodat], match: { mode: { in: [0xffff, -1, -32768] } }, action: allow }
`, []],
  ['SV3103 a contradiction only at 16 bits', `sysvm: 1
default: { deny: EPERM }
rules:
  - { name: a, syscalls: [fchmodat], match: { mode: { gt: 0xfffe, ne: 0xffff } }, action: allow }
`, [['SV3103', 4, 59, "rule 'a' can never match: no value of 'mode' satisfies ne 0xffff, gt 0xfffe"]]],
  ['SV3101 an earlier 16-bit condition implied by a later one', `sysvm: 1
default: { deny: EPERM }
rules:
  - { name: a, syscalls: [fchmod], match: { mode: { in: [0o4755, 0o6755] } }, action: kill }
  - { name: b, syscalls: [fchmod], match: { mode: 0o4755 }, action: allow }
`, [['SV3101', 5, 5, "rule 'b' never decides anything: rule 'a' already decides every call it could match"]]],
];

describe('16-bit arguments: sysvm lint', () => {
  test.for(sixteen)('%s', ([, policy, expected]) => {
    expect(check(policy)).toEqual(expected);
  });
});

describe('contradictions of integer conditions', () => {
  const c = (op: string, values: bigint[], width: 16 | 32 | 64 = 32, signed = true) =>
    ({ kind: 'int' as const, arg: 0, argName: 'x', op: op as never, values, width, signed,
      source: { file: 'f', line: 1, column: 1, endLine: 1, endColumn: 1 } });
  const cases: [string, ReturnType<typeof c>[], boolean][] = [
    ['eq 1, eq 2', [c('eq', [1n]), c('eq', [2n])], true],
    ['eq 1, eq 1', [c('eq', [1n]), c('eq', [1n])], false],
    ['in [1,2], not-in [1,2]', [c('in', [1n, 2n]), c('not-in', [1n, 2n])], true],
    ['in [1,2], ne 1', [c('in', [1n, 2n]), c('ne', [1n])], false],
    ['gt 5, lt 3', [c('gt', [5n]), c('lt', [3n])], true],
    ['ge 3, le 3', [c('ge', [3n]), c('le', [3n])], false],
    ['signed: lt -1 (0xffffffff), ge 0', [c('lt', [0xffffffffn]), c('ge', [0n])], true],
    ['unsigned: lt 0xffffffff, ge 0', [c('lt', [0xffffffffn], 32, false), c('ge', [0n], 32, false)], false],
    ['unsigned 64: lt 0', [c('lt', [0n], 64, false)], true],
    ['ge 0, le 2, not-in [0,1,2]', [c('ge', [0n]), c('le', [2n]), c('not-in', [0n, 1n, 2n])], true],
    ['all 3, none 1', [c('all', [3n]), c('none', [1n])], true],
    ['any 6, none 6', [c('any', [6n]), c('none', [6n])], true],
    ['any 6, none 2', [c('any', [6n]), c('none', [2n])], false],
    ['eq 4, all 4', [c('eq', [4n]), c('all', [4n])], false],
    ['eq 4, none 4', [c('eq', [4n]), c('none', [4n])], true],
    ['any 0', [c('any', [0n])], true],
    // 16 bits (umode_t): the domain ends at 0xffff
    ['unsigned 16: gt 0xfffe, ne 0xffff', [c('gt', [0xfffen], 16, false), c('ne', [0xffffn], 16, false)], true],
    ['unsigned 32: gt 0xfffe, ne 0xffff', [c('gt', [0xfffen], 32, false), c('ne', [0xffffn], 32, false)], false],
    ['signed 16: lt -1 (0xffff), ge 0', [c('lt', [0xffffn], 16), c('ge', [0n], 16)], true],
    ['signed 16: gt 0x7ffe, ne 0x7fff', [c('gt', [0x7ffen], 16), c('ne', [0x7fffn], 16)], true],
    ['unsigned 16: ge 0xfff0, none 0xf', [c('ge', [0xfff0n], 16, false), c('none', [0xfn], 16, false)], false],
    ['unsigned 16: ge 0xfff0, none 0x10', [c('ge', [0xfff0n], 16, false), c('none', [0x10n], 16, false)], true],
  ];
  test.for(cases)('%s', ([, conds, dead]) => {
    expect(contradiction(conds) !== undefined).toBe(dead);
  });
});

describe('clean policies', () => {
  test.for(['builtin:default', 'builtin:permissive', 'builtin:audit'])('%s has no errors or warnings', (name) => {
    const r = checkPolicy(name, { context });
    expect(r.diagnostics.filter((d) => d.severity !== 'info')).toEqual([]);
    expect(isClean(r.diagnostics)).toBe(true);
  });

  test.for([[], ['/dev/pts/3'], ['/dev/pts/3', '/dev/tty1']])('builtin:default with terminals %j has no errors or warnings', (tty) => {
    const r = checkPolicy('builtin:default', { context: { ...context, tty } });
    expect(r.diagnostics.filter((d) => d.severity !== 'info')).toEqual([]);
  });

  const examples = readdirSync(`${root}examples`).filter((f) => f.endsWith('.yaml')).sort();
  test('there are examples', () => expect(examples.length).toBeGreaterThanOrEqual(5));
  test.for(examples)('examples/%s lints clean and compiles', (f) => {
    const r = checkPolicy(`${root}examples/${f}`, { context: { ...context, env: { HOME: '/home/u' } } });
    expect(r.diagnostics.filter((d) => d.severity !== 'info')).toEqual([]);
    expect(r.ir).toBeDefined();
  });
});

describe('the code table', () => {
  test.for(ALL_CODES.map((c) => c.code))('%s is documented with a bad and a good example', (code) => {
    const doc = readFileSync(`${root}docs/lint-codes.md`, 'utf8');
    const section = doc.split(/^## /m).find((s) => s.startsWith(code));
    expect(section, `docs/lint-codes.md has no "## ${code}" section`).toBeDefined();
    expect(section).toMatch(/Bad/);
    expect(section).toMatch(/Good/);
    expect(section).toMatch(/```yaml/);
  });

  test('every code is exercised by a literal test row', () => {
    const tested = new Set<string>();
    for (const f of ['lint.test.ts', 'load-broken.test.ts']) {
      for (const m of readFileSync(fileURLToPath(new URL(`./${f}`, import.meta.url)), 'utf8').matchAll(/\['(SV\d{4})'/g)) {
        tested.add(m[1]!);
      }
    }
    expect(ALL_CODES.map((c) => c.code).filter((c) => !tested.has(c))).toEqual([]);
  });
});

describe('the examples in docs/lint-codes.md do what they say', () => {
  // Multi-file examples (extends) cannot run from one block.
  const skip = new Set(['SV2008', 'SV2011']);
  const blocks = (): [string, string, string][] => {
    const doc = readFileSync(`${root}docs/lint-codes.md`, 'utf8');
    return doc.split(/^## /m).filter((s) => /^SV\d{4}/.test(s)).flatMap((s) => {
      const code = s.slice(0, 6);
      const bad = /Bad[^\n]*:\n```yaml\n([\s\S]*?)```/.exec(s)?.[1] ?? '';
      const good = /Good[^\n]*:\n```yaml\n([\s\S]*?)```/.exec(s)?.[1] ?? '';
      return skip.has(code) ? [] : [[code, bad, good] as [string, string, string]];
    });
  };
  test.for(ALL_CODES.map((c) => c.code).filter((c) => !skip.has(c)))('%s', (code) => {
    const [, bad, good] = blocks().find(([c]) => c === code)!;
    const run = (text: string) => checkPolicy({ file: 'doc.yaml', text }, { context }).diagnostics;
    expect(run(bad).map((d) => d.code)).toContain(code);
    const g = run(good);
    expect(g.map((d) => d.code)).not.toContain(code);
    expect(g.filter((d) => d.severity === 'error')).toEqual([]);
  });
});
