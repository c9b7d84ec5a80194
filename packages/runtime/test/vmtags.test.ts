// The vmtags backend: runs only on a kernel with the ptrace_vm patch (kernel/ in this
// repository), inside its test guest (kernel/test/vmtags-runtime); on a stock kernel the
// tests here check only that the backend is refused with a clear error, and that `auto`
// falls back to seccomp. The rest of the runtime's suites run on vmtags too in the guest
// (helpers.ts adds it to BACKENDS when the kernel accepts PTRACE_O_VM_TAGS).
import { beforeAll, describe, expect, test } from 'vitest';

import { run } from '../src/index.js';
import type { InlinePolicy } from '../src/index.js';
import { landlockAbi, LANDLOCK_MIN_ABI, LANDLOCK_SCOPE_ABI } from '../src/linux/landlock.js';
import { allowAll, compileAll, errnoOf, traceOnly, VMTAGS } from './helpers.js';

let bin: Record<string, string>;
beforeAll(() => {
  if (VMTAGS) bin = compileAll();
});

/** getpid denied with EPERM by the supervisor (no rule in the kernel). */
const denyGetpid = (filter: Uint8Array | null): InlinePolicy => ({
  filter,
  data: { EPERM: errnoOf('EPERM') },
  decide: (_inv, ctx) => (ctx.name === 'getpid'
    ? { verdict: { kind: 'deny', errno: (ctx.data as { EPERM: number }).EPERM, errnoName: 'EPERM' }, rule: null, log: false }
    : { verdict: { kind: 'allow' }, rule: null, log: false }),
});

describe.skipIf(VMTAGS)('on a stock kernel', () => {
  test('--backend vmtags is refused with ENOVMTAGS; auto picks seccomp', async () => {
    await expect(run({ command: 'true', backend: 'vmtags', policy: allowAll })).rejects.toMatchObject({ code: 'ENOVMTAGS' });
    const r = await run({ command: 'true', backend: 'auto', policy: { ...allowAll, filter: traceOnly(['getpid']) } });
    expect(r.backend).toBe('seccomp');
  });
});

describe.skipIf(!VMTAGS)('vmtags backend (patched kernel)', () => {
  test('auto picks vmtags', async () => {
    const r = await run({ command: 'true', backend: 'auto', policy: allowAll });
    expect(r.backend).toBe('vmtags');
  });

  // Stop counts, exactly: the target's N getpid calls each cost one stop, pass or skip.
  // What else stops is the launcher stub and the C runtime's startup, the same in every
  // run of the same program: measured as the difference between N = 1000 and N = 0.
  test.for([
    ['no prefilter, pass', null, false, 'entry'],
    ['no prefilter, skip', null, true, 'entry'],
    ['prefilter, pass', ['getpid'], false, 'seccomp'],
    ['prefilter, skip', ['getpid'], true, 'seccomp'],
  ] as const)('%s: one stop per call, no exit stop', async ([, names, skip, kind]) => {
    const filter = names === null ? null : traceOnly([...names]);
    const policy = skip ? denyGetpid(filter) : { ...allowAll, filter };
    const runN = (n: number) => run({ command: bin.getpid_loop!, args: [String(n)], backend: 'vmtags', policy, quiet: true });
    const [r0, r] = [await runN(0), await runN(1000)];
    expect(r.stdout).toBe(`getpid ${skip ? 0 : 1000}\n`);
    expect(r.stats.syscalls.getpid).toBe(1000);
    const d = (k: keyof typeof r.stats.stops): number => r.stats.stops[k] - r0.stats.stops[k];
    expect({ total: d('total'), entry: d('syscallEntry'), exit: d('syscallExit'), seccomp: d('seccomp') })
      .toEqual({ total: 1000, entry: kind === 'entry' ? 1000 : 0, exit: 0, seccomp: kind === 'seccomp' ? 1000 : 0 });
  });

  // Full tracing with the tags: a call's exit stop only for the install sequence in the
  // launcher stub (tracer.ts, startInstall), the same on every backend: the prctl before the
  // target's execve, then the Landlock calls where the kernel has ABI 2 or later. The guest's
  // 6.12 has ABI 6; SYSVM_LANDLOCK_ABI_MAX (read by the tracer thread) runs the other rulesets.
  const ll = landlockAbi();
  const kernelAbi = 'version' in ll ? ll.version : 0;
  /** The Landlock calls of the sequence at ABI `v` (tracer.ts, landlockCalls). */
  const landlockSteps = (v: number): number => (v >= LANDLOCK_SCOPE_ABI
    ? 3 // the signal scope: create_ruleset, restrict_self, close
    : v >= LANDLOCK_MIN_ABI ? 6 : 0); // REFER below /: create_ruleset, open "/", add_rule, restrict_self, close ×2
  test.for([
    ['0', 0],
    ['5', 5],
    ['unset', Infinity],
  ] as const)('no prefilter: each target call stops once; exits only in the install sequence (SYSVM_LANDLOCK_ABI_MAX %s)', async ([cap, max]) => {
    const saved = process.env.SYSVM_LANDLOCK_ABI_MAX;
    if (cap === 'unset') delete process.env.SYSVM_LANDLOCK_ABI_MAX;
    else process.env.SYSVM_LANDLOCK_ABI_MAX = cap;
    try {
      const r = await run({ command: bin.getpid_loop!, args: ['100'], backend: 'vmtags', policy: allowAll });
      expect(r.stats.stops.syscallExit).toBe(1 + landlockSteps(Math.min(kernelAbi, max)));
      expect(r.stats.stops.seccomp).toBe(0);
    } finally {
      if (saved === undefined) delete process.env.SYSVM_LANDLOCK_ABI_MAX;
      else process.env.SYSVM_LANDLOCK_ABI_MAX = saved;
    }
  });

  test.for([null, ['getpid', 'uname', 'write']] as const)('emulate, trace (exit wanted) with prefilter %j', async (names) => {
    const r = await run({
      command: bin.emul!, backend: 'vmtags', quiet: true,
      policy: {
        filter: names === null ? null : traceOnly([...names]),
        decide: (_inv, ctx) => {
          if (ctx.name === 'getpid') return { verdict: { kind: 'emulate', emulate: { kind: 'return', value: 4242 } }, rule: null, log: false };
          if (ctx.name === 'uname') return { verdict: { kind: 'emulate', emulate: { kind: 'uname', fields: { nodename: 'vm' } } }, rule: null, log: false };
          if (ctx.name === 'write') return { verdict: { kind: 'trace' }, rule: null, log: false };
          return { verdict: { kind: 'allow' }, rule: null, log: false };
        },
      },
    });
    expect(r.stdout).toMatch(/^getpid=4242\nuname=0 \S+ vm /);
    // The traced write (one, stdout is a pipe flushed at exit) reported its exit.
    expect(r.stats.stops.syscallExit).toBeGreaterThanOrEqual(names === null ? 2 : 1);
  });

  test('prefilter off for a policy with a filter (prefilter: false)', async () => {
    const r = await run({ command: bin.getpid_loop!, args: ['10'], backend: 'vmtags', prefilter: false, quiet: true, policy: denyGetpid(traceOnly(['getpid'])) });
    expect(r.stdout).toBe('getpid 0\n');
    expect(r.stats.stops.seccomp).toBe(0);
    expect(r.stats.syscalls.getpid).toBe(10);
  });
});
