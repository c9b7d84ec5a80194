// Audit mode's IR transform on a real example policy: verdicts and rules unchanged, every
// deny/kill now stops in the supervisor (the BPF, run in the interpreter, returns TRACE).
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { decodeRet } from '../src/bpf/seccomp.js';
import { constant } from '../src/abi/index.js';
import { evaluate } from '../src/evaluate.js';
import { loadPolicy } from '../src/front/load.js';
import { auditPolicy, isBlocking } from '../src/workflow/audit.js';
import { bpfRet, inv } from './bpf-fixtures.js';

const EXAMPLES = join(import.meta.dirname, '../../../examples');
const ctx = { cwd: '/work/project', home: '/home/u', tmp: '/tmp/sysvm-x' };
const O = (n: string): bigint => constant(n)!;
const AT_FDCWD = BigInt.asUintN(64, -100n);

describe('auditPolicy', () => {
  const ir = loadPolicy(join(EXAMPLES, 'read-only.yaml'), { context: ctx }).ir!;
  const before = JSON.stringify(ir, (_, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
  const audited = auditPolicy(ir);

  test('marks every deny/kill rule and the default logged, nothing else', () => {
    expect(JSON.stringify(ir, (_, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))).toBe(before);
    ir.rules.forEach((r, i) => {
      const a = audited.rules[i]!;
      expect(a.verdict).toEqual(r.verdict);
      expect(a.syscalls).toEqual(r.syscalls);
      expect(a.log).toBe(isBlocking(r.verdict) ? true : r.log);
    });
    expect(ir.default.verdict.kind).toBe('deny');
    expect(audited.default.log).toBe(true);
  });

  const calls = [
    ['write open of a file (no-writes, kernel-decided)', inv('openat', [AT_FDCWD, 0n, O('O_WRONLY') | O('O_CREAT')], 'x86_64', { 1: '/work/project/out' })],
    ['mkdir (changes, kernel-decided)', inv('mkdir', [0n], 'x86_64', { 0: '/work/project/d' })],
    ['socket (default deny, kernel-decided)', inv('socket', [2n, 1n, 0n])],
    ['read of a secret (path deny)', inv('openat', [AT_FDCWD, 0n, 0n], 'x86_64', { 1: '/home/u/.ssh/id_rsa' })],
    ['read under /usr (path allow)', inv('openat', [AT_FDCWD, 0n, 0n], 'x86_64', { 1: '/usr/lib/libc.so.6' })],
    ['getpid (kernel allow)', inv('getpid')],
  ] as const;

  test.for(calls)('%s: same decision, blocking ones go to the supervisor', ([, call]) => {
    const d0 = evaluate(ir, call);
    const d1 = evaluate(audited, call);
    expect(d1.verdict).toEqual(d0.verdict);
    expect(d1.rule?.index).toBe(d0.rule?.index);
    const action = decodeRet(bpfRet(audited, call)).action;
    if (isBlocking(d0.verdict)) {
      expect(d1.log).toBe(true);
      expect(action).toBe('trace');
    } else {
      // what passes is decided where it was before
      expect(action).toBe(decodeRet(bpfRet(ir, call)).action);
    }
  });

  test('a kernel-decided deny is a kernel ERRNO without audit, a TRACE with it', () => {
    const call = calls[2][1];
    expect(decodeRet(bpfRet(ir, call)).action).toBe('errno');
    expect(decodeRet(bpfRet(audited, call)).action).toBe('trace');
  });
});
