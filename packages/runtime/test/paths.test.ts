// Path resolution against a real directory tree, and the path-argument table against the
// syscall catalogue. Then the one walk in its two namespaces with real programs: a policy
// with a bind resolves every path in the virtual namespace (emulate/vpath.ts), one without
// on the host (tracer/paths.ts); outside the bind both must name the same objects.
import { spawn } from 'node:child_process';
import { closeSync, constants as fsConstants, mkdirSync, mkdtempSync, openSync, readlinkSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { abi, loadPolicy } from '@sysvm/policy';
import fc from 'fast-check';
import { beforeAll, describe, expect, test } from 'vitest';

import { type AuditEvent, decodeSockaddr, policyFromIR, resolveAbsolute, spawn as sandbox } from '../src/index.js';
import { PATH_ARGS, walkPath } from '../src/tracer/paths.js';

import { BACKENDS, compileAll } from './helpers.js';

let root: string;
beforeAll(() => {
  root = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'sysvm-paths-')));
  mkdirSync(path.join(root, 'a/b'), { recursive: true });
  mkdirSync(path.join(root, 'c'));
  writeFileSync(path.join(root, 'c/file'), '');
  symlinkSync('../c/file', path.join(root, 'a/up'));
  symlinkSync(path.join(root, 'c'), path.join(root, 'a/abs'));
  symlinkSync('nowhere', path.join(root, 'a/dangling'));
  symlinkSync('loop2', path.join(root, 'a/loop1'));
  symlinkSync('loop1', path.join(root, 'a/loop2'));
  symlinkSync('/proc/self/status', path.join(root, 'a/selfstatus'));
  symlinkSync('/proc/self/fd/0', path.join(root, 'a/stdin'));
});

describe('resolveAbsolute', () => {
  test.for([
    // [path under root, follow the final symlink, expected under root]
    ['a/b/../b/./', true, 'a/b'],
    ['a/up', true, 'c/file'],
    ['a/up', false, 'a/up'],
    ['a/abs/file', false, 'c/file'],
    ['a/abs/../a/up', true, 'c/file'], // `..` after a symlink goes up from its target
    ['a/abs/../c/file', true, 'c/file'],
    ['a/dangling', true, 'a/nowhere'], // O_CREAT through a dangling link creates its target
    ['a/dangling', false, 'a/dangling'],
    ['a/new/file', true, 'a/new/file'], // missing parents are appended lexically
    ['a/missing/../b', true, 'a/b'],
    ['a/loop1', true, 'a/loop1'], // ELOOP: left as it is
    ['c/file/x', true, 'c/file/x'], // ENOTDIR: the call fails; the rest is appended lexically
    ['a/up/x/../y', true, 'c/file/y'],
    ['a/abs/', false, 'c'], // a trailing slash follows even a no-follow final symlink
  ] as const)('%s (follow %s) -> %s', ([p, follow, want]) => {
    // Joined by hand: path.join would fold `..` lexically.
    expect(resolveAbsolute(`${root}/${p}`, follow)).toBe(path.join(root, want));
  });

  test.for([
    // [path under root, expected under root]: with a tracee's pid (no realpath(3) fast path)
    ['a/abs/', 'c'],
    // `NAME/.`: the last component is `.`, so NAME is followed by a no-follow call too
    // (open("dirlink/.", O_NOFOLLOW) opens the target directory)
    ['a/abs/.', 'c'],
    ['a/abs/./.', 'c'],
    ['a/abs', 'a/abs'],
  ] as const)('%s (no follow, a tracee) -> %s', ([p, want]) => {
    expect(resolveAbsolute(`${root}/${p}`, false, 4242, 4243)).toBe(path.join(root, want));
  });

  test('/proc/self names the tracee, not the supervisor', () => {
    expect(resolveAbsolute('/proc/self/cwd', false, 4242, 4243)).toBe('/proc/4242/cwd');
    expect(resolveAbsolute('/proc/thread-self/comm', true, 1, 1)).toBe('/proc/1/task/1/comm');
  });

  test('/proc/self reached through a symlink names the tracee too', () => {
    expect(resolveAbsolute(`${root}/a/selfstatus`, true, 4242, 4243)).toBe('/proc/4242/status');
    expect(resolveAbsolute(`${root}/a/selfstatus`, false, 4242, 4243)).toBe(`${root}/a/selfstatus`);
  });

  test('/proc/PID/fd/N of a pipe names the link itself, with the rest appended (not the pipe\'s name as a path)', async () => {
    // The host walk used to append the link's text (`/proc/PID/fd/pipe:[N]`, a path that
    // does not exist); the virtual walk returned the link and dropped the rest. One walk now:
    // the link's own name, which the kernel can be given to act on the same pipe.
    const child = spawn('sleep', ['30'], { stdio: ['pipe', 'ignore', 'ignore'] });
    try {
      await new Promise((resolve) => child.once('spawn', resolve));
      const pid = child.pid!;
      expect(resolveAbsolute('/proc/self/fd/0', true, pid, pid)).toBe(`/proc/${pid}/fd/0`);
      expect(resolveAbsolute('/proc/self/fd/0/x', true, pid, pid)).toBe(`/proc/${pid}/fd/0/x`);
      expect(resolveAbsolute(`${root}/a/stdin`, true, pid, pid)).toBe(`/proc/${pid}/fd/0`);
    } finally {
      child.kill('SIGKILL');
    }
  });

  test('/dev/stdin is the stdin of the process named, not the resolver\'s', async () => {
    // A process whose fd 0 is a file this test process does not have open.
    const fd = openSync(path.join(root, 'c/file'), 'r');
    const child = spawn('sleep', ['30'], { stdio: [fd, 'ignore', 'ignore'] });
    closeSync(fd);
    try {
      await new Promise((resolve) => child.once('spawn', resolve));
      const pid = child.pid!;
      expect(resolveAbsolute('/dev/stdin', true, pid, pid)).toBe(path.join(root, 'c/file'));
    } finally {
      child.kill('SIGKILL');
    }
  });
});

