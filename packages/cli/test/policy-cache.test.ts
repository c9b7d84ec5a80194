// The compiled-policy cache of `sysvm run` (src/policy-cache.ts) on real policy files: a hit
// gives the IR loading gives, and anything the IR depends on that changed is a miss: a
// file's content (even at the same size and mtime), an extended file, a variable's value.
// A corrupt entry or a directory that cannot be written never fails a run. The last test is
// end to end: the built `sysvm run` follows an edited policy file.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { bpf, compileBpf, loadPolicy } from '@sysvm/policy';
import { afterAll, describe, expect, test } from 'vitest';
import { type Context, cacheDir, loadCached, lookup, recordingContext, store } from '../src/policy-cache.js';

const ROOT = join(import.meta.dirname, '../../..');
const CLI = join(ROOT, 'packages/cli/dist/main.js');
const base = mkdtempSync(join(tmpdir(), 'sysvm-cache-test-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

/** Every file gets the same whole-second mtime, so that an edit can keep it exactly. */
const MTIME = 1_700_000_000;
function write(file: string, text: string): void {
  writeFileSync(file, text);
  utimesSync(file, MTIME, MTIME);
}

let n = 0;
/** A fresh directory with the policy files given (name -> text), and an empty cache directory. */
function setup(files: Record<string, string>) {
  const dir = join(base, `case-${n++}`);
  mkdirSync(dir);
  for (const [name, text] of Object.entries(files)) write(join(dir, name), text);
  return { dir, cache: join(dir, 'cache') };
}

const context = (over: Partial<Context> = {}): Context =>
  ({ cwd: process.cwd(), home: homedir(), tmp: '/tmp/sysvm-test-tmp', tty: [], env: { ...process.env }, ...over });

/** A sink for the errors loadCached prints. */
const sink = () => {
  let text = '';
  return { stream: { write: (s: string) => { text += s; return true; } } as NodeJS.WritableStream, text: () => text };
};

const read = (name: string): string | undefined => {
  try {
    return readFileSync(name, 'utf8');
  } catch {
    return undefined;
  }
};

const BASE = `sysvm: 1
default: allow
rules:
  - name: no-hostname
    syscalls: [openat]
    match: { path: { equals: /etc/hostname } }
    action: { deny: EACCES }
`;

const policy = (extendsFile: string, extra = '') => `sysvm: 1
extends: [${extendsFile}]
rules:
  - name: no-secrets
    syscalls: [openat]
    match: { path: { under: ["~/.ssh"${extra}] } }
    action: { deny: EPERM }
`;

describe('policy cache', () => {
  // Off unless asked for: a program whose policy lets it write in ~/.cache could otherwise
  // choose the policy of later runs (policy-cache.ts, "Trust").
  test.for([
    [{}, undefined],
    [{ SYSVM_POLICY_CACHE: '0', XDG_CACHE_HOME: '/x' }, undefined],
    [{ SYSVM_POLICY_CACHE: '', XDG_CACHE_HOME: '/x' }, undefined],
    [{ SYSVM_POLICY_CACHE: '1', XDG_CACHE_HOME: '/x' }, '/x/sysvm/policies'],
    [{ SYSVM_POLICY_CACHE: '1', XDG_CACHE_HOME: 'relative' }, join(homedir(), '.cache/sysvm/policies')],
  ] as const)('cacheDir(%j) is %s', ([env, want]) => {
    expect(cacheDir(env)).toBe(want);
  });

  test('a miss stores; a hit gives the IR that loading gives, without loading', async () => {
    const { dir, cache } = setup({ 'base.yaml': BASE, 'p.yaml': policy('base.yaml') });
    const file = join(dir, 'p.yaml');
    const ctx = context();
    expect(lookup(file, ctx, read, cache)).toBeUndefined();
    const err = sink();
    const first = await loadCached(file, err.stream, ctx, 125, cache);
    expect(err.text()).toBe('');
    const loaded = loadPolicy(file, { context: ctx }).ir!;
    expect(first.ir).toEqual(loaded);
    expect(first.filter).toEqual(bpf.toSockFilter(compileBpf(loaded, 'x86_64').program));
    expect(readdirSync(cache)).toHaveLength(1);
    expect(statSync(join(cache, readdirSync(cache)[0]!)).mode & 0o777).toBe(0o600);
    expect(statSync(cache).mode & 0o777).toBe(0o700);
    const hit = lookup(file, ctx, read, cache);
    expect(hit).toEqual(first);
    // bigints survive (the IR's integer conditions are bigints)
    expect(JSON.stringify(hit!.ir, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v)))
      .toBe(JSON.stringify(first.ir, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v)));
  });

  test.for([
    ['the policy file', 'p.yaml'],
    ['a file it extends', 'base.yaml'],
  ] as const)('an edit of %s at the same size and mtime is a miss, and the new text is what runs', async ([, name]) => {
    const { dir, cache } = setup({ 'base.yaml': BASE, 'p.yaml': policy('base.yaml') });
    const file = join(dir, 'p.yaml');
    const ctx = context();
    const before = await loadCached(file, sink().stream, ctx, 125, cache);
    const target = join(dir, name);
    const old = readFileSync(target, 'utf8');
    const edited = name === 'p.yaml' ? old.replace('~/.ssh', '~/.aws') : old.replace('[openat]', '[unlink]');
    expect(edited.length).toBe(old.length);
    write(target, edited);
    expect(statSync(target).mtimeMs).toBe(MTIME * 1000);
    expect(lookup(file, ctx, read, cache)).toBeUndefined();
    const after = await loadCached(file, sink().stream, ctx, 125, cache);
    expect(after.ir).toEqual(loadPolicy(file, { context: ctx }).ir);
    expect(after.ir).not.toEqual(before.ir);
    // the prefilter dispatches on the syscalls of the rules: another one, another program
    if (name === 'base.yaml') expect(after.filter).not.toEqual(before.filter);
    expect(lookup(file, ctx, read, cache)).toEqual(after);
  });

  test('a builtin the policy extends is an input too', async () => {
    const { dir, cache } = setup({ 'p.yaml': policy('"builtin:permissive"') });
    const file = join(dir, 'p.yaml');
    await loadCached(file, sink().stream, context(), 125, cache);
    const reads: string[] = [];
    expect(lookup(file, context(), (name) => { reads.push(name); return read(name) ?? '' }, cache)).toBeUndefined();
    expect(reads).toEqual([file, 'builtin:permissive']);
  });

  test.for([
    ['${home}', { home: '/home/other' }],
    ['${env.SYSVM_TEST_DIR}', { env: { ...process.env, SYSVM_TEST_DIR: '/srv/b' } }],
    ['${env.SYSVM_TEST_UNSET:-/opt}', { env: { ...process.env, SYSVM_TEST_UNSET: '/srv/c' } }],
    ['${cwd}', { cwd: '/srv' }],
  ] as const)('a policy using %s: another value of it is a miss, another value of anything else is not', async ([ref, other]) => {
    const text = `sysvm: 1\ndefault: allow\nrules:\n  - syscalls: [openat]\n    match: { path: { under: "${ref}/x" } }\n    action: kill\n`;
    const { dir, cache } = setup({ 'p.yaml': text });
    const file = join(dir, 'p.yaml');
    const ctx = context({ env: { ...process.env, SYSVM_TEST_DIR: '/srv/a', SYSVM_TEST_UNSET: undefined } });
    const ir = await loadCached(file, sink().stream, ctx, 125, cache);
    expect(lookup(file, ctx, read, cache)).toEqual(ir);
    expect(lookup(file, { ...ctx, ...other }, read, cache)).toBeUndefined();
    // what the policy does not use does not matter
    expect(lookup(file, { ...ctx, tmp: '/tmp/elsewhere', tty: ['/dev/pts/9'], env: { ...ctx.env, SYSVM_TEST_OTHER: 'x' } }, read, cache))
      .toEqual(ir);
  });

  test('a policy using ${tty}: an entry made in one terminal is a miss in any other set of terminals', async () => {
    // Security: a hit in another terminal would let the program open the first one, which is
    // then one of the user's other terminals.
    const text = 'sysvm: 1\ndefault: { deny: EACCES }\nrules:\n  - syscalls: [openat]\n    match: { path: { equals: "${tty}" } }\n    action: allow\n';
    const { dir, cache } = setup({ 'p.yaml': text });
    const file = join(dir, 'p.yaml');
    const ctx = context({ tty: ['/dev/pts/3'] });
    const ir = await loadCached(file, sink().stream, ctx, 125, cache);
    expect(ir.ir.rules[0]!.match).toEqual([[expect.objectContaining({ values: ['/dev/pts/3'] })]]);
    expect(lookup(file, context({ tty: ['/dev/pts/3'] }), read, cache)).toEqual(ir);
    for (const tty of [[], ['/dev/pts/4'], ['/dev/pts/3', '/dev/pts/4'], ['/dev/pts/4', '/dev/pts/3']]) {
      expect(lookup(file, context({ tty }), read, cache)).toBeUndefined();
    }
  });

  test('a policy that uses ${tmp} is not stored (sysvm run makes a new one each time)', async () => {
    const { dir, cache } = setup({ 'p.yaml': 'sysvm: 1\ndefault: allow\nrules:\n  - syscalls: [openat]\n    match: { path: { under: "${tmp}" } }\n    action: allow\n' });
    await loadCached(join(dir, 'p.yaml'), sink().stream, context(), 125, cache);
    expect(() => readdirSync(cache)).toThrow(/ENOENT/);
  });

  test('a load that lists the environment is not stored', () => {
    const rec = recordingContext(context());
    void rec.context.env.HOME;
    expect(rec.reads.unknown).toBe(false);
    void Object.keys(rec.context.env);
    expect(rec.reads.unknown).toBe(true);
    const { cache } = setup({});
    const ir = { files: [], default: { verdict: { kind: 'allow' as const }, log: false,
      source: { file: 'x.yaml', line: 1, column: 1, endLine: 1, endColumn: 1 } }, rules: [] };
    expect(store('x.yaml', new Map(), rec.reads, { ir, filter: new Uint8Array(8) }, cache)).toBe(false);
  });

  test.for([
    ['truncated', (b: Buffer) => b.subarray(0, b.length - 5)],
    ['a flipped byte', (b: Buffer) => { const c = Buffer.from(b); c[c.length - 3]! ^= 0x40; return c; }],
    ['empty', () => Buffer.alloc(0)],
    ['another format', (b: Buffer) => Buffer.concat([Buffer.from('junk'), b])],
  ] as const)('a corrupt entry (%s) is a miss, and is replaced', async ([, spoil]) => {
    const { dir, cache } = setup({ 'base.yaml': BASE, 'p.yaml': policy('base.yaml') });
    const file = join(dir, 'p.yaml');
    const ir = await loadCached(file, sink().stream, context(), 125, cache);
    const entry = join(cache, readdirSync(cache)[0]!);
    writeFileSync(entry, spoil(readFileSync(entry)));
    expect(lookup(file, context(), read, cache)).toBeUndefined();
    expect(await loadCached(file, sink().stream, context(), 125, cache)).toEqual(ir);
    expect(lookup(file, context(), read, cache)).toEqual(ir);
  });

  test('a cache directory that cannot be made or written: no cache, the policy still loads', async () => {
    const { dir } = setup({ 'base.yaml': BASE, 'p.yaml': policy('base.yaml'), 'a-file': '' });
    const file = join(dir, 'p.yaml');
    const cache = join(dir, 'a-file', 'cache'); // under a regular file: ENOTDIR, even for root
    const { ir } = await loadCached(file, sink().stream, context(), 125, cache);
    expect(ir).toEqual(loadPolicy(file, { context: context() }).ir);
    expect(lookup(file, context(), read, cache)).toBeUndefined();
  });

  test('a policy with errors: printed as lint prints them, exit code as given, nothing stored', async () => {
    const { dir, cache } = setup({ 'p.yaml': 'sysvm: 1\ndefault: allow\nrules:\n  - syscalls: [no_such_call]\n    action: allow\n' });
    const err = sink();
    await expect(loadCached(join(dir, 'p.yaml'), err.stream, context(), 125, cache)).rejects.toMatchObject({ code: 125 });
    expect(err.text()).toMatch(/p\.yaml:4:\d+: error SV2001: /);
    expect(() => readdirSync(cache)).toThrow(/ENOENT/);
  });
});

describe('sysvm run with the cache', () => {
  test('runs what the policy file says now: deny, allow after an edit that keeps size and mtime, deny again', () => {
    const { dir, cache } = setup({ 'p.yaml': BASE });
    const file = join(dir, 'p.yaml');
    const run = () => spawnSync(process.execPath, [CLI, 'run', '-q', '-p', file, '--', 'cat', '/etc/hostname'],
      { encoding: 'utf8', env: { ...process.env, XDG_CACHE_HOME: join(cache, 'xdg'), SYSVM_POLICY_CACHE: '1' } });
    const denied = run();
    expect(denied.status).toBe(1);
    expect(denied.stderr).toMatch(/Permission denied/);
    expect(readdirSync(join(cache, 'xdg/sysvm/policies'))).toHaveLength(1);
    expect(run().status).toBe(1); // from the cache
    write(file, BASE.replace('action: { deny: EACCES }', 'action: allow          '));
    const allowed = run();
    expect(allowed.stderr).toBe('');
    expect(allowed.status).toBe(0);
    expect(allowed.stdout).toBe(readFileSync('/etc/hostname', 'utf8'));
    write(file, BASE);
    expect(run().status).toBe(1);
  });
});
