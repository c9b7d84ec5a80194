// The loader: YAML policies -> PolicyIR. Literal tables of inputs and the IR they must give.
import { describe, expect, test } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Condition, PolicyIR, RuleIR, Verdict } from '../src/ir.js';
import { loadPolicy } from '../src/front/load.js';

const context = { cwd: '/work/proj', home: '/home/u', tmp: '/tmp/sv', env: { HOME: '/home/u', DATA: '/srv/data' } };
const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url));

function load(text: string): PolicyIR {
  const r = loadPolicy({ file: 'test.yaml', text }, { context });
  expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  expect(r.ir).toBeDefined();
  return r.ir!;
}

/** A condition without its source range: Omit applied to each member of the union (Omit on
 * the union itself keeps only the members' common keys, `kind` and `source`). */
type NoSource<C> = C extends unknown ? Omit<C, 'source'> : never;

const noSource = (c: Condition): NoSource<Condition> => {
  const { source: _s, ...rest } = c;
  return rest;
};

describe('verdicts', () => {
  const cases: [action: string, verdict: Verdict][] = [
    ['allow', { kind: 'allow' }],
    ['deny', { kind: 'deny', errno: 1, errnoName: 'EPERM' }],
    ['{ deny: EACCES }', { kind: 'deny', errno: 13, errnoName: 'EACCES' }],
    ['{ deny: 2 }', { kind: 'deny', errno: 2, errnoName: 'ENOENT' }],
    ['kill', { kind: 'kill' }],
    ['trace', { kind: 'trace' }],
    ['{ emulate: { return: 0 } }', { kind: 'emulate', emulate: { kind: 'return', value: 0 } }],
    ['{ emulate: { return: -13 } }', { kind: 'emulate', emulate: { kind: 'return', value: -13 } }],
    ['{ emulate: { uname: { nodename: sandbox, release: "6.0.0-${env.DATA:-x}" } } }',
      { kind: 'emulate', emulate: { kind: 'uname', fields: { nodename: 'sandbox', release: '6.0.0-/srv/data' } } }],
  ];
  test.for(cases)('%s', ([action, verdict]) => {
    // A uname emulation fits only uname, not a default for every call (SV3009).
    const isUname = action.includes('uname');
    const ir = load(`sysvm: 1\ndefault: ${isUname ? 'deny' : action}\nrules:\n  - syscalls: [${isUname ? 'uname' : 'getpid'}]\n    action: ${action}\n`);
    expect(ir.rules[0]!.verdict).toEqual(verdict);
    if (!isUname) expect(ir.default.verdict).toEqual(verdict);
  });

  test('default with log', () => {
    const ir = load('sysvm: 1\ndefault: { action: { deny: EACCES }, log: true }\n');
    expect(ir.default).toEqual({ verdict: { kind: 'deny', errno: 13, errnoName: 'EACCES' }, log: true,
      source: { file: 'test.yaml', line: 2, column: 10, endLine: 2, endColumn: 49 } });
  });
});

