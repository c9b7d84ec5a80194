// A procfs mounted somewhere else than /proc (a bind of /proc, a fresh `mount -t proc`, a
// chroot's ROOT/proc): its `self` and `thread-self` name the tracee and its magic links jump
// to host paths, as at /proc; a directory with a `self` symlink that is no procfs is walked
// as it is. Needs root (mounts), made in private mount namespaces that die with their
// holder process, so nothing leaks into the machine's mount table.
// The traced runs need the built packages (dist/: `tsc -b`): their supervisor runs in a
// node process of its own, inside the private namespace that holds the mount, since the
// walk reads the file system in the supervisor's mount namespace.
import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, openSync, closeSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import type { AuditEvent } from '../src/index.js';
import { walkPath } from '../src/tracer/paths.js';

import { BACKENDS } from './helpers.js';

/** Can this process mount in a private mount namespace (root, unshare(1), mount(8))? Why not, if not. */
const NO_MOUNTS: string | null = (() => {
  if (process.getuid?.() !== 0) return 'not root: mounting a procfs needs CAP_SYS_ADMIN';
  const d = mkdtempSync(path.join(os.tmpdir(), 'sysvm-procfs-probe-'));
  try {
    execFileSync('unshare', ['-m', '--propagation', 'private', 'sh', '-c', 'mount -t proc proc "$1" && umount "$1"', 'sh', d], { stdio: 'ignore' });
    return null;
  } catch {
    return 'unshare -m with mount -t proc fails here';
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
})();

/** Start `sh -c script` under unshare(1) with `flags`; resolves when it prints `ready`. */
async function holder(flags: string[], script: string, args: string[]): Promise<ChildProcess> {
  const child = spawn('unshare', [...flags, '--propagation', 'private', 'sh', '-c', `${script} && echo ready && exec sleep 600`, 'sh', ...args],
    { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (b: Buffer) => { if (b.toString().includes('ready')) resolve(); });
    child.once('exit', (code) => reject(new Error(`mount holder exited (${String(code)})`)));
  });
  return child;
}

describe.skipIf(NO_MOUNTS !== null)(`walkPath on a procfs that is not at /proc${NO_MOUNTS === null ? '' : ` (skipped: ${NO_MOUNTS})`}`, () => {
  let top: string;
  /** /proc/HOLDER/root/TOP: TOP as the holder's mount namespace sees it (b: bind of /proc, q: a new procfs). */
  let ns: string;
  /** /proc/HOLDER2/root/TOP: n is a procfs of a pid namespace this process is not in. */
  let otherPidNs: string;
  let mounts: ChildProcess;
  let pidns: ChildProcess;
  /** The process whose paths are walked: its stdin is TOP/c/file, its stdout a pipe, its cwd TOP/c. */
  let target: ChildProcess;
  let P: number;

  beforeAll(async () => {
    top = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'sysvm-procfs-')));
    for (const d of ['b', 'q', 'n', 'c', 'fake/me']) mkdirSync(path.join(top, d), { recursive: true });
    writeFileSync(path.join(top, 'c/file'), 'file\n');
    writeFileSync(path.join(top, 'fake/me/status'), 'fake\n');
    symlinkSync('me', path.join(top, 'fake/self'));
    mounts = await holder(['-m'], 'mount --bind /proc "$1" && mount -t proc proc "$2"', [path.join(top, 'b'), path.join(top, 'q')]);
    ns = `/proc/${mounts.pid!}/root${top}`;
    // -f: the new pid namespace is its children's; unshare itself, in the new mount namespace, holds it.
    pidns = await holder(['-m', '-p', '-f', '--kill-child'], 'mount -t proc proc "$1"', [path.join(top, 'n')]);
    otherPidNs = `/proc/${pidns.pid!}/root${top}`;
    const fd = openSync(path.join(top, 'c/file'), 'r');
    target = spawn('sleep', ['600'], { stdio: [fd, 'pipe', 'ignore'], cwd: path.join(top, 'c') });
    closeSync(fd);
    await new Promise((resolve) => target.once('spawn', resolve));
    P = target.pid!;
  });

  afterAll(() => {
    for (const c of [target, mounts, pidns]) {
      c?.kill('SIGKILL');
      c?.stdout?.destroy();
    }
    rmSync(top, { recursive: true, force: true });
  });

  test.for([
    // [start under NS, path, follow the final symlink, expected: NS/ is the holder's view, P the target's pid, TOP the host's]
    ['b', 'self/status', true, 'NS/b/P/status'],
    ['q', 'self/status', true, 'NS/q/P/status'],
    ['b', 'thread-self/comm', true, 'NS/b/P/task/P/comm'],
    ['q', 'self', true, 'NS/q/P'],
    ['q', 'self', false, 'NS/q/self'], // not followed: the link itself
    ['q', 'self/', false, 'NS/q/P'], // a trailing slash follows
    ['b', 'mounts', true, 'NS/b/P/mounts'], // mounts -> self/mounts
    ['q', 'self/fd/0', true, 'TOP/c/file'], // a magic link: its text is a host path, walked from /
    ['q', 'self/cwd/../c/file', true, 'TOP/c/file'],
    ['q', 'self/fd/1', true, 'NS/q/P/fd/1'], // a pipe: the link itself
    ['q', 'self/fd/1/x', true, 'NS/q/P/fd/1/x'],
    ['fake', 'self/status', true, 'NS/fake/me/status'], // no procfs: an ordinary symlink named self
  ] as const)('%s: %s (follow %s) -> %s', ([from, rel, follow, want]) => {
    const expand = (s: string): string => s.replace('NS', ns).replace('TOP', top).replaceAll('/P', `/${P}`);
    expect(walkPath(`${ns}/${from}`, rel, follow, P, P)).toBe(expand(want));
  });

  test('a chroot whose ROOT/proc is a procfs: self is the tracee, and a magic link jumps out of ROOT to the host path', () => {
    // The tracee's root is NS (as if it had chrooted there): NS/q is its /proc.
    expect(walkPath(ns, '/q/self/status', true, P, P, ns)).toBe(`${ns}/q/${P}/status`);
    expect(walkPath(ns, '/q/self/cwd', true, P, P, ns)).toBe(`${top}/c`);
    expect(walkPath(ns, '/q/self/../../..', true, P, P, ns)).toBe(ns); // `..` still stops at the root
  });

  test('the supervisor\'s own paths (pid 0) read self as the supervisor', () => {
    expect(walkPath(`${ns}/q`, 'self', true, 0, 0)).toBe(`${ns}/q/${process.pid}`);
  });

  test('self of a procfs of another pid namespace fails closed (the tracee\'s pid there is unknown)', () => {
    expect(() => walkPath(`${otherPidNs}/n`, 'self/status', true, P, P)).toThrow(/another pid namespace/);
    expect(() => walkPath(`${otherPidNs}/n`, 'thread-self', true, P, P)).toThrow(/another pid namespace/);
    // Its pid 1 is the namespace's own init: a name like any other.
    expect(walkPath(`${otherPidNs}/n`, '1/comm', true, P, P)).toBe(`${otherPidNs}/n/1/comm`);
  });
});

