// The tracer thread's entry (bundle.cts, workerScript): it runs dist/worker.bundle.cjs, the
// tracer thread's modules in one CommonJS file compiled from V8's code cache beside it
// (tools/bundle.mjs), while that bundle is as new as every file it was made from and
// SYSVM_BUNDLE is not 0; else dist/worker.js and what it imports. Either way the same code
// runs (worker.ts): it waits for its WorkerInit, from workerData or a message.
//
// CommonJS, so that a thread that runs the bundle never starts Node's ES module loader (what
// it costs: docs/performance.md, "Start-up"). The freshness check is made here, on the
// tracer's own thread, rather than by whoever starts it: in `sysvm run` the main thread has
// the longer way to the spawn.
import path from 'node:path';
import { runBundle } from './bundle.cjs';

// Precondition (bundle.cts): a stale bundle never runs in place of newer dist/ code; runBundle
// returns undefined for it, and dist/'s modules run.
if (process.env.SYSVM_BUNDLE === '0' || runBundle(path.join(__dirname, 'worker.bundle.cjs')) === undefined) {
  // A failure to load is the thread's error (an unhandled rejection), as when dist/worker.js was its script.
  void import('./worker.js');
}