describe('conditions', () => {
  const cases: [syscall: string, match: string, conditions: NoSource<Condition>[]][] = [
    ['openat', '{ flags: { all: O_WRONLY } }',
      [{ kind: 'int', arg: 2, argName: 'flags', op: 'all', values: [1n], width: 32, signed: true }]],
    ['openat', '{ flags: { any: [O_WRONLY, O_CREAT, 0x8] } }',
      [{ kind: 'int', arg: 2, argName: 'flags', op: 'any', values: [0x49n], width: 32, signed: true }]],
    ['openat', '{ flags: { none: O_RDWR } }',
      [{ kind: 'int', arg: 2, argName: 'flags', op: 'none', values: [2n], width: 32, signed: true }]],
    ['openat', '{ dfd: { eq: AT_FDCWD } }',
      [{ kind: 'int', arg: 0, argName: 'dfd', op: 'eq', values: [0xffffff9cn], width: 32, signed: true }]],
    ['openat', '{ dfd: -100 }',
      [{ kind: 'int', arg: 0, argName: 'dfd', op: 'eq', values: [0xffffff9cn], width: 32, signed: true }]],
    ['socket', '{ domain: { in: [AF_INET, AF_INET6] } }',
      [{ kind: 'int', arg: 0, argName: 'family', op: 'in', values: [2n, 10n], width: 32, signed: true }]],
    ['socket', '{ family: { not-in: [AF_UNIX] } }',
      [{ kind: 'int', arg: 0, argName: 'family', op: 'not-in', values: [1n], width: 32, signed: true }]],
    ['mmap', '{ prot: { none: PROT_EXEC } }',
      [{ kind: 'int', arg: 2, argName: 'prot', op: 'none', values: [4n], width: 64, signed: false }]],
    ['lseek', '{ offset: { lt: -1 } }',
      [{ kind: 'int', arg: 1, argName: 'offset', op: 'lt', values: [0xffffffffffffffffn], width: 64, signed: true }]],
    ['read', '{ count: { ge: 4096, le: 0x10000 }, fd: { ne: 0, gt: 2 } }', [
      // operators in the schema's order: eq ne lt le gt ge in not-in all any none
      { kind: 'int', arg: 2, argName: 'count', op: 'le', values: [0x10000n], width: 64, signed: false },
      { kind: 'int', arg: 2, argName: 'count', op: 'ge', values: [4096n], width: 64, signed: false },
      { kind: 'int', arg: 0, argName: 'fd', op: 'ne', values: [0n], width: 32, signed: false },
      { kind: 'int', arg: 0, argName: 'fd', op: 'gt', values: [2n], width: 32, signed: false }]],
    ['read', '{ count: { eq: 0xffffffffffffffff } }',
      [{ kind: 'int', arg: 2, argName: 'count', op: 'eq', values: [0xffffffffffffffffn], width: 64, signed: false }]],
    ['ioctl', '{ cmd: 0x5412 }',
      [{ kind: 'int', arg: 1, argName: 'cmd', op: 'eq', values: [0x5412n], width: 32, signed: false }]],
    ['openat', '{ path: { equals: "~/x/../y//z/." } }',
      [{ kind: 'path', args: [1], op: 'equals', values: ['/home/u/y/z'] }]],
    ['openat', '{ path: "${cwd}/a" }', [{ kind: 'path', args: [1], op: 'equals', values: ['/work/proj/a'] }]],
    ['openat', '{ path: { under: ["${cwd}/build/", "${tmp}", "/$${literal}"] } }',
      [{ kind: 'path', args: [1], op: 'under', values: ['/work/proj/build', '/tmp/sv', '/${literal}'] }]],
    ['openat', '{ path: { glob: "${home}/**/*.key" } }',
      [{ kind: 'path', args: [1], op: 'glob', values: ['/home/u/**/*.key'] }]],
    ['openat', '{ filename: { under: /etc } }', [{ kind: 'path', args: [1], op: 'under', values: ['/etc'] }]],
    ['renameat2', '{ path: { under: "${env.DATA}" } }',
      [{ kind: 'path', args: [1, 3], op: 'under', values: ['/srv/data'] }]],
    ['renameat2', '{ newname: { under: "${env.NOPE:-/fallback}" } }',
      [{ kind: 'path', args: [3], op: 'under', values: ['/fallback'] }]],
  ];
  test.for(cases)('%s %s', ([syscall, match, conditions]) => {
    const ir = load(`sysvm: 1\ndefault: deny\nrules:\n  - syscalls: [${syscall}]\n    match: ${match}\n    action: allow\n`);
    expect(ir.rules).toHaveLength(1);
    expect(ir.rules[0]!.syscalls).toEqual([syscall]);
    expect(ir.rules[0]!.match!.map((alt) => alt.map(noSource))).toEqual([conditions]);
  });

  test('a list of maps is a disjunction; each condition has its source range', () => {
    const ir = load(`sysvm: 1
default: deny
rules:
  - syscalls: [openat]
    match:
      - { flags: { none: [O_WRONLY, O_RDWR] } }
      - path: { under: /tmp }
    action: allow
`);
    const m = ir.rules[0]!.match!;
    expect(m).toHaveLength(2);
    expect(m[0]![0]!.source).toEqual({ file: 'test.yaml', line: 6, column: 26, endLine: 6, endColumn: 44 });
    expect(m[1]![0]!.source).toEqual({ file: 'test.yaml', line: 7, column: 24, endLine: 7, endColumn: 28 });
  });
});

