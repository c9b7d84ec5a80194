// Differential property tests: for random policies and random invocations, the BPF
// program run by the interpreter and the decision program (`evaluate`) agree; and the
// supervisor's `decider` (evaluate with its lookups done ahead) decides as `evaluate`.
//   1. Integer-only policies: the prefilter returns exactly what `evaluate` decided,
//      mapped to seccomp (seccompRetForDecision).
//   2. Policies with path conditions: the prefilter returns what `prefilterRet` states
//      on the IR, and whenever it decides in the kernel (no TRACE), that decision is
//      the one `evaluate` reaches with any dereferenced paths (the kernel is sound).
//   3. One condition at a time, 16/32/64 bits: the BPF program and `evaluate` agree with
//      a reference written here that reads the register as the kernel does (the low
//      16 or 32 bits of a umode_t or an int: the SYSCALL_DEFINE wrapper's cast).
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { decodeRet } from '../src/bpf/seccomp.js';
import { decider, evaluate, prefilterRet, seccompRetForDecision } from '../src/evaluate.js';
import type { Condition, IntCondition, IntOp, Invocation, PathCondition, PolicyIR } from '../src/ir.js';
import { runBpf } from '../src/bpf/interp.js';
import { compileBpf } from '../src/compile/bpf.js';
import { auditArch } from '../src/compile/safety.js';
import { bpfRet, deny, inv, int, nr, policy, type RuleSpec } from './bpf-fixtures.js';
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

describe('decider vs evaluate', () => {
  // Paths as a Deref gives them: absolute, an object outside the filesystem, unreadable.
  const derefPaths = fc.array(fc.option(fc.constantFrom('/etc/passwd', '/home/u/.ssh/id_rsa', '/tmp/x', '/a/b', 'pipe:[12]'),
    { nil: undefined, freq: 5 }), { minLength: 4, maxLength: 4 });
  test('random policies with integer and path conditions: the same decision (20k invocations)', () => {
    const cond = fc.oneof(intCond as fc.Arbitrary<Condition>, pathCond as fc.Arbitrary<Condition>);
    const call = fc.tuple(invArb(false), derefPaths, fc.boolean()).map(([i, paths, withDeref]) =>
      ({ ...i, deref: withDeref ? { path: (a: number) => paths[a] } : undefined }));
    fc.assert(
      fc.property(policyArb(cond), fc.array(call, { minLength: 20, maxLength: 20 }), (ir, invs) => {
        const decide = decider(ir, { native: 'x86_64' });
        for (const i of invs) expect(decide(i)).toStrictEqual(evaluate(ir, i, { native: 'x86_64' }));
      }),
      { numRuns: 1000 },
    );
  }, 180_000);
});

/**
 * The reference: what the kernel makes of a `width`-bit argument's register, written out
 * without BigInt.asUintN/asIntN (which evaluate and the compiler use): the cast keeps the
 * low `width` bits; a signed type reads its top bit as the sign.
 */
function kernelReads(raw: bigint, width: number, signed: boolean): bigint {
  const span = 2n ** BigInt(width);
  const low = raw % span;
  return signed && low >= span / 2n ? low - span : low;
}

function referenceHolds(c: IntCondition, raw: bigint): boolean {
  const ordered = ['lt', 'le', 'gt', 'ge'].includes(c.op);
  const read = (v: bigint): bigint => kernelReads(v, c.width, c.signed && ordered);
  const x = read(raw);
  const vs = c.values.map(read);
  const v = vs[0]!;
  const bit = (n: bigint, i: number): boolean => kernelReads(n, c.width, false) / 2n ** BigInt(i) % 2n === 1n;
  const bits = [...Array(c.width).keys()].filter((i) => bit(v, i));
  switch (c.op) {
    case 'eq': return x === v;
    case 'ne': return x !== v;
    case 'lt': return x < v;
    case 'le': return x <= v;
    case 'gt': return x > v;
    case 'ge': return x >= v;
    case 'in': return vs.includes(x);
    case 'not-in': return !vs.includes(x);
    case 'all': return bits.every((i) => bit(raw, i));
    case 'any': return bits.some((i) => bit(raw, i));
    case 'none': return !bits.some((i) => bit(raw, i));
  }
}

