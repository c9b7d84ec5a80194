// The tracer thread. It loads the policy, spawns the stub, and runs the blocking loop; the
// main thread hears of it only through messages (spawned, audit, exit, error).
// Precondition: every ptrace call of the run happens on this thread.
import { closeSync, openSync, realpathSync, writeSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import { parentPort, workerData } from 'node:worker_threads';

import { LaunchError } from './tracer/launch.js';
import type { LaunchSpec } from './tracer/launch.js';
import type { AffinityMode } from './tracer/placement.js';
import { DenialLines } from './human.js';
import { Tracer } from './tracer/tracer.js';
import type { AuditEvent, BackendName, SupervisorPolicy } from './types.js';

/** What the main thread sends (structured-cloneable). */
export interface WorkerInit {
  spec: LaunchSpec;
  backend: 'auto' | BackendName;
  policy:
    | { kind: 'module'; module: string; exportName?: string; options?: unknown }
    | { kind: 'inline'; filter: Uint8Array | null; decide: string; allowPtrace?: boolean; allowIoUring?: boolean; vm?: SupervisorPolicy['vm']; data?: unknown };
  log?: string;
  quiet: boolean;
  /** Lines on stderr per kind of denial (human.ts); Infinity: every one. */
  denialLines?: number;
  /** Audit mode: denials and kills are logged, not carried out. */
  audit?: boolean;
  prefilter?: boolean;
  affinity?: AffinityMode;
  shared: Int32Array;
}

/**
 * The workerData of a thread started ahead (index.ts, TracerThread): its WorkerInit comes as
 * a message, or null if no spawn takes the thread.
 */
export interface DeferredInit {
  deferred: true;
}

export type WorkerMessage =
  | { type: 'spawned'; pid: number; backend: BackendName }
  | { type: 'audit'; event: AuditEvent }
  | { type: 'exit'; status: import('./types.js').ExitStatus; stats: import('./types.js').Stats; backend: BackendName }
  | { type: 'error'; code: string; message: string };

const post = (m: WorkerMessage): void => parentPort!.postMessage(m);

/**
 * A human line on stderr. Precondition: nothing written here may stop the run: a stderr
 * whose reader is gone (EPIPE), or that is full and non-blocking (EAGAIN), loses the line;
 * the audit log and the events still have the decision.
 */
function toStderr(text: string): void {
  try {
    writeSync(2, text);
  } catch {
    // the line is lost; see above
  }
}

/** dist/bundle.cjs, beside dist/worker.js and the bundle made of it. */
const bundleCjs = (): typeof import('./bundle.cjs') =>
  createRequire(import.meta.url)('./bundle.cjs') as typeof import('./bundle.cjs');

/** Turn the source text of an inline `decide` back into a function. */
function reviveDecide(src: string): SupervisorPolicy['decide'] {
  const expr = /^(async\s+)?(function\b|\(|[A-Za-z_$][\w$]*\s*=>)/.test(src.trim()) ? src : `function ${src}`;
  return new Function(`"use strict"; return (${expr});`)() as SupervisorPolicy['decide'];
}

/**
 * Whether the module URL the main thread sent is this package's policy-module.js. The main
 * thread names it from where it found this package, which in pnpm's layout is a symlink in the
 * CLI's node_modules while this thread runs from the real directory: the same file by another
 * name, compared by real path then (a stat per spawn, only when the names differ).
 */
function isOwnPolicyModule(url: string): boolean {
  const own = new URL('./policy-module.js', import.meta.url);
  if (url === own.href) return true;
  if (!url.startsWith('file:')) return false;
  try {
    return realpathSync(fileURLToPath(url)) === realpathSync(fileURLToPath(own));
  } catch {
    return false;
  }
}

async function loadPolicy(p: WorkerInit['policy']): Promise<{ policy: SupervisorPolicy; data?: unknown }> {
  if (p.kind === 'inline') {
    const policy: SupervisorPolicy = { filter: p.filter, decide: reviveDecide(p.decide) };
    if (p.allowPtrace !== undefined) policy.allowPtrace = p.allowPtrace;
    if (p.allowIoUring !== undefined) policy.allowIoUring = p.allowIoUring;
    if (p.vm !== undefined) policy.vm = p.vm;
    return { policy, data: p.data };
  }
  // The runtime's own bridge (policyFromIR) by name, so that a bundled tracer thread
  // (tools/bundle.mjs) runs the copy it carries instead of loading dist/'s modules; the same
  // module either way. Any other module by its URL, imported by dist/bundle.cjs, a module
  // Node itself loaded: the bundle runs through node:vm from V8's code cache, where Node 20
  // has no working import() (bundle.cts, importModule).
  const m = (isOwnPolicyModule(p.module)
    ? await import('./policy-module.js') : await bundleCjs().importModule(p.module)) as Record<string, unknown>;
  const make = (m[p.exportName ?? 'createSupervisorPolicy'] ?? m.default) as ((o: unknown) => SupervisorPolicy | Promise<SupervisorPolicy>) | undefined;
  if (typeof make !== 'function') {
    throw new LaunchError('EPOLICY', `policy module ${p.module} exports no ${p.exportName ?? 'createSupervisorPolicy'} function`);
  }
  return { policy: await make(p.options) };
}

/**
 * The WorkerInit: the workerData, or, for a thread started ahead, the first message; null
 * when that message says no spawn comes (bundle.cts, endUnused): the thread then ends.
 */
function receiveInit(): Promise<WorkerInit | null> {
  const data = workerData as WorkerInit | DeferredInit;
  if (!('deferred' in data)) return Promise.resolve(data);
  return new Promise((resolve) => parentPort!.once('message', (m: WorkerInit | null) => resolve(m)));
}

async function main(): Promise<void> {
  const init = await receiveInit();
  if (init === null) return;
  let logFd: number | null = null;
  const lines = init.quiet ? null : new DenialLines(init.denialLines ?? 3);
  try {
    const { policy, data } = await loadPolicy(init.policy);
    if (init.log !== undefined) logFd = openSync(init.log, 'a');
    const tracer = new Tracer({
      backend: init.backend, policy, data, shared: init.shared, audit: init.audit === true,
      ...(init.prefilter !== undefined ? { prefilter: init.prefilter } : {}),
      ...(init.affinity !== undefined ? { affinity: init.affinity } : {}),
      onSpawn: (pid, backend) => post({ type: 'spawned', pid, backend }),
      onAudit: (event) => {
        // Written here, synchronously, so that the log is complete even if the app's
        // event loop is busy or the run is stopped.
        if (logFd !== null) writeSync(logFd, `${JSON.stringify(event)}\n`);
        const line = lines?.line(event) ?? null;
        if (line !== null) toStderr(line);
        post({ type: 'audit', event });
      },
    });
    const r = tracer.run(init.spec);
    const summary = lines?.summary() ?? '';
    if (summary !== '') toStderr(summary);
    post({ type: 'exit', status: r.status, stats: r.stats, backend: r.backend });
  } catch (e) {
    const code = e instanceof LaunchError ? e.code : 'EINTERNAL';
    post({ type: 'error', code, message: e instanceof Error ? e.message : String(e) });
  } finally {
    if (logFd !== null) closeSync(logFd);
  }
}

void main();
