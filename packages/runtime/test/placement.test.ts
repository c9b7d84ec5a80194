// CPU placement (src/tracer/placement.ts): the sandbox on the supervisor's CPU while it
// stops often, on its own CPUs otherwise; 'same' and 'off' as they say; a program's own
// sched_setaffinity choice left alone. The program reports its affinity mask itself.
import { execFileSync } from 'node:child_process';
import { describe, expect, test } from 'vitest';

import { run } from '../src/index.js';
import type { BackendName, InlinePolicy } from '../src/index.js';
import { allowAll, BACKENDS, compileAll, traceOnly } from './helpers.js';

const bin = compileAll();
/** CPUs this process may run on (the tracee inherits the same mask); one in the patched guest. */
const cpus = Number(/count=(\d+)/.exec(execFileSync(bin.affinity!, ['count'], { encoding: 'utf8' }))![1]);
const one = cpus < 2;

/** getppid goes to the supervisor (a stop each), everything else runs unstopped. */
const getppidStops: InlinePolicy = { ...allowAll, filter: traceOnly(['getppid']) };

/**
 * auto pinned at least once and ended freed. Once, on an idle machine; a loaded one can pause
 * the program for 100 ms inside the burst, which frees and (at the next window) pins again.
 */
function freedAsOftenAsPinned(p: { mode: string; pins: number; frees: number } | undefined): void {
  expect(p?.mode).toBe('auto');
  expect(p!.pins).toBeGreaterThanOrEqual(1);
  expect(p!.frees).toBe(p!.pins);
}

const counts = (out: string | undefined): string[] => [...(out ?? '').matchAll(/(?:child )?count=\d+/g)].map((m) => m[0]);

describe('CPU placement', () => {
  test.skipIf(one).for(BACKENDS)('%s: same puts every tracee on one CPU, children too', async (backend: BackendName) => {
    const r = await run({ command: bin.affinity!, args: ['count', 'fork'], backend, policy: allowAll, affinity: 'same' });
    expect(r.code).toBe(0);
    expect(counts(r.stdout)).toEqual(['count=1', 'child count=1']);
    expect(r.stats.placement).toEqual({ mode: 'same', pins: 1, frees: 0 });
  });

  test.for(BACKENDS)('%s: off leaves the mask the program inherited', async (backend: BackendName) => {
    const r = await run({ command: bin.affinity!, args: ['count', 'fork'], backend, policy: allowAll, affinity: 'off' });
    expect(counts(r.stdout)).toEqual([`count=${cpus}`, `child count=${cpus}`]);
    expect(r.stats.placement).toEqual({ mode: 'off', pins: 0, frees: 0 });
  });

  // auto is measured at stops: the seccomp backend, where only getppid stops, makes the
  // phases exact (a burst of 20,000 stops, then 300 ms without any).
  test.skipIf(one)('auto pins during a burst of stops and frees after a quiet phase', async () => {
    const r = await run({
      command: bin.affinity!, backend: 'seccomp', policy: getppidStops,
      args: ['count', 'burst', '20000', 'count', 'fork', 'sleep', '300', 'burst', '1', 'count', 'fork'],
    });
    expect(r.code).toBe(0);
    expect(counts(r.stdout)).toEqual([`count=${cpus}`, 'count=1', 'child count=1', `count=${cpus}`, `child count=${cpus}`]);
    freedAsOftenAsPinned(r.stats.placement);
  });

  test('auto never stops a program that does not stop', async () => {
    const r = await run({ command: bin.affinity!, args: ['count', 'sleep', '100', 'count'], backend: 'seccomp', policy: getppidStops });
    expect(counts(r.stdout)).toEqual([`count=${cpus}`, `count=${cpus}`]);
    expect(r.stats.placement?.pins).toBe(0);
  });

  test.skipIf(one)("a thread's own placement survives: sysvm frees only the mask it gave", async () => {
    // Pinned by the burst, the program moves itself to the other CPU; the quiet phase
    // frees the sandbox, but not the thread that chose its own CPU.
    const r = await run({
      command: bin.affinity!, backend: 'seccomp', policy: getppidStops,
      args: ['burst', '20000', 'count', 'other', 'sleep', '300', 'burst', '1', 'count'],
    });
    expect(counts(r.stdout)).toEqual(['count=1', 'count=1']);
    freedAsOftenAsPinned(r.stats.placement);
  });
});
