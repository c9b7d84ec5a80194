// @sysvm/runtime: run an untrusted program under a policy, from Node.
//
//   const p = spawn({ command: 'ls', args: ['-l'], policy, stdio: 'pipe' });
//   p.on('denied', (e) => ...); const { code, signal } = await p.closed;
//   const r = await run({ command: 'cat', args: ['/etc/hostname'], policy });
//
// The tracer runs in its own worker thread (all ptrace calls there), so the app's event
// loop stays free. The worker script is the built `dist/worker.js` of this package: from
// `dist/index.js` it sits next to this file; when this module is run from its TypeScript
// source (tests), it is taken from `../dist/` (build first: `tsc -b`). Where tools/bundle.mjs
// made `dist/worker.bundle.cjs` (the same modules in one file) and it is not stale, that runs
// instead (the thread's entry, dist/worker-boot.cjs, decides: bundle.cts).
import { EventEmitter } from 'node:events';
import { accessSync, constants as fsConstants, realpathSync, statSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';

import { programEnvironment, type PolicyIR } from '@sysvm/policy/evaluate';

import { close, errno, pipe2, strerror } from './linux/libc.js';
import { encodePath } from './linux/pathtext.js';
import { O_CLOEXEC } from './linux/consts.js';
import type { LaunchSpec, StdioTarget } from './tracer/launch.js';
import type { AffinityMode } from './tracer/placement.js';
import type {
  BackendName, ExitStatus, InlinePolicy, ModulePolicy, PolicySource, Stats,
} from './types.js';
import type { DeferredInit, WorkerInit, WorkerMessage } from './worker.js';
import type { IrPolicyOptions } from './policy-module.js';

export type {
  ArgRewrite, AuditEvent, BackendName, DecideContext, ExitStatus, InlinePolicy, ModulePolicy, PolicySource, Stats,
  SupervisorDecision, SupervisorPolicy,
} from './types.js';
export type { ArchName, Decision, Deref, Emulation, Invocation, PolicyIR, RuleIR, SourceRange, UtsField, Verdict } from './ir.js';
export { assemble, ld, jeq, jge, ret, safetyFilter, traceAllFilter, seccompDataArgLo, SECCOMP_DATA_ARCH, SECCOMP_DATA_NR } from './linux/bpf.js';
export type { Insn } from './linux/bpf.js';
export { resolveAbsolute } from './tracer/paths.js';
export { makeRunTmp, SHM_DIR } from './runtmp.js';
export { AFFINITY_MODES, type AffinityMode } from './tracer/placement.js';
export { buildUtsname } from './emulate/uname.js';
export { decodeSockaddr } from './tracer/sockaddr.js';
export { decodePath, encodePath } from './linux/pathtext.js';
export type { Sockaddr } from './tracer/sockaddr.js';

export type StdioOption = 'inherit' | 'pipe' | 'ignore' | { file: string };

/**
 * Names and arguments are bytes to the kernel. The strings of SpawnOptions (command, args,
 * cwd, a stdio file) are passed as the bytes `encodePath` gives: UTF-8, except that
 * U+DC80..U+DCFF stands for the single byte 0x80..0xFF (what `decodePath` makes of bytes
 * that are not UTF-8, and what audit events show), so any byte string can be given.
 */
export interface SpawnOptions {
  /** The program: a path, or a name searched in PATH (of `env`, else of this process). */
  command: string;
  args?: string[];
  cwd?: string;
  /** The environment (default: this process's). */
  env?: NodeJS.ProcessEnv;
  /** Like child_process: one value for all three fds, or one per fd. Default 'pipe'. */
  stdio?: StdioOption | [StdioOption, StdioOption, StdioOption];
  /** 'auto' (default): seccomp, falling back to ptrace where filters cannot be installed. */
  backend?: 'auto' | BackendName;
  /**
   * vmtags: use the policy's seccomp prefilter (default true). false: every call stops
   * once, at its entry (full tracing with the tags; for measuring them).
   */
  prefilter?: boolean;
  /**
   * Where the sandbox runs relative to the supervisor thread. 'auto' (default): on the
   * supervisor's CPU while it stops often (each stop is a round trip between the two, far
   * cheaper on one CPU), on all its CPUs otherwise; 'same': on the supervisor's CPU for the
   * whole run; 'off': wherever the scheduler puts it. See docs/performance.md.
   */
  affinity?: AffinityMode;
  policy: PolicySource;
  /** Append every audit event to this file, as JSON Lines. */
  log?: string;
  /** No human message on stderr per denial. */
  quiet?: boolean;
  /**
   * Without `quiet`: how many stderr lines each kind of denial (verdict, system call, rule)
   * gets before the rest are only counted, in one line at the end of the run (default 3;
   * Infinity: a line for every one). Kills always get their line; events are not limited.
   */
  denialLines?: number;
  /**
   * Audit mode: a deny or kill the supervisor decides is not carried out; the call runs and
   * the audit event (verdict as decided, `audit: true`, the call's result) is emitted. Only
   * the supervisor's decisions: give a policy whose blocking verdicts go to the supervisor
   * (`policyFromIR(auditPolicy(ir))` from @sysvm/policy), else the kernel prefilter still
   * denies alone. The runtime's safety rules (ptrace, clone3, io_uring, ...) stay enforced.
   */
  audit?: boolean;
  /**
   * Signals of this process to forward to the sandboxed main process while it runs
   * (the CLI forwards SIGINT, SIGTERM, SIGHUP). Handlers are removed when the run ends.
   */
  forwardSignals?: NodeJS.Signals[];
  /**
   * Start the sandbox in a process group of its own: `kill 0` (or a signal to the group)
   * from inside then reaches only the sandbox, not the caller. Off by default, because a
   * terminal's job control (Ctrl-C, Ctrl-Z) reaches only the foreground group.
   */
  newProcessGroup?: boolean;
  /** A tracer thread started earlier with `startTracer()` (it is used once). */
  tracer?: TracerThread;
}

export interface ExitResult extends ExitStatus {
  stats: Stats;
  /** The backend that ran (after 'auto' was resolved). */
  backend: BackendName;
}

export interface RunResult extends ExitResult {
  stdout?: string;
  stderr?: string;
}

/** A failure of the sandbox itself (not of the program): bad options, launch failure. */
export class SandboxError extends Error {
  constructor(readonly code: string, message: string) {
    super(message);
    this.name = 'SandboxError';
  }
}

/** The compiled policy a spawn was given by policyFromIR, if it was. */
function policyIR(p: PolicySource): PolicyIR | undefined {
  if (!('module' in p)) return undefined;
  const ir = (p.options as Partial<IrPolicyOptions> | undefined)?.ir;
  return ir !== undefined && typeof ir === 'object' ? ir : undefined;
}

/** This package's dist/: beside this module, or ../dist/ when it runs from its TypeScript source (tests). */
const DIST = ((here) => path.join(path.dirname(here), here.endsWith('.ts') ? '../dist' : '.'))(fileURLToPath(import.meta.url));

/**
 * dist/bundle.cjs (CommonJS, for the executable: bundle.cts), loaded when first needed, so
 * that a missing build is the ENOWORKER below, not a failure to import this module.
 */
function bundleCjs(): typeof import('./bundle.cjs') | undefined {
  try {
    return createRequire(import.meta.url)(path.join(DIST, 'bundle.cjs')) as typeof import('./bundle.cjs');
  } catch {
    return undefined;
  }
}

/**
 * The start-up bundles (tools/bundle.mjs; docs/cli.md, "The bundles"): the tracer thread's,
 * and the files given (the CLI's), each with whether it would run now and whether it is
 * checked as an installed package (by content) or in the workspace (by size and mtime).
 */
export function startupBundles(...files: string[]): { file: string; fresh: boolean; installed: boolean }[] {
  const b = bundleCjs();
  return [path.join(DIST, 'worker.bundle.cjs'), ...files].map((file) => b?.bundleState(file) ?? { file, fresh: false, installed: false });
}

/** The tracer thread's script (bundle.cts, workerScript), or a clear error when the package is not built. */
function workerUrl(): URL {
  const file = bundleCjs()?.workerScript();
  if (file === undefined) {
    throw new SandboxError('ENOWORKER', `${path.join(DIST, 'worker.js')} is missing: build @sysvm/runtime first (tsc -b)`);
  }
  return pathToFileURL(file);
}

/**
 * A tracer thread started ahead of `spawn`, so that its start (a Node thread, koffi and the
 * tracer's modules: a good part of a short run's time) overlaps the caller's own work: `sysvm
 * run` loads the policy meanwhile. It waits, doing nothing, for the one `spawn` given it as
 * `opts.tracer`; `close()` it when no spawn comes. It does not keep the process alive while
 * it waits.
 */
export class TracerThread {
  private worker: Worker | undefined;
  private dead = false;

  constructor() {
    // The thread the executable started before loading the CLI (bundle.ts), if any.
    const early = bundleCjs()?.takeEarlyTracer();
    const w = early?.worker ?? new Worker(workerUrl(), { workerData: { deferred: true } satisfies DeferredInit });
    w.unref();
    if (early?.dead === true) this.dead = true;
    // Until a spawn takes it, a failure is only remembered: that spawn starts a new thread
    // instead, which reports the same failure the usual way.
    const died = (): void => { this.dead = true; };
    w.on('error', died);
    w.on('exit', died);
    this.worker = w;
  }

  /** For `spawn`: the thread, waiting for its WorkerInit, or undefined if it died or was used. */
  take(): Worker | undefined {
    const w = this.worker;
    this.worker = undefined;
    if (!w) return undefined;
    w.removeAllListeners();
    if (this.dead) {
      void w.terminate();
      return undefined;
    }
    w.ref();
    return w;
  }

  /**
   * End the thread if no spawn took it: it ends by itself once loaded, and keeps the process
   * alive until then (bundle.cts, endUnused: terminating it while it loads can abort the process).
   */
  close(): void {
    const w = this.worker;
    this.worker = undefined;
    if (!w || this.dead) return;
    const end = bundleCjs()?.endUnused;
    if (end) end(w);
    else void w.terminate();
  }
}

/** Start a tracer thread now, for a `spawn` to come (see TracerThread). */
export function startTracer(): TracerThread {
  return new TracerThread();
}

/** Find the program like execvp(3) would, as the supervisor sees the file system: the first candidate. */
export function resolveCommand(command: string, cwd: string, envPath: string | undefined): string {
  return commandCandidates(command, cwd, envPath)[0]!;
}

/**
 * Every executable file `command` names along PATH (one for a name with a slash), in PATH's
 * order, as the supervisor sees them; throws ENOENT when there is none. The stub tries them
 * in that order *inside* the sandbox (tracer/launch.ts): a policy that refuses the first
 * (builtin:default and a ~/.pyenv/shims or ~/.cargo/bin early in PATH) gets the next, as
 * execvp(3) in the sandbox, or bubblewrap, would run it.
 */
export function commandCandidates(command: string, cwd: string, envPath: string | undefined): string[] {
  const isExec = (f: string): boolean => {
    try {
      // by the name's bytes (a name that is not UTF-8 is given as linux/pathtext.ts writes it)
      const name = encodePath(f);
      accessSync(name, fsConstants.X_OK);
      return statSync(name).isFile();
    } catch {
      return false;
    }
  };
  if (command.includes('/')) {
    const f = path.resolve(cwd, command);
    if (!isExec(f)) throw new SandboxError('ENOENT', `${command}: no such executable file`);
    return [f];
  }
  // One candidate per file reached: /usr/bin/find and /bin/find (a merged /usr) are the same
  // path once resolved, so the same verdict; the second is never a candidate of its own.
  const found: string[] = [];
  const reached = new Set<string>();
  for (const dir of (envPath ?? '/usr/local/bin:/usr/bin:/bin').split(':')) {
    const f = path.resolve(cwd, dir === '' ? '.' : dir, command);
    if (!isExec(f)) continue;
    let real: string;
    try {
      real = realpathSync(encodePath(f), { encoding: 'buffer' }).toString('latin1');
    } catch {
      continue;
    }
    if (reached.has(real)) continue;
    reached.add(real);
    found.push(f);
  }
  if (found.length === 0) throw new SandboxError('ENOENT', `${command}: command not found in PATH`);
  return found;
}

function makePipe(): [number, number] {
  const fds = new Int32Array(2);
  if (pipe2(fds, O_CLOEXEC) !== 0) throw new SandboxError('EPIPE', `pipe2: ${strerror(errno())}`);
  return [fds[0]!, fds[1]!];
}

function serializePolicy(p: PolicySource): WorkerInit['policy'] {
  if ('module' in p) {
    const m = p as ModulePolicy;
    const spec = m.module instanceof URL ? m.module.href : m.module;
    const out: WorkerInit['policy'] = { kind: 'module', module: spec };
    if (m.exportName !== undefined) out.exportName = m.exportName;
    if (m.options !== undefined) out.options = m.options;
    return out;
  }
  const i = p as InlinePolicy;
  if (typeof i.decide !== 'function') throw new SandboxError('EPOLICY', 'policy: give `decide` (inline) or `module`');
  const out: WorkerInit['policy'] = { kind: 'inline', filter: i.filter, decide: i.decide.toString() };
  if (i.allowPtrace !== undefined) out.allowPtrace = i.allowPtrace;
  if (i.allowIoUring !== undefined) out.allowIoUring = i.allowIoUring;
  if (i.vm !== undefined) out.vm = i.vm;
  if (i.data !== undefined) out.data = i.data;
  return out;
}

/**
 * A sandboxed process. Events: 'spawn' (pid, backend), 'decision' (AuditEvent: every
 * audited decision), 'denied' (AuditEvent: denials and kills), 'exit' (ExitResult),
 * 'close' (ExitResult, once the read output streams have ended too), 'error' (SandboxError).
 */
export class SandboxProcess extends EventEmitter {
  pid: number | undefined;
  backend: BackendName | undefined;
  readonly stdin: Writable | null;
  readonly stdout: Readable | null;
  readonly stderr: Readable | null;
  /**
   * Resolves when the main process has exited and every other tracee is gone. Like
   * child_process's 'exit', piped output may still be arriving: see `closed`.
   */
  readonly exited: Promise<ExitResult>;
  /**
   * Resolves as `exited` does, once every piped output stream has ended too (child_process's
   * 'close'): the output is all there. A stream nothing ever consumed is not waited for (it
   * would never end); one paused by its reader is, until it is resumed and drained.
   */
  readonly closed: Promise<ExitResult>;
  /** [0]: stop requested (see TracerOptions.shared). */
  private readonly shared = new Int32Array(new SharedArrayBuffer(4));
  private childEnds: number[] = [];
  private done = false;

  constructor(opts: SpawnOptions) {
    super();
    const n = opts.denialLines;
    if (n !== undefined && n !== Infinity && !(Number.isInteger(n) && n >= 0)) {
      throw new SandboxError('EOPTION', `denialLines: ${String(n)} is not a count (an integer >= 0, or Infinity)`);
    }
    const cwd = path.resolve(opts.cwd ?? process.cwd());
    // Security: a compiled policy's `environment:` sections (@sysvm/policy, environment.ts)
    // decide what the program gets of the caller's environment, here, for every spawn; a
    // dropped variable (a credential) never reaches the launcher or the program.
    const ir = policyIR(opts.policy);
    const env = ir === undefined ? opts.env ?? process.env : programEnvironment(ir, opts.env ?? process.env);
    const [file, ...alternatives] = commandCandidates(opts.command, cwd, env.PATH);
    const stdioOpt = opts.stdio ?? 'pipe';
    const stdio = typeof stdioOpt === 'string' || !Array.isArray(stdioOpt)
      ? [stdioOpt, stdioOpt, stdioOpt] as const : stdioOpt;
    const targets: StdioTarget[] = [];
    const streams: (net.Socket | null)[] = [];
    stdio.forEach((s, fd) => {
      if (s === 'pipe') {
        const [r, w] = makePipe();
        const [mine, theirs] = fd === 0 ? [w, r] : [r, w];
        this.childEnds.push(theirs);
        targets.push({ kind: 'fd', fd: theirs });
        streams.push(new net.Socket({ fd: mine, readable: fd !== 0, writable: fd === 0 }));
      } else {
        streams.push(null);
        if (s === 'inherit') targets.push({ kind: 'inherit' });
        else if (s === 'ignore') targets.push({ kind: 'ignore' });
        else targets.push({ kind: 'file', path: path.resolve(cwd, s.file) });
      }
    });
    this.stdin = streams[0] ?? null;
    this.stdout = streams[1] ?? null;
    this.stderr = streams[2] ?? null;

    const spec: LaunchSpec = {
      file: file!, args: opts.args ?? [], cwd,
      env: Object.entries(env).filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${v}`),
      stdio: targets as [StdioTarget, StdioTarget, StdioTarget],
    };
    if (opts.newProcessGroup === true) spec.newProcessGroup = true;
    if (alternatives.length > 0) spec.alternatives = alternatives;
    const init: WorkerInit = {
      spec, backend: opts.backend ?? 'auto', policy: serializePolicy(opts.policy), quiet: opts.quiet === true,
      shared: this.shared,
    };
    if (opts.audit === true) init.audit = true;
    if (opts.denialLines !== undefined) init.denialLines = opts.denialLines;
    if (opts.log !== undefined) init.log = path.resolve(opts.log);
    if (opts.prefilter !== undefined) init.prefilter = opts.prefilter;
    if (opts.affinity !== undefined) init.affinity = opts.affinity;

    let worker: Worker;
    try {
      const early = opts.tracer?.take();
      if (early) {
        worker = early;
        worker.postMessage(init);
      } else {
        worker = new Worker(workerUrl(), { workerData: init });
      }
    } catch (e) {
      this.closeChildEnds();
      throw e;
    }
    this.exited = new Promise<ExitResult>((resolve, reject) => {
      const fail = (err: SandboxError): void => {
        if (this.done) return;
        this.done = true;
        this.closeChildEnds();
        for (const s of streams) s?.destroy();
        if (this.listenerCount('error') > 0) this.emit('error', err);
        reject(err);
      };
      worker.on('message', (m: WorkerMessage) => {
        switch (m.type) {
          case 'spawned':
            this.pid = m.pid;
            this.backend = m.backend;
            this.closeChildEnds();
            this.emit('spawn', m.pid, m.backend);
            break;
          case 'audit':
            this.emit('decision', m.event);
            if (m.event.verdict === 'deny' || m.event.verdict === 'kill') this.emit('denied', m.event);
            break;
          case 'exit': {
            this.done = true;
            this.closeChildEnds();
            const r: ExitResult = { ...m.status, stats: m.stats, backend: m.backend };
            this.emit('exit', r);
            resolve(r);
            break;
          }
          case 'error':
            fail(new SandboxError(m.code, m.message));
            break;
        }
      });
      worker.on('error', (e) => fail(new SandboxError('EINTERNAL', `tracer thread failed: ${e.message}`)));
      worker.on('exit', () => fail(new SandboxError('EINTERNAL', 'tracer thread ended without a result')));
    });
    const forward = opts.forwardSignals ?? [];
    if (forward.length > 0) {
      const handler = (sig: NodeJS.Signals): void => { this.kill(sig); };
      for (const sig of forward) process.on(sig, handler);
      const off = (): void => { for (const sig of forward) process.off(sig, handler); };
      this.exited.then(off, off);
    }
    // No tracee is left when `exited` resolves, and our copies of the child's ends are closed
    // by then: a read stream reaches its end as soon as it is drained.
    this.closed = this.exited.then(async (r) => {
      await Promise.all([streams[1], streams[2]].map((s) => (s === null || s === undefined ? undefined : drained(s))));
      this.emit('close', r);
      return r;
    });
    // Awaiting `exited` or `closed` still sees a rejection; an app that only listens to events
    // does not get an unhandled-rejection warning.
    this.exited.catch(() => undefined);
    this.closed.catch(() => undefined);
  }

  private closeChildEnds(): void {
    for (const fd of this.childEnds) close(fd);
    this.childEnds = [];
  }

  /**
   * Send `signal` to the main process; SIGKILL (the default) stops the whole run: every
   * tracee is killed, and so is any process created after.
   */
  kill(signal: NodeJS.Signals | number = 'SIGKILL'): boolean {
    if (this.done) return false;
    if (signal === 'SIGKILL' || signal === 9) {
      // Only the main process is killed from here: the tracer thread, woken by its death,
      // kills the others (it alone knows which tids are live, so no stale pid is hit).
      // Before the main process exists, the flag makes the tracer kill it at once.
      Atomics.store(this.shared, 0, 1);
      if (this.pid !== undefined) {
        try {
          process.kill(this.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      return true;
    }
    if (this.pid === undefined) return false;
    try {
      process.kill(this.pid, signal);
      return true;
    } catch {
      return false;
    }
  }
}

export function spawn(opts: SpawnOptions): SandboxProcess {
  return new SandboxProcess(opts);
}

/** The status a shell gives a process: its exit code, or 128 + the signal that killed it. */
export function shellExitCode(s: ExitStatus): number {
  return s.code ?? 128 + (s.signalNumber ?? 0);
}

/**
 * Resolves when a readable stream is done; at once if nothing ever consumed it (no 'data' or
 * 'readable' listener, no pipe, no iterator: readableFlowing null), as it would never end.
 */
function drained(s: Readable): Promise<void> {
  if (s.readableEnded || s.destroyed || s.readableFlowing === null) return Promise.resolve();
  return new Promise((resolve) => {
    s.once('end', resolve);
    s.once('close', resolve);
    s.once('error', () => resolve());
  });
}

function collect(s: Readable | null): Promise<string | undefined> {
  if (s === null) return Promise.resolve(undefined);
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    s.on('data', (c: Buffer) => chunks.push(c));
    s.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    s.on('close', () => resolve(Buffer.concat(chunks).toString('utf8')));
    s.on('error', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
}

/** Run to the end; stdout and stderr are collected when piped (the default). stdin is ignored by default. */
export async function run(opts: SpawnOptions): Promise<RunResult> {
  const p = spawn({ ...opts, stdio: opts.stdio ?? ['ignore', 'pipe', 'pipe'] });
  const [r, stdout, stderr] = await Promise.all([p.exited, collect(p.stdout), collect(p.stderr)]);
  const out: RunResult = { ...r };
  if (stdout !== undefined) out.stdout = stdout;
  if (stderr !== undefined) out.stderr = stderr;
  return out;
}
export { createSupervisorPolicy, judgedPolicy, policyFromIR, type IrPolicyOptions } from './policy-module.js';
export { probeMachine, probePtrace, landlockAbi, AUTO_BACKEND, type Check, type PtraceProbe } from './doctor.js';
