// Absolute realtime deadlines under virtual time (src/emulate/time.ts, `deadline`): a program
// that sleeps until "virtual now + 300 ms" must sleep 300 ms, whichever way it waits. The
// policies are real YAML files with the `time:` section, compiled by @sysvm/policy.
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';

import { abi, bpf, loadPolicy } from '@sysvm/policy';

import { worldFilter } from '../src/emulate/index.js';
import { policyFromIR, run } from '../src/index.js';
import type { ModulePolicy } from '../src/index.js';

import { BACKENDS, compileAll, errnoOf } from './helpers.js';

let bin: Record<string, string>;
const dir = mkdtempSync(path.join(os.tmpdir(), 'sysvm-time-'));
beforeAll(() => { bin = compileAll(); });

/** A policy file with this `time:` section over the default that allows everything. */
function timePolicy(time: string, rules = ''): ModulePolicy {
  const file = path.join(dir, `time-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, `sysvm: 1\nname: time-test\ndefault: allow\ntime: ${time}\n${rules}`);
  const r = loadPolicy(file);
  if (r.ir === undefined) throw new Error(JSON.stringify(r.diagnostics));
  return policyFromIR(r.ir);
}

/** The deadline program's lines: name -> [ms really waited, result]. */
function waits(stdout: string | undefined): Record<string, [number, number]> {
  const out: Record<string, [number, number]> = {};
  for (const m of (stdout ?? '').matchAll(/^(\w+)=(\d+):(-?\d+)$/gm)) out[m[1]!] = [Number(m[2]), Number(m[3])];
  return out;
}

const WAYS = ['clock_nanosleep', 'clock_nanosleep_tai', 'timerfd', 'timer_realtime', 'timer_monotonic', 'cond_timedwait',
  'cond_timedwait_signals', 'sem_timedwait', 'mutex_pi_timedlock'];

describe.for(BACKENDS)('%s backend', (backend) => {
  test.for([
    ['an offset into the past', '{ offset: -365d }'],
    ['a frozen clock', '{ frozen: 2000-01-01T00:00:00Z }'],
  ] as const)('%s: a deadline 300 ms ahead on the virtual clock waits 300 ms, every way', async ([, time]) => {
    // Untranslated, each of these deadlines would lie in the host's past: no wait at all.
    const r = await run({ command: bin.deadline!, args: ['300'], backend, policy: timePolicy(time) });
    expect({ code: r.code, signal: r.signal }).toEqual({ code: 0, signal: null });
    const w = waits(r.stdout);
    for (const way of WAYS) {
      expect.soft(w[way], way).toBeDefined();
      expect.soft(w[way]![1], `${way} result`).toBe(0);
      expect.soft(w[way]![0], `${way} waited`).toBeGreaterThanOrEqual(300);
    }
    if (w.mq_timedreceive) expect(w.mq_timedreceive[0]).toBeGreaterThanOrEqual(300);
  });

  test.for([
    ['an offset into the future', '{ offset: +365d }'],
    ['a frozen clock', '{ frozen: 2000-01-01T00:00:00Z }'],
  ] as const)('%s: a deadline 1 s behind the virtual clock returns at once, every way', async ([, time]) => {
    // Untranslated, +365d puts each of these deadlines a year ahead on the host: the program's
    // alarm(20) would kill it.
    const r = await run({ command: bin.deadline!, args: ['-1000'], backend, policy: timePolicy(time) });
    expect({ code: r.code, signal: r.signal }).toEqual({ code: 0, signal: null });
    const w = waits(r.stdout);
    for (const way of WAYS) {
      expect.soft(w[way], way).toBeDefined();
      expect.soft(w[way]![1], `${way} result`).toBe(0);
      expect.soft(w[way]![0], `${way} waited`).toBeLessThan(1000);
    }
  });

  test('the world translates what a rule lets run: a rule that denies a deadline call still denies it', async () => {
    const rules = 'rules:\n  - { syscalls: [clock_nanosleep], action: { deny: EPERM } }\n';
    const r = await run({ command: bin.deadline!, args: ['300'], backend, policy: timePolicy('{ offset: -365d }', rules) });
    const w = waits(r.stdout);
    // clock_nanosleep returns the error number itself.
    expect(w.clock_nanosleep).toEqual([w.clock_nanosleep![0], errnoOf('EPERM')]);
    expect(w.timerfd![0]).toBeGreaterThanOrEqual(300);
  });

  test.for([
    ['{ offset: -365d }'],
    ['{ frozen: 2000-01-01T00:00:00Z }'],
  ])('adjtimex and clock_adjtime report the virtual time too (%s)', async ([time]) => {
    const r = await run({ command: bin.timex!, backend, policy: timePolicy(time!) });
    const m = /^time=(\d+) adjtimex=1:(\d+) clock_adjtime=1:(\d+)\n$/.exec(r.stdout ?? '');
    expect(m, r.stdout).not.toBeNull();
    for (const t of [m![2]!, m![3]!]) expect(Math.abs(Number(t) - Number(m![1]))).toBeLessThanOrEqual(1);
  });

  test.skipIf(backend !== 'seccomp')('a relative sleep never stops (the prefilter decides it)', async () => {
    const r = await run({ command: 'sleep', args: ['0.05'], backend, policy: timePolicy('{ offset: -365d }') });
    expect(r.code).toBe(0);
    expect(r.stats.syscalls.clock_nanosleep ?? 0).toBe(0);
  });
});

// The world's seccomp filter (emulate/index.ts `worldFilter`), run in @sysvm/policy's BPF
// interpreter: which calls stop (RET_TRACE) for a virtual clock.
describe('the world filter of a virtual clock', () => {
  const prog = bpf.fromSockFilter(worldFilter({ time: true, binds: [], clock: { kind: 'frozen', epochNs: 0n } })!);
  const ret = (name: string, args: bigint[]): string => {
    const r = bpf.runBpf(prog, { nr: abi.syscallNumber('x86_64', name)!, arch: abi.constantOf('AUDIT_ARCH_X86_64'), args });
    return bpf.decodeRet(r.ret).action;
  };
  const c = (n: string): bigint => BigInt(abi.constantOf(n));
  test.for([
    ['clock_nanosleep', [c('CLOCK_REALTIME'), c('TIMER_ABSTIME')], 'trace'],
    ['clock_nanosleep', [c('CLOCK_TAI'), c('TIMER_ABSTIME')], 'trace'],
    ['clock_nanosleep', [c('CLOCK_REALTIME'), 0n], 'allow'],
    ['clock_nanosleep', [c('CLOCK_MONOTONIC'), c('TIMER_ABSTIME')], 'allow'],
    ['timerfd_settime', [3n, c('TFD_TIMER_ABSTIME') | c('TFD_TIMER_CANCEL_ON_SET')], 'trace'],
    ['timerfd_settime', [3n, 0n], 'allow'],
    ['timer_create', [c('CLOCK_MONOTONIC')], 'trace'], // its clock is remembered
    ['timer_settime', [0n, c('TIMER_ABSTIME')], 'trace'],
    ['timer_settime', [0n, 0n], 'allow'],
    ['futex', [0n, c('FUTEX_WAIT_BITSET_PRIVATE') | c('FUTEX_CLOCK_REALTIME')], 'trace'],
    ['futex', [0n, c('FUTEX_WAIT_BITSET') | c('FUTEX_CLOCK_REALTIME')], 'trace'],
    ['futex', [0n, c('FUTEX_LOCK_PI_PRIVATE')], 'trace'],
    ['futex', [0n, c('FUTEX_LOCK_PI2_PRIVATE') | c('FUTEX_CLOCK_REALTIME')], 'trace'],
    ['futex', [0n, c('FUTEX_WAIT_BITSET_PRIVATE')], 'allow'],
    ['futex', [0n, c('FUTEX_WAIT_PRIVATE')], 'allow'],
    ['futex', [0n, c('FUTEX_WAKE_PRIVATE')], 'allow'],
    ['futex_waitv', [0n, 1n, 0n, 0n, c('CLOCK_REALTIME')], 'trace'],
    ['futex_waitv', [0n, 1n, 0n, 0n, c('CLOCK_MONOTONIC')], 'allow'],
    ['mq_timedreceive', [3n], 'trace'],
    ['adjtimex', [0n], 'trace'],
    ['clock_adjtime', [c('CLOCK_REALTIME')], 'trace'],
    ['clock_adjtime', [c('CLOCK_MONOTONIC')], 'allow'],
    ['nanosleep', [0n], 'allow'],
    // a frozen clock leaves file times real: no stat stops
    ['newfstatat', [0n], 'allow'],
  ] as const)('%s, case %#', ([name, args, action]) => {
    expect(ret(name, [...args])).toBe(action);
  });

  test('with an offset the stat and utime families stop too (unless files: false)', () => {
    const offset = (files: boolean) => bpf.fromSockFilter(worldFilter({ time: true, binds: [], clock: { kind: 'offset', offsetNs: -1n, files } })!);
    const run = (p: bpf.Program, name: string) => bpf.decodeRet(bpf.runBpf(p, { nr: abi.syscallNumber('x86_64', name)!, arch: abi.constantOf('AUDIT_ARCH_X86_64'), args: [] }).ret).action;
    for (const name of ['stat', 'lstat', 'fstat', 'newfstatat', 'statx', 'utimensat', 'utimes', 'futimesat', 'utime']) {
      expect([name, run(offset(true), name), run(offset(false), name)]).toEqual([name, 'trace', 'allow']);
    }
  });
});
