#!/usr/bin/env node
// The `sysvm` executable: everything is in cli.ts, so that tests and embedders can import
// `main` without running it. It runs dist/main.bundle.js, the same modules in one file
// (tools/bundle.mjs: `sysvm run` starts with one file to read instead of ~200 modules to
// resolve and link; docs/performance.md), while that bundle is as new as every file it was made from and SYSVM_BUNDLE is not
// 0; else, after a `tsc -b` that changed any of them or before the first bundle, dist/'s
// modules themselves. Either way the same code runs.
import { fileURLToPath, pathToFileURL } from 'node:url';
import { freshBundle } from '@sysvm/runtime/bundle';

const argv = process.argv.slice(2);
// The help and the version need a dozen small modules: fewer bytes than the bundle to parse.
const light = argv[0] === undefined || ['-h', '--help', 'help', '-V', '--version'].includes(argv[0]);
const bundle = light || process.env.SYSVM_BUNDLE === '0' ? undefined
  : freshBundle(fileURLToPath(new URL('main.bundle.js', import.meta.url)));
const { main } = (bundle !== undefined
  ? await import(pathToFileURL(bundle).href) : await import('./cli.js')) as typeof import('./cli.js');

main(argv).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`sysvm: internal error: ${String(e)}\n`);
    process.exitCode = 70;
  },
);
