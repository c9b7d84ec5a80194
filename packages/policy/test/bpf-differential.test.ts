// Differential property tests: for random policies and random invocations, the BPF
// program run by the interpreter and the decision program (`evaluate`) agree.
//   1. Integer-only policies: the prefilter returns exactly what `evaluate` decided,
//      mapped to seccomp (seccompRetForDecision).
//   2. Policies with path conditions: the prefilter returns what `prefilterRet` states
//      on the IR, and whenever it decides in the kernel (no TRACE), that decision is
//      the one `evaluate` reaches with any dereferenced paths (the kernel is sound).
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { decodeRet } from '../src/bpf/seccomp.js';
import { evaluate, prefilterRet, seccompRetForDecision } from '../src/evaluate.js';
import type { Condition, IntCondition, IntOp, Invocation, PathCondition, PolicyIR, Verdict } from '../src/ir.js';
import { runBpf } from '../src/bpf/interp.js';
import { compileBpf } from '../src/compile/bpf.js';
import { auditArch } from '../src/compile/safety.js';
import { bpfRet, nr, policy, type RuleSpec } from './bpf-fixtures.js';

const NAMES = ['read', 'write', 'openat', 'socket', 'lseek', 'mmap', 'getpid', 'renameat2', 'io_uring_setup'];
const NUMS = NAMES.map(nr);

// Values around the edges where 32/64-bit, signed/unsigned handling differs.
const EDGES = [
  0n, 1n, 2n, 5n, 0x7fn, 0x80n, 0xffn, 0x7fffffffn, 0x80000000n, 0x80000001n, 0xfffffffen, 0xffffffffn,
  0x1_00000000n, 0x1_00000001n, 0x1_ffffffffn, 0x7fffffff_ffffffffn, 0x80000000_00000000n, 0x80000000_00000001n,
  0xffffffff_00000000n, 0xffffffff_fffffffen, 0xffffffff_ffffffffn, 0xffffffff_ffffff9cn,
];
const u64 = fc.oneof(
  fc.constantFrom(...EDGES),
  fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
  fc.bigInt({ min: 0n, max: 16n }),
  // An edge value with garbage in the high half.
  fc.tuple(fc.constantFrom(...EDGES), fc.bigInt({ min: 0n, max: 0xffffffffn })).map(([v, h]) => ((h << 32n) | (v & 0xffffffffn))),
);

const OPS: IntOp[] = ['eq', 'ne', 'lt', 'le', 'gt', 'ge', 'in', 'not-in', 'all', 'any', 'none'];
const intCond: fc.Arbitrary<IntCondition> = fc.record({
  arg: fc.integer({ min: 0, max: 5 }),
  op: fc.constantFrom(...OPS),
  width: fc.constantFrom<32 | 64>(32, 64),
  signed: fc.boolean(),
  values: fc.array(u64, { minLength: 1, maxLength: 4 }),
}).map(({ arg, op, width, signed, values }) => ({
  kind: 'int',
  arg,
  argName: `a${arg}`,
  op,
  width,
  signed,
  values: (op === 'in' || op === 'not-in' ? values : values.slice(0, 1)).map((v) => BigInt.asUintN(width, v)),
  source: { file: 't', line: 1, column: 1, endLine: 1, endColumn: 1 },
}));

const PATHS = ['/etc', '/etc/passwd', '/etc/ssl/certs/ca.pem', '/home/u/.ssh/id_rsa', '/tmp', '/tmp/x', '/ab', '/a/b'];
const pathCond: fc.Arbitrary<PathCondition> = fc.record({
  args: fc.uniqueArray(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 2 }),
  op: fc.constantFrom<'equals' | 'under' | 'glob'>('equals', 'under', 'glob'),
  values: fc.array(fc.constantFrom('/etc', '/etc/passwd', '/home/*/.ssh/**', '/tmp/?', '/a', '/**'), { minLength: 1, maxLength: 2 }),
}).map((p) => ({ kind: 'path', ...p, source: { file: 't', line: 1, column: 1, endLine: 1, endColumn: 1 } }));

