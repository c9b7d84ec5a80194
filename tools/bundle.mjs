#!/usr/bin/env node
// Bundles tsc's output (dist/) for start-up: the `sysvm` command into
// packages/cli/dist/main.bundle.cjs and the tracer thread into
// packages/runtime/dist/worker.bundle.cjs, one file each instead of ~200 and ~50 ES modules
// that Node resolves, reads and links one by one (docs/performance.md, "Start-up"). Run after
// `tsc -b`: the root `build`, `prepare`, `test` and `bench` scripts do.
//
// Each bundle gets a manifest, FILE.inputs.json: the size, mtime and SHA-256 of every file it
// was made from, and of the files written here. The loaders (cli/src/sysvm.cts,
// runtime/src/worker-boot.cts, through runtime/src/bundle.cts) use a bundle only while all of
// them are unchanged (in an installed package, by content: bundle.cts), so a
// `tsc -b` after an edit makes them run dist/'s modules again until the next bundle: a stale
// bundle never runs.
//
// The bundles are plain, unminified JavaScript with the same code as dist/ (no source maps:
// what users see, diagnostics and messages, is the same either way). Both are CommonJS, so
// that they can be compiled from V8's code cache (Node 20 has none for ES modules) and so that
// neither thread starts Node's ES module loader. Each FILE.v8cache is made here by a run of
// `sysvm run -q -p POLICY -- true` in a child process, POLICY a small file extending
// builtin:default for the CLI's (WARM_POLICY below) and builtin:default for the tracer
// thread's (the code that loads and compiles a policy, and the tracer's, compiled once, ahead;
// a machine where ptrace is not allowed gets a cache of less). The tracer thread's `import()`
// of a policy module by URL goes to Node's loader (runtime/src/bundle.cts). koffi stays
// external (a native addon, loaded by Node as before). `import.meta.url` in a bundled module is
// rewritten to the URL of the file it came from, so that the files a module finds next to
// itself (the built-in policies, the tracer thread's script, package.json) are the same.
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

// The policy of the CLI's warm-up run, a file (written to a temporary directory): the built-in
// policies are parsed ahead in its bundle (see preparsedPlugin), so a run of builtin:default
// alone would leave the YAML parser and the schema's checks out of the code cache, and every
// run of a policy file would compile them. This one extends builtin:default, so both ways of
// loading are in the cache.
const WARM_POLICY = '<warm-up policy>';
const WARM_POLICY_TEXT = `sysvm: 1
name: warm-up
extends: builtin:default
vars:
  secrets: "\${home}/.ssh"
rules:
  - name: no-secrets
    syscalls: [open, openat, newfstatat, stat, lstat, statx, access, faccessat2]
    match: { path: { under: ["\${secrets}", /etc/shadow] } }
    action: { deny: EACCES }
  - name: no-raw-sockets
    syscalls: socket
    match:
      - { domain: AF_PACKET }
      - { type: { all: SOCK_RAW } }
    action: deny
`;

const bundles = [
  { entry: 'packages/cli/dist/cli.js', out: 'packages/cli/dist/main.bundle.cjs', lazyKoffi: true, preparsed: true, warm: ['run', '-q', '-p', WARM_POLICY, '--', 'true'] },
  { entry: 'packages/runtime/dist/worker.js', out: 'packages/runtime/dist/worker.bundle.cjs', warmWorker: ['run', '-q', '-p', 'builtin:default', '--', 'true'] },
];

const bundleCjs = path.join(root, 'packages/runtime/dist/bundle.cjs');

/** A file's SHA-256, base64: how an installed bundle is checked (bundle.cts, installed). */
const sha256 = (file) => createHash('sha256').update(readFileSync(file)).digest('base64');

// `node tools/bundle.mjs --warm BUNDLE CACHE ARGS...`: the child process that runs `sysvm ARGS`
// from BUNDLE (as dist/main.js would) and writes the code cache V8 then has for it to CACHE.
if (process.argv[2] === '--warm') {
  const [file, cacheOut, ...args] = process.argv.slice(3);
  const { compileBundle } = createRequire(import.meta.url)(bundleCjs);
  const script = compileBundle(file, readFileSync(file, 'utf8'));
  const module = { exports: {} };
  script.runInThisContext().call(module.exports, module.exports, createRequire(file), module, file, path.dirname(file));
  await module.exports.main(args);
  writeFileSync(cacheOut, script.createCachedData());
  process.exit(0);
}

