// Differential property test of export-oci: for random policies (integer conditions of every
// op, 32/64 bits, signed or not, and path conditions) and random invocations (registers with
// garbage in the upper half too), the exported OCI profile, evaluated with libseccomp's
// semantics (evaluateOci), returns what sysvm's own prefilter returns.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { prefilterRet } from '../src/evaluate.js';
import type { Condition, IntCondition, IntOp, PathCondition, Verdict } from '../src/ir.js';
import { evaluateOci, exportOci, ociActionOfRet, ociJson, parseOciJson, type OciProfile } from '../src/workflow/oci.js';
import { nr, policy, type RuleSpec } from './bpf-fixtures.js';

const NAMES = ['read', 'openat', 'socket', 'lseek', 'mmap', 'getpid', 'io_uring_setup'];
const NUMS = NAMES.map(nr);
const at = { file: 't', line: 1, column: 1, endLine: 1, endColumn: 1 };

const EDGES = [0n, 1n, 2n, 5n, 0x7fn, 0x80n, 0x7fffffffn, 0x80000000n, 0xfffffffen, 0xffffffffn, 0x1_00000000n,
  0x7fffffff_ffffffffn, 0x80000000_00000000n, 0xffffffff_fffffffen, 0xffffffff_ffffffffn, 0xffffffff_ffffff9cn];
const u64 = fc.oneof(
  fc.constantFrom(...EDGES),
  fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
  fc.bigInt({ min: 0n, max: 16n }),
  fc.tuple(fc.constantFrom(...EDGES), fc.bigInt({ min: 0n, max: 0xffffffffn })).map(([v, h]) => ((h << 32n) | (v & 0xffffffffn))),
);
const OPS: IntOp[] = ['eq', 'ne', 'lt', 'le', 'gt', 'ge', 'in', 'not-in', 'all', 'any', 'none'];
const intCond: fc.Arbitrary<IntCondition> = fc.record({
  arg: fc.integer({ min: 0, max: 5 }),
  op: fc.constantFrom(...OPS),
  width: fc.constantFrom<32 | 64>(32, 64),
  signed: fc.boolean(),
  values: fc.array(u64, { minLength: 1, maxLength: 3 }),
  // Bit masks with few bits (a mask of 64 bits would make 64 entries per negation).
  bits: fc.bigInt({ min: 1n, max: 0xffn }),
}).map(({ arg, op, width, signed, values, bits }) => ({
  kind: 'int', arg, argName: `a${arg}`, op, width, signed,
  values: ['all', 'any', 'none'].includes(op) ? [bits << BigInt(arg * 5)]
    : (op === 'in' || op === 'not-in' ? values : values.slice(0, 1)).map((v) => BigInt.asUintN(width, v)),
  source: at,
}));
const pathCond: fc.Arbitrary<PathCondition> = fc.constant({ kind: 'path', args: [1], op: 'under', values: ['/etc'], source: at });
const verdict: fc.Arbitrary<Verdict> = fc.oneof(
  fc.constant<Verdict>({ kind: 'allow' }),
  fc.integer({ min: 1, max: 4095 }).map((e): Verdict => ({ kind: 'deny', errno: e, errnoName: `E${e}` })),
  fc.constant<Verdict>({ kind: 'kill' }),
  fc.constant<Verdict>({ kind: 'trace' }),
);
const cond = fc.oneof({ weight: 6, arbitrary: intCond as fc.Arbitrary<Condition> }, { weight: 1, arbitrary: pathCond as fc.Arbitrary<Condition> });
const rule: fc.Arbitrary<RuleSpec> = fc.record({
  syscalls: fc.uniqueArray(fc.constantFrom(...NAMES), { minLength: 1, maxLength: 2 }),
  match: fc.option(fc.array(fc.array(cond, { minLength: 1, maxLength: 2 }), { minLength: 1, maxLength: 2 }), { nil: null, freq: 4 }),
  verdict,
});
const policies = fc.tuple(fc.array(rule, { maxLength: 4 }), verdict).map(([rules, d]) => policy(rules, d));
const invs = fc.array(fc.record({ nr: fc.constantFrom(...NUMS), args: fc.array(u64, { minLength: 6, maxLength: 6 }) }),
  { minLength: 25, maxLength: 25 });

let wholeCount = 0;
let runs = 0;

describe('export-oci vs the prefilter', () => {
  test('the exported profile decides every call as sysvm\'s prefilter does', () => {
    fc.assert(
      fc.property(policies, invs, (ir, calls) => {
        const { profile, notes } = exportOci(ir);
        // A syscall given up as too complex is SCMP_ACT_TRACE as a whole: compare the rest.
        const whole = new Set(notes.flatMap((n) => /^(\w+): its rules need more than/.exec(n)?.[1] ?? []));
        wholeCount += whole.size;
        runs++;
        const reread = parseOciJson(ociJson(profile)) as OciProfile;
        for (const c of calls) {
          const inv = { arch: 'x86_64' as const, nr: c.nr, args: c.args };
          const want = ociActionOfRet(prefilterRet(ir, inv));
          const got = evaluateOci(reread, inv);
          if (whole.has(NAMES[NUMS.indexOf(c.nr)]!)) expect(got).toBe('SCMP_ACT_TRACE');
          else expect([c.nr, c.args, got]).toEqual([c.nr, c.args, want]);
        }
      }),
      { numRuns: 250 },
    );
    // The test means something only if few syscalls were given up as too complex.
    // (Random policies here are denser than real ones: about one syscall in six is given up.)
    expect(wholeCount).toBeLessThan(runs / 4);
  });
});
