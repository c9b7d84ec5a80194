// sysvm installed from packages, as a user gets it from a registry: the three packages packed
// (`pnpm pack`, which writes the workspace's versions in place of `workspace:*`) and installed
// with npm into an empty project. The files of an installed package have the archive's or the
// install's mtimes, so the start-up bundles are checked by content there (bundle.cts,
// installed), and koffi is found from @sysvm/runtime where it is installed (tools/bundle.mjs).
// Needs the npm registry for yaml, zod and koffi, as the workspace's own install does.
import { execFileSync, spawnSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

const ROOT = join(import.meta.dirname, '../../..');
const HOOK = join(import.meta.dirname, 'fixtures/module-log.mjs');
const PNPM = ['-y', 'pnpm@10.34.9'];
const dir = mkdtempSync(join(tmpdir(), 'sysvm-installed-'));
const project = join(dir, 'project');
const bin = join(project, 'node_modules/.bin/sysvm');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

beforeAll(() => {
  for (const p of ['policy', 'runtime', 'cli']) {
    execFileSync('npx', [...PNPM, 'pack', '--pack-destination', dir], { cwd: join(ROOT, 'packages', p), stdio: 'ignore' });
  }
  const tarballs = readdirSync(dir).filter((f) => f.endsWith('.tgz')).map((f) => join(dir, f));
  expect(tarballs).toHaveLength(3);
  execFileSync('mkdir', [project]);
  writeFileSync(join(project, 'package.json'), '{ "name": "uses-sysvm", "private": true }\n');
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', ...tarballs], { cwd: project, stdio: 'ignore' });
}, 300_000);

/** The installed `sysvm`; the modules Node's ES module loader loaded, per thread (main: 0). */
function sysvm(args: string[], env: Record<string, string> = {}) {
  const log = join(dir, `modules-${Math.random().toString(36).slice(2)}.log`);
  writeFileSync(log, '');
  const r = spawnSync(process.execPath, ['--import', HOOK, bin, ...args], {
    cwd: project, encoding: 'utf8', input: '', env: { ...process.env, ...env, SYSVM_MODULE_LOG: log },
  });
  const threads = new Map<number, string[]>();
  for (const line of readFileSync(log, 'utf8').split('\n').filter(Boolean)) {
    const [id, url] = [Number(line.slice(0, line.indexOf(' '))), line.slice(line.indexOf(' ') + 1)];
    if (url.startsWith('node:')) continue;
    threads.set(id, [...(threads.get(id) ?? []), url.replace(/^.*\/node_modules\//, '')]);
  }
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, threads };
}

const bundlesCheck = (env: Record<string, string> = {}) => {
  const r = sysvm(['doctor', '--format', 'json'], env);
  return (JSON.parse(r.stdout) as { checks: { id: string; ok: boolean | null; value: string }[] }).checks.find((c) => c.id === 'bundles');
};

describe('installed from packed packages', { timeout: 120_000 }, () => {
  test('sysvm run starts from the bundles on both threads, checked by content', () => {
    expect(bundlesCheck()).toMatchObject({ ok: true, value: 'in use, checked by content (an installed package)' });
    const r = sysvm(['run', '-q', '--', 'sh', '-c', 'echo ok; cat ~/.ssh/id_rsa 2>/dev/null || echo refused']);
    expect([r.code, r.stdout, r.stderr]).toEqual([0, 'ok\nrefused\n', '']);
    // Only the CommonJS entries reach the ES module loader: each thread ran its bundle.
    expect([...r.threads.values()]).toEqual([['@sysvm/cli/dist/sysvm.cjs'], ['@sysvm/runtime/dist/worker-boot.cjs']]);
  });

  test('an edited file of an installed package makes the bundles that hold it stale: the modules run, edit included', () => {
    // evaluate.js is in both bundles (the CLI's and the tracer thread's). The edit keeps the
    // size: the mtime is not what tells (an install's mtimes tell nothing), the content is.
    const file = join(project, 'node_modules/@sysvm/policy/dist/evaluate.js');
    const before = readFileSync(file, 'latin1');
    const i = before.lastIndexOf('\n', before.length - 2);
    writeFileSync(file, `${before.slice(0, i)}\n//${'x'.repeat(before.length - i - 4)}\n`, 'latin1');
    try {
      expect(readFileSync(file).length).toBe(Buffer.byteLength(before, 'latin1'));
      expect(bundlesCheck()).toMatchObject({ ok: false, value: expect.stringMatching(/^stale or missing: .*worker\.bundle\.cjs, .*main\.bundle\.cjs$/) });
      const r = sysvm(['run', '-q', '--', 'sh', '-c', 'echo ok']);
      expect([r.code, r.stdout]).toEqual([0, 'ok\n']);
      expect(r.threads.get(0)).toContain('@sysvm/policy/dist/evaluate.js');
      expect([...r.threads].filter(([id]) => id !== 0).flatMap(([, m]) => m)).toContain('@sysvm/policy/dist/evaluate.js');
    } finally {
      writeFileSync(file, before, 'latin1');
    }
    expect(bundlesCheck()).toMatchObject({ ok: true });
    appendFileSync(join(project, 'node_modules/@sysvm/cli/dist/main.bundle.cjs.v8cache'), 'x');
    expect(bundlesCheck()).toMatchObject({ ok: false, value: expect.stringMatching(/^stale or missing: [^,]*main\.bundle\.cjs$/) });
  });

  test('SYSVM_BUNDLE=0: the modules, and doctor says so', () => {
    expect(bundlesCheck({ SYSVM_BUNDLE: '0' })).toMatchObject({ ok: null, value: 'off (SYSVM_BUNDLE=0)' });
    const r = sysvm(['run', '-q', '--', 'true'], { SYSVM_BUNDLE: '0' });
    expect(r.code).toBe(0);
    expect(r.threads.get(0)).toContain('@sysvm/cli/dist/cli.js');
  });
});