// `node tools/bundle.mjs --warm-worker BUNDLE CACHE ARGS...`: the child process that runs
// `sysvm ARGS` (dist/'s modules) with a tracer thread that runs BUNDLE (as
// dist/worker-boot.cjs would), adopted as the executable's early thread is, and writes the
// code cache V8 has for BUNDLE when that thread ends. Whether the run itself succeeds (a
// machine where ptrace is not allowed) only changes how much of the bundle the cache holds.
if (process.argv[2] === '--warm-worker') {
  const [file, cacheOut, ...args] = process.argv.slice(3);
  const { Worker } = await import('node:worker_threads');
  const worker = new Worker(`
    const { readFileSync, renameSync, writeFileSync } = require('node:fs');
    const { createRequire } = require('node:module');
    const path = require('node:path');
    const { compileBundle } = require(${JSON.stringify(bundleCjs)});
    const file = ${JSON.stringify(file)};
    const script = compileBundle(file, readFileSync(file, 'utf8'));
    process.on('exit', () => {
      writeFileSync(${JSON.stringify(`${cacheOut}.part`)}, script.createCachedData());
      renameSync(${JSON.stringify(`${cacheOut}.part`)}, ${JSON.stringify(cacheOut)});
    });
    const module = { exports: {} };
    script.runInThisContext().call(module.exports, module.exports, createRequire(file), module, file, path.dirname(file));
  `, { eval: true, workerData: { deferred: true } });
  globalThis[Symbol.for('sysvm.runtime.early-tracer')] = { worker, dead: false };
  const { main } = await import(pathToFileURL(path.join(root, 'packages/cli/dist/cli.js')).href);
  await main(args);
  // The run adopted the thread (and its listeners): wait for the cache it writes as it ends.
  const { existsSync } = await import('node:fs');
  for (let i = 0; i < 1000 && !existsSync(cacheOut); i++) await new Promise((r) => setTimeout(r, 10));
  process.exit(existsSync(cacheOut) ? 0 : 1);
}

/**
 * `import.meta.url` of `file`, a module of a package's dist/, as an expression valid in the
 * bundle `out`: its URL relative to the bundle's own file. A bundle runs only while each of its
 * inputs is unchanged at the place its manifest names relative to the bundle (the same
 * relative path), so this is where that module is, found without Node's package resolver
 * (whose "exports" code costs a thread a few ms to compile at start-up).
 */
function urlOf(file, out) {
  if (!/^packages\/[^/]+\/dist\//.test(path.relative(root, file).split(path.sep).join('/'))) {
    throw new Error(`bundle: import.meta.url in ${file}, outside a package's dist/`);
  }
  const rel = path.relative(path.dirname(path.join(root, out)), file).split(path.sep).join('/');
  return `new URL(${JSON.stringify(rel)}, require("node:url").pathToFileURL(__filename)).href`;
}

const metaUrl = (out) => ({
  name: 'sysvm-import-meta-url',
  setup(b) {
    b.onLoad({ filter: /[\\/]packages[\\/][^\\/]+[\\/]dist[\\/].*\.js$/ }, async (args) => {
      const { readFile } = await import('node:fs/promises');
      const text = await readFile(args.path, 'utf8');
      if (!text.includes('import.meta.url')) return undefined;
      return { contents: text.replaceAll('import.meta.url', urlOf(args.path, out)), loader: 'js' };
    });
  },
});

