// `sysvm learn`'s generator: path generalisation, syscall grouping, and the policy it writes,
// loaded and linted like a file a person wrote, then evaluated on the recorded calls (all
// allowed) and on calls the run did not make (denied).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { constant, syscallByName, syscallNumber } from '../src/abi/index.js';
import { evaluate } from '../src/evaluate.js';
import { loadPolicy } from '../src/front/load.js';
import { GROUPS } from '../src/front/groups.js';
import type { Invocation } from '../src/ir.js';
import { lintPolicy } from '../src/lint/lint.js';
import { type LearnContext, generalisePaths, groupSyscalls, learnPolicy } from '../src/workflow/learn.js';
import type { LoggedEvent } from '../src/workflow/report.js';

const CTX: LearnContext = { cwd: '/home/u/proj', home: '/home/u', tmp: '/tmp/sysvm-abc', command: ['tool', '--x'] };

describe('generalisePaths', () => {
  const cases: Array<[string, string[], boolean, { under?: string[]; equals?: string[]; glob?: string[] }]> = [
    ['the cwd and tmp are subtrees', ['/home/u/proj/a', '/home/u/proj/b/c', '/tmp/sysvm-abc/x'], true, { under: ['${cwd}', '${tmp}'] }],
    ['3 files below /usr/lib widen to it', ['/usr/lib/a.so', '/usr/lib/x/b.so', '/usr/lib/c.so', '/usr/lib'], true, { under: ['/usr/lib'] }],
    ['2 files below /usr/lib stay exact', ['/usr/lib/a.so', '/usr/lib/x/b.so'], true, { equals: ['/usr/lib/a.so', '/usr/lib/x/b.so'] }],
    ['writes never widen outside cwd/tmp', ['/usr/lib/a.so', '/usr/lib/b.so', '/usr/lib/c.so'], false, { equals: ['/usr/lib/a.so', '/usr/lib/b.so', '/usr/lib/c.so'] }],
    ['/etc stays exact however many', ['/etc/a/1', '/etc/a/2', '/etc/a/3'], true, { equals: ['/etc/a/1', '/etc/a/2', '/etc/a/3'] }],
    ['process ids and ptys become globs', ['/proc/123/status', '/proc/9/task/9/stat', '/dev/pts/4'], true, { glob: ['/dev/pts/*', '/proc/*/status', '/proc/*/task/*/stat'] }],
    ['the home is ~', ['/home/u/.cache/pip/1', '/home/u/.cache/pip/2', '/home/u/.cache/pip/x/3', '/home/u/.bashrc'], true, { under: ['~/.cache/pip'], equals: ['~/.bashrc'] }],
    ['short paths stay exact', ['/', '/usr', '/etc/passwd'], true, { equals: ['/', '/etc/passwd', '/usr'] }],
  ];
  test.for(cases)('%s', ([, paths, widen, want]) => {
    expect(generalisePaths(paths, CTX, widen)).toEqual({ under: [], equals: [], glob: [], ...want });
  });
});

describe('groupSyscalls', () => {
  test('a group replaces its members only when every member was used', () => {
    const members = GROUPS['@sync']!.members.filter((m) => syscallByName(m)?.nr.x86_64 !== undefined);
    expect(groupSyscalls([...members, 'read'])).toEqual(['@sync', 'read']);
    expect(groupSyscalls([...members.slice(1), 'read'])).toEqual([...members.slice(1), 'read'].sort());
  });
});

/** A recorded call (as the runtime logs it) and the same call as `evaluate` sees it. */
function call(name: string, a: Record<string, string | number>): { event: LoggedEvent; inv: Invocation } {
  const info = syscallByName(name)!;
  const args = (info.args ?? []).map((arg) => {
    const v = a[arg.name];
    if (arg.kind === 'path' || v === undefined) return 0n;
    if (v === 'AT_FDCWD') return BigInt.asUintN(64, -100n);
    return BigInt.asUintN(64, BigInt(v));
  });
  const paths = Object.fromEntries((info.args ?? []).map((arg, i) => [i, arg.kind === 'path' ? a[arg.name] : undefined]));
  return {
    event: { pid: 1, syscall: name, verdict: 'trace', rule: 'default', args: a },
    inv: { arch: 'x86_64', nr: syscallNumber('x86_64', name)!, args: [...args, 0n, 0n, 0n, 0n, 0n, 0n].slice(0, 6),
      deref: { path: (i) => paths[i] as string | undefined } },
  };
}
const hex = (...names: string[]): string => `0x${names.reduce((m, n) => m | constant(n)!, 0n).toString(16)}`;
const open = (p: string, ...flags: string[]) => call('openat', { dfd: 'AT_FDCWD', filename: p, flags: flags.length ? hex(...flags) : '0x0', mode: '0o0' });

