// Whether a bundle made by tools/bundle.mjs may run, and running one. A bundle is a copy
// of dist/'s modules (and of yaml's and zod's) in one file, for start-up; its manifest,
// FILE.inputs.json, holds the size, mtime and SHA-256 of every file it was made from (`inputs`)
// and of what tools/bundle.mjs wrote (`outputs`: the bundle, and V8's code cache of it where
// there is one). A bundle is used only while every one of them is unchanged (see Mode below):
// after an edit and a `tsc -b` (which rewrites the edited modules) the loaders run dist/'s
// modules again, so an old bundle never runs in place of newer code. Kept to node:fs, node:vm
// and node:module (node:crypto only for an installed bundle), so that checking costs a read of
// the manifest and, in the workspace, one stat per input (a few ms for the CLI's ≈ 275 inputs,
// at the start of a thread).
//
// Also here, for the same reason (the executable loads this module before anything else):
// where the tracer thread's script is, and starting that thread before the CLI is loaded.
//
// CommonJS (dist/bundle.cjs), as are the executable (cli/src/sysvm.cts) and the tracer
// thread's entry (worker-boot.cts): a thread that loads only CommonJS never starts Node's ES
// module loader, ≈ 15 ms of a thread's start here (docs/performance.md, "Start-up"). The
// runtime's ES modules load it with require (index.ts).
import { closeSync, existsSync, fstatSync, openSync, readFileSync, statSync, type Stats } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import vm from 'node:vm';
import { Worker } from 'node:worker_threads';

type Entry = [rel: string, size: number, mtimeMs: number, sha256?: string];

const isEntry = (e: unknown): e is Entry =>
  Array.isArray(e) && typeof e[0] === 'string' && typeof e[1] === 'number' && typeof e[2] === 'number' &&
  (e[3] === undefined || typeof e[3] === 'string');

/**
 * How a bundle's files are checked. `workspace` (where it was made): each file has the size
 * and mtime the manifest recorded, one stat each. `installed` (the bundle lies in a
 * node_modules directory: a package from a registry or a tarball, whose files have the mtimes
 * of the archive or of the install): each file of this workspace's packages has the recorded
 * size and SHA-256 (≈ 2 MB read and hashed at a thread's start, ≈ 10 ms: still a small part of
 * what the bundle saves); third-party files the bundle inlined (yaml, zod) are not looked for,
 * since the bundle carries its own copy and an installed tree has them elsewhere or not at all.
 * Either way an input or output that differs makes the bundle stale.
 */
type Mode = 'workspace' | 'installed';

const modeOf = (file: string): Mode => (file.includes(`${path.sep}node_modules${path.sep}`) ? 'installed' : 'workspace');

let crypto: typeof import('node:crypto') | undefined;
/** SHA-256 in base64, as tools/bundle.mjs writes it; node:crypto is loaded only where a bundle is installed. */
const sha256 = (data: Buffer): string => {
  crypto ??= createRequire(__filename)('node:crypto') as typeof import('node:crypto');
  return crypto.createHash('sha256').update(data).digest('base64');
};

/** The workspace check: the size and mtime `e` recorded. */
const matches = (s: Stats | undefined, e: Entry): boolean => s !== undefined && s.size === e[1] && s.mtimeMs === e[2];

/** The installed check: the size and SHA-256 `e` recorded. */
const sameContent = (data: Buffer, e: Entry): boolean => e[3] !== undefined && data.length === e[1] && sha256(data) === e[3];

/** Is the file at `abs` the one `e` describes, in `mode`? */
function unchanged(abs: string, e: Entry, mode: Mode): boolean {
  if (mode === 'workspace') return matches(statSync(abs, { throwIfNoEntry: false }), e);
  let data: Buffer;
  try {
    data = readFileSync(abs);
  } catch {
    return false;
  }
  return sameContent(data, e);
}

/**
 * path.resolve(dir, rel) for `dir` absolute and normalized (path.dirname of an absolute path):
 * the same string, by a shorter way for the paths tools/bundle.mjs writes (some `../`, then
 * names), since a few hundred path.resolve calls cost a cold thread ≈ 5 ms; any other `rel`
 * goes to path.resolve.
 */
