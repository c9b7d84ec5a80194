// A cache of compiled policies for `sysvm run`, so that a run under a policy it has seen
// before loads neither the policy front end (yaml, zod, the loader: about half of sysvm's
// start-up, docs/performance.md) nor compiles the policy again.
//
// Security invariant: a cached IR (and the prefilter compiled from it, kept with it) is used
// only when it is the IR that loading the policy now would give. Loading is a function of (1) the text of every file it reads: the policy, what
// it extends, the built-in policies; (2) the context values it reads: ${cwd}, ${home}, ${tmp},
// ${tty} (the terminals: an entry made in one terminal must not name it in another) and each
// ${env.NAME}; (3) how the policy's name is resolved (the current directory, for a
// relative path); (4) the loader's code (sysvm's version, the @sysvm/policy build, yaml and
// zod). An entry is found by a hash of (3), (4) and the name given; it holds the hash of
// every file's text and every context value read, and it is used only if every one of them
// is the same now: files are compared by content (SHA-256), never by mtime or size, so an
// edit that keeps the mtime cannot bring back the old policy. A context the loader could not
// watch (it listed the environment instead of reading names) is never cached. The loader's
// code is identified by its files' size and mtime: that is about rebuilds and upgrades of
// sysvm itself, not about what a policy says.
//
// Trust, and why the cache is off unless SYSVM_POLICY_CACHE=1: whoever can write in the directory
// chooses the policy of the next run, as whoever can write a policy file does. A sandboxed
// program can write there whenever its policy lets it write in the user's ~/.cache (a policy
// that grants a build tool its cache directory does), or when it runs under builtin:default
// from the home directory (the current directory is writable): it would then pick the policy
// of every later run, a stricter one included, and nothing the cache could check (content
// hashes, checksums, ownership, ctime) tells such an entry from one sysvm wrote, since both
// are written by the same user. So the cache is for machines where no policy lets a program
// write there; SYSVM_POLICY_CACHE=1 turns it on (docs/cli.md). Entries are written 0600 in a 0700
// directory.
//
// Entries are checked before use: a file that is truncated, corrupt or from another format
// is a miss (and is replaced); a directory that cannot be written only means no cache.
import type { Hash } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join } from 'node:path';
import { deserialize, serialize } from 'node:v8';
import type { PolicyIR } from '@sysvm/policy/evaluate';
import { VERSION } from './version.js';

/** The context a policy is loaded in (the loader's PolicyContext, complete). */
export interface Context {
  cwd: string;
  home: string;
  tmp: string;
  tty: readonly string[];
  env: Readonly<Record<string, string | undefined>>;
}

/** What loading read, to be the same next time. */
interface Reads {
  cwd?: string;
  home?: string;
  tmp?: string;
  tty?: string[];
  env: Record<string, string | null>;
  /** The loader enumerated the environment: what it depends on is unknown. */
  unknown: boolean;
}

interface Entry {
  /** Each file the loader read, by the name the loader gave it, and the SHA-256 of its text. */
  inputs: Array<[string, string]>;
  reads: Omit<Reads, 'unknown'>;
  ir: PolicyIR;
  /** The seccomp-BPF prefilter compiled from `ir` (struct sock_filter[]). */
  filter: Uint8Array;
}

/** A compiled policy: its IR and the prefilter compiled from it. */
export interface Compiled {
  ir: PolicyIR;
  filter: Uint8Array;
}

const MAGIC = Buffer.from('sysvm-policy-cache 1\n');

/**
 * node:crypto's createHash, loaded when first used: every `sysvm run` loads this module, and
 * the cache is off by default (loading node:crypto costs ≈ 3 ms of the start-up).
 */
let crypto: typeof import('node:crypto') | undefined;
const createHash = (algorithm: string): Hash =>
  (crypto ??= createRequire(import.meta.url)('node:crypto') as typeof import('node:crypto')).createHash(algorithm);

const sha256 = (data: string | Buffer): string => createHash('sha256').update(data).digest('hex');

/**
 * The cache directory: $XDG_CACHE_HOME/sysvm/policies, or ~/.cache/sysvm/policies; undefined
 * when off, which it is unless SYSVM_POLICY_CACHE=1 (see "Trust" above).
 */
