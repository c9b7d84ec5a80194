// Objects reached through an fd the program holds (fstat of a pipe is
// newfstatat(fd, "", AT_EMPTY_PATH)): path rules neither protect nor block them.
import { describe, expect, test } from 'vitest';
import { evaluate } from '../src/evaluate.js';
import type { PolicyIR, RuleIR, SourceRange, Verdict } from '../src/ir.js';

const at: SourceRange = { file: 't.yaml', line: 1, column: 1, endLine: 1, endColumn: 2 };
const rule = (index: number, verdict: Verdict, under: string): RuleIR => ({
  index, source: at, syscalls: ['newfstatat'], verdict, log: false,
  match: [[{ kind: 'path', args: [1], op: 'under', values: [under], source: at }]],
});
const ir: PolicyIR = {
  files: ['t.yaml'],
  default: { verdict: { kind: 'deny', errno: 1, errnoName: 'EPERM' }, log: false, source: at },
  rules: [rule(0, { kind: 'deny', errno: 13, errnoName: 'EACCES' }, '/root/.ssh'), rule(1, { kind: 'allow' }, '/usr')],
};

describe('a path argument that names an fd object', () => {
  test.for([
    ['pipe:[123]', 'allow'],
    ['anon_inode:[eventfd]', 'allow'],
    ['/root/.ssh/id_rsa', 'deny'],
    ['/usr/bin/ls', 'allow'],
    ['/home/x', 'deny'],
  ] as const)('%s -> %s', ([path, kind]) => {
    const d = evaluate(ir, { arch: 'x86_64', nr: 262, args: [1n, 0n, 0n, 0x1000n, 0n, 0n], deref: { path: () => path } });
    expect(d.verdict.kind).toBe(kind);
  });

  test('an unreadable path still fails closed', () => {
    const d = evaluate(ir, { arch: 'x86_64', nr: 262, args: [1n, 0n, 0n, 0n, 0n, 0n], deref: { path: () => undefined } });
    expect(d.verdict).toMatchObject({ kind: 'deny', errno: 13 });
  });
});
