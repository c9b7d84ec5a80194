// ${tty}: the terminals of the context, as a list that only a whole path value may name.
// What it expands to (none, one, several), that none never widens a rule, how builtin:default
// uses it, and where it is refused. (terminalPaths on a real terminal: packages/cli/test/tty.test.ts.)
import { openSync, closeSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { loadPolicy } from '../src/front/load.js';
import { terminalPaths } from '../src/front/tty.js';
import { evaluate } from '../src/evaluate.js';
import { explainPolicy } from '../src/compile/explain.js';
import { abi } from '../src/index.js';
import { runTestFile } from '../src/workflow/testfile.js';
import type { PolicyIR } from '../src/ir.js';

const base = { cwd: '/work/proj', home: '/home/u', tmp: '/tmp/sv', env: {} };
const O_RDONLY = 0n;
const O_WRONLY = 1n;
const O_CREAT_TRUNC_WRONLY = 0o1101n;
const AT_FDCWD = 0xffffff9cn;

function load(text: string, tty: string[]): PolicyIR {
  const r = loadPolicy({ file: 't.yaml', text }, { context: { ...base, tty } });
  expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return r.ir!;
}

/** The verdict of openat(AT_FDCWD, path, flags) when the supervisor resolved the path to `path`. */
function openat(ir: PolicyIR, path: string, flags = O_WRONLY): string {
  const nr = abi.syscallNumber('x86_64', 'openat')!;
  const d = evaluate(ir, { arch: 'x86_64', nr, args: [AT_FDCWD, 0x1000n, flags, 0n, 0n, 0n], deref: { path: () => path } });
  const v = d.verdict;
  return `${v.kind === 'deny' ? `deny ${v.errnoName}` : v.kind} by ${d.rule?.name ?? 'default'}`;
}

const policy = (match: string): string => `sysvm: 1
default: { deny: EPERM }
rules:
  - name: t
    syscalls: [openat]
    match: { path: ${match} }
    action: allow
`;

describe('what ${tty} expands to', () => {
  const cases: [match: string, tty: string[], values: string[]][] = [
    ['{ equals: "${tty}" }', ['/dev/pts/3'], ['/dev/pts/3']],
    ['{ equals: "${tty}" }', ['/dev/pts/3', '/dev/tty1'], ['/dev/pts/3', '/dev/tty1']],
    ['{ equals: "${tty}" }', [], []],
    ['{ equals: [/dev/null, "${tty}"] }', [], ['/dev/null']],
    ['{ equals: [/dev/null, "${tty}"] }', ['/dev/pts/3'], ['/dev/null', '/dev/pts/3']],
    ['{ under: ["${tty}"] }', ['/dev/pts/3'], ['/dev/pts/3']],
    ['{ equals: ["${tty}", "${tty}"] }', ['/dev/pts/3'], ['/dev/pts/3']],
  ];
  test.for(cases)('%s with tty %j', ([match, tty, values]) => {
    const ir = load(policy(match), tty);
    expect(ir.rules[0]!.match).toEqual([[expect.objectContaining({ kind: 'path', values })]]);
  });

  test('on an fd condition too', () => {
    const ir = load(`sysvm: 1
default: deny
rules:
  - { syscalls: [fchmod], match: { fd: { equals: "\${tty}" } }, action: allow }
`, ['/dev/pts/4']);
    expect(ir.rules[0]!.match).toEqual([[expect.objectContaining({ kind: 'fd', op: 'equals', values: ['/dev/pts/4'] })]]);
  });
});

describe('no terminal: a rule naming only ${tty} allows nothing', () => {
  // Security: the empty expansion must never become "no condition" (every path) nor "/".
  const paths = ['/', '/dev/pts/3', '/dev/pts/0', '/dev/tty', '/work/proj/x', '/dev/pts', '/dev'];
  test.for(['{ equals: "${tty}" }', '{ under: "${tty}" }', '{ equals: ["${tty}"] }'])('%s', (match) => {
    const ir = load(policy(match), []);
    for (const p of paths) {
      expect(openat(ir, p)).toBe('deny EPERM by default');
      expect(openat(ir, p, O_RDONLY)).toBe('deny EPERM by default');
    }
  });

  test('explain says the condition never holds', () => {
    const text = explainPolicy(load(policy('{ equals: "${tty}" }'), []));
    expect(text).toContain('if path equals (no path: never holds)');
  });
});

describe('builtin:default', () => {
  const withTty = (tty: string[]): PolicyIR => {
    const r = loadPolicy('builtin:default', { context: { ...base, tty } });
    expect(r.ir).toBeDefined();
    return r.ir!;
  };
  const cases: [tty: string[], path: string, flags: bigint, expected: string][] = [
    // The program's own terminal, as /dev/stderr resolves to it: read, write, create-truncate (`> /dev/stderr`).
    [['/dev/pts/3'], '/dev/pts/3', O_WRONLY, 'allow by own-terminal'],
    [['/dev/pts/3'], '/dev/pts/3', O_RDONLY, 'allow by own-terminal'],
    [['/dev/pts/3'], '/dev/pts/3', O_CREAT_TRUNC_WRONLY, 'allow by own-terminal'],
    [['/dev/pts/3', '/dev/pts/7'], '/dev/pts/7', O_RDONLY, 'allow by own-terminal'],
    // Another terminal, for reading or writing, stays refused.
    [['/dev/pts/3'], '/dev/pts/5', O_RDONLY, 'deny EACCES by other-paths'],
    [['/dev/pts/3'], '/dev/pts/5', O_WRONLY, 'deny EACCES by other-paths'],
    [['/dev/pts/3'], '/dev/pts/30', O_WRONLY, 'deny EACCES by other-paths'],
    [['/dev/pts/3'], '/dev/pts', O_RDONLY, 'deny EACCES by other-paths'],
    [['/dev/pts/3'], '/dev/ptmx', O_WRONLY, 'deny EACCES by other-paths'],
    // No terminal: none is allowed.
    [[], '/dev/pts/3', O_WRONLY, 'deny EACCES by other-paths'],
    [[], '/dev/pts/0', O_RDONLY, 'deny EACCES by other-paths'],
    [[], '/', O_WRONLY, 'deny EACCES by other-paths'],
    // What was allowed before still is.
    [[], '/dev/tty', O_WRONLY, 'allow by devices'],
    [['/dev/pts/3'], '/dev/null', O_WRONLY, 'allow by devices'],
  ];
  test.for(cases)('tty %j: openat %s flags %s -> %s', ([tty, path, flags, expected]) => {
    expect(openat(withTty(tty), path, flags)).toBe(expected);
  });

  test.for([
    [['/dev/pts/3'], '/dev/pts/3', 'allow by access-answers-as-the-rules'],
    [['/dev/pts/3'], '/dev/pts/5', 'deny EACCES by access-refused'],
    [[], '/dev/pts/3', 'deny EACCES by access-refused'],
  ] as [string[], string, string][])('tty %j: access(%s, W_OK) -> %s', ([tty, path, expected]) => {
    const nr = abi.syscallNumber('x86_64', 'access')!;
    const d = evaluate(withTty(tty), { arch: 'x86_64', nr, args: [0x1000n, 2n, 0n, 0n, 0n, 0n], deref: { path: () => path } });
    expect(`${d.verdict.kind === 'deny' ? `deny ${d.verdict.errnoName}` : d.verdict.kind} by ${d.rule?.name ?? 'default'}`).toBe(expected);
  });
});

describe('${tty} is refused where it is not a whole path value of a rule', () => {
  const cases: [title: string, text: string][] = [
    ['inside a path', policy('{ under: "${tty}/x" }')],
    ['a prefix', policy('{ equals: "/dev${tty}" }')],
    ['a glob', policy('{ glob: "${tty}" }')],
    ['in vars', `sysvm: 1\nvars: { t: "\${tty}" }\ndefault: deny\nrules:\n  - { syscalls: [openat], match: { path: "\${t}" }, action: allow }\n`],
    ['in a uname field', 'sysvm: 1\ndefault: deny\nrules:\n  - { syscalls: [uname], action: { emulate: { uname: { nodename: "${tty}" } } } }\n'],
    ['in an intent section', 'sysvm: 1\ndefault: deny\nfilesystem: { write: ["${tty}"] }\n'],
    ['as an env fallback', policy('{ equals: "${env.SYSVM_TEST_UNSET_TTY:-${tty}}" }')],
  ];
  test.for(cases)('%s: SV2013, and no IR', ([, text]) => {
    for (const tty of [[], ['/dev/pts/3']]) {
      const r = loadPolicy({ file: 't.yaml', text }, { context: { ...base, tty } });
      expect(r.diagnostics.map((d) => d.code)).toContain('SV2013');
      expect(r.ir).toBeUndefined();
    }
  });

  test('tty is a reserved variable name', () => {
    const r = loadPolicy({ file: 't.yaml', text: 'sysvm: 1\nvars: { tty: /dev/pts/1 }\ndefault: deny\n' }, { context: { ...base, tty: [] } });
    expect(r.ir).toBeUndefined();
    expect(r.diagnostics.map((d) => d.code)).toContain('SV1003');
  });
});

describe('terminalPaths', () => {
  // Files that are not terminals: a character device that is not one (/dev/null) among them.
  test.for(['/dev/null', '/etc/hostname'])('%s is no terminal', (file) => {
    const fd = openSync(file, 'r');
    try {
      expect(terminalPaths([fd])).toEqual([]);
    } finally {
      closeSync(fd);
    }
  });
  test('a closed fd is no terminal', () => {
    const fd = openSync('/dev/null', 'r');
    closeSync(fd);
    expect(terminalPaths([fd])).toEqual([]);
  });
});

describe('test files: context.tty', () => {
  const run = (text: string) => runTestFile('/virtual/tty.test.yaml', { readFile: (p) => {
    if (p === '/virtual/tty.test.yaml') return text;
    throw new Error(`unexpected read of ${p}`);
  } });
  const cases = `cases:
  - { call: 'openat(AT_FDCWD, "/dev/pts/3", O_WRONLY)', expect: allow, rule: own-terminal }
  - { call: 'openat(AT_FDCWD, "/dev/pts/5", O_RDONLY)', expect: { deny: EACCES }, rule: other-paths }
`;
  test('a test file names the program\'s terminals', () => {
    const r = run(`policy: builtin:default\ncontext: { tty: [/dev/pts/3] }\n${cases}`);
    expect(r.diagnostics).toEqual([]);
    expect(r.cases.map((c) => [c.passed, c.problems])).toEqual([[true, []], [true, []]]);
  });
  test('none by default, on every machine', () => {
    const r = run(`policy: builtin:default\n${cases}`);
    expect(r.cases.map((c) => c.passed)).toEqual([false, true]);
  });
  test.for(['tty: dev/pts/3', 'tty: [3]', 'tty: { a: 1 }'])('context: { %s } is a schema error', (bad) => {
    const r = run(`policy: builtin:default\ncontext: { ${bad} }\n${cases}`);
    expect(r.diagnostics.map((d) => d.code)).toEqual(['SV4102']);
  });
});