describe('the walk and the kernel agree', () => {
  // For a path that exists, what the walk returns must be the object the kernel opens:
  // O_PATH (O_NOFOLLOW when the final symlink is not followed), then /proc/self/fd/N says
  // which. Random paths over a tree of directories, relative and absolute symlinks, `..`
  // after them and trailing slashes: the kernel is the oracle.
  const O_PATH = 0o10000000;
  let tree: string;
  beforeAll(() => {
    tree = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'sysvm-walk-')));
    // In every directory, three levels deep: subdirectories a and b (above the last level), a
    // file f, and symlinks: l -> a (or f), relative; u -> .., up; m -> TREE/b, absolute; x -> f.
    const build = (dir: string, depth: number): void => {
      if (depth < 3) for (const d of ['a', 'b']) { mkdirSync(path.join(dir, d)); build(path.join(dir, d), depth + 1); }
      writeFileSync(path.join(dir, 'f'), '');
      symlinkSync(depth < 3 ? 'a' : 'f', path.join(dir, 'l'));
      symlinkSync('..', path.join(dir, 'u'));
      symlinkSync(path.join(tree, 'b'), path.join(dir, 'm'));
      symlinkSync('f', path.join(dir, 'x'));
    };
    build(tree, 0);
  });
  const kernel = (p: string, follow: boolean): string | undefined => {
    let fd: number;
    try {
      fd = openSync(p, O_PATH | (follow ? 0 : fsConstants.O_NOFOLLOW));
    } catch {
      return undefined; // ENOENT, ENOTDIR, ELOOP: the walk's answer is lexical there
    }
    try {
      return readlinkSync(`/proc/self/fd/${fd}`);
    } finally {
      closeSync(fd);
    }
  };
  const names = ['a', 'b', 'f', 'l', 'u', 'm', 'x', '..', '.'];
  test('on every path that exists, followed or not, with and without symlinks', () => {
    let compared = 0;
    let throughLinks = 0;
    fc.assert(fc.property(fc.array(fc.constantFrom(...names), { minLength: 1, maxLength: 8 }), fc.boolean(), fc.boolean(), (parts, follow, slash) => {
      const rel = parts.join('/') + (slash ? '/' : '');
      const want = kernel(`${tree}/${rel}`, follow);
      if (want === undefined) return;
      compared++;
      if (parts.some((c) => c.length === 1 && 'lumx'.includes(c))) throughLinks++;
      expect(walkPath(tree, rel, follow, 4242, 4242)).toBe(want);
    }), { seed: 20261127, numRuns: 3000 });
    // The comparison covered paths with symlinks and without, hundreds of each.
    expect(throughLinks).toBeGreaterThan(300);
    expect(compared - throughLinks).toBeGreaterThan(200);
  });
});