// In the CLI's bundle (`preparsed`), packages/policy/dist/front/preparsed.js, empty in dist/,
// holds the built-in policies parsed ahead by `preparse` (policy/src/front/source.ts): parsing
// builtin:default's YAML was most of the time `sysvm run` took to load it. `preparse` runs here
// from the same dist/ modules and yaml package that esbuild bundles (the bundle runs only while
// those are unchanged: bundle.cts), and a SourceFile uses an entry only for exactly the text it
// was made from (compared whole): an edited built-in policy is parsed as before, never served
// stale. So the YAML files need not be among the bundle's inputs. An entry also records
// whether the loader's schemas take the policy as it is (load.ts, schemaChecked): the loader
// then does not run them again on that text.
const preparsedPlugin = () => ({
  name: 'sysvm-preparsed',
  setup(b) {
    b.onLoad({ filter: /[\\/]packages[\\/]policy[\\/]dist[\\/]front[\\/]preparsed\.js$/ }, async () => {
      const dist = path.join(root, 'packages/policy/dist/front');
      const { preparse } = await import(pathToFileURL(path.join(dist, 'source.js')).href);
      const { BUILTIN_PREFIX, builtinNames, builtinText } = await import(pathToFileURL(path.join(dist, 'builtin.js')).href);
      const { schemaChecked } = await import(pathToFileURL(path.join(dist, 'load.js')).href);
      const entries = {};
      for (const name of builtinNames()) {
        const file = `${BUILTIN_PREFIX}${name}`;
        const json = preparse(file, builtinText(name), schemaChecked);
        if (json === undefined) process.stderr.write(`bundle: ${file} is not parsed ahead (preparse refused it: it is parsed at each load)\n`);
        else entries[file] = json;
      }
      return {
        loader: 'js',
        contents: `// Generated by tools/bundle.mjs: the built-in policies parsed ahead (front/source.ts, preparse).\nexport const PREPARSED = ${JSON.stringify(entries)};\n`,
      };
    });
  },
});

// koffi, a native addon, stays a module of its own, required by name from the package that
// depends on it, @sysvm/runtime (the CLI's bundle sits where a bare 'koffi' need not resolve:
// pnpm gives a package only its own dependencies). That package is found relative to the
// bundle, where its dist/ files are checked as inputs (bundle.cts), and through its real path,
// where pnpm keeps its dependencies. So the bundle finds koffi wherever it is installed, the
// workspace or a registry install, as dist/'s modules would.
//
// In the CLI's bundle (`lazyKoffi`), the main thread's, 'koffi' is a stand-in that requires
// koffi at the first call that needs it: the runtime's modules that the CLI loads bind libc's
// functions when they load (linux/libc.ts, doctor.ts), but the main thread of `sysvm run`
// calls none of them unless the API is given `stdio: 'pipe'` (loading koffi cost that thread
// ≈ 10 ms of its start-up, on the way to the spawn). The stand-in has what the runtime uses
// of koffi (load(...).func(...), errno, address); the tracer thread's bundle has koffi itself
// (every stop calls it).
const koffi = (out, lazyKoffi) => ({
  name: 'sysvm-koffi',
  setup(b) {
    b.onResolve({ filter: /^koffi$/ }, (args) => {
      const pkg = path.join(root, 'packages/runtime');
      if (!args.importer.startsWith(`${pkg}${path.sep}`)) throw new Error(`bundle: koffi imported from ${args.importer}, outside @sysvm/runtime`);
      const rel = path.relative(path.dirname(path.join(root, out)), pkg).split(path.sep).join('/') || '.';
      return { path: rel, namespace: 'sysvm-koffi' };
    });
    b.onLoad({ filter: /.*/, namespace: 'sysvm-koffi' }, (args) => {
      // The file by its real path, as Node's own resolution gives it: koffi finds its native
      // module relative to itself (../../../@koromix/koffi-linux-x64), which in pnpm's layout
      // is beside koffi's real directory, not beside the symlink a package's node_modules
      // holds (require.resolve with `paths` returned that symlink's path, and loading koffi
      // failed there unless its other way to the native module worked).
      const load = `require(require("node:fs").realpathSync(require.resolve("koffi", { paths: [require("node:fs").realpathSync(require("node:path").join(__dirname, ${JSON.stringify(args.path)}))] })))`;
      return {
        loader: 'js',
        contents: lazyKoffi ? `// koffi, required at the first call that needs it (tools/bundle.mjs, lazyKoffi).
let real;
const koffi = () => (real ??= ${load});
const later = (make) => {
  let f;
  return (...a) => (f ??= make())(...a);
};
module.exports = {
  load: (...lib) => {
    let l;
    const loaded = () => (l ??= koffi().load(...lib));
    return { func: (...decl) => later(() => loaded().func(...decl)) };
  },
  errno: (...a) => koffi().errno(...a),
  address: (...a) => koffi().address(...a),
};
` : `// koffi, from @sysvm/runtime's dependencies (tools/bundle.mjs).\nmodule.exports = ${load};\n`,
      };
    });
  },
});

