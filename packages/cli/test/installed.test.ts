// sysvm installed from packages, as a user gets it from a registry: the three packages packed
// (`pnpm pack`, which writes the workspace's versions in place of `workspace:*`) and installed
// into an empty project by npm (a flat node_modules) and by pnpm (symlinks into
// node_modules/.pnpm: the same file under two names). The files of an installed package have the archive's or the
// install's mtimes, so the start-up bundles are checked by content there (bundle.cts,
// installed), and koffi is found from @sysvm/runtime where it is installed (tools/bundle.mjs).
// Needs the npm registry for yaml, zod and koffi, as the workspace's own install does.
import { execFileSync, spawnSync } from 'node:child_process';
import { appendFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

const ROOT = join(import.meta.dirname, '../../..');
const HOOK = join(import.meta.dirname, 'fixtures/module-log.mjs');
const PNPM = ['-y', 'pnpm@10.34.9'];
const dir = mkdtempSync(join(tmpdir(), 'sysvm-installed-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Where each installer put the packages: npm's flat node_modules, pnpm's symlinks into .pnpm. */
const INSTALLERS = ['npm', 'pnpm'] as const;
type Installer = (typeof INSTALLERS)[number];
const projectOf = (i: Installer): string => join(dir, i);

beforeAll(() => {
  for (const p of ['policy', 'runtime', 'cli']) {
    execFileSync('npx', [...PNPM, 'pack', '--pack-destination', dir], { cwd: join(ROOT, 'packages', p), stdio: 'ignore' });
  }
  const tarballs = readdirSync(dir).filter((f) => f.endsWith('.tgz')).map((f) => join(dir, f));
  expect(tarballs).toHaveLength(3);
  const tgz = (name: string): string => tarballs.find((t) => t.includes(`sysvm-${name}-`))!;
  mkdirSync(projectOf('npm'));
  writeFileSync(join(projectOf('npm'), 'package.json'), '{ "name": "uses-sysvm", "private": true }\n');
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', ...tarballs], { cwd: projectOf('npm'), stdio: 'ignore' });
  // pnpm would fetch the CLI's dependencies from the registry: they are the tarballs here.
  // Copied rather than hard-linked from pnpm's store, since a test below edits a file.
  mkdirSync(projectOf('pnpm'));
  writeFileSync(join(projectOf('pnpm'), 'package.json'), `${JSON.stringify({
    name: 'uses-sysvm', private: true,
    pnpm: { overrides: { '@sysvm/policy': `file:${tgz('policy')}`, '@sysvm/runtime': `file:${tgz('runtime')}` } },
  })}\n`);
  execFileSync('npx', [...PNPM, 'add', '--config.package-import-method=copy', '--config.confirmModulesPurge=false', ...tarballs],
    { cwd: projectOf('pnpm'), stdio: 'ignore' });
}, 300_000);

/** The installed `sysvm`; the modules Node's ES module loader loaded, per thread (main: 0). */
function sysvm(installer: Installer, args: string[], env: Record<string, string> = {}) {
  const log = join(dir, `modules-${Math.random().toString(36).slice(2)}.log`);
  writeFileSync(log, '');
  const r = spawnSync(process.execPath, ['--import', HOOK, join(projectOf(installer), 'node_modules/@sysvm/cli/dist/sysvm.cjs'), ...args], {
    cwd: projectOf(installer), encoding: 'utf8', input: '', env: { ...process.env, ...env, SYSVM_MODULE_LOG: log },
  });
  const threads = new Map<number, string[]>();
  for (const line of readFileSync(log, 'utf8').split('\n').filter(Boolean)) {
    const [id, url] = [Number(line.slice(0, line.indexOf(' '))), line.slice(line.indexOf(' ') + 1)];
    if (url.startsWith('node:')) continue;
    threads.set(id, [...(threads.get(id) ?? []), url.replace(/^.*\/node_modules\//, '')]);
  }
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, threads };
}

const bundlesCheck = (installer: Installer, env: Record<string, string> = {}) => {
  const r = sysvm(installer, ['doctor', '--format', 'json'], env);
  return (JSON.parse(r.stdout) as { checks: { id: string; ok: boolean | null; value: string }[] }).checks.find((c) => c.id === 'bundles');
};

describe.for(INSTALLERS)('installed from packed packages by %s', { timeout: 120_000 }, (installer) => {
  const project = projectOf(installer);
  test('sysvm run starts from the bundles on both threads, checked by content', () => {
    expect(bundlesCheck(installer)).toMatchObject({ ok: true, value: 'in use, checked by content (an installed package)' });
    const r = sysvm(installer, ['run', '-q', '--', 'sh', '-c', 'echo ok; cat ~/.ssh/id_rsa 2>/dev/null || echo refused']);
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
      expect(bundlesCheck(installer)).toMatchObject({ ok: false, value: expect.stringMatching(/^stale or missing: .*worker\.bundle\.cjs, .*main\.bundle\.cjs$/) });
      const r = sysvm(installer, ['run', '-q', '--', 'sh', '-c', 'echo ok']);
      expect([r.code, r.stdout]).toEqual([0, 'ok\n']);
      expect(r.threads.get(0)).toContain('@sysvm/policy/dist/evaluate.js');
      expect([...r.threads].filter(([id]) => id !== 0).flatMap(([, m]) => m)).toContain('@sysvm/policy/dist/evaluate.js');
    } finally {
      writeFileSync(file, before, 'latin1');
    }
    expect(bundlesCheck(installer)).toMatchObject({ ok: true });
    appendFileSync(join(project, 'node_modules/@sysvm/cli/dist/main.bundle.cjs.v8cache'), 'x');
    expect(bundlesCheck(installer)).toMatchObject({ ok: false, value: expect.stringMatching(/^stale or missing: [^,]*main\.bundle\.cjs$/) });
  });

  test('sysvm explain resolves a deny rule\'s symlinked path on the main thread (koffi found from where it is installed)', () => {
    const d = mkdtempSync(join(dir, 'explain-'));
    mkdirSync(join(d, 'real'));
    symlinkSync('real', join(d, 'link'));
    writeFileSync(join(d, 'p.yaml'), `sysvm: 1\ndefault: allow\nrules:\n  - { name: no-keys, syscalls: [openat], match: { path: { equals: ${d}/link/key } }, action: { deny: EPERM } }\n`);
    const r = sysvm(installer, ['explain', join(d, 'p.yaml'), `openat(AT_FDCWD, "${d}/real/key", O_RDONLY)`]);
    expect([r.code, r.stdout.split('\n').slice(1, 3), r.stderr]).toEqual([0, ['verdict: deny EPERM', expect.stringMatching(/^decided by: rule 'no-keys' \(.*p\.yaml:4\)$/)], '']);
  });

  test('SYSVM_BUNDLE=0: the modules, and doctor says so', () => {
    expect(bundlesCheck(installer, { SYSVM_BUNDLE: '0' })).toMatchObject({ ok: null, value: 'off (SYSVM_BUNDLE=0)' });
    const r = sysvm(installer, ['run', '-q', '--', 'true'], { SYSVM_BUNDLE: '0' });
    expect(r.code).toBe(0);
    expect(r.threads.get(0)).toContain('@sysvm/cli/dist/cli.js');
  });
});
