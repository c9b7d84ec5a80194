// freshBundle and runBundle: a bundle runs only while every file it was made from, and the
// files tools/bundle.mjs wrote (the bundle, its V8 code cache), are as its manifest says (the
// CLI's and the tracer thread's loaders ask these). Real files in a temporary directory; the
// CLI's bundles end to end are in packages/cli/test/startup.test.ts. bundle.cts is CommonJS
// (the executable's first module), tested as built: dist/bundle.cjs (build first: tsc -b).
import { mkdirSync, mkdtempSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, expect, test } from 'vitest';

type BundleCjs = typeof import('../src/bundle.cjs');
const { compileBundle, freshBundle, importModule, resolveIn, runBundle, startTracerEarly, takeEarlyTracer, workerScript } =
  createRequire(import.meta.url)('../dist/bundle.cjs') as BundleCjs;

let dir: string;
let bundle: string;
let cache: string;
let inputs: string[];

/** A CommonJS bundle in dir/out/ of two inputs (one beside it, one in a sibling directory), with its code cache. */
const SOURCE = 'exports.answer = () => 40 + 2;\n';
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'sysvm-bundle-test-'));
  mkdirSync(path.join(dir, 'out'));
  mkdirSync(path.join(dir, 'src'));
  bundle = path.join(dir, 'out', 'main.bundle.cjs');
  cache = `${bundle}.v8cache`;
  inputs = [path.join(dir, 'out', 'a.js'), path.join(dir, 'src', 'b.js')];
  writeFileSync(inputs[0]!, 'export const a = 40;\n');
  writeFileSync(inputs[1]!, 'export const b = 2;\n');
  writeFileSync(bundle, SOURCE);
  writeFileSync(cache, makeCache(SOURCE));
  writeManifest();
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function makeCache(source: string): Buffer {
  const script = compileBundle(bundle, source);
  script.runInThisContext();
  return script.createCachedData();
}

function entries(files: string[]): unknown[] {
  return files.map((f) => {
    const s = statSync(f);
    return [path.relative(path.dirname(bundle), f), s.size, s.mtimeMs];
  });
}

function writeManifest(extra: unknown[] = [], fields: Record<string, unknown> = {}): void {
  writeFileSync(`${bundle}.inputs.json`, JSON.stringify({ inputs: [...entries(inputs), ...extra], outputs: entries([bundle, cache]), ...fields }));
}

const later = (f: string): void => {
  const t = new Date(statSync(f).mtimeMs + 2000);
  utimesSync(f, t, t);
};

test.for([
  ['/w/packages/cli/dist', 'main.bundle.cjs'], ['/w/packages/cli/dist', '../../policy/dist/front/load.js'],
  ['/w/packages/cli/dist', '../../../node_modules/.pnpm/koffi@3/node_modules/koffi/index.cjs'], ['/w', '../../../x/y'],
  ['/', 'a/b'], ['/', '../a'], ['/a/b', './c'], ['/a/b', 'c/../d'], ['/a/b', '/abs/file'], ['/a/b', 'c//d'], ['/a/b', 'c/'],
  ['/a/b', ''], ['/a/b', '..'], ['/a/b', '../..'], ['/a/b', 'c/.'], ['/a/b', '...'], ['/a/b', '../.x/y'],
] as const)('resolveIn(%s, %s) is path.resolve\'s', ([dir, rel]) => {
  expect(resolveIn(dir, rel)).toBe(path.resolve(dir, rel));
});

test('a bundle whose inputs and outputs are as its manifest says is fresh, and runs from its code cache', () => {
  expect(freshBundle(bundle)).toBe(bundle);
  const exports = runBundle(bundle);
  expect((exports?.answer as () => number)()).toBe(42);
  expect(compileBundle(bundle, SOURCE, makeCache(SOURCE)).cachedDataRejected).toBe(false);
});

test('a code cache that V8 rejects (another Node made it) costs only the compile: the bundle runs', () => {
  // (a source this process never compiled: V8 would take the one it holds, and no cache at all)
  const source = `exports.answer = () => 40 + 2; // ${Math.random()}\n`;
  const junk = Buffer.alloc(4096, 7);
  writeFileSync(bundle, source);
  writeFileSync(cache, junk);
  writeManifest();
  expect((runBundle(bundle)?.answer as () => number)()).toBe(42);
  expect(compileBundle(`${bundle}.again`, `${source} `, junk).cachedDataRejected).toBe(true);
});

test('importModule, for import() in a bundle, goes to Node\'s loader (the tracer thread\'s policy module by URL)', async () => {
  const mod = path.join(dir, 'src', 'policy.mjs');
  writeFileSync(mod, 'export const createSupervisorPolicy = () => "made";\n');
  const m = await importModule(pathToFileURL(mod).href) as { createSupervisorPolicy: () => string };
  expect(m.createSupervisorPolicy()).toBe('made');
});

