// How `spawn` and `sysvm run` find a command: every executable of the name along PATH, one
// per file reached (the stub tries them in order inside the sandbox, tracer/launch.ts).
import { mkdirSync, mkdtempSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadPolicy } from '@sysvm/policy';
import { expect, test } from 'vitest';

import { commandCandidates, policyFromIR, resolveCommand, run } from '../src/index.js';
import { BACKENDS } from './helpers.js';

test('PATH order, one candidate per file (a directory linked to another, as /bin to /usr/bin, adds none), non-executables skipped', () => {
  const dir = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'sysvm-command-')));
  for (const d of ['a', 'c', 'd']) mkdirSync(path.join(dir, d));
  symlinkSync(path.join(dir, 'a'), path.join(dir, 'b'));
  writeFileSync(path.join(dir, 'a/tool'), '#!/bin/sh\n', { mode: 0o755 });
  writeFileSync(path.join(dir, 'c/tool'), '#!/bin/sh\n', { mode: 0o755 });
  writeFileSync(path.join(dir, 'd/tool'), 'not executable\n', { mode: 0o644 });
  const PATH = ['d', 'a', 'b', 'c', 'nonexistent'].map((d) => path.join(dir, d)).join(':');
  expect(commandCandidates('tool', dir, PATH)).toEqual([path.join(dir, 'a/tool'), path.join(dir, 'c/tool')]);
  expect(resolveCommand('tool', dir, PATH)).toBe(path.join(dir, 'a/tool'));
  // a name with a slash is that file only
  expect(commandCandidates('c/tool', dir, PATH)).toEqual([path.join(dir, 'c/tool')]);
  expect(() => commandCandidates('no-such-tool', dir, PATH)).toThrow(/command not found in PATH/);
});

test.for(BACKENDS)('%s: spawn of a name the policy refuses to run from the first PATH entry runs the next (the stub tries them in the sandbox)', async (backend) => {
  const dir = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'sysvm-command-')));
  for (const d of ['outside', 'inside']) mkdirSync(path.join(dir, d));
  writeFileSync(path.join(dir, 'outside/tool'), '#!/bin/sh\necho outside "$@"\n', { mode: 0o755 });
  writeFileSync(path.join(dir, 'inside/tool'), '#!/bin/sh\necho inside "$@"\n', { mode: 0o755 });
  const file = path.join(dir, 'p.yaml');
  writeFileSync(file, ['sysvm: 1', 'default: allow', 'rules:', '  - syscalls: [execve]',
    `    match: { path: { under: ["${dir}/outside"] } }`, '    action: { deny: EACCES }', ''].join('\n'));
  const r = loadPolicy(file);
  if (r.ir === undefined) throw new Error(JSON.stringify(r.diagnostics));
  const res = await run({ command: 'tool', args: ['a b'], backend, policy: policyFromIR(r.ir), quiet: true,
    env: { ...process.env, PATH: `${dir}/outside:${dir}/inside:/usr/bin:/bin` } });
  expect([res.code, res.stdout]).toEqual([0, 'inside a b\n']);
});
