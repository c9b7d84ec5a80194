#!/usr/bin/env node
// Runs `vitest run` (with any arguments given) and ends with one plain line that any CI
// reader understands: `tests: N passed, N failed, N skipped`. Exits with vitest's status.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const dir = mkdtempSync(join(tmpdir(), 'sysvm-vitest-'));
const out = join(dir, 'report.json');
// the package's bin (node_modules/.bin/vitest is a shell shim pnpm writes)
const vitest = join(dirname(createRequire(import.meta.url).resolve('vitest/package.json')), 'vitest.mjs');
const r = spawnSync(process.execPath, [vitest, 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${out}`,
  ...process.argv.slice(2)], { stdio: 'inherit' });
let line = 'tests: no report (vitest did not finish)';
try {
  const j = JSON.parse(readFileSync(out, 'utf8'));
  const skipped = (j.numPendingTests ?? 0) + (j.numTodoTests ?? 0);
  line = `tests: ${j.numPassedTests} passed, ${j.numFailedTests} failed, ${skipped} skipped`;
} catch {
  // keep the line above
}
rmSync(dir, { recursive: true, force: true });
process.stdout.write(`\n${line}\n`);
process.exit(r.status ?? 1);
