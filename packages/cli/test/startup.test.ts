// What the built `sysvm` loads, thread by thread (run `tsc -b` first). Two setups:
// - dist/'s modules (SYSVM_BUNDLE=0, and whenever a bundle is stale), what the API runs too.
//   Loading the policy front end (yaml, zod, the loader) costs more than everything else a
//   short run does (docs/performance.md): `--help` loads no command's implementation, the
//   tracer thread never loads the front end, and a run under a policy the cache holds does
//   not load it at all.
// - the bundles of tools/bundle.mjs (made here when they are missing or stale): each thread
//   runs one, CommonJS, from V8's code cache through node:vm, started by a CommonJS entry
//   (dist/sysvm.cjs, the `bin`; dist/worker-boot.cjs), so that Node's ES module loader sees
//   only that entry (and sees it only because of the --import below: without it, the loader
//   never starts); a bundle older than any of its inputs is never run.
// Node's ES module loader itself reports what it loads (fixtures/module-log.mjs); what is
// loaded by require (the entries' freshness check, runtime/dist/bundle.cjs, and koffi) it does
// not see.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { COMMANDS } from '../src/commands/index.js';

const ROOT = join(import.meta.dirname, '../../..');
const CLI = join(ROOT, 'packages/cli/dist/sysvm.cjs');
const { freshBundle } = createRequire(import.meta.url)('@sysvm/runtime/bundle') as typeof import('@sysvm/runtime/bundle');
const HOOK = join(import.meta.dirname, 'fixtures/module-log.mjs');
const dir = mkdtempSync(join(tmpdir(), 'sysvm-startup-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
/** Run the built CLI; the modules each thread loaded: thread id -> URLs (ours relative to the repo). */
function sysvm(args: string[], env: Record<string, string> = {}) {
  const log = join(dir, `modules-${n++}.log`);
  const r = spawnSync(process.execPath, ['--import', HOOK, CLI, ...args], {
    cwd: ROOT, encoding: 'utf8', input: '', env: { ...process.env, XDG_CACHE_HOME: join(dir, 'cache'), SYSVM_POLICY_CACHE: '1', SYSVM_BUNDLE: '0', ...env, SYSVM_MODULE_LOG: log },
  });
  const threads = new Map<number, string[]>();
  for (const line of readFileSync(log, 'utf8').split('\n').filter(Boolean)) {
    const [id, url] = [Number(line.slice(0, line.indexOf(' '))), line.slice(line.indexOf(' ') + 1)];
    if (url.startsWith('node:')) continue;
    const list = threads.get(id) ?? [];
    list.push(url.replace(`file://${ROOT}/`, '').replace(/^.*\/node_modules\/\.pnpm\/[^/]+\/node_modules\//, ''));
    threads.set(id, list);
  }
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, main: threads.get(0) ?? [], threads };
}

/** The modules the tracer's worker thread loaded. */
function tracerModules(threads: Map<number, string[]>): string[] {
  const mods = [...threads].filter(([id]) => id !== 0).map(([, m]) => m).find((m) => m.includes('packages/runtime/dist/worker.js'));
  expect(mods).toBeDefined();
  return mods!;
}

/** The front end of @sysvm/policy and what only it needs. */
const FRONT_END = /^(yaml|zod)\/|^packages\/policy\/dist\/(index|load-entry|front\/load|front\/schema|front\/schema-def|lint\/\w+|workflow\/index)\.js$/;

describe('the executable finds @sysvm/runtime/bundle without Node\'s "exports" resolver (sysvm.cts, runtimeBundle)', () => {
  test('the file it requires is the one Node resolves for @sysvm/runtime/bundle', () => {
    // runtimeBundle takes dist/bundle.cjs of the nearest node_modules/@sysvm/runtime: that
    // must stay what the runtime's package.json maps "./bundle" to.
    const script = `const m = require('node:module');
      const seen = [];
      const load = m._load;
      m._load = function (request, parent, ...rest) {
        if (parent && parent.filename === ${JSON.stringify(CLI)}) seen.push(m._resolveFilename(request, parent));
        return load.call(this, request, parent, ...rest);
      };
      process.argv = [process.argv[0], ${JSON.stringify(CLI)}, '--version'];
      require(${JSON.stringify(CLI)});
      process.on('exit', () => process.stdout.write(JSON.stringify(seen)));`;
    const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    const required = (JSON.parse(r.stdout.slice(r.stdout.indexOf('['))) as string[]).filter((f) => f.includes('bundle.cjs'));
    const resolved = createRequire(CLI).resolve('@sysvm/runtime/bundle');
    expect(required).toEqual([resolved]);
  });
});

describe('the policy loader (@sysvm/policy/load, as the CLI\'s bundle runs it)', () => {
  test('zod\'s schema objects are made only when a load needs them: not for a built-in policy parsed ahead', () => {
    // A child process, for a module state of its own: the entry is made there first with a
    // process of its own too (schemaChecked needs the schema objects).
    const dist = `${ROOT}/packages/policy/dist/front/`;
    const make = `const { preparse } = await import('${dist}source.js'); const { schemaChecked, builtinText } = await import('${dist}load.js');
      process.stdout.write(preparse('builtin:default', builtinText('default'), schemaChecked));`;
    const entry = spawnSync(process.execPath, ['--input-type=module', '-e', make], { encoding: 'utf8' });
    expect(entry.status).toBe(0);
    const use = `const { PREPARSED } = await import('${dist}preparsed.js'); PREPARSED['builtin:default'] = ${JSON.stringify(entry.stdout)};
      const { loadPolicy } = await import('${dist}load.js'); const { schemasDefined } = await import('${dist}schema-def.js');
      const context = { cwd: '/p', home: '/h', tmp: '/t', env: {} };
      const a = loadPolicy('builtin:default', { context });
      const before = schemasDefined();
      const b = loadPolicy({ file: 'p.yaml', text: 'sysvm: 1\\ndefault: allow\\n' }, { context });
      process.stdout.write(JSON.stringify([a.ir !== undefined && a.diagnostics.every((d) => d.severity !== 'error'), before, b.ir !== undefined, schemasDefined()]));`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', use], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual([true, false, true, true]);
  });
});

describe('dist/ modules (SYSVM_BUNDLE=0): sysvm --help and completion load no command implementation', () => {
  test('--help lists every command with its summary, and loads neither the policy package nor the runtime (but its bundle check, required)', () => {
    const r = sysvm(['--help']);
    expect(r.code).toBe(0);
    for (const c of COMMANDS) expect(r.stdout).toContain(`  ${c.name.padEnd(10)}  ${c.summary}\n`);
    expect(r.main.filter((m) => /commands\/impl\/|@sysvm|packages\/(policy|runtime)\/|^(yaml|zod|koffi)\//.test(m))).toEqual([]);
    expect(r.main).toContain('packages/cli/dist/commands/run.js');
  });

  test('completion lists every command and loads only its own implementation', () => {
    const r = sysvm(['completion', 'bash']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`compgen -W "${COMMANDS.map((c) => c.name).join(' ')} help --help --version"`);
    expect(r.main.filter((m) => m.includes('commands/impl/'))).toEqual(['packages/cli/dist/commands/impl/completion.js']);
    expect(r.main.filter((m) => FRONT_END.test(m))).toEqual([]);
  });
});

describe('dist/ modules (SYSVM_BUNDLE=0), sysvm run: the tracer thread and a cached policy', () => {
  test('the tracer thread loads @sysvm/policy/evaluate, never the front end (nor the compiler, given the prefilter); a second run loads no front end at all', () => {
    const first = sysvm(['run', '-q', '-p', 'builtin:permissive', '--', 'true']);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    const tracer = tracerModules(first.threads);
    expect(tracer).toContain('packages/policy/dist/evaluate-entry.js');
    expect(tracer).toContain('packages/runtime/dist/tracer/tracer.js');
    expect(tracer.filter((m) => FRONT_END.test(m))).toEqual([]);
    // `sysvm run` hands it the prefilter: it does not load the compiler either
    expect(tracer.filter((m) => /compile-entry|compile\/bpf|bpf\/optimize/.test(m))).toEqual([]);
    // The first run loaded the policy (a miss) ...
    expect(first.main).toContain('packages/policy/dist/front/load.js');
    // ... and the second finds it in the cache.
    const second = sysvm(['run', '-q', '-p', 'builtin:permissive', '--', 'true']);
    expect(second.code).toBe(0);
    expect(second.main.filter((m) => FRONT_END.test(m))).toEqual([]);
    expect(second.main).toContain('packages/cli/dist/commands/impl/run.js');
    expect(tracerModules(second.threads).filter((m) => FRONT_END.test(m) || m.includes('compile/bpf'))).toEqual([]);
    // Audit mode runs another IR: the tracer thread compiles its prefilter, still without the front end.
    const audit = sysvm(['run', '-q', '--audit', '-p', 'builtin:permissive', '--', 'true']);
    expect(audit.code).toBe(0);
    expect(tracerModules(audit.threads)).toContain('packages/policy/dist/compile/bpf.js');
    expect(tracerModules(audit.threads).filter((m) => FRONT_END.test(m))).toEqual([]);
    // Off (as it is by default): loaded again.
    const off = sysvm(['run', '-q', '-p', 'builtin:permissive', '--', 'true'], { SYSVM_POLICY_CACHE: '0' });
    expect(off.code).toBe(0);
    expect(off.main).toContain('packages/policy/dist/front/load.js');
  });
});

const CLI_BUNDLE = join(ROOT, 'packages/cli/dist/main.bundle.cjs');
const WORKER_BUNDLE = join(ROOT, 'packages/runtime/dist/worker.bundle.cjs');
const bundle = (): void => {
  const r = spawnSync(process.execPath, [join(ROOT, 'tools/bundle.mjs')], { cwd: ROOT, encoding: 'utf8' });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
};

describe('the bundles (tools/bundle.mjs)', () => {
  beforeAll(() => {
    if (freshBundle(CLI_BUNDLE) === undefined || freshBundle(WORKER_BUNDLE) === undefined) bundle();
  });

  test('sysvm run runs one bundle per thread; SYSVM_BUNDLE=0 the modules', () => {
    const r = sysvm(['run', '-q', '-p', 'builtin:permissive', '--', 'sh', '-c', 'echo ok'], { SYSVM_BUNDLE: '1', SYSVM_POLICY_CACHE: '0' });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('ok\n');
    expect(r.code).toBe(0);
    // The bundles, the freshness check and koffi are CommonJS, run or required: Node's ES
    // module loader sees only the entries. The tracer thread's entry loads dist/worker.js
    // when it does not run the bundle, so this thread ran the bundle.
    expect(r.main).toEqual(['packages/cli/dist/sysvm.cjs']);
    const tracer = [...r.threads].filter(([id]) => id !== 0).map(([, m]) => m);
    expect(tracer).toEqual([['packages/runtime/dist/worker-boot.cjs']]);
    const off = sysvm(['run', '-q', '-p', 'builtin:permissive', '--', 'true'], { SYSVM_POLICY_CACHE: '0' });
    expect(off.code).toBe(0);
    expect(off.main).toContain('packages/cli/dist/cli.js');
    expect(tracerModules(off.threads)).toContain('packages/runtime/dist/tracer/tracer.js');
  });

  test('the bundles are ASCII, as their manifests say (they are read as Latin-1)', () => {
    for (const file of [CLI_BUNDLE, WORKER_BUNDLE]) {
      expect(JSON.parse(readFileSync(`${file}.inputs.json`, 'utf8')).ascii).toBe(true);
      expect(readFileSync(file).every((b) => b < 0x80)).toBe(true);
    }
  });

  test('--version and --help need no bundle: fewer bytes to parse than it', () => {
    for (const args of [['--version'], ['--help'], ['help', 'run']]) {
      const r = sysvm(args, { SYSVM_BUNDLE: '1' });
      expect(r.code).toBe(0);
      expect(r.main).toContain('packages/cli/dist/cli.js');
    }
  });

  test('the same diagnostics and exit status from the bundle as from the modules', () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'sysvm: 1\nname: bad\ndefault: allow\nrules:\n  - name: r\n    syscalls: [opn]\n    action: { deny: EPERM }\n');
    // The CLI's bundle has the built-in policies parsed ahead (tools/bundle.mjs, preparse):
    // what they compile to, alone or extended, is the modules' (which parse them).
    const child = join(dir, 'child.yaml');
    writeFileSync(child, 'sysvm: 1\nname: child\nextends: builtin:default\nrules:\n  - name: r\n    syscalls: [getpid]\n    action: { deny: EPERM }\n');
    for (const args of [['run', '-p', bad, '--', 'true'], ['run', '--', '/nonexistent/program'], ['run', '--backend', 'x', '--', 'true'],
      ['lint', bad], ['compile', '--explain', 'builtin:permissive'], ['compile', '--explain', 'builtin:default'],
      ['compile', '--bpf', 'builtin:default'], ['compile', '--explain', child], ['lint', '--verbose', 'builtin:default'], ['lint', '--verbose', child]]) {
      const b = sysvm(args, { SYSVM_BUNDLE: '1', SYSVM_POLICY_CACHE: '0' });
      const m = sysvm(args, { SYSVM_POLICY_CACHE: '0' });
      expect(b.main).not.toContain('packages/cli/dist/cli.js');
      expect([b.code, b.stdout, b.stderr]).toEqual([m.code, m.stdout, m.stderr]);
    }
  });

  test('a bundle older than one of its inputs is not run: after a rebuilt module, dist/ runs until the next bundle', () => {
    // tsc -b rewriting a module changes its mtime; the bundle's manifest no longer matches.
    const input = join(ROOT, 'packages/cli/dist/version.js');
    const workerInput = join(ROOT, 'packages/runtime/dist/worker.js');
    try {
      const later = new Date(statSync(input).mtimeMs + 5000);
      utimesSync(input, later, later);
      utimesSync(workerInput, later, later);
      expect(freshBundle(CLI_BUNDLE)).toBeUndefined();
      const r = sysvm(['run', '-q', '-p', 'builtin:permissive', '--', 'true'], { SYSVM_BUNDLE: '1', SYSVM_POLICY_CACHE: '0' });
      expect(r.code).toBe(0);
      expect(r.main).toContain('packages/cli/dist/cli.js');
      expect(freshBundle(WORKER_BUNDLE)).toBeUndefined();
      expect(tracerModules(r.threads)).toContain('packages/runtime/dist/tracer/tracer.js');
    } finally {
      bundle();
    }
    expect(freshBundle(CLI_BUNDLE)).toBe(CLI_BUNDLE);
  });

  test('the tracer thread checks its own bundle: a stale one alone is not run, while the CLI\'s still is', () => {
    const workerInput = join(ROOT, 'packages/runtime/dist/tracer/tracer.js');
    try {
      const later = new Date(statSync(workerInput).mtimeMs + 5000);
      utimesSync(workerInput, later, later);
      expect(freshBundle(WORKER_BUNDLE)).toBeUndefined();
      const r = sysvm(['run', '-q', '-p', 'builtin:permissive', '--', 'true'], { SYSVM_BUNDLE: '1', SYSVM_POLICY_CACHE: '0' });
      expect(r.code).toBe(0);
      expect(r.main).toEqual(['packages/cli/dist/sysvm.cjs']);
      expect(tracerModules(r.threads)).toContain('packages/runtime/dist/tracer/tracer.js');
    } finally {
      bundle();
    }
    expect(freshBundle(WORKER_BUNDLE)).toBe(WORKER_BUNDLE);
  });

  // koffi in the CLI's bundle is a stand-in that requires it at the first call (tools/bundle.mjs,
  // lazyKoffi); what was required is in require.cache of the process that ran the bundle.
  test.for([
    [['run', '-q', '-p', 'builtin:permissive', '--', 'true'], false],
    [['doctor'], true],
  ] as const)('the CLI\'s main thread loads koffi only when it calls it: %j', ([args, loads]) => {
    const script = `const { runBundle } = require('@sysvm/runtime/bundle');
      runBundle(${JSON.stringify(CLI_BUNDLE)}).main(${JSON.stringify(args)}).then((code) => {
        process.stdout.write(JSON.stringify({ code, koffi: Object.keys(require.cache).some((f) => f.includes('koffi')) }));
      });`;
    const r = spawnSync(process.execPath, ['-e', script], { cwd: join(ROOT, 'packages/cli'), encoding: 'utf8', input: '' });
    const out = JSON.parse(r.stdout.slice(r.stdout.lastIndexOf('{'))) as { code: number; koffi: boolean };
    const modules = spawnSync(process.execPath, [CLI, ...args], { cwd: ROOT, encoding: 'utf8', input: '', env: { ...process.env, SYSVM_BUNDLE: '0' } });
    expect(out).toEqual({ code: modules.status, koffi: loads });
  });

  // The tracer thread starts first and may still be loading koffi when a run fails: stopping
  // it then aborted the process (SIGABRT, "FATAL ERROR: ... napi_throw") in about 1 of 12
  // runs of a bad policy, so it is told to end instead (bundle.cts, endUnused). A race: many runs.
  test('a run that fails before its spawn ends with its own status, never an abort of the loading tracer thread', () => {
    const bad = join(dir, 'bad-for-race.yaml');
    writeFileSync(bad, 'sysvm: 1\nname: bad\ndefault: allow\nrules:\n  - name: r\n    syscalls: [opn]\n    action: { deny: EPERM }\n');
    const seen = new Map<string, number>();
    for (let i = 0; i < 20; i++) {
      for (const args of [['run', '-p', bad, '--', 'true'], ['run', '--backend', 'x', '--', 'true']]) {
        const r = spawnSync(process.execPath, [CLI, ...args], { cwd: ROOT, encoding: 'utf8', input: '', env: { ...process.env, SYSVM_BUNDLE: '1' } });
        const k = `${r.status} ${r.signal} ${r.stderr.includes('FATAL') ? 'fatal' : ''}`;
        seen.set(k, (seen.get(k) ?? 0) + 1);
      }
    }
    expect([...seen]).toEqual([['125 null ', 40]]);
  });

  test('dist/main.js, the executable before dist/sysvm.cjs, runs it', () => {
    const r = spawnSync(process.execPath, [join(ROOT, 'packages/cli/dist/main.js'), 'run', '-q', '-p', 'builtin:permissive', '--', 'sh', '-c', 'echo ok'],
      { cwd: ROOT, encoding: 'utf8', input: '' });
    expect([r.status, r.stdout, r.stderr]).toEqual([0, 'ok\n', '']);
  });
});