describe('learnPolicy', () => {
  const recorded = [
    call('execve', { filename: '/usr/bin/tool', argv: '0x1', envp: '0x2' }),
    open('/etc/ld.so.cache', 'O_CLOEXEC'),
    open('/usr/lib/x86_64-linux-gnu/libc.so.6', 'O_CLOEXEC'),
    open('/usr/lib/x86_64-linux-gnu/libm.so.6', 'O_CLOEXEC'),
    open('/usr/lib/locale/locale-archive', 'O_CLOEXEC'),
    open('/proc/4242/status'),
    open('/home/u/proj/src/main.c'),
    open('/home/u/proj/out.txt', 'O_WRONLY', 'O_CREAT', 'O_TRUNC'),
    open('/dev/null', 'O_WRONLY'),
    call('newfstatat', { dfd: 1, filename: '/tmp/somewhere/stdout', statbuf: '0x7f', flag: hex('AT_EMPTY_PATH') }),
    call('newfstatat', { dfd: 'AT_FDCWD', filename: '/usr/lib/x86_64-linux-gnu', statbuf: '0x7f', flag: '0x0' }),
    call('mkdir', { pathname: '/tmp/sysvm-abc/work', mode: '0o755' }),
    call('socket', { family: '0x1', type: '0x80001', protocol: 0 }),
    call('read', { fd: 3, buf: '0x1', count: 10 }),
    call('write', { fd: 1, buf: '0x1', count: 10 }),
    call('exit_group', { error_code: 0 }),
  ];
  const learned = learnPolicy([...recorded.map((c) => c.event),
    // left out: safety-rule decisions (the runtime's, not the policy's)
    { pid: 1, syscall: 'ptrace', verdict: 'deny', rule: 'sysvm:ptrace', args: {} }], { ...CTX, date: '2026-11-27' });
  const dir = mkdtempSync(join(tmpdir(), 'learn-test-'));
  const file = join(dir, 'learned.yaml');
  writeFileSync(file, learned.yaml);
  const loaded = loadPolicy(file, { context: CTX });

  test('the policy loads and lints without errors or warnings', () => {
    const diags = [...loaded.diagnostics, ...lintPolicy(loaded)].filter((d) => d.severity !== 'info');
    expect(diags).toEqual([]);
    expect(loaded.ir!.default.verdict).toMatchObject({ kind: 'deny', errnoName: 'EPERM' });
  });

  test('counts and comments', () => {
    expect(learned.syscalls).toBe(new Set(recorded.map((c) => c.event.syscall)).size);
    expect(learned.yaml).toMatch(/^# Written by 'sysvm learn' on 2026-11-27 from what this command did:\n# {3}tool --x\n/);
    expect(learned.yaml.split('\n').filter((l) => l.startsWith('  - name:')).length).toBe(learned.rules);
    expect(learned.dangerous).toEqual([]);
  });

  test.for(recorded.map((c, i) => [i, c.event.syscall, c] as const))('recorded call %i (%s) is allowed', ([, , c]) => {
    expect(evaluate(loaded.ir!, c.inv).verdict.kind).toBe('allow');
  });

  const others: Array<[string, ReturnType<typeof call>, 'allow' | 'deny']> = [
    ['another library below /usr/lib', open('/usr/lib/x86_64-linux-gnu/libz.so.1'), 'allow'],
    ['another process\'s status', open('/proc/1/status'), 'allow'],
    ['fstat of stdout wherever it goes', call('newfstatat', { dfd: 1, filename: '/dev/pts/3', statbuf: '0x7f', flag: hex('AT_EMPTY_PATH') }), 'allow'],
    ['a new file in the cwd', open('/home/u/proj/new.o', 'O_WRONLY', 'O_CREAT'), 'allow'],
    ['writing below /usr/lib', open('/usr/lib/x86_64-linux-gnu/libc.so.6', 'O_RDWR'), 'deny'],
    ['reading a file never read', open('/etc/shadow'), 'deny'],
    ['reading the home', open('/home/u/.ssh/id_rsa'), 'deny'],
    ['an inet socket', call('socket', { family: '0x2', type: '0x1', protocol: 0 }), 'deny'],
    ['a syscall never made', call('unlink', { pathname: '/home/u/proj/src/main.c' }), 'deny'],
  ];
  test.for(others)('%s: %s', ([, c, want]) => {
    expect(evaluate(loaded.ir!, c.inv).verdict.kind).toBe(want);
  });

  test('a path call that only named objects outside the file system (pipe:[N]) is allowed by name', () => {
    const l = learnPolicy([call('newfstatat', { dfd: 3, filename: 'pipe:[77]', statbuf: '0x7f', flag: hex('AT_EMPTY_PATH') }).event], CTX);
    expect(l.yaml).toMatch(/name: calls\n {4}syscalls: \[newfstatat\]\n {4}action: allow\n/);
    expect(l.yaml).not.toMatch(/look-up/);
  });

  test('a dangerous call gets its own rule with an acknowledge, and the policy still lints clean', () => {
    const l = learnPolicy([call('personality', { personality: 0 }).event, call('read', { fd: 0, buf: '0x1', count: 1 }).event], CTX);
    expect(l.dangerous).toEqual(['personality']);
    expect(l.yaml).toMatch(/name: dangerous-calls\n {4}syscalls: \[personality\]\n {4}action: allow\n {4}acknowledge: /);
    const f = join(dir, 'dangerous.yaml');
    writeFileSync(f, l.yaml);
    const r = loadPolicy(f, { context: CTX });
    expect([...r.diagnostics, ...lintPolicy(r)].filter((d) => d.severity !== 'info')).toEqual([]);
  });
});