describe('the path-argument table', () => {
  test('covers every path argument of the catalogue, with its dirfd', () => {
    const missing: string[] = [];
    for (const s of abi.allSyscalls()) {
      if (s.nr.x86_64 === undefined || !s.args) continue;
      s.args.forEach((a, i) => {
        if (a.kind !== 'path') return;
        const mine = PATH_ARGS[s.name]?.find((x) => x.arg === i);
        if (mine === undefined) missing.push(`${s.name}:${i}`);
        else if (a.dirfd !== undefined && mine.dirfd !== a.dirfd) missing.push(`${s.name}:${i} dirfd ${a.dirfd}`);
      });
    }
    expect(missing).toEqual([]);
  });

  test('has only these paths the catalogue types otherwise', () => {
    const extra: string[] = [];
    for (const [name, specs] of Object.entries(PATH_ARGS)) {
      const s = abi.syscallByName(name);
      for (const p of specs) if (p.follow !== 'raw' && s?.args?.[p.arg]?.kind !== 'path') extra.push(`${name}:${p.arg}`);
    }
    expect(extra.sort()).toEqual(['acct:0', 'mount:1', 'name_to_handle_at:1', 'umount2:0', 'utime:0', 'utimes:0']);
  });
});

describe('decodeSockaddr', () => {
  test.for([
    ['0100' + Buffer.from('/run/x.sock\0').toString('hex'), { family: 'unix', path: '/run/x.sock', abstract: false }],
    ['0100' + '00' + Buffer.from('abs').toString('hex'), { family: 'unix', path: '@abs', abstract: true }],
    ['0200' + '1f90' + '7f000001' + '0000000000000000', { family: 'inet', address: '127.0.0.1', port: 8080 }],
    ['0a00' + '0050' + '00000000' + '20010db8000000000000000000000001' + '00000000',
      { family: 'inet6', address: '2001:db8::1', port: 80, scopeId: 0 }],
    ['1000' + '0000', { family: 16 }],
  ] as const)('%s', ([bytes, want]) => {
    expect(decodeSockaddr(Buffer.from(bytes, 'hex'))).toEqual(want);
  });
});

