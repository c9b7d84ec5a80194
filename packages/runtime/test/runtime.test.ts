// The runtime against real programs, on every backend the kernel offers. The cases that are
// a program, a policy file and expected results live in the conformance table
// (conformance/cases.ts); here are the ones that need the API (events, streams, kill, ...).
// Needs the built worker script (dist/worker.js): `tsc -b` first (the root `pnpm test` does).
import { spawnSync } from 'node:child_process';
import { chmodSync, closeSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import koffi from 'koffi';
import { beforeAll, describe, expect, test } from 'vitest';

import { loadPolicy } from '@sysvm/policy';

import { policyFromIR, run, spawn } from '../src/index.js';
import type { AuditEvent, InlinePolicy, RuleIR, SourceRange } from '../src/index.js';

import { allowAll, BACKENDS, compileAll, errnoOf, running, traceOnly } from './helpers.js';

let bin: Record<string, string>;
let tmp: string;
let allowed: string; // tmp/allowed: readable
let secret: string; // tmp/secret: denied by the path policy

beforeAll(() => {
  bin = compileAll();
  tmp = mkdtempSync(path.join(os.tmpdir(), 'sysvm-rt-fs-'));
  allowed = path.join(tmp, 'allowed');
  secret = path.join(tmp, 'secret');
  mkdirSync(allowed);
  mkdirSync(secret);
  writeFileSync(path.join(allowed, 'ok.txt'), 'fine\n');
  writeFileSync(path.join(secret, 'key.txt'), 'hidden\n');
  symlinkSync('../secret/key.txt', path.join(allowed, 'link'));
  symlinkSync(secret, path.join(allowed, 'dirlink'));
  symlinkSync('/secret/key.txt', path.join(allowed, 'jaillink')); // absolute: meant for a chroot into tmp
});

const src = (line: number): SourceRange => ({ file: 'test-policy.yaml', line, column: 3, endLine: line, endColumn: 20 });

function rule(index: number, name: string, syscalls: string[], line: number): RuleIR {
  return { index, name, source: src(line), syscalls, match: null, verdict: { kind: 'allow' }, log: false };
}

/** Deny open/openat (and `calls`) of anything under `denyUnder` with EACCES, as a path rule would. */
function pathPolicy(denyUnder: string[], calls: string[] = ['open', 'openat']): InlinePolicy {
  return {
    filter: traceOnly(calls),
    data: { denyUnder, calls, errno: errnoOf('EACCES'), rule: rule(0, 'no-secrets', calls, 4) },
    decide: (inv, ctx) => {
      const d = ctx.data as { denyUnder: string[]; calls: string[]; errno: number; rule: RuleIR };
      if (d.calls.includes(ctx.name)) {
        const p = inv.deref?.path(ctx.name === 'open' ? 0 : 1);
        if (p !== undefined && d.denyUnder.some((x) => p === x || p.startsWith(`${x}/`))) {
          return { verdict: { kind: 'deny', errno: d.errno, errnoName: 'EACCES' }, rule: d.rule, log: false };
        }
      }
      return { verdict: { kind: 'allow' }, rule: null, log: false };
    },
  };
}

describe.for(BACKENDS)('%s backend', (backend) => {
  test('queued real-time signals arrive with their siginfo, none lost', async () => {
    const r = await run({ command: bin.sigqueue!, backend, policy: allowAll });
    expect(r.stdout).toBe('hits=2 value=42 queued=1\n');
    expect(r.stats.stops.signal).toBeGreaterThanOrEqual(2);
  });

  test('no untraced child: clone with CLONE_UNTRACED is EPERM, clone3 is ENOSYS', async () => {
    const r = await run({ command: bin.untraced!, backend, policy: allowAll, quiet: true });
    expect(r.stdout).toBe('clone-untraced=EPERM clone3=ENOSYS\n');
  });

  // prlimit64 of a process outside (the user's any, the supervisor; as root, any) passed:
  // RLIMIT_CPU kills it, around the Landlock signal scope.
  test('no access to the memory, fds or resource limits of a process outside the sandbox', async () => {
    const r = await run({ command: bin.foreign!, backend, policy: allowAll, quiet: true });
    expect(r.stdout).toBe('self=ok parent=EPERM pidfd_getfd=EPERM prlimit-get-parent=ok prlimit-set-parent=EPERM prlimit-set-self=ok\n');
  });

  // The supervisor is the program's parent and runs as its user: dumpable, it let the
  // program open /proc/PPID/mem read-write and overwrite its code (and read its environ).
  // Seen as an unprivileged user (root's CAP_SYS_PTRACE overrides it): `sysvm run` under
  // setpriv, where this test runs as root and setpriv is there.
  const setpriv = ['/usr/bin/setpriv', '/bin/setpriv'].find((f) => existsSync(f));
  const canDrop = process.getuid?.() === 0 && setpriv !== undefined;
  /**
   * `sysvm run` as nobody (uid 65534) under the conformance policy `policy`, of a copy of the
   * test program `name` in a fresh world-readable directory; `setup` prepares that directory
   * and gives the program's arguments.
   */
  const runAsNobody = (name: string, policy: string, flags: string[], setup: (dir: string) => string[] = () => []) => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sysvm-rt-nobody-'));
    chmodSync(dir, 0o755);
    const prog = path.join(dir, name);
    copyFileSync(bin[name]!, prog);
    chmodSync(prog, 0o755);
    const args = setup(dir);
    const cli = fileURLToPath(new URL('../../cli/dist/main.js', import.meta.url));
    return spawnSync(setpriv!, ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, cli, 'run', ...flags, '--backend', backend,
      '-p', fileURLToPath(new URL(`conformance/${policy}`, import.meta.url)), '--', prog, ...args], { encoding: 'utf8', env: { ...process.env, HOME: dir } });
  };
  test.skipIf(!canDrop)('an unprivileged program cannot open the supervisor\'s /proc/PID/mem', () => {
    const r = runAsNobody('supermem', 'allow-all.yaml', []);
    expect({ stdout: r.stdout, status: r.status }).toEqual({ stdout: 'mem=EACCES environ=EACCES\n', status: 0 });
  });

  // A directory the program may not search: the supervisor (same user) may not either, and
  // the walk ends there as the kernel's lookup does (EACCES), instead of failing closed with
  // EPERM, which stopped programs that search PATH (make, gcc's execvp) at such an entry.
  test.skipIf(!canDrop)('an unprivileged program gets EACCES for a path through a directory it may not search', () => {
    const r = runAsNobody('dirfd', 'paths.yaml', ['-q'], (dir) => {
      const closed = path.join(dir, 'closed');
      mkdirSync(closed, { mode: 0o700 });
      writeFileSync(path.join(closed, 'f'), 'x');
      return [dir, 'closed/f', 'closed/../dirfd'];
    });
    expect({ stdout: r.stdout, status: r.status }).toEqual({ stdout: 'closed/f=EACCES\nclosed/../dirfd=EACCES\n', status: 0 });
  });

  // An fd that sysvm's parent left open without close-on-exec reached the sandbox: Node marks
  // only fds 0-16 close-on-exec at its start, and posix_spawn passed the rest (a connected
  // socket to a service outside, a file the policy denies, already open).
  test('the program gets fds 0-2 only, not an fd the supervisor\'s process holds without close-on-exec', async () => {
    const libc = koffi.load('libc.so.6');
    const dup2 = libc.func('int dup2(int oldfd, int newfd)') as (a: number, b: number) => number;
    const close = libc.func('int close(int fd)') as (fd: number) => number;
    const file = openSync(path.join(secret, 'key.txt'), 'r');
    const fd = 200; // dup2 leaves close-on-exec off
    expect(dup2(file, fd)).toBe(fd);
    try {
      const r = await run({ command: 'sh', args: ['-c', `readlink /proc/self/fd/${fd} || echo closed`], backend, policy: allowAll, quiet: true });
      expect(r.stdout).toBe('closed\n');
    } finally {
      close(fd);
      closeSync(file);
    }
  });

  test('NO_NEW_PRIVS on every backend, seccomp filters only on seccomp', async () => {
    const r = await run({ command: 'grep', args: ['-E', '^(NoNewPrivs|Seccomp):', '/proc/self/status'], backend, policy: allowAll });
    expect(r.stdout).toBe(`NoNewPrivs:\t1\nSeccomp:\t${backend === 'seccomp' ? 2 : 0}\n`);
  });

  test('ptrace is denied: no TRACEME, no attaching to the supervisor', async () => {
    const r = await run({ command: bin.ptrace!, backend, policy: allowAll, quiet: true });
    expect(r.stdout).toBe('traceme=EPERM seize-parent=EPERM\n');
  });

  test('after chroot, absolute paths and absolute symlinks resolve inside the new root', async () => {
    // tmp is the jail: /secret/key.txt inside it is secret/key.txt here, denied.
    const r = await run({
      command: bin.chroot!, args: [tmp, '/secret/key.txt', '/allowed/jaillink', '/allowed/ok.txt', '/../secret/key.txt'],
      backend, policy: pathPolicy([secret]), quiet: true,
    });
    expect(r.stdout).toBe('/secret/key.txt=EACCES\n/allowed/jaillink=EACCES\n/allowed/ok.txt=ok\n/../secret/key.txt=EACCES\n');
  });

  test('a thread that chroots alone (an fs_struct of its own) resolves from its own root', async () => {
    // The root was cached per process: the main thread's `/`, read after the thread's chroot
    // into tmp, judged the thread's /secret/key.txt as that path, and it opened tmp/secret/key.txt.
    const r = await run({
      command: bin.chroot_thread!, args: [tmp, path.join(allowed, 'ok.txt'), '/secret/key.txt'],
      backend, policy: pathPolicy([secret]), quiet: true,
    });
    expect(r.stdout).toBe('main=ok thread=EACCES\n');
  });

  test('after chroot, openat2 with RESOLVE_IN_ROOT resolves from its dirfd, not from the new root', async () => {
    // The jail is tmp/allowed; the dirfd, opened before the chroot, is tmp. From it
    // `/secret/key.txt` is tmp/secret/key.txt: judged from the chroot it was
    // tmp/allowed/secret/key.txt, and the kernel opened the secret.
    const r = await run({
      command: bin.chroot_inroot!, args: [allowed, tmp, '/secret/key.txt', '/allowed/ok.txt', '/allowed/link', '/../secret/key.txt'],
      backend, policy: pathPolicy([secret], ['open', 'openat', 'openat2']), quiet: true,
    });
    expect(r.stdout).toBe('/secret/key.txt=EACCES\n/allowed/ok.txt=ok\n/allowed/link=EACCES\n/../secret/key.txt=EACCES\n');
  });

  test('verdicts: deny, emulate return, emulate uname, trace, and the audit stream', async () => {
    const log = path.join(mkdtempSync(path.join(os.tmpdir(), 'sysvm-log-')), 'audit.jsonl');
    const events: AuditEvent[] = [];
    const p = spawn({
      command: bin.emul!, backend, log, quiet: true,
      policy: {
        filter: traceOnly(['getpid', 'uname', 'write']),
        data: {
          getpid: rule(0, 'fake-pid', ['getpid'], 2), uname: rule(1, 'fake-host', ['uname'], 5), write: rule(2, 'watch', ['write'], 9),
        },
        decide: (_inv, ctx) => {
          const d = ctx.data as Record<string, RuleIR>;
          if (ctx.name === 'getpid') return { verdict: { kind: 'emulate', emulate: { kind: 'return', value: 4242 } }, rule: d.getpid!, log: true };
          if (ctx.name === 'uname') {
            return { verdict: { kind: 'emulate', emulate: { kind: 'uname', fields: { nodename: 'sandbox', release: '1.2.3' } } }, rule: d.uname!, log: false };
          }
          if (ctx.name === 'write') return { verdict: { kind: 'trace' }, rule: d.write!, log: false };
          return { verdict: { kind: 'allow' }, rule: null, log: false };
        },
      },
    });
    p.on('decision', (e: AuditEvent) => events.push(e));
    const chunks: Buffer[] = [];
    p.stdout!.on('data', (c: Buffer) => chunks.push(c));
    // The pipe's data can arrive after the exit is reported (seen under load): `closed` waits for it.
    const r = await p.closed;
    const out = Buffer.concat(chunks).toString();
    expect(out).toBe(`getpid=4242\nuname=0 ${os.type()} sandbox 1.2.3\n`);
    expect(r.code).toBe(0);
    // getpid is logged (emulated, result 4242); write is traced (result: bytes written).
    const fromFile = readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as AuditEvent);
    expect(fromFile).toEqual(events);
    expect(events.map((e) => [e.syscall, e.verdict, e.result, e.rule, e.source])).toEqual([
      ['getpid', 'emulate', 4242, 'fake-pid', 'test-policy.yaml:2'],
      ['write', 'trace', out.length, 'watch', 'test-policy.yaml:9'],
    ]);
    expect(events[0]).toMatchObject({ pid: r.stats.tracees === 1 ? p.pid : expect.any(Number), tid: p.pid, detail: 'return 4242' });
  });

  test('deny is audited with the resolved path, the rule and its file:line', async () => {
    const denied: AuditEvent[] = [];
    const p = spawn({ command: 'cat', args: ['allowed/link'], cwd: tmp, backend, policy: pathPolicy([secret]), quiet: true });
    p.on('denied', (e: AuditEvent) => denied.push(e));
    await p.exited;
    expect(denied).toHaveLength(1);
    expect(denied[0]).toMatchObject({
      syscall: 'openat', verdict: 'deny', detail: 'EACCES', result: -errnoOf('EACCES'), rule: 'no-secrets',
      source: 'test-policy.yaml:4', args: { dfd: 'AT_FDCWD', filename: path.join(secret, 'key.txt'), flags: 'O_RDONLY' },
    });
  });

  // Needs IPv4 in the kernel (the patched kernel's test guest is a tinyconfig without INET).
  test.skipIf(!existsSync('/proc/net/tcp'))('socket addresses are decoded in the audit stream (connect, sendto, sendmsg)', async () => {
    const sock = path.join(mkdtempSync(path.join(os.tmpdir(), 'sysvm-sock-')), 's');
    const py = [
      'import socket',
      `u = socket.socket(socket.AF_UNIX); u.bind(${JSON.stringify(sock)}); u.listen(1)`,
      `c = socket.socket(socket.AF_UNIX); c.connect(${JSON.stringify(sock)})`,
      "d = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); d.sendto(b'x', ('127.0.0.1', 9))",
      "d.sendmsg([b'y'], [], 0, ('127.0.0.1', 10))",
      'try:',
      "    socket.socket(socket.AF_INET6, socket.SOCK_DGRAM).sendto(b'z', ('::1', 11))",
      'except OSError:',
      '    pass',
      "print('sent')",
    ].join('\n');
    const events: AuditEvent[] = [];
    const p = spawn({
      command: 'python3', args: ['-c', py], backend, quiet: true, stdio: 'ignore',
      policy: {
        filter: traceOnly(['connect', 'sendto', 'sendmsg']),
        // The supervisor sees the same destinations through deref.sockaddr().
        decide: (inv, ctx) => {
          const sa = (inv.deref as unknown as { sockaddr(): { family: unknown } | undefined }).sockaddr();
          const traced = sa !== undefined && (ctx.name === 'connect' || ctx.name.startsWith('send'));
          return { verdict: { kind: traced ? 'trace' : 'allow' }, rule: null, log: false };
        },
      },
    });
    p.on('decision', (e: AuditEvent) => events.push(e));
    expect((await p.exited).code).toBe(0);
    // glibc may also connect to nscd (/var/run/nscd/socket) on machines that run it: keep only
    // the destinations this program chose.
    const seen = events.map((e) => [e.syscall, e.args.uservaddr ?? e.args.addr ?? e.args.sockaddr])
      .filter(([, a]) => a === `unix:${sock}` || String(a).startsWith('inet'));
    expect(seen.slice(0, 3)).toEqual([['connect', `unix:${sock}`], ['sendto', 'inet:127.0.0.1:9'], ['sendmsg', 'inet:127.0.0.1:10']]);
    expect(seen.slice(3)).toEqual([['sendto', 'inet6:[::1]:11']]);
  });

  test('an argument rewrite runs the call with the new value (write to fd 2 goes to fd 1)', async () => {
    const r = await run({
      command: bin.write2!, backend,
      policy: {
        filter: traceOnly(['write']),
        decide: (inv, ctx) => ({
          verdict: { kind: 'allow' }, rule: null, log: false,
          ...(ctx.name === 'write' && inv.args[0] === 2n ? { rewrite: [{ arg: 0, value: 1n }] } : {}),
        }),
      },
    });
    expect({ stdout: r.stdout, stderr: r.stderr }).toEqual({ stdout: 'moved\n', stderr: '' });
  });

  test("the target's own execve is the policy's to decide", async () => {
    const r = await run({
      command: 'true', backend, quiet: true,
      policy: {
        filter: traceOnly(['execve']),
        data: { EACCES: errnoOf('EACCES') },
        decide: (_inv, ctx) => (ctx.name === 'execve'
          ? { verdict: { kind: 'deny', errno: (ctx.data as { EACCES: number }).EACCES, errnoName: 'EACCES' }, rule: null, log: false }
          : { verdict: { kind: 'allow' }, rule: null, log: false }),
      },
    });
    // The launcher stub reports the failed exec like a shell does.
    expect(r.code).toBe(126);
    expect(r.stderr).toContain('Permission denied');
  });

  test('stdin from a pipe, stdout to a file', async () => {
    const out = path.join(mkdtempSync(path.join(os.tmpdir(), 'sysvm-out-')), 'out.txt');
    const p = spawn({ command: 'tr', args: ['a-z', 'A-Z'], backend, policy: allowAll, stdio: ['pipe', { file: out }, 'inherit'] });
    p.stdin!.end('piped text\n');
    expect((await p.exited).code).toBe(0);
    expect(readFileSync(out, 'utf8')).toBe('PIPED TEXT\n');
  });

  test('closed: every byte of piped output is read by then; a stream nobody reads is not waited for', async () => {
    // 4 MiB through each pipe (64 KiB of pipe buffer): the last chunks are read after the exit.
    const sh = 'head -c 4194304 /dev/zero | tr "\\0" o; head -c 4194304 /dev/zero | tr "\\0" e >&2';
    const p = spawn({ command: 'sh', args: ['-c', sh], backend, policy: allowAll, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = 0;
    let err = 0;
    p.stdout!.on('data', (c: Buffer) => { out += c.length; });
    p.stderr!.on('data', (c: Buffer) => { err += c.length; });
    let closeEvent: unknown;
    p.on('close', (r) => { closeEvent = r; });
    const r = await p.closed;
    expect([r.code, out, err]).toEqual([0, 4194304, 4194304]);
    expect(closeEvent).toBe(r);
    // Output that fits in the pipe, never read: `closed` resolves all the same.
    const q = spawn({ command: 'echo', args: ['unread'], backend, policy: allowAll, stdio: ['ignore', 'pipe', 'pipe'] });
    expect((await q.closed).code).toBe(0);
  });

  test('arguments and a program name that are not UTF-8 reach the program as their bytes', async () => {
    // The API takes byte strings as linux/pathtext.ts writes them: U+DC80 + b for a byte b
    // that is not part of valid UTF-8.
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sysvm-rawargv-'));
    symlinkSync('/usr/bin/printf', Buffer.concat([Buffer.from(`${dir}/`), Buffer.from([0xfe])]));
    const out = path.join(dir, 'out');
    const p = spawn({ command: `${dir}/\udcfe`, args: ['%s|%s', 'caf\udce9', '\u00e9'], backend, policy: allowAll, stdio: ['ignore', { file: out }, 'inherit'] });
    expect((await p.exited).code).toBe(0);
    expect([...readFileSync(out)]).toEqual([0x63, 0x61, 0x66, 0xe9, 0x7c, 0xc3, 0xa9]);
  });

  test('kill verdict kills the whole process', async () => {
    const r = await run({
      command: bin.emul!, backend, quiet: true,
      policy: {
        filter: traceOnly(['uname']),
        decide: (_inv, ctx) => (ctx.name === 'uname'
          ? { verdict: { kind: 'kill' }, rule: null, log: false }
          : { verdict: { kind: 'allow' }, rule: null, log: false }),
      },
    });
    expect({ code: r.code, signal: r.signal }).toEqual({ code: null, signal: 'SIGKILL' });
    expect(r.stdout).toBe('');
  });

  test('a prefilter that sends getpid only: exactly one seccomp stop per call', async () => {
    // (getpid with no rule at all: the conformance table.)
    // A prefilter that sends getpid and nothing else: exactly one seccomp stop per call.
    const traced = await run({ command: bin.getpid_loop!, args: ['10000'], backend, policy: { ...allowAll, filter: traceOnly(['getpid']) } });
    expect(traced.stats.syscalls.getpid).toBe(10000);
    if (backend !== 'ptrace') {
      expect(traced.stats.stops.seccomp).toBe(10000);
      expect(Object.keys(traced.stats.syscalls)).toEqual(['getpid']);
    } else {
      expect(traced.stats.stops.seccomp).toBe(0);
    }
  });

  test('concurrent runs do not steal each other\'s stops, and leave no zombie', async () => {
    const rs = await Promise.all([1, 2, 3].map((n) => run({ command: 'sh', args: ['-c', `echo ${n}; exit ${n}`], backend, policy: allowAll })));
    expect(rs.map((r) => [r.stdout, r.code])).toEqual([['1\n', 1], ['2\n', 2], ['3\n', 3]]);
    const p = spawn({ command: 'true', backend, policy: allowAll });
    await p.exited;
    expect(existsSync(`/proc/${p.pid}`)).toBe(false);
  });

  test('a group-stop is parked and SIGCONT resumes it (job control)', async () => {
    const p = spawn({ command: 'sh', args: ['-c', 'echo stopping; kill -STOP $$; echo resumed'], backend, policy: allowAll });
    let out = '';
    p.stdout!.on('data', (c: Buffer) => { out += c.toString(); });
    let exited = false;
    const done = p.exited.finally(() => { exited = true; });
    // SIGCONT until it resumes: SIGCONT to a running process does nothing, and whether the
    // stop has happened yet cannot be seen from /proc (a traced thread is 't' at every stop).
    while (!exited && !out.includes('resumed')) {
      await new Promise((res) => setTimeout(res, 20));
      if (out.includes('stopping')) p.kill('SIGCONT');
    }
    await done;
    const r = await p.closed;
    expect(out).toBe('stopping\nresumed\n');
    expect(r.code).toBe(0);
    expect(r.stats.stops.group).toBeGreaterThanOrEqual(1);
  });

  test('kill() stops the run: no process survives', async () => {
    const pidfile = path.join(mkdtempSync(path.join(os.tmpdir(), 'sysvm-kill-')), 'pids');
    const p = spawn({
      command: 'sh', args: ['-c', `sleep 100 & echo $! > ${pidfile}; sleep 100 & echo $! >> ${pidfile}; wait`],
      backend, policy: allowAll, stdio: 'ignore',
    });
    let pids: number[] = [];
    // Up to a minute: under TCG (the vmtags guest) starting two sleeps takes seconds.
    for (let i = 0; i < 6000 && pids.length < 2; i++) {
      await new Promise((res) => setTimeout(res, 10));
      try {
        pids = readFileSync(pidfile, 'utf8').trim().split('\n').filter(Boolean).map(Number);
      } catch {
        // not yet
      }
    }
    expect(pids).toHaveLength(2);
    p.kill();
    const r = await p.exited;
    expect(r.signal).toBe('SIGKILL');
    for (const pid of [p.pid!, ...pids]) expect(running(pid)).toBe(false);
  });

  test('newProcessGroup: `kill 0` inside reaches only the sandbox', async () => {
    // Without the option this would signal the test runner too (same process group).
    const r = await run({ command: 'sh', args: ['-c', 'sleep 100 & kill -TERM 0; wait'], backend, policy: allowAll, newProcessGroup: true });
    expect(r.signal).toBe('SIGTERM');
    // The group is the sandbox's main process.
    const g = await run({ command: 'sh', args: ['-c', 'echo $(cut -d" " -f5 /proc/$$/stat) $$'], backend, policy: allowAll, newProcessGroup: true });
    const [pgrp, pid] = g.stdout!.trim().split(' ');
    expect(pgrp).toBe(pid);
  });

  test('when the main process exits, its leftover children are killed', async () => {
    const r = await run({ command: 'sh', args: ['-c', 'sleep 100 & echo $!'], backend, policy: allowAll });
    expect(r.code).toBe(0);
    const child = Number(r.stdout!.trim());
    expect(child).toBeGreaterThan(0);
    expect(running(child)).toBe(false);
  });
});

