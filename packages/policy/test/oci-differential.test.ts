// Differential property test of export-oci: for random policies (integer conditions of every
// op, 32/64 bits, signed or not, and path conditions) and random invocations (registers with
// garbage in the upper half too), the exported OCI profile, evaluated with libseccomp's
// semantics (evaluateOci), returns what sysvm's own prefilter returns.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { prefilterRet } from '../src/evaluate.js';
import type { Condition, PathCondition } from '../src/ir.js';
import { evaluateOci, exportOci, ociActionOfRet, ociJson, parseOciJson, type OciProfile } from '../src/workflow/oci.js';
import { nr, policy, type RuleSpec } from './bpf-fixtures.js';
import { intCondArb, u64, verdictArb } from './arbitraries.js';

const NAMES = ['read', 'openat', 'socket', 'lseek', 'mmap', 'getpid', 'io_uring_setup'];
const NUMS = NAMES.map(nr);
const at = { file: 't', line: 1, column: 1, endLine: 1, endColumn: 1 };

const intCond = intCondArb({ maxValues: 3, smallMasks: true });
const pathCond: fc.Arbitrary<PathCondition> = fc.constant({ kind: 'path', args: [1], op: 'under', values: ['/etc'], source: at });
const verdict = verdictArb(false);
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
    // (Random policies here are denser than real ones: about one syscall in five is given up.)
    // Over 250 runs the share was 0.14 to 0.24 in six runs in a row: a bound of runs/4 failed
    // about one run in a hundred (seen once, in 2026-11-27's fifth session). runs/3 keeps the
    // point (most syscalls are compared call by call) with a wide margin.
    expect(wholeCount, `syscalls given up as too complex: ${wholeCount} in ${runs} policies`).toBeLessThan(runs / 3);
  });
});
