// Every intent-level example, run with the real programs its comment names (issue 5: each
// example exercised by a test), on both stock-kernel backends, and on vmtags where the kernel
// has the ptrace_vm patch (kernel/test/vmtags-runtime runs this file in the patched guest).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';

const ROOT = join(import.meta.dirname, '../../..');
const CLI = join(ROOT, 'packages/cli/dist/main.js');
// the year 365 days ago (not simply this year - 1: on Dec 31 of a leap year they differ)
const lastYear = String(new Date(Date.now() - 365 * 86_400_000).getFullYear());

/** `backend` is the --backend value, with more `sysvm run` options after a space. */
function run(backend: string, policy: string, script: string, cwd?: string) {
  const r = spawnSync(process.execPath, [CLI, 'run', '-q', '--backend', ...backend.split(' '), '-p', join(ROOT, 'examples', policy), '--',
    'sh', '-c', script], { encoding: 'utf8', cwd: cwd ?? mkdtempSync(join(tmpdir(), 'sysvm-ex-')) });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

// The vmtags backend where the kernel accepts PTRACE_O_VM_TAGS (else `sysvm run` exits 125,
// ENOVMTAGS), in both of its modes: decisions at seccomp stops (the prefilter, the default)
// and at every call's entry stop (--no-prefilter: passes resume with PTRACE_VM_SKIPEXIT, so
// an emulation that needs the call's exit must ask for it). SYSVM_TEST_BACKENDS=vmtags,...
// restricts the list by backend name, as in the runtime's tests.
// Any other failure is the test's error, not a reason to leave vmtags out.
const probe = spawnSync(process.execPath, [CLI, 'run', '-q', '--backend', 'vmtags', '--', 'true'], { encoding: 'utf8' });
if (probe.status !== 0 && !(probe.status === 125 && probe.stderr.includes('ptrace_vm patch'))) {
  throw new Error(`sysvm run --backend vmtags -- true: exit ${probe.status}: ${probe.stderr}`);
}
const vmtags = probe.status === 0;
const BACKENDS = ['seccomp', 'ptrace', ...(vmtags ? ['vmtags', 'vmtags --no-prefilter'] : [])]
  .filter((b) => process.env.SYSVM_TEST_BACKENDS === undefined || process.env.SYSVM_TEST_BACKENDS.split(',').includes(b.split(' ')[0]!));

// Whether this machine has a working IPv4 loopback (a kernel with INET and `lo` up), asked of
// the machine itself, unsandboxed (the patched kernel's test guest has no usable loopback).
const INET = spawnSync('python3', ['-c', [
  'import socket', 's = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen()', 'socket.create_connection(s.getsockname()).close()',
].join('\n')]).status === 0;

describe.for(BACKENDS)('examples under %s', (backend) => {
  test('identity-time: root on "sandbox", a year ago (and so is a file written now)', () => {
    const r = run(backend, 'identity-time.yaml', 'id -u; id -un; hostname; cat /etc/hostname; date +%Y; touch f; date -r f +%Y');
    expect(r.out).toBe(`0\nroot\nsandbox\nsandbox\n${lastYear}\n${lastYear}\n`);
  });

  test('frozen-clock: always 2000-01-01, user 1000 with groups 1000 and 100', () => {
    const r = run(backend, 'frozen-clock.yaml', 'date -u +%FT%T; id -u; id -G; python3 -c "import time; print(int(time.time()))"');
    expect(r.out).toBe('2000-01-01T00:00:00\n1000\n1000 100\n946684800\n');
  });

  test('virtual-files: virtual /etc/motd and resolv.conf, /data bound read-only', () => {
    const r = run(backend, 'virtual-files.yaml', 'cat /etc/motd /etc/resolv.conf /data/hello.txt; ls /data; touch /data/x');
    expect(r.out).toBe('Welcome to the sandbox.\nnameserver 10.0.0.53\nsearch sandbox.internal\nhello from the bound directory\nhello.txt\n');
    expect(r.err).toMatch(/touch: cannot touch '\/data\/x': Read-only file system/);
    expect(r.code).toBe(1);
  });

  test('fs-intent: .env in the project is as if absent', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sysvm-ex-'));
    writeFileSync(join(dir, '.env'), 'SECRET=1\n');
    writeFileSync(join(dir, 'README'), 'public\n');
    const r = run(backend, 'fs-intent.yaml', 'cat README; cat .env; ls -a', dir);
    expect(r.out.split('\n')[0]).toBe('public');
    expect(r.err).toMatch(/\.env: No such file or directory/);
  });

  test('offline: no socket at all, decided by the kernel', () => {
    const r = run(backend, 'offline.yaml', 'python3 -c "import socket\ntry: socket.socket(socket.AF_UNIX)\nexcept OSError as e: print(e.errno)"');
    expect(r.out).toBe('97\n');
  });

  test.skipIf(!INET)('loopback-dev: a server on loopback is reachable, TEST-NET is refused at the call', () => {
    const script = [
      'import socket',
      's = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen()',
      'socket.create_connection(s.getsockname()).close(); print("loopback")',
      'c = socket.socket(); c.setblocking(False)',
      'try: c.connect(("192.0.2.1", 80))',
      'except OSError as e: print(e.errno, c.getsockname()[1])',
    ].join('\n');
    const r = run(backend, 'loopback-dev.yaml', `python3 -c '${script}'`);
    // 111 ECONNREFUSED with local port 0: the kernel never ran the connect (no SYN left)
    expect(r.out).toBe('loopback\n111 0\n');
  });

  test('partial-vm: every section at once', () => {
    const r = run(backend, 'partial-vm.yaml', 'id -u; hostname; cat /etc/hostname /data/hello.txt; date +%Y');
    expect(r.out).toBe(`0\nsandbox\nsandbox\nhello from the bound directory\n${lastYear}\n`);
  });
});