for (const { entry, out, warm, warmWorker, lazyKoffi, preparsed } of bundles) {
  const started = Date.now();
  const r = await build({
    absWorkingDir: root,
    entryPoints: [entry],
    outfile: out,
    write: false,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    // tsc's own source maps point at dist/; the bundle has none (see the top).
    sourcemap: false,
    legalComments: 'inline',
    metafile: true,
    logLevel: 'warning',
    plugins: [...(preparsed ? [preparsedPlugin()] : []), metaUrl(out), koffi(out, lazyKoffi === true)],
    banner: {
      js: `// Generated by tools/bundle.mjs from ${entry} and what it imports: do not edit (see ${path.basename(out)}.inputs.json).`,
    },
  });
  if (r.errors.length > 0) process.exit(1);
  const [code] = r.outputFiles;
  // esbuild writes ASCII (charset: ascii, the default: it escapes every other character in
  // strings, templates, regular expressions and names), except in the comments it keeps.
  // Those of a line that is only a comment lose theirs here (a line that begins with // is
  // inside no string, and a template or a block comment that holds it has no other), so that
  // the bundle can be read as Latin-1, ≈ 3 ms less than UTF-8 for the CLI's. Its manifest
  // says so ("ascii") only if it is ASCII indeed; else it is read as UTF-8.
  const text = code.text.replace(/^[ \t]*\/\/.*$/gm, (line) => line.replace(/[\u0080-\uffff]/g, '?'));
  const ascii = !/[\u0080-\uffff]/.test(text);
  const dir = path.dirname(path.join(root, out));
  // (a stand-in of a plugin, such as koffi's, is no file)
  const inputs = Object.keys(r.metafile.inputs).filter((f) => !f.startsWith('sysvm-')).map((f) => path.resolve(root, f)).sort().map((abs) => {
    const s = statSync(abs);
    // An input written while esbuild read it may be in the bundle as it was before: no manifest
    // may vouch for it.
    if (s.mtimeMs > started) throw new Error(`bundle: ${abs} changed while ${out} was being made; run it again`);
    return [path.relative(dir, abs).split(path.sep).join('/'), s.size, s.mtimeMs, sha256(abs)];
  });
  // Each file written whole, then renamed over the old one: a sysvm starting meanwhile reads
  // the old bundle or the new one, never half of one. Until the new manifest is in place the
  // old one decides, and it names the old bundle's size and mtime: the new one is stale to it
  // (dist/'s modules run).
  const put = (file, data) => {
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, data);
    renameSync(tmp, file);
  };
  put(code.path, text);
  const written = [code.path];
  if (warm || warmWorker) {
    // A child process with Node's default flags, as `sysvm` runs (V8 takes a cache only
    // under the flags it was made with); its output is the command's, not wanted here.
    const cache = `${code.path}.v8cache`;
    const tmp = `${cache}.${process.pid}.tmp`;
    const { mkdtempSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const warmDir = mkdtempSync(path.join(tmpdir(), 'sysvm-bundle-'));
    const warmPolicy = path.join(warmDir, 'warm-up.yaml');
    writeFileSync(warmPolicy, WARM_POLICY_TEXT);
    const args = (warm ?? warmWorker).map((a) => (a === WARM_POLICY ? warmPolicy : a));
    const w = spawnSync(process.execPath, [fileURLToPath(import.meta.url), warm ? '--warm' : '--warm-worker', code.path, tmp, ...args],
      { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
    rmSync(warmDir, { recursive: true, force: true });
    if (w.status !== 0) throw new Error(`bundle: the warm-up run of ${out} failed (${w.status ?? w.signal})`);
    renameSync(tmp, cache);
    written.push(cache);
  }
  const outputs = written.map((f) => {
    const s = statSync(f);
    return [path.relative(dir, f).split(path.sep).join('/'), s.size, s.mtimeMs, sha256(f)];
  });
  put(path.join(root, `${out}.inputs.json`), `${JSON.stringify({ inputs, outputs, ...(ascii ? { ascii } : {}) })}\n`);
  const kb = (statSync(path.join(root, out)).size / 1024).toFixed(0);
  process.stdout.write(`bundle: ${out} (${inputs.length} modules, ${kb} KiB)\n`);
}