export function resolveIn(dir: string, rel: string): string {
  let d = dir;
  let r = rel;
  while (r.startsWith('../')) {
    d = d.slice(0, d.lastIndexOf('/'));
    r = r.slice(3);
  }
  if (r === '' || r.startsWith('/') || r.endsWith('/') || r.includes('//') || /(^|\/)\.\.?(\/|$)/.test(r)) return path.resolve(dir, rel);
  return d === '/' ? `/${r}` : `${d}/${r}`;
}

/**
 * The manifest of `file`, if every input it names is unchanged; else undefined. `ascii`: the
 * bundle is ASCII (tools/bundle.mjs checked it), so that reading it as Latin-1, faster, gives
 * the text UTF-8 would.
 */
function freshManifest(file: string): { outputs: Map<string, Entry>; ascii: boolean; mode: Mode } | undefined {
  let m: { inputs?: unknown; outputs?: unknown; ascii?: unknown };
  try {
    m = JSON.parse(readFileSync(`${file}.inputs.json`, 'utf8')) as typeof m;
  } catch {
    return undefined;
  }
  const { inputs, outputs } = m;
  if (!Array.isArray(inputs) || inputs.length === 0 || !Array.isArray(outputs)) return undefined;
  const dir = path.dirname(file);
  const mode = modeOf(file);
  for (const e of inputs as unknown[]) {
    if (!isEntry(e)) return undefined;
    if (mode === 'installed' && e[0].includes('node_modules/')) continue;
    if (!unchanged(resolveIn(dir, e[0]), e, mode)) return undefined;
  }
  const out = new Map<string, Entry>();
  for (const e of outputs as unknown[]) {
    if (!isEntry(e)) return undefined;
    out.set(resolveIn(dir, e[0]), e);
  }
  return { outputs: out, ascii: m.ascii === true, mode };
}

/**
 * `file` (an absolute path), if it is a bundle whose inputs, itself and what was written with
 * it (its code cache) are as its manifest says: one that runBundle would run.
 */
export function freshBundle(file: string): string | undefined {
  const m = freshManifest(file);
  if (m === undefined || !m.outputs.has(file)) return undefined;
  for (const [abs, e] of m.outputs) if (!unchanged(abs, e, m.mode)) return undefined;
  return file;
}

/** For `sysvm doctor`: would the bundle `file` run, and how it was checked. */
export function bundleState(file: string): { file: string; fresh: boolean; installed: boolean } {
  return { file, fresh: freshBundle(file) !== undefined, installed: modeOf(file) === 'installed' };
}

/**
 * The content of `file` if the file read is the one `e` describes. Read through one open
 * file, so that a bundle renamed into place meanwhile (tools/bundle.mjs) is never taken for
 * the one the manifest vouched for.
 */
function readVouched(file: string, e: Entry | undefined, mode: Mode): Buffer | undefined {
  if (e === undefined) return undefined;
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return undefined;
  }
  try {
    if (mode === 'workspace' && !matches(fstatSync(fd), e)) return undefined;
    const data = readFileSync(fd);
    if (mode === 'installed' && !sameContent(data, e)) return undefined;
    return data;
  } finally {
    closeSync(fd);
  }
}

/**
 * Run the CommonJS bundle `file` (tools/bundle.mjs) and return its exports, or undefined when
 * it is stale or missing (the caller then loads dist/'s modules). V8 compiles it from its
 * code cache, FILE.v8cache, which tools/bundle.mjs made with this bundle: the manifest vouches
 * for the two together. (V8 checks a cache against a source's length only: a cache of another
 * bundle must never be given, and is not, since both files must be the ones the manifest
 * describes.) A cache that V8 rejects (another Node) costs only the compile it would have saved.
 */
export function runBundle(file: string): Record<string, unknown> | undefined {
  const m = freshManifest(file);
  if (m === undefined) return undefined;
  const source = readVouched(file, m.outputs.get(file), m.mode);
  if (source === undefined) return undefined;
  const cache = `${file}.v8cache`;
  const cachedData = m.outputs.has(cache) ? readVouched(cache, m.outputs.get(cache), m.mode) : undefined;
  if (m.outputs.has(cache) && cachedData === undefined) return undefined;
  const script = compileBundle(file, source.toString(m.ascii ? 'latin1' : 'utf8'), cachedData);
  const module = { exports: {} as Record<string, unknown> };
  (script.runInThisContext() as (...a: unknown[]) => void)
    .call(module.exports, module.exports, createRequire(file), module, file, path.dirname(file));
  return module.exports;
}

