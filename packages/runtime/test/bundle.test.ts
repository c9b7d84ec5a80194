// freshBundle: a bundle runs only while every file it was made from is as its manifest says
// (tools/bundle.mjs writes FILE.inputs.json; the CLI's and the tracer thread's loaders ask
// this). Real files in a temporary directory; the CLI's bundles end to end are in
// packages/cli/test/startup.test.ts.
import { mkdirSync, mkdtempSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, expect, test } from 'vitest';

import { freshBundle } from '../src/bundle.js';

let dir: string;
let bundle: string;
let inputs: string[];

/** A bundle in dir/out/ of two inputs, one beside it and one in a sibling directory. */
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'sysvm-bundle-test-'));
  mkdirSync(path.join(dir, 'out'));
  mkdirSync(path.join(dir, 'src'));
  bundle = path.join(dir, 'out', 'main.bundle.js');
  inputs = [path.join(dir, 'out', 'a.js'), path.join(dir, 'src', 'b.js')];
  writeFileSync(inputs[0]!, 'export const a = 1;\n');
  writeFileSync(inputs[1]!, 'export const b = 2;\n');
  writeFileSync(bundle, 'const a = 1, b = 2;\n');
  writeManifest();
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function writeManifest(extra: unknown[] = []): void {
  const entries = inputs.map((f) => {
    const s = statSync(f);
    return [path.relative(path.dirname(bundle), f), s.size, s.mtimeMs];
  });
  writeFileSync(`${bundle}.inputs.json`, JSON.stringify({ inputs: [...entries, ...extra] }));
}

test('a bundle whose inputs are as its manifest says is fresh', () => {
  expect(freshBundle(bundle)).toBe(bundle);
});

test.for([
  ['an input rewritten with other content', () => writeFileSync(inputs[1]!, 'export const b = 22;\n')],
  ['an input rewritten with the same size', () => writeFileSync(inputs[1]!, 'export const b = 3;\n')],
  ['an input touched (tsc -b rewriting it as it was)', () => {
    const later = new Date(statSync(inputs[0]!).mtimeMs + 2000);
    utimesSync(inputs[0]!, later, later);
  }],
  ['an input removed', () => rmSync(inputs[0]!)],
  ['no manifest', () => rmSync(`${bundle}.inputs.json`)],
  ['a manifest that is not JSON', () => writeFileSync(`${bundle}.inputs.json`, '{"inputs": [')],
  ['a manifest with no inputs', () => writeFileSync(`${bundle}.inputs.json`, '{"inputs": []}')],
  ['a manifest of another shape', () => writeFileSync(`${bundle}.inputs.json`, '{"inputs": [{"path": "a.js"}]}')],
  ['a manifest naming a missing input', () => writeManifest([['../src/gone.js', 1, 1]])],
  ['no bundle beside its manifest', () => rmSync(bundle)],
] as const)('stale or unusable: %s', ([, change]) => {
  change();
  expect(freshBundle(bundle)).toBeUndefined();
});