// The traced runs: `sysvm run` with the supervisor inside a private mount namespace where
// TOP/p is a bind of /proc. The policy judges the tracee's own entries there, never the
// supervisor's.
const here = path.dirname(new URL(import.meta.url).pathname);
const RUNNER = `
const [runtime, policyLib, backend, yamls, cmds] = process.argv.slice(2);
const m = await import(runtime);
const { loadPolicy } = await import(policyLib);
const fs = await import('node:fs');
const sup = String(process.pid);
const out = [];
const policies = JSON.parse(yamls);
const commands = JSON.parse(cmds);
for (let i = 0; i < policies.length; i++) {
  const file = process.env.TOP + '/policy-' + backend + '-' + i + '.yaml';
  fs.writeFileSync(file, policies[i].replaceAll('SUPERVISOR', sup));
  const r = loadPolicy(file);
  if (r.ir === undefined) throw new Error(JSON.stringify(r.diagnostics));
  const events = [];
  const p = m.spawn({ command: 'sh', args: ['-c', commands[i].replaceAll('SUPERVISOR', sup)], backend, policy: m.policyFromIR(r.ir),
    quiet: true, cwd: process.env.TOP, stdio: ['ignore', 'pipe', 'pipe'] });
  p.on('decision', (e) => events.push(e));
  const text = (s) => new Promise((resolve) => { let t = ''; s.on('data', (c) => { t += c; }); s.on('close', () => resolve(t)); });
  const [x, stdout, stderr] = await Promise.all([p.exited, text(p.stdout), text(p.stderr)]);
  out.push({ stdout, stderr, code: x.code, events });
}
console.log(JSON.stringify({ supervisor: process.pid, runs: out }));
`;

interface Run { stdout: string; stderr: string; code: number; events: AuditEvent[] }