/**
 * The bundle as a script: Node's CommonJS wrapper, strict as the ES modules it was made from,
 * on the first line so that line numbers are the file's.
 */
export function compileBundle(file: string, source: string, cachedData?: Buffer): vm.Script {
  return new vm.Script(`(function (exports, require, module, __filename, __dirname) { 'use strict'; ${source}\n})`, {
    filename: file,
    ...(cachedData !== undefined ? { cachedData } : {}),
  });
}

/**
 * import() for code in a bundle (the tracer thread's, of a policy module by URL): a script
 * run through node:vm has none of its own, and on Node 20 `importModuleDynamically` does not
 * survive a code cache (the constant USE_MAIN_CONTEXT_DEFAULT_LOADER then throws "A dynamic
 * import callback was not specified") or needs --experimental-vm-modules (a function). This
 * module is loaded by Node's own loader, whose import() works.
 */
export function importModule(specifier: string): Promise<unknown> {
  return import(specifier);
}

/** A file of this package's dist/ (this module only ever runs from there: dist/bundle.cjs). */
export function distFile(name: string): string {
  return path.join(__dirname, name);
}

/**
 * The tracer thread's script: dist/worker-boot.cjs, which runs dist/worker.bundle.cjs (the
 * same modules in one file, for start-up: tools/bundle.mjs) while it is as new as what it
 * was made from and SYSVM_BUNDLE is not 0, else dist/worker.js; the thread decides (it has
 * the time: the main thread has more to do before the spawn). Undefined when dist/worker.js
 * is missing (not built).
 */
export function workerScript(): string | undefined {
  return existsSync(distFile('worker.js')) ? distFile('worker-boot.cjs') : undefined;
}

/** A tracer thread started by startTracerEarly, until a TracerThread adopts it. */
export interface EarlyTracer {
  worker: Worker;
  /** It failed or ended before being adopted. */
  dead: boolean;
}

/** Shared through the global object, so that every copy of this module sees it (require gives each thread one; a test runner may load others). */
const EARLY = Symbol.for('sysvm.runtime.early-tracer');
type WithEarly = typeof globalThis & { [EARLY]?: EarlyTracer };

/**
 * Start the tracer thread now, before the CLI's code is even loaded (`sysvm run`: the
 * thread's start, ≈ 0.1 s here, is the longest part of a short run's start-up, and it
 * overlaps all of the main thread's work this way). The next TracerThread (startTracer in
 * the runtime) adopts it; if none does, it does not keep the process alive.
 */
export function startTracerEarly(): void {
  const file = workerScript();
  if (file === undefined || (globalThis as WithEarly)[EARLY] !== undefined) return;
  // The same workerData as TracerThread's (worker.ts, DeferredInit): it waits for its WorkerInit.
  const worker = new Worker(file, { workerData: { deferred: true } });
  worker.unref();
  const early: EarlyTracer = { worker, dead: false };
  const died = (): void => { early.dead = true; };
  worker.on('error', died);
  worker.on('exit', died);
  (globalThis as WithEarly)[EARLY] = early;
}

/**
 * End a tracer thread that was started ahead and that no spawn took: tell it that none comes
 * (worker.ts: a null WorkerInit), and keep the process alive until it has ended by itself,
 * once it has loaded.
 *
 * Precondition: such a thread is never stopped by worker.terminate(), nor left running while
 * the process exits (which terminates it): stopped while koffi's native module initialises,
 * the thread aborts the whole process ("FATAL ERROR: Error::ThrowAsJavaScriptException
 * napi_throw", SIGABRT, instead of the exit status; seen in about 1 of 12 `sysvm run`s whose
 * policy failed to load).
 */
export function endUnused(worker: Worker): void {
  worker.on('error', () => undefined); // (how it ends is of no interest now)
  worker.ref();
  worker.postMessage(null);
}

/** End the thread startTracerEarly started if nothing took it (endUnused). */
export function endEarlyTracer(): void {
  const early = takeEarlyTracer();
  if (early !== undefined && !early.dead) endUnused(early.worker);
}

/** The thread startTracerEarly started, once (its listeners removed), or undefined. */
export function takeEarlyTracer(): EarlyTracer | undefined {
  const g = globalThis as WithEarly;
  const early = g[EARLY];
  if (early === undefined) return undefined;
  delete g[EARLY];
  early.worker.removeAllListeners();
  return early;
}