export function cacheDir(env: Readonly<Record<string, string | undefined>> = process.env): string | undefined {
  if (env.SYSVM_POLICY_CACHE === undefined || env.SYSVM_POLICY_CACHE === '' || env.SYSVM_POLICY_CACHE === '0') return undefined;
  const xdg = env.XDG_CACHE_HOME;
  // The XDG spec: a relative path is invalid and must be ignored.
  const base = xdg && isAbsolute(xdg) ? xdg : join(homedir(), '.cache');
  return join(base, 'sysvm', 'policies');
}

let codeId: string | undefined;

/**
 * The identity of the code that turns policy files into IR: sysvm's version, Node's (v8's
 * serialisation format), and the size and mtime of every file of @sysvm/policy's build and of
 * the yaml and zod packages' manifests.
 */
function loaderCodeId(): string {
  if (codeId !== undefined) return codeId;
  const parts: string[] = [VERSION, process.version, process.arch];
  const policyDist = dirname(createRequire(import.meta.url).resolve('@sysvm/policy'));
  const stamp = (file: string): void => {
    try {
      const s = statSync(file, { bigint: true });
      parts.push(`${file}\0${s.size}\0${s.mtimeNs}`);
    } catch {
      parts.push(`${file}\0-`);
    }
  };
  // (readdirSync's `recursive` costs twice this walk)
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (e.isDirectory()) walk(join(dir, e.name));
      else if (e.name.endsWith('.js')) stamp(join(dir, e.name));
    }
  };
  walk(policyDist);
  // yaml and zod as Node resolves them from @sysvm/policy: the nearest node_modules up.
  for (const dep of ['yaml', 'zod']) {
    for (let dir = dirname(policyDist); ; dir = dirname(dir)) {
      const manifest = join(dir, 'node_modules', dep, 'package.json');
      try {
        parts.push(`${dep}\0${readFileSync(manifest, 'utf8')}`);
        break;
      } catch {
        if (dirname(dir) === dir) { parts.push(`${dep}\0-`); break; }
      }
    }
  }
  codeId = sha256(parts.join('\n'));
  return codeId;
}

/** The entry's file for the policy named `source`. */
function entryPath(dir: string, source: string): string {
  return join(dir, `${sha256(JSON.stringify([loaderCodeId(), process.cwd(), source]))}.bin`);
}

/** The current text of a file the loader read (builtin:NAME or a path), or undefined. */
type ReadInput = (name: string) => string | undefined;

/** The cached policy `source` in `context`, or undefined (a miss, for whatever reason). */
export function lookup(source: string, context: Context, readInput: ReadInput, dir = cacheDir()): Compiled | undefined {
  if (!dir) return undefined;
  let entry: Entry;
  try {
    const data = readFileSync(entryPath(dir, source));
    const head = MAGIC.length;
    if (data.length < head + 32 || !data.subarray(0, head).equals(MAGIC)) return undefined;
    const digest = data.subarray(head, head + 32);
    const payload = data.subarray(head + 32);
    if (!createHash('sha256').update(payload).digest().equals(digest)) return undefined;
    entry = deserialize(payload) as Entry;
  } catch {
    return undefined;
  }
  if (!entry || !Array.isArray(entry.inputs) || !entry.reads || !entry.ir || !(entry.filter instanceof Uint8Array)) return undefined;
  const r = entry.reads;
  if ((r.cwd !== undefined && r.cwd !== context.cwd) || (r.home !== undefined && r.home !== context.home)
    || (r.tmp !== undefined && r.tmp !== context.tmp)
    || (r.tty !== undefined && (!Array.isArray(r.tty) || r.tty.join('\0') !== context.tty.join('\0')))) return undefined;
  for (const [name, value] of Object.entries(r.env)) {
    if ((context.env[name] ?? null) !== value) return undefined;
  }
  for (const [name, hash] of entry.inputs) {
    const text = readInput(name);
    if (text === undefined || sha256(text) !== hash) return undefined;
  }
  return { ir: entry.ir, filter: entry.filter };
}

