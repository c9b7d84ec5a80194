// How `spawn` and `sysvm run` find a command: every executable of the name along PATH, one
// per file reached (the stub tries them in order inside the sandbox, tracer/launch.ts).
import { mkdirSync, mkdtempSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, test } from 'vitest';

import { commandCandidates, resolveCommand } from '../src/index.js';

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