describe.skipIf(NO_MOUNTS !== null)(`sysvm run with /proc bound at another path${NO_MOUNTS === null ? '' : ` (skipped: ${NO_MOUNTS})`}`, () => {
  let top: string;
  afterAll(() => rmSync(top, { recursive: true, force: true }));
  beforeAll(() => {
    top = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'sysvm-procfs-run-')));
    mkdirSync(path.join(top, 'p'));
    writeFileSync(path.join(top, 'file'), 'file\n');
    symlinkSync('p/self/environ', path.join(top, 'env-link'));
    symlinkSync(path.join(top, 'p/self/status'), path.join(top, 'status-link'));
  });

  function sysvm(backend: string, policies: string[], commands: string[]): { supervisor: number; runs: Run[] } {
    const runtime = new URL('../dist/index.js', import.meta.url).href;
    const policyLib = new URL('../../policy/dist/index.js', import.meta.url).href;
    const runner = path.join(top, 'runner.mjs');
    writeFileSync(runner, RUNNER);
    const r = spawnSync('unshare', ['-m', '--propagation', 'private', 'sh', '-c', 'mount --bind /proc "$TOP/p" && exec "$@"', 'sh',
      process.execPath, runner, runtime, policyLib, backend, JSON.stringify(policies), JSON.stringify(commands)],
    { encoding: 'utf8', timeout: 60_000, cwd: here, env: { ...process.env, TOP: top } });
    expect(r.stderr).toBe('');
    return JSON.parse(r.stdout) as { supervisor: number; runs: Run[] };
  }

  const policy = (top: string): string => `sysvm: 1
name: procfs-elsewhere
default: allow
rules:
  - name: supervisor
    syscalls: [open, openat]
    match: { path: { under: [${top}/p/SUPERVISOR, /proc/SUPERVISOR] } }
    action: { deny: EPERM }
    log: true
  - name: environ
    syscalls: [open, openat]
    match: { path: { glob: ["${top}/p/*/environ", "${top}/p/*/task/*/environ"] } }
    action: { deny: EACCES }
    log: true
  - name: seen
    syscalls: [open, openat]
    match: { path: { under: [${top}] } }
    action: allow
    log: true
`;
  // A bind's own rules decide every path under it (and log nothing): what the tracee reads
  // there tells whose entries the kernel was given.
  const bound = `sysvm: 1
name: procfs-elsewhere-bound
default: allow
filesystem:
  bind: { /myproc: ./p }
`;

  test.for(BACKENDS)('%s: self, thread-self and the magic links at TOP/p are the tracee\'s; a rule on its environ there holds; through a bind too', (backend) => {
    const host = [
      'head -1 p/self/status', 'cat p/thread-self/comm', 'head -1 status-link', 'cat p/self/fd/0 < file',
      'echo piped | cat p/self/fd/0', 'cat p/self/environ', 'cat env-link', 'cat p/thread-self/environ',
      'cat p/SUPERVISOR/comm', // the control: the supervisor's own entry, named by its pid, is denied
    ].join('; ');
    const virtual = "head -1 /myproc/self/status; cat /myproc/thread-self/comm; X=tracee cat /myproc/self/environ | tr '\\0' '\\n' | grep '^X='; cat /myproc/self/fd/0 < file";
    const { supervisor, runs } = sysvm(backend, [policy(top), bound], [host, virtual]);
    const [h, v] = runs as [Run, Run];
    // What each openat under TOP was judged as, with the tracee's own pid and tid written P and T.
    const judged = (r: Run): string[] => r.events.filter((e) => e.syscall === 'openat' || e.syscall === 'open')
      .map((e) => `${e.rule} ${String(e.args.filename ?? e.args.pathname)}`
        .replaceAll(`/${e.pid}/task/${e.tid}/`, '/P/task/T/').replaceAll(`/${e.pid}/`, '/P/').replace(`/${supervisor}/`, '/SUPERVISOR/')
        .replace(top, 'TOP'))
      .filter((s) => s.includes('TOP') || s.includes('/myproc'));
    expect(h.stdout).toBe('Name:\thead\ncat\nName:\thead\nfile\npiped\n');
    expect(judged(h)).toEqual([
      'seen TOP/p/P/status', 'seen TOP/p/P/task/T/comm', 'seen TOP/p/P/status', 'seen TOP/file', 'seen TOP/file',
      'seen TOP/p/P/fd/0', 'environ TOP/p/P/environ', 'environ TOP/p/P/environ', 'environ TOP/p/P/task/T/environ',
      'supervisor TOP/p/SUPERVISOR/comm',
    ]);
    expect(h.stderr.match(/Permission denied/g)).toHaveLength(3);
    expect(h.stderr.match(/Operation not permitted/g)).toHaveLength(1);
    // Through a bind of the policy the kernel is given the host path: the tracee's entries,
    // or it would read the supervisor's status (Name: node), comm and environ (no X).
    expect({ out: v.stdout, err: v.stderr }).toEqual({ out: 'Name:\thead\ncat\nX=tracee\nfile\n', err: '' });
  });
});
