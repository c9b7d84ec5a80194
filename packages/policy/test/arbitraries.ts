// fast-check arbitraries shared by the differential property tests (bpf-differential,
// oci-differential): integer conditions of every op, 16/32/64 bits, signed or not, with
// operands around the edges where 16/32/64-bit and signed/unsigned handling differ.
import fc from 'fast-check';
import type { IntCondition, IntOp, Verdict } from '../src/ir.js';

export const EDGES = [
  0n, 1n, 2n, 5n, 0x7fn, 0x80n, 0xffn, 0x7fffn, 0x8000n, 0x8001n, 0xfffen, 0xffffn, 0x1_0000n, 0x1_0001n, 0x1_09edn, 0x7fffffffn, 0x80000000n, 0x80000001n, 0xfffffffen, 0xffffffffn,
  0x1_00000000n, 0x1_00000001n, 0x1_ffffffffn, 0x7fffffff_ffffffffn, 0x80000000_00000000n, 0x80000000_00000001n,
  0xffffffff_00000000n, 0xffffffff_fffffffen, 0xffffffff_ffffffffn, 0xffffffff_ffffff9cn,
];

/** A 64-bit register value: an edge, anything, a small number, or an edge with garbage in the high half. */
export const u64: fc.Arbitrary<bigint> = fc.oneof(
  fc.constantFrom(...EDGES),
  fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
  fc.bigInt({ min: 0n, max: 16n }),
  fc.tuple(fc.constantFrom(...EDGES), fc.bigInt({ min: 0n, max: 0xffffffffn })).map(([v, h]) => ((h << 32n) | (v & 0xffffffffn))),
  // An edge of the low 16 bits with garbage above (what a 16-bit umode_t ignores).
  fc.tuple(fc.constantFrom(...EDGES), fc.bigInt({ min: 0n, max: (1n << 48n) - 1n })).map(([v, h]) => ((h << 16n) | (v & 0xffffn))),
);

export const INT_OPS: IntOp[] = ['eq', 'ne', 'lt', 'le', 'gt', 'ge', 'in', 'not-in', 'all', 'any', 'none'];

const at = { file: 't', line: 1, column: 1, endLine: 1, endColumn: 1 };

/**
 * An integer condition on one of the six arguments. `smallMasks`: the bit ops (all/any/none)
 * get masks of at most 8 bits within the width (an OCI export makes one entry per bit of a
 * negated mask).
 */
export function intCondArb(opts: { maxValues: number; smallMasks?: boolean }): fc.Arbitrary<IntCondition> {
  return fc.record({
    arg: fc.integer({ min: 0, max: 5 }),
    op: fc.constantFrom(...INT_OPS),
    width: fc.constantFrom<16 | 32 | 64>(16, 32, 64),
    signed: fc.boolean(),
    values: fc.array(u64, { minLength: 1, maxLength: opts.maxValues }),
    bits: fc.bigInt({ min: 1n, max: 0xffn }),
  }).map(({ arg, op, width, signed, values, bits }): IntCondition => ({
    kind: 'int', arg, argName: `a${arg}`, op, width, signed,
    values: opts.smallMasks === true && ['all', 'any', 'none'].includes(op) ? [BigInt.asUintN(width, bits << BigInt((arg * 5) % (width - 7)))]
      : (op === 'in' || op === 'not-in' ? values : values.slice(0, 1)).map((v) => BigInt.asUintN(width, v)),
    source: at,
  }));
}

/** allow, deny with any errno, kill, trace; with `emulate`, also an emulated return of 0. */
export function verdictArb(emulate: boolean): fc.Arbitrary<Verdict> {
  const base: fc.Arbitrary<Verdict>[] = [
    fc.constant<Verdict>({ kind: 'allow' }),
    fc.integer({ min: 1, max: 4095 }).map((e): Verdict => ({ kind: 'deny', errno: e, errnoName: `E${e}` })),
    fc.constant<Verdict>({ kind: 'kill' }),
    fc.constant<Verdict>({ kind: 'trace' }),
  ];
  if (emulate) base.push(fc.constant<Verdict>({ kind: 'emulate', emulate: { kind: 'return', value: 0 } }));
  return fc.oneof(...base);
}