describe('rules', () => {
  test('a rule over syscalls with different argument layouts becomes one IR rule per layout', () => {
    const ir = load(`sysvm: 1
default: deny
rules:
  - name: files
    syscalls: [open, openat, rename, creat]
    match: { path: { under: /tmp } }
    action: allow
    log: true
  - syscalls: [getpid]
    action: kill
`);
    const strip = (r: RuleIR) => ({ index: r.index, name: r.name, syscalls: r.syscalls,
      args: r.match?.[0]?.map((c) => (c.kind === 'path' ? c.args : c.arg)), log: r.log, line: r.source.line });
    expect(ir.rules.map(strip)).toEqual([
      { index: 0, name: 'files', syscalls: ['open', 'creat'], args: [[0]], log: true, line: 4 },
      { index: 1, name: 'files', syscalls: ['openat'], args: [[1]], log: true, line: 4 },
      { index: 2, name: 'files', syscalls: ['rename'], args: [[0, 1]], log: true, line: 4 },
      { index: 3, name: undefined, syscalls: ['getpid'], args: undefined, log: false, line: 9 },
    ]);
  });

  test('a group keeps only the members that have the matched argument', () => {
    const ir = load(`sysvm: 1
default: deny
rules:
  - syscalls: ["@file-system"]
    match: { path: { under: "~/.ssh" } }
    action: { deny: EACCES }
`);
    const all = ir.rules.flatMap((r) => r.syscalls);
    expect(all).toContain('openat');
    expect(all).toContain('renameat2');
    expect(all).not.toContain('close');
    expect(all).not.toContain('fstat');
    expect(all).not.toContain('mmap');
  });

  test('a rule without match applies to every member of its groups; names and groups may overlap', () => {
    const ir = load('sysvm: 1\ndefault: deny\nrules:\n  - syscalls: ["@sync", fsync]\n    action: allow\n');
    expect(ir.rules[0]!.syscalls).toEqual(['fdatasync', 'fsync', 'msync', 'sync', 'sync_file_range', 'syncfs']);
    expect(ir.rules[0]!.match).toBeNull();
  });

  test('name comes from the policy; a lone default makes a policy without rules', () => {
    const ir = load('sysvm: 1\nname: tiny\ndefault: allow\n');
    expect(ir).toEqual({ name: 'tiny', files: ['test.yaml'], rules: [],
      default: { verdict: { kind: 'allow' }, log: false, source: { file: 'test.yaml', line: 3, column: 10, endLine: 3, endColumn: 15 } } });
  });
});