test.for([
  ['ASCII, its manifest says so (read as Latin-1)', 'exports.s = "caf\\u00e9";\n', { ascii: true }, 'caf\u00e9'],
  ['UTF-8, its manifest says nothing (read as UTF-8)', 'exports.s = "caf\u00e9 \u2014";\n', {}, 'caf\u00e9 \u2014'],
] as const)('a bundle in %s runs as written', ([, source, fields, s]) => {
  writeFileSync(bundle, source);
  writeFileSync(cache, makeCache(source));
  writeManifest([], fields);
  expect(runBundle(bundle)?.s).toBe(s);
});

test('the bundle runs strict, as the ES modules it was made from', () => {
  writeFileSync(bundle, 'exports.sloppy = (() => { try { undeclared = 1; return true; } catch { return false; } })();\n');
  writeFileSync(cache, makeCache('exports.sloppy = (() => { try { undeclared = 1; return true; } catch { return false; } })();\n'));
  writeManifest();
  expect(runBundle(bundle)?.sloppy).toBe(false);
});

test.for([
  ['an input rewritten with other content', () => writeFileSync(inputs[1]!, 'export const b = 22;\n')],
  ['an input rewritten with the same size', () => writeFileSync(inputs[1]!, 'export const b = 3;\n')],
  ['an input touched (tsc -b rewriting it as it was)', () => later(inputs[0]!)],
  ['an input removed', () => rmSync(inputs[0]!)],
  ['the bundle rewritten (with the same length: V8 would take the old cache for it)', () => writeFileSync(bundle, SOURCE.replace('40', '41'))],
  ['the code cache replaced by one of another source of the same length', () => writeFileSync(cache, makeCache(SOURCE.replace('40', '39')))],
  ['the code cache touched', () => later(cache)],
  ['no manifest', () => rmSync(`${bundle}.inputs.json`)],
  ['a manifest that is not JSON', () => writeFileSync(`${bundle}.inputs.json`, '{"inputs": [')],
  ['a manifest with no inputs', () => writeFileSync(`${bundle}.inputs.json`, '{"inputs": [], "outputs": []}')],
  ['a manifest of another shape', () => writeFileSync(`${bundle}.inputs.json`, '{"inputs": [{"path": "a.js"}], "outputs": []}')],
  ['a manifest naming a missing input', () => writeManifest([['../src/gone.js', 1, 1]])],
  ['no bundle beside its manifest', () => rmSync(bundle)],
] as const)('stale or unusable: %s', ([what, change]) => {
  change();
  if (!what.startsWith('the code cache')) expect(freshBundle(bundle)).toBeUndefined();
  expect(runBundle(bundle)).toBeUndefined();
});

// startTracerEarly (the executable, for `sysvm run`): the thread it starts is the one the
// next startTracer adopts, and a spawn given it runs the program.
test('an early tracer thread is adopted by startTracer and runs the program', async () => {
  const { run, startTracer } = await import('../src/index.js');
  // The thread's entry, which runs the tracer thread's bundle or dist/worker.js (worker-boot.cts).
  expect(workerScript()).toBe(path.resolve(import.meta.dirname, '../dist/worker-boot.cjs'));
  const { allowAll } = await import('./helpers.js');
  startTracerEarly();
  const tracer = startTracer();
  expect(takeEarlyTracer()).toBeUndefined(); // adopted, not left for another
  const r = await run({ command: 'echo', args: ['early'], policy: allowAll, tracer });
  expect(r.stdout).toBe('early\n');
  expect(r.code).toBe(0);
});

// A tracer thread that no spawn takes is told to end (endUnused), never terminated while it
// loads; the process waits for it. A child process, so that its exit status is seen.
test.for([
  ['TracerThread.close()', "const { startTracer } = await import(INDEX); startTracer().close();"],
  ['endEarlyTracer()', "const b = require(BUNDLE); b.startTracerEarly(); b.endEarlyTracer();"],
] as const)('a tracer thread ended by %s lets the process exit with its own status', ([, code]) => {
  const index = pathToFileURL(path.resolve(import.meta.dirname, '../dist/index.js')).href;
  const bundleCjs = path.resolve(import.meta.dirname, '../dist/bundle.cjs');
  const script = `const require = (await import('node:module')).createRequire(import.meta.url);
    const INDEX = ${JSON.stringify(index)}; const BUNDLE = ${JSON.stringify(bundleCjs)};
    ${code} process.exitCode = 3;`;
  for (let i = 0; i < 5; i++) {
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect([r.status, r.signal, r.stderr]).toEqual([3, null, '']);
  }
});
