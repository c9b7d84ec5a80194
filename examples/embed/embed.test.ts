// The embedding example, run as a user would run it.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { expect, test } from 'vitest';

const MAIN = join(import.meta.dirname, 'main.mjs');

test('runs a command under a policy, pipes its output, reports denials and a free event loop', () => {
  const r = spawnSync(process.execPath, [MAIN, 'builtin:default', '--', 'sh', '-c', 'echo one; echo two; cat /etc/shadow; exit 3'], {
    encoding: 'utf8',
  });
  expect(r.stdout).toBe('one\ntwo\n');
  expect(r.status).toBe(3);
  expect(r.stderr).toMatch(/\[embed\] sh exited 3 on backend (seccomp|vmtags): 2 lines of output, \d+ stops, \d+ timer ticks meanwhile/);
  expect(r.stderr).toMatch(/\[embed\] denied 1x openat by no-system-secrets/);
  const ticks = Number(/(\d+) timer ticks/.exec(r.stderr)?.[1]);
  expect(ticks).toBeGreaterThan(0);
});

test('a policy with errors is reported with positions, nothing runs', () => {
  const r = spawnSync(process.execPath, [MAIN, join(import.meta.dirname, '../../packages/policy/test/fixtures/broken/unknown-names.yaml'), '--', 'true'], { encoding: 'utf8' });
  expect(r.status).toBe(2);
  expect(r.stderr).toMatch(/unknown-names\.yaml:\d+:\d+: error SV2001/);
});
