#!/usr/bin/env node
// sysvm embedded in a Node application.
//
//   node examples/embed/main.mjs [POLICY] -- CMD [ARGS...]
//
// Loads and lints a policy with @sysvm/policy, runs the command under it with
// @sysvm/runtime (the tracer runs in a worker thread, so this event loop stays free:
// a timer keeps ticking while the sandboxed program runs), pipes the program's output
// through this process, and prints a summary of the decisions it saw.
import { checkPolicy, renderText } from '@sysvm/policy';
import { policyFromIR, spawn } from '@sysvm/runtime';

const argv = process.argv.slice(2);
const dd = argv.indexOf('--');
const policyFile = dd > 0 ? argv[0] : 'builtin:default';
const command = dd >= 0 ? argv.slice(dd + 1) : argv;
if (command.length === 0) {
  process.stderr.write('usage: main.mjs [POLICY] -- CMD [ARGS...]\n');
  process.exit(2);
}

// 1. The policy: every diagnostic, and no IR when there is an error. The program's stdio is
// piped below, so no terminal is its own: `${tty}` (builtin:default's own-terminal rule) must
// name none, not this process's terminal (the loader's default is the caller's fds 0-2).
const loaded = checkPolicy(policyFile, { context: { tty: [] } });
if (!loaded.ir) {
  process.stderr.write(renderText(loaded.diagnostics, loaded.sources));
  process.exit(2);
}

// 2. The sandboxed program, its output piped through us.
const child = spawn({
  command: command[0],
  args: command.slice(1),
  policy: policyFromIR(loaded.ir),
  stdio: ['ignore', 'pipe', 'pipe'],
  quiet: true,
});
let lines = 0;
child.stdout.on('data', (chunk) => {
  lines += String(chunk).split('\n').length - 1;
  process.stdout.write(chunk);
});
child.stderr.pipe(process.stderr);

// 3. Decisions as they happen (denials, and rules with `log: true`).
const denied = new Map();
child.on('denied', (e) => {
  const key = `${e.syscall} by ${e.rule}`;
  denied.set(key, (denied.get(key) ?? 0) + 1);
});

// The event loop is free while the tracer works in its thread.
let ticks = 0;
const timer = setInterval(() => ticks++, 5);

// `closed`: exited, and the piped output all read (`exited` can come before its last chunk).
const result = await child.closed;
clearInterval(timer);
process.stderr.write(
  `[embed] ${command[0]} exited ${result.code ?? `by ${result.signal}`} on backend ${result.backend}: ` +
    `${lines} lines of output, ${result.stats.stops.total} stops, ${ticks} timer ticks meanwhile\n`,
);
for (const [what, n] of denied) process.stderr.write(`[embed] denied ${n}x ${what}\n`);
process.exitCode = result.code ?? 128 + (result.signalNumber ?? 0);
