#!/usr/bin/env node
// The `sysvm` executable: everything is in cli.ts, so that tests and embedders can import
// `main` without running it.
import { main } from './cli.js';

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`sysvm: internal error: ${String(e)}\n`);
    process.exitCode = 70;
  },
);
