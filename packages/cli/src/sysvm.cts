#!/usr/bin/env node
// The `sysvm` executable: everything is in cli.ts, so that tests and embedders can import
// `main` without running it. It runs dist/main.bundle.cjs, the same modules in one file
// compiled from V8's code cache (tools/bundle.mjs: `sysvm run` starts with one file to read
// instead of ~200 modules to resolve and link; docs/performance.md), while that bundle is as
// new as every file it was made from and SYSVM_BUNDLE is not 0; else, after a `tsc -b` that
// changed any of them or before the first bundle, dist/'s modules themselves. Either way the
// same code runs.
//
// CommonJS, as is what it loads before the CLI (@sysvm/runtime/bundle, dist/bundle.cjs): with
// the bundle, Node's ES module loader never starts on this thread (docs/performance.md,
// "Start-up"). dist/main.js, the ES module that was the executable before, loads this file.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

/**
 * @sysvm/runtime/bundle: the runtime package's dist/bundle.cjs (its package.json maps
 * "./bundle" there), in the package Node would find, the nearest node_modules/@sysvm/runtime
 * on the way up from here, but without Node's package "exports" resolver, ≈ 3 ms of this
 * thread before it can start the tracer's (docs/performance.md, "Start-up"). Where there is
 * no such directory (NODE_PATH, a global folder) or no such file, Node's own require.
 */
function runtimeBundle(): typeof import('@sysvm/runtime/bundle') {
  const load = createRequire(__filename);
  for (let dir = __dirname; path.dirname(dir) !== dir; dir = path.dirname(dir)) {
    if (path.basename(dir) === 'node_modules') continue; // (Node looks in no node_modules/node_modules)
    const pkg = path.join(dir, 'node_modules', '@sysvm', 'runtime');
    if (!existsSync(pkg)) continue;
    const file = path.join(pkg, 'dist', 'bundle.cjs');
    if (existsSync(file)) return load(file) as typeof import('@sysvm/runtime/bundle');
    break;
  }
  return load('@sysvm/runtime/bundle') as typeof import('@sysvm/runtime/bundle');
}

const { endEarlyTracer, runBundle, startTracerEarly } = runtimeBundle();

// A reader that went away (`sysvm compile --explain | head`): Node ignores SIGPIPE, so a write
// fails with EPIPE, and unhandled that is a stack trace. End as a program SIGPIPE kills does
// in a shell, quietly with status 141 (128 + 13).
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(141);
    throw e;
  });
}

const argv = process.argv.slice(2);
// `sysvm run`: the tracer thread starts first, so that its start overlaps everything else
// (startTracer in `run` adopts it).
const own = argv.includes('--') ? argv.slice(0, argv.indexOf('--')) : argv;
if (argv[0] === 'run' && !own.includes('--help') && !own.includes('-h')) startTracerEarly();
// The help and the version need a dozen small modules: less than even a cached bundle.
const light = argv[0] === undefined || ['-h', '--help', 'help', '-V', '--version'].includes(argv[0]);
const bundled = light || process.env.SYSVM_BUNDLE === '0' ? undefined
  : runBundle(path.join(__dirname, 'main.bundle.cjs'));

type Main = typeof import('./cli.js')['main'];
(bundled !== undefined ? Promise.resolve(bundled.main as Main) : import('./cli.js').then((m) => m.main))
  .then((main) => main(argv))
  .then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(`sysvm: internal error: ${String(e)}\n`);
      process.exitCode = 70;
    },
  )
  // A run that failed before it took the tracer thread (a usage error) ends that thread
  // without stopping it while it loads (bundle.cts, endUnused).
  .finally(endEarlyTracer);
