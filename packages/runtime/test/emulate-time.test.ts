// The time module (src/emulate/time.ts) with real programs, on both backends: the vDSO is
// hidden at exec, so `date` and a C program see the virtual clock; CLOCK_MONOTONIC is real.
import { beforeAll, describe, expect, test } from 'vitest';

import { policyFromIR, run } from '../src/index.js';
import type { Condition } from '@sysvm/policy';
import type { VirtualClock } from '../src/ir.js';

import { allowAll, BACKENDS, compileAll, traceOnly } from './helpers.js';
import { emulate, vmPolicy } from './vm-helpers.js';

let bin: Record<string, string>;
beforeAll(() => { bin = compileAll(); });

/** Only the wall clocks stop: CLOCK_REALTIME, _COARSE, _ALARM, CLOCK_TAI (0, 5, 8, 11). */
const realtimeClock: Condition = {
  kind: 'int', arg: 0, argName: 'which_clock', op: 'in', values: [0n, 5n, 8n, 11n], width: 32, signed: true,
  source: { file: 'vm-test.yaml', line: 3, column: 1, endLine: 3, endColumn: 10 },
};
const clocked = (clock: VirtualClock) => policyFromIR(vmPolicy([
  { name: 'time', syscalls: ['clock_gettime'], verdict: emulate({ kind: 'time', clock }), match: [[realtimeClock]] },
  { name: 'time', syscalls: ['gettimeofday', 'time'], verdict: emulate({ kind: 'time', clock }) },
]));
const FROZEN: VirtualClock = { kind: 'frozen', epochNs: BigInt(Date.parse('2000-01-01T00:00:00Z')) * 1_000_000n };
const YEAR_NS = 365n * 86400n * 1_000_000_000n;

describe.for(BACKENDS)('%s backend', (backend) => {
  test('frozen at 2000-01-01T00:00:00Z: date prints exactly that', async () => {
    const r = await run({ command: 'date', args: ['-u', '+%Y-%m-%dT%H:%M:%SZ %N'], backend, policy: clocked(FROZEN) });
    expect(r.stdout).toBe('2000-01-01T00:00:00Z 000000000\n');
  });

  test('frozen: clock_gettime, gettimeofday and time agree; CLOCK_MONOTONIC still advances; no vDSO', async () => {
    const r = await run({ command: bin.clock!, backend, policy: clocked(FROZEN) });
    expect(r.stdout).toBe('realtime=946684800.000000000 gettimeofday=946684800.000000 time=946684800 monotonic-advanced=1 vdso=no\n');
    // Only the one CLOCK_REALTIME call stops under seccomp: the prefilter lets MONOTONIC pass.
    if (backend === 'seccomp') expect(r.stats.syscalls.clock_gettime).toBe(1);
  });

  test('offset -365d: a year ago, within seconds', async () => {
    const before = BigInt(Date.now()) * 1_000_000n;
    const r = await run({ command: bin.clock!, backend, policy: clocked({ kind: 'offset', offsetNs: -YEAR_NS }) });
    const after = BigInt(Date.now()) * 1_000_000n;
    const m = /^realtime=(\d+)\.(\d+) gettimeofday=(\d+)\.\d+ time=(\d+) monotonic-advanced=1 vdso=no\n$/.exec(r.stdout!);
    expect(m).not.toBeNull();
    const ns = BigInt(m![1]!) * 1_000_000_000n + BigInt(m![2]!);
    expect(ns >= before - YEAR_NS && ns <= after - YEAR_NS).toBe(true);
    for (const s of [m![3]!, m![4]!]) expect(Math.abs(Number(s) - Number(ns / 1_000_000_000n))).toBeLessThanOrEqual(1);
    const d = await run({ command: 'date', args: ['-u', '+%s'], backend, policy: clocked({ kind: 'offset', offsetNs: -YEAR_NS }) });
    expect(Math.abs(Number(d.stdout) - (Date.now() / 1000 - 365 * 86400))).toBeLessThan(10);
  });

  test('without a time rule the vDSO stays (and the clock is the host\'s)', async () => {
    const r = await run({ command: bin.clock!, backend, policy: allowAll });
    expect(r.stdout).toMatch(/ monotonic-advanced=1 vdso=yes\n$/);
    expect(Math.abs(Number(/time=(\d+)/.exec(r.stdout!)![1]) - Date.now() / 1000)).toBeLessThan(10);
  });

  test('an inline policy says its world itself (vm.time): the vDSO is hidden for it too', async () => {
    const r = await run({
      command: bin.clock!, backend,
      policy: {
        filter: traceOnly(['clock_gettime', 'gettimeofday', 'time']),
        vm: { time: true, binds: [] },
        data: FROZEN,
        decide: (_inv, ctx) => (['clock_gettime', 'gettimeofday', 'time'].includes(ctx.name)
          ? { verdict: { kind: 'emulate', emulate: { kind: 'time', clock: ctx.data as VirtualClock } }, rule: null, log: false }
          : { verdict: { kind: 'allow' }, rule: null, log: false }),
      },
    });
    expect(r.stdout).toBe('realtime=946684800.000000000 gettimeofday=946684800.000000 time=946684800 monotonic-advanced=1 vdso=no\n');
  });

  test('python3 sees the frozen clock too', async () => {
    const r = await run({ command: 'python3', args: ['-c', 'import time, datetime; print(int(time.time()), datetime.datetime.now(datetime.timezone.utc).isoformat())'], backend, policy: clocked(FROZEN) });
    expect(r.stdout).toBe('946684800 2000-01-01T00:00:00+00:00\n');
  });
});