describe('extends', () => {
  test('a file\'s rules come before those of what it extends; default and vars from the nearest file', () => {
    const r = loadPolicy(`${fixtures}extends/child.yaml`, { context });
    expect(r.diagnostics).toEqual([]);
    const ir = r.ir!;
    expect(ir.files.map((f) => f.split('/').pop())).toEqual(['child.yaml', 'left.yaml', 'right.yaml', 'base.yaml']);
    expect(ir.rules.map((x) => [x.index, x.name])).toEqual([[0, 'child-rule'], [1, 'left-rule'], [2, 'right-rule'], [3, 'base-rule']]);
    expect(ir.default.verdict).toEqual({ kind: 'deny', errno: 13, errnoName: 'EACCES' });
    expect(ir.default.source.file.split('/').pop()).toBe('right.yaml');
    // base.yaml's rule uses ${data}; child.yaml's definition wins.
    expect(ir.rules[3]!.match![0]![0]).toMatchObject({ kind: 'path', values: ['/work/proj/child-data'] });
    expect(ir.rules[3]!.source.file.split('/').pop()).toBe('base.yaml');
    expect(ir.name).toBe('child');
    expect([...r.sources.keys()].map((f) => f.split('/').pop()).sort()).toEqual(['base.yaml', 'child.yaml', 'left.yaml', 'right.yaml']);
  });

  test('extending a builtin: its rules come after, its default applies', () => {
    const r = loadPolicy({ file: 'x.yaml', text: 'sysvm: 1\nextends: builtin:default\nrules:\n  - syscalls: [uname]\n    action: { emulate: { uname: { nodename: box } } }\n' }, { context });
    expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(r.ir!.files).toEqual(['x.yaml', 'builtin:default']);
    // builtin:default's world rules (its private /dev/shm) first, then the extending file's
    // rules, then the builtin's (a section rule is one IR rule per shape of its calls).
    const names = r.ir!.rules.map((x) => x.name ?? x.syscalls.join()).filter((n, i, all) => n !== all[i - 1]);
    expect(names.slice(0, 4)).toEqual(['filesystem.bind[/dev/shm]', 'filesystem.bind-views', 'uname', 'no-escape']);
    expect(r.ir!.default.verdict).toEqual({ kind: 'deny', errno: 1, errnoName: 'EPERM' });
  });
});

describe('builtins', () => {
  test.for(['builtin:default', 'builtin:permissive', 'builtin:audit'])('%s loads', (name) => {
    const r = loadPolicy(name, { context });
    expect(r.diagnostics.filter((d) => d.severity !== 'info')).toEqual([]);
    expect(r.ir?.files).toEqual([name]);
  });

  test('builtin:default keeps the secrets and the network out', () => {
    const ir = loadPolicy('builtin:default', { context }).ir!;
    const first = (s: string) => ir.rules.find((r) => r.syscalls.includes(s))!;
    expect(first('ptrace').verdict).toEqual({ kind: 'deny', errno: 1, errnoName: 'EPERM' });
    expect(first('io_uring_setup').verdict.kind).toBe('deny');
    expect(first('mount').verdict.kind).toBe('deny');
    const openat = ir.rules.filter((r) => r.syscalls.includes('openat'));
    // Only the program's own /dev/shm comes before the secrets: a bind of /dev/shm alone.
    expect(openat[0]!.name).toBe('filesystem.bind[/dev/shm]');
    expect(openat[0]!.match).toMatchObject([[{ kind: 'path', op: 'under', values: ['/dev/shm'] }]]);
    expect(openat[0]!.verdict).toEqual({ kind: 'emulate', emulate: { kind: 'bind', from: '/dev/shm', to: `${context.tmp}/.shm` } });
    expect(openat[1]!.name).toBe('no-home-secrets');
    expect(openat[1]!.match![0]![0]).toMatchObject({ kind: 'path', op: 'under' });
    expect((openat[1]!.match![0]![0] as { values: string[] }).values).toContain('/home/u/.ssh');
    expect(first('socket').name).toBe('no-network');
  });
});

describe('the YAML examples in docs/policy.md load without errors', () => {
  const root = fileURLToPath(new URL('../../../', import.meta.url));
  const doc = readFileSync(`${root}docs/policy.md`, 'utf8');
  const blocks = [...doc.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!);
  // Fragments (a rules: list, a default:) are completed into a policy.
  const complete = (b: string): string =>
    (/^sysvm:/m.test(b) ? b : `sysvm: 1\n${/^default:/m.test(b) ? '' : 'default: deny\n'}${b}`);
  test('there are examples', () => expect(blocks.length).toBeGreaterThanOrEqual(12));
  test.for(blocks.map((b, i) => [i + 1, b] as const))('block %i', ([, block]) => {
    const readFile = (p: string): string => {
      if (p.endsWith('/team-rules.yaml')) return 'sysvm: 1\nrules: []\n';
      return readFileSync(p, 'utf8');
    };
    const r = loadPolicy({ file: `${root}docs/policy.md.yaml`, text: complete(block) },
      { context: { ...context, env: {} }, readFile });
    expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(r.ir).toBeDefined();
  });
});