describe('policies and signals', () => {
  test('policyFromIR: the policy\'s environment sections decide what the program gets of `env`; an inline policy has none', async () => {
    const { ir } = loadPolicy({ file: 'env.yaml', text: 'sysvm: 1\ndefault: allow\nenvironment: { drop: ["*_TOKEN"], set: { ADDED: yes } }\n' });
    const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', CI_TOKEN: 't', PLAIN: 'p' };
    const show = ['-c', 'echo "${CI_TOKEN-unset} ${PLAIN-unset} ${ADDED-unset}"'];
    const a = await run({ command: 'sh', args: show, env, policy: policyFromIR(ir!) });
    expect([a.code, a.stdout]).toEqual([0, 'unset p yes\n']);
    const b = await run({ command: 'sh', args: show, env, policy: allowAll });
    expect([b.code, b.stdout]).toEqual([0, 't p unset\n']);
  });

  test('a policy from a module, with options', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sysvm-mod-'));
    const mod = path.join(dir, 'policy.mjs');
    writeFileSync(mod, [
      'export function createSupervisorPolicy(o) {',
      '  return { filter: null, decide: (inv, ctx) => ctx.name === o.name',
      "    ? { verdict: { kind: 'emulate', emulate: { kind: 'return', value: o.value } }, rule: null, log: false }",
      "    : { verdict: { kind: 'allow' }, rule: null, log: false } };",
      '}',
    ].join('\n'));
    const r = await run({ command: bin.emul!, policy: { module: pathToFileURL(mod), options: { name: 'getpid', value: 77 } } });
    expect(r.stdout).toMatch(/^getpid=77\n/);
  });

  test('a policy that throws denies the call (fails closed)', async () => {
    const r = await run({
      command: bin.emul!, quiet: true,
      policy: { filter: traceOnly(['getpid']), decide: () => { throw new Error('boom'); } },
    });
    expect(r.stdout).toMatch(new RegExp(`^getpid=-1\n`));
  });

  test.for([
    ['no decision', 'undefined'],
    ['an unknown verdict', "({ verdict: { kind: 'maybe' }, rule: null, log: false })"],
    ['deny without errno', "({ verdict: { kind: 'deny' }, rule: null, log: false })"],
    ['a rewrite of argument 7', "({ verdict: { kind: 'allow' }, rule: null, log: false, rewrite: [{ arg: 7, value: 0n }] })"],
  ])('a policy that returns %s denies the call, with an audit event', async ([, body]) => {
    const events: AuditEvent[] = [];
    const p = spawn({
      command: bin.emul!, quiet: true, stdio: ['ignore', 'pipe', 'ignore'],
      policy: { filter: traceOnly(['getpid']), decide: new Function(`return ${body};`) as InlinePolicy['decide'] },
    });
    p.on('denied', (e: AuditEvent) => events.push(e));
    let out = '';
    p.stdout!.on('data', (c: Buffer) => { out += c.toString(); });
    expect((await p.closed).code).toBe(0);
    expect(out).toMatch(/^getpid=-1\n/);
    expect(events.map((e) => [e.syscall, e.verdict, e.result])).toEqual([['getpid', 'deny', -errnoOf('EPERM')]]);
    expect(events[0]!.rule).toMatch(/^sysvm:policy-error: Error: /);
  });

  test('forwardSignals: a signal to this process reaches the sandboxed one', async () => {
    const p = spawn({ command: 'sleep', args: ['100'], policy: allowAll, forwardSignals: ['SIGUSR2'] });
    await new Promise((res) => p.once('spawn', res));
    // Wait for the exec of sleep (the stub is a shell, which would die of SIGUSR2 as well;
    // argv[0] is the resolved path, /usr/bin/sleep).
    for (let i = 0; i < 300 && !readFileSync(`/proc/${p.pid}/cmdline`, 'utf8').includes('sleep'); i++) {
      await new Promise((res) => setTimeout(res, 10));
    }
    process.kill(process.pid, 'SIGUSR2');
    const r = await p.exited;
    expect(r.signal).toBe('SIGUSR2');
    expect(process.listenerCount('SIGUSR2')).toBe(0);
  });
});

describe('launch errors', () => {
  test.for([
    ['a cwd that does not exist', { cwd: '/nonexistent-sysvm-dir' }, /cannot enter \/nonexistent-sysvm-dir/],
    ['an output file in a missing directory', { stdio: ['ignore', { file: '/nonexistent-sysvm-dir/out' }, 'ignore'] as const }, /posix_spawn|cannot start/],
  ] as const)('%s is a clear launch error', async ([, extra, message]) => {
    const p = spawn({ command: 'true', policy: allowAll, ...(extra as object) });
    await expect(p.exited).rejects.toMatchObject({ code: 'ESPAWN', message: expect.stringMatching(message) });
  });

  test('an unknown command is a clear error', () => {
    expect(() => spawn({ command: 'no-such-command-sysvm', policy: allowAll })).toThrow(/command not found in PATH/);
  });

  test.for([-1, 2.5, NaN])('denialLines %s is a clear error', (n) => {
    expect(() => spawn({ command: 'true', policy: allowAll, denialLines: n }))
      .toThrow(expect.objectContaining({ code: 'EOPTION', message: expect.stringMatching(/^denialLines: .* is not a count/) }));
  });
});