/**
 * A context that records what the loader reads of it. The loader reads ${cwd}, ${home},
 * ${tmp}, ${tty} and env[NAME] only when a policy uses them; anything else done to the environment
 * (listing it) marks the reads unknown, and such a load is not cached.
 */
export function recordingContext(context: Context): { context: Context; reads: Reads } {
  const reads: Reads = { env: {}, unknown: false };
  const env = new Proxy(context.env, {
    get(target, key) {
      const v = Reflect.get(target, key) as string | undefined;
      if (typeof key === 'string') reads.env[key] = v ?? null;
      else reads.unknown = true;
      return v;
    },
    has(target, key) {
      reads.unknown = true;
      return Reflect.has(target, key);
    },
    ownKeys(target) {
      reads.unknown = true;
      return Reflect.ownKeys(target);
    },
    getOwnPropertyDescriptor(target, key) {
      reads.unknown = true;
      return Reflect.getOwnPropertyDescriptor(target, key);
    },
  });
  const recorded: Context = {
    get cwd() { reads.cwd = context.cwd; return context.cwd; },
    get home() { reads.home = context.home; return context.home; },
    get tmp() { reads.tmp = context.tmp; return context.tmp; },
    get tty() { reads.tty = [...context.tty]; return context.tty; },
    env,
  };
  return { context: recorded, reads };
}

/**
 * Store the policy loaded from `sources` (every file the loader read, by its name, with the
 * text it read). Never throws: a cache that cannot be written is no cache.
 */
export function store(source: string, sources: ReadonlyMap<string, string>, reads: Reads, { ir, filter }: Compiled,
  dir = cacheDir()): boolean {
  if (!dir || reads.unknown) return false;
  const entry: Entry = {
    inputs: [...sources].map(([name, text]) => [name, sha256(text)]),
    reads: { env: reads.env, ...(reads.cwd !== undefined ? { cwd: reads.cwd } : {}),
      ...(reads.home !== undefined ? { home: reads.home } : {}), ...(reads.tmp !== undefined ? { tmp: reads.tmp } : {}),
      ...(reads.tty !== undefined ? { tty: reads.tty } : {}) },
    ir,
    filter,
  };
  let tmp: string | undefined;
  try {
    const payload = serialize(entry);
    const file = entryPath(dir, source);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    // Atomic: a reader sees the old entry or the new one, never half of one.
    tmp = `${file}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    writeFileSync(tmp, Buffer.concat([MAGIC, createHash('sha256').update(payload).digest(), payload]), { mode: 0o600, flag: 'wx' });
    renameSync(tmp, file);
    return true;
  } catch {
    if (tmp) rmSync(tmp, { force: true });
    return false;
  }
}

/**
 * The policy `source` for `sysvm run`, compiled: from the cache when it holds this policy for
 * these files and this context (see the invariant at the top), else loaded (errors printed
 * as `loadOrFail` prints them), compiled and stored.
 */
export async function loadCached(source: string, stderr: NodeJS.WritableStream, context: Context, exitCode: number,
  dir = cacheDir()): Promise<Compiled> {
  const { builtinText, BUILTIN_PREFIX } = await import('@sysvm/policy/evaluate');
  const readInput: ReadInput = (name) => {
    if (name.startsWith(BUILTIN_PREFIX)) return builtinText(name.slice(BUILTIN_PREFIX.length));
    try {
      return readFileSync(name, 'utf8');
    } catch {
      return undefined;
    }
  };
  const hit = lookup(source, context, readInput, dir);
  if (hit) return hit;
  const { loadResultOrFail } = await import('./commands/policy-arg.js');
  const rec = recordingContext(context);
  const result = loadResultOrFail(source, stderr, { context: rec.context }, exitCode);
  const { bpf, compileBpf } = await import('@sysvm/policy/compile');
  const compiled: Compiled = { ir: result.ir, filter: bpf.toSockFilter(compileBpf(result.ir, 'x86_64').program) };
  // `sysvm run` makes a new ${tmp} for every run: an entry that depends on it would never be
  // used again (the built-in default policy names ${tmp}).
  if (rec.reads.tmp === undefined) store(source, result.sources, rec.reads, compiled, dir);
  return compiled;
}