const verdict: fc.Arbitrary<Verdict> = fc.oneof(
  fc.constant<Verdict>({ kind: 'allow' }),
  fc.integer({ min: 1, max: 4095 }).map((e): Verdict => ({ kind: 'deny', errno: e, errnoName: `E${e}` })),
  fc.constant<Verdict>({ kind: 'kill' }),
  fc.constant<Verdict>({ kind: 'trace' }),
  fc.constant<Verdict>({ kind: 'emulate', emulate: { kind: 'return', value: 0 } }),
);

function policyArb(cond: fc.Arbitrary<Condition>): fc.Arbitrary<PolicyIR> {
  const rule: fc.Arbitrary<RuleSpec> = fc.record({
    syscalls: fc.uniqueArray(fc.constantFrom(...NAMES), { minLength: 1, maxLength: 3 }),
    match: fc.option(fc.array(fc.array(cond, { maxLength: 3 }), { maxLength: 3 }), { nil: null, freq: 4 }),
    verdict,
    log: fc.boolean().map((b) => b && Math.random() < 0.3),
  });
  return fc.tuple(fc.array(rule, { maxLength: 8 }), verdict, fc.boolean()).map(([rules, d, log]) => policy(rules, d, log));
}

const nrArb = fc.oneof(
  { weight: 12, arbitrary: fc.constantFrom(...NUMS) },
  { weight: 1, arbitrary: fc.constantFrom(-1, 0xffffffff) },
  { weight: 1, arbitrary: fc.constantFrom(...NUMS).map((n) => (n | 0x40000000) >>> 0) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 0xffffffff }) },
);

function invArb(withPaths: boolean): fc.Arbitrary<Invocation> {
  return fc.record({
    arch: fc.oneof({ weight: 20, arbitrary: fc.constant('x86_64' as const) }, { weight: 1, arbitrary: fc.constantFrom('i386' as const, 'aarch64' as const) }),
    nr: nrArb,
    args: fc.array(u64, { minLength: 6, maxLength: 6 }),
    paths: fc.array(fc.option(fc.constantFrom(...PATHS), { nil: undefined, freq: 5 }), { minLength: 4, maxLength: 4 }),
  }).map(({ arch, nr, args, paths }) => ({
    arch, nr, args, deref: withPaths ? { path: (i: number) => paths[i] } : undefined,
  }));
}

describe('BPF interpreter vs evaluate', () => {
  test('integer-only policies: identical decisions (30k invocations)', () => {
    fc.assert(
      fc.property(policyArb(intCond), fc.array(invArb(false), { minLength: 20, maxLength: 20 }), (ir, invs) => {
        // The unoptimized program must be right too (the optimizer is only an improvement).
        const plain = compileBpf(ir, 'x86_64', { optimize: false }).program;
        for (const i of invs) {
          const expected = seccompRetForDecision(evaluate(ir, i));
          expect(bpfRet(ir, i)).toBe(expected);
          expect(runBpf(plain, { nr: i.nr, arch: auditArch(i.arch), args: i.args }, { checked: true }).ret).toBe(expected);
          expect(prefilterRet(ir, i)).toBe(expected);
        }
      }),
      { numRuns: 1500 },
    );
  }, 180_000);

  test('policies with paths: the prefilter is exact and its kernel decisions are sound (20k invocations)', () => {
    const cond = fc.oneof({ weight: 3, arbitrary: intCond as fc.Arbitrary<Condition> }, { weight: 1, arbitrary: pathCond as fc.Arbitrary<Condition> });
    fc.assert(
      fc.property(policyArb(cond), fc.array(invArb(true), { minLength: 20, maxLength: 20 }), (ir, invs) => {
        for (const i of invs) {
          const ret = bpfRet(ir, i);
          expect(ret).toBe(prefilterRet(ir, i));
          if (decodeRet(ret).action !== 'trace') expect(seccompRetForDecision(evaluate(ir, i))).toBe(ret);
        }
      }),
      { numRuns: 1000 },
    );
  }, 180_000);
});