describe('one walk, two namespaces: a policy with a bind resolves paths outside it as the host does', () => {
  let top: string;
  let bin: Record<string, string>;
  let hostOnly: ReturnType<typeof policyFromIR>;
  let withBind: ReturnType<typeof policyFromIR>;
  beforeAll(() => {
    bin = compileAll();
    top = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'sysvm-walk2-')));
    mkdirSync(path.join(top, 'bound'));
    writeFileSync(path.join(top, 'bound', 'a.txt'), 'bound\n');
    const yaml = (bind: boolean): ReturnType<typeof policyFromIR> => {
      const file = path.join(top, bind ? 'bind.yaml' : 'host.yaml');
      writeFileSync(file, [
        'sysvm: 1', 'name: walk2', 'default: allow',
        ...(bind ? ['filesystem:', '  bind: { /data: ./bound }'] : []),
        'rules:', '  - name: seen', '    syscalls: [openat]', '    match: { path: { under: ["/"] } }', '    action: allow', '    log: true', '',
      ].join('\n'));
      const r = loadPolicy(file);
      if (r.ir === undefined) throw new Error(JSON.stringify(r.diagnostics));
      return policyFromIR(r.ir);
    };
    hostOnly = yaml(false);
    withBind = yaml(true);
  });

  /** The paths of the program's openat calls as the policy saw them, pids and pipe numbers made stable. */
  async function openedPaths(backend: typeof BACKENDS[number], policy: ReturnType<typeof policyFromIR>, sh: string): Promise<{ paths: string[]; err: string }> {
    const events: AuditEvent[] = [];
    const p = sandbox({ command: 'sh', args: ['-c', sh], backend, policy, quiet: true, stdio: ['ignore', 'ignore', 'pipe'] });
    p.on('decision', (e: AuditEvent) => events.push(e));
    let err = '';
    p.stderr!.on('data', (c: Buffer) => { err += c.toString(); });
    await p.closed;
    const paths = events.filter((e) => e.syscall === 'openat').map((e) => `${e.rule} ${String(e.args.filename)}`
      .replace(/\/proc\/\d+(\/task\/\d+)?/, (_m, t?: string) => (t === undefined ? '/proc/P' : '/proc/P/task/T'))
      .replace(/:\[\d+\]/, ':[N]'));
    return { paths, err };
  }

  // R is the fixture of the resolveAbsolute tests above, BIN the dirfd program.
  test.for(BACKENDS.flatMap((b) => [
    ['symlinks and ..', 'cat R/a/up R/a/abs/../a/up R/a/abs/file R/a/up/x/../y R/a/abs/'],
    ['dangling, a loop, below a regular file', 'cat R/a/dangling R/a/loop1 R/c/file/x R/a/new/file'],
    ['a symlink into /proc/self, /proc/thread-self, /proc/mounts (self/mounts)', 'cat R/a/selfstatus /proc/thread-self/comm /proc/mounts'],
    ['the cwd and a dirfd through /proc/self', 'cd R/a && cat /proc/self/cwd/../c/file; exec 3<R/a; cat /proc/self/fd/3/../c/file /proc/self/fd/3/up'],
    ['/proc/self/fd/0 of a file, of a pipe, and below a pipe', 'cat /proc/self/fd/0 < R/c/file; echo x | cat /proc/self/fd/0; echo x | cat /proc/self/fd/0/x R/a/stdin'],
    ['relative paths with a dirfd', 'BIN openat-in R/a ../c/file; BIN openat-in R/a up; BIN openat-in R/a abs/../c/file/x'],
  ].map(([what, sh]) => [b, what!, sh!] as const)))('%s: %s', async ([backend, , cmd]) => {
    const sh = cmd.replaceAll('R/', `${root}/`).replaceAll('BIN', bin.vfsescape!);
    const host = await openedPaths(backend, hostOnly, sh);
    const virtual = await openedPaths(backend, withBind, sh);
    // No decision failed (a walk that throws denies the call as sysvm:policy-error).
    expect(host.paths.filter((p) => !p.startsWith('seen '))).toEqual([]);
    expect(virtual.paths).toEqual(host.paths);
    expect(virtual.err).toBe(host.err);
    expect(host.paths.length).toBeGreaterThan(0);
  });

  test.for(BACKENDS)('%s: the pipe of /proc/self/fd/0 is judged as the link, in both namespaces', async (backend) => {
    for (const policy of [hostOnly, withBind]) {
      const { paths } = await openedPaths(backend, policy, 'echo x | cat /proc/self/fd/0; echo x | cat /proc/self/fd/0/x');
      expect(paths.filter((p) => p.includes('/fd/'))).toEqual(['seen /proc/P/fd/0', 'seen /proc/P/fd/0/x']);
    }
  });
});
