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
import type { Condition, Invocation, PathCondition, PolicyIR } from '../src/ir.js';
import { runBpf } from '../src/bpf/interp.js';
import { compileBpf } from '../src/compile/bpf.js';
import { auditArch } from '../src/compile/safety.js';
import { bpfRet, nr, policy, type RuleSpec } from './bpf-fixtures.js';
import { intCondArb, u64, verdictArb } from './arbitraries.js';

const NAMES = ['read', 'write', 'openat', 'socket', 'lseek', 'mmap', 'getpid', 'renameat2', 'io_uring_setup'];
const NUMS = NAMES.map(nr);

const intCond = intCondArb({ maxValues: 4 });

const PATHS = ['/etc', '/etc/passwd', '/etc/ssl/certs/ca.pem', '/home/u/.ssh/id_rsa', '/tmp', '/tmp/x', '/ab', '/a/b'];
const pathCond: fc.Arbitrary<PathCondition> = fc.record({
  args: fc.uniqueArray(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 2 }),
  op: fc.constantFrom<'equals' | 'under' | 'glob'>('equals', 'under', 'glob'),
  values: fc.array(fc.constantFrom('/etc', '/etc/passwd', '/home/*/.ssh/**', '/tmp/?', '/a', '/**'), { minLength: 1, maxLength: 2 }),
}).map((p) => ({ kind: 'path', ...p, source: { file: 't', line: 1, column: 1, endLine: 1, endColumn: 1 } }));

const verdict = verdictArb(true);

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