const denyAll = policy([], deny(1));

/** Whether the prefilter and `evaluate` deny fchmodat under a rule with this one condition (it holds). */
function decided(c: IntCondition, raw: bigint): { bpf: boolean; evaluate: boolean } {
  const ir = policy([{ syscalls: ['fchmodat'], match: [[c]], verdict: deny(1) }]);
  const call = inv('fchmodat', [0n, 0n, 0n, 0n, 0n, 0n].map((z, i) => (i === c.arg ? raw : z)));
  return { bpf: bpfRet(ir, call) === bpfRet(denyAll, call), evaluate: evaluate(ir, call).verdict.kind === 'deny' };
}

describe('integer widths: the kernel\'s reading of the register', () => {
  test('random conditions of 16, 32 and 64 bits: BPF and evaluate agree with the reference', () => {
    fc.assert(
      fc.property(intCond, fc.array(u64, { minLength: 10, maxLength: 10 }), (c, raws) => {
        for (const raw of raws) {
          const want = referenceHolds(c, raw);
          expect(decided(c, raw)).toEqual({ bpf: want, evaluate: want });
        }
      }),
      { numRuns: 1500 },
    );
  }, 120_000);

  // fchmodat(dfd, path, mode): mode is a umode_t, 16 bits. The registers are what a program
  // can pass; the kernel reads their low 16 bits.
  const cases: [op: IntOp, values: bigint[], width: 16 | 32 | 64, signed: boolean, raw: bigint, holds: boolean][] = [
    ['in', [0o4755n], 16, false, 0o4755n, true],
    ['in', [0o4755n], 16, false, 0x1_0000n | 0o4755n, true], // the review's fchmodat(AT_FDCWD, "f", 0x10000 | 04755)
    ['in', [0o4755n], 16, false, 0xffff_ffff_ffff_0000n | 0o4755n, true],
    ['in', [0o4755n], 32, false, 0x1_0000n | 0o4755n, false], // what sysvm compared before: the rule missed
    ['eq', [0o4755n], 16, false, 0x8000_0000n | 0o4755n, true],
    ['ne', [0o644n], 16, false, 0x1_0000n | 0o644n, false],
    ['not-in', [0o644n, 0o755n], 16, false, 0xabcd_0000n | 0o755n, false],
    ['gt', [0o777n], 16, false, 0x1_0000n | 0o4755n, true],
    ['lt', [0o1000n], 16, false, 0x1_0000n | 0o755n, true],
    ['le', [0o777n], 16, false, 0x1_0000n, true], // reads 0
    ['ge', [1n], 16, false, 0xffff_0000n, false],
    ['ge', [0xffffn], 16, false, 0xffffn, true],
    ['lt', [0n], 16, true, 0x8000n, true], // a signed 16-bit type (short): 0x8000 is -32768
    ['lt', [0n], 16, true, 0x1_7fffn, false],
    ['gt', [0xfffen], 16, true, 0xffffn, true], // -1 > -2
    ['all', [0o4000n], 16, false, 0x1_0000n | 0o4755n, true],
    ['any', [0o6000n], 16, false, 0x1_0000n | 0o755n, false],
    ['none', [0o4000n], 16, false, 0xfff_0000n | 0o755n, true],
  ];
  const named = cases.map((k) => [`${k[0]} [${k[1].map((v) => `0o${v.toString(8)}`).join(', ')}] ${k[3] ? 's' : 'u'}${k[2]} of 0x${k[4].toString(16)}`, ...k] as const);
  test.for(named)('%s', ([, op, values, width, signed, raw, holds]) => {
    const c = int(2, op, values, width, signed, 'mode');
    expect(referenceHolds(c, raw)).toBe(holds);
    expect(decided(c, raw)).toEqual({ bpf: holds, evaluate: holds });
  });
});
