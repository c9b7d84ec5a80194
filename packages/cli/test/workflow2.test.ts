// The built `sysvm` on real programs: learn (then run under what was learnt), run --audit,
// report on the log it wrote, doctor on this machine.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { type AddressInfo, type Server, createServer } from 'node:net';
import { release, tmpdir } from 'node:os';
import { join } from 'node:path';
import { NSCD_SOCKETS, abi, evaluate, loadPolicy } from '@sysvm/policy';
import { describe, expect, test } from 'vitest';
import { RECORDING_TEXT } from '../src/commands/impl/learn.js';

const ROOT = join(import.meta.dirname, '../../..');
const CLI = join(ROOT, 'packages/cli/dist/main.js');
const SLOW = { timeout: 120_000 };

function sysvm(args: string[], opts: { cwd?: string; input?: string } = {}) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: opts.cwd ?? ROOT, encoding: 'utf8', input: opts.input ?? '' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function plain(cmd: string[], cwd: string) {
  const r = spawnSync(cmd[0]!, cmd.slice(1), { cwd, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout };
}

const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

// Whether this machine has a working IPv4 loopback (a kernel with INET and `lo` up), asked of
// the machine itself, unsandboxed (the patched kernel's test guest has no usable loopback).
const INET = spawnSync(PYTHON, ['-c', [
  'import socket', 's = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen()', 'socket.create_connection(s.getsockname()).close()',
].join('\n')]).status === 0;

/** A TCP listener on 127.0.0.1, on a port the kernel picks. */
const listener = (): Promise<Server> => new Promise((resolve, reject) => {
  const s = createServer((c) => c.destroy());
  s.on('error', reject);
  s.listen(0, '127.0.0.1', () => resolve(s));
});

describe('sysvm learn', SLOW, () => {
  const programs: Array<[string, string[]]> = [
    ['ls', ['ls', '-l', '/usr/share']],
    ['sh', ['sh', '-c', 'cat /etc/hostname > out.txt; cat out.txt']],
    ['python', [PYTHON, '-c', 'import json, os; print(json.dumps(sorted(os.listdir("/usr/share"))[:5]))']],
  ];
  test.for(programs)('%s: the learnt policy lints clean and the program runs again unchanged under it', ([, cmd]) => {
    const dir = mkdtempSync(join(tmpdir(), 'learn-cli-'));
    const policy = join(dir, 'policy.yaml');
    const want = plain(cmd, dir);
    expect(want.code).toBe(0);

    const l = sysvm(['learn', '-o', policy, '--', ...cmd], { cwd: dir });
    expect(l.code).toBe(0);
    expect(l.stdout).toBe(want.stdout);
    expect(l.stderr).toMatch(/recorded \d+ calls: \d+ syscalls, \d+ paths, \d+ socket address(es)?\nsysvm learn: wrote \d+ rules to .*; 'sysvm lint' finds no problems/);
    // the progress line only on a terminal or on request
    expect(l.stderr).not.toMatch(/recording/);
    const text = readFileSync(policy, 'utf8');
    expect(text).toMatch(/^default: \{ deny: EPERM \}$/m);
    expect(text).toMatch(/^ {2}# /m);

    const lint = sysvm(['lint', '--strict', policy]);
    expect(lint.stdout).toMatch(/no problems found/);
    expect(lint.code).toBe(0);

    const again = sysvm(['run', '-p', policy, '--', ...cmd], { cwd: dir });
    expect(again.stderr).toBe('');
    expect(again.code).toBe(0);
    expect(again.stdout).toBe(want.stdout);
  });

  test.skipIf(!INET)('the endpoint it connected to: the same connect runs again, another port is refused by the policy', async () => {
    // Two listeners: the second port has a server too, so only the policy can refuse it.
    // (spawnSync blocks this process's event loop; the kernel completes the handshakes.)
    const servers = [await listener(), await listener()];
    try {
      const [port, other] = servers.map((s) => (s.address() as AddressInfo).port);
      const dir = mkdtempSync(join(tmpdir(), 'learn-cli-'));
      const policy = join(dir, 'net.yaml');
      writeFileSync(join(dir, 'client.py'), [
        'import socket, sys',
        'c = socket.socket()',
        'try:',
        '    c.connect(("127.0.0.1", int(sys.argv[1]))); print("connected")',
        'except OSError as e:',
        '    print(e.errno, c.getsockname()[1])',
      ].join('\n'));
      const client = (p: number) => [PYTHON, 'client.py', String(p)];

      const l = sysvm(['learn', '-o', policy, '--', ...client(port!)], { cwd: dir });
      expect(l.code).toBe(0);
      expect(l.stdout).toBe('connected\n');
      expect(l.stderr).toMatch(/ paths, 1 socket address\n.*'sysvm lint' finds no problems/);
      const text = readFileSync(policy, 'utf8');
      expect(text).toMatch(/^ {4}match: \{ family: \{ in: \[AF_INET\] \} \}$/m);
      expect(text).toContain(`\n    syscalls: [connect]\n    match:\n      - { addr: "127.0.0.1:${port}" }\n    action: allow\n`);

      const again = sysvm(['run', '-p', policy, '--', ...client(port!)], { cwd: dir });
      expect(again).toEqual({ code: 0, stdout: 'connected\n', stderr: '' });

      const refused = sysvm(['run', '-p', policy, '--', ...client(other!)], { cwd: dir });
      // 111 ECONNREFUSED with local port 0: the kernel never ran the connect (no SYN left)
      expect(refused.stdout).toBe('111 0\n');
      expect(refused.stderr).toMatch(new RegExp(
        `^sysvm: denied connect\\(uservaddr="inet:127\\.0\\.0\\.1:${other}"\\) = -111 \\(ECONNREFUSED\\) \\[pid \\d+\\] by other-destinations at `, 'm'));
      expect(refused.code).toBe(0);
    } finally {
      for (const s of servers) s.close();
    }
  });

  test.for([...NSCD_SOCKETS.map((p) => [p, 'deny'] as const), ['/run/other.sock', 'trace'] as const])(
    'the recording refuses nscd\'s socket (glibc then looks names up itself): connect to %s: %s', ([path, kind]) => {
      const r = loadPolicy({ file: 'recording.yaml', text: RECORDING_TEXT });
      expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
      const d = evaluate(r.ir!, { arch: 'x86_64', nr: abi.syscallNumber('x86_64', 'connect')!, args: [3n, 0x1000n, 110n, 0n, 0n, 0n],
        deref: { path: () => undefined, sockaddrs: () => [{ family: 'unix', path }] } });
      expect(d.verdict).toMatchObject(kind === 'deny' ? { kind, errnoName: 'ECONNREFUSED' } : { kind });
    });

  test('--progress shows the progress line; an existing file needs --force', () => {
    const dir = mkdtempSync(join(tmpdir(), 'learn-cli-'));
    const policy = join(dir, 'p.yaml');
    const l = sysvm(['learn', '--progress', '-o', policy, '--', 'true'], { cwd: dir });
    expect(l.code).toBe(0);
    expect(l.stderr).toMatch(/^sysvm learn: recording true: \d+ calls, \d+ syscalls\n/m);
    const again = sysvm(['learn', '-o', policy, '--', 'true'], { cwd: dir });
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/exists; give --force/);
  });

  test.for([
    [['learn', '--', 'true'], 2, /give the policy file to write: -o POLICY/],
    [['learn', '-o', '/tmp/x.yaml'], 2, /no command given/],
    [['learn', '-o', join(tmpdir(), 'never.yaml'), '--', '/no/such/program'], 125, /no such executable/],
  ] as const)('sysvm %j exits %i', ([args, code, re]) => {
    const r = sysvm([...args]);
    expect(r.code).toBe(code);
    expect(r.stderr).toMatch(re);
  });
});

describe('sysvm run --audit and sysvm report', SLOW, () => {
  const dir = mkdtempSync(join(tmpdir(), 'audit-cli-'));
  const log = join(dir, 'audit.jsonl');
  const cmd = ['sh', '-c', 'echo written > f.txt; cat /etc/hostname'];

  test('read-only.yaml denies the write; with --audit it runs, and the denial is logged', () => {
    const enforced = sysvm(['run', '-p', join(ROOT, 'examples/read-only.yaml'), '--', ...cmd], { cwd: dir });
    expect(enforced.stderr).toMatch(/sysvm: denied openat\(.*f\.txt.*EROFS/);
    expect(existsSync(join(dir, 'f.txt'))).toBe(false);

    const audited = sysvm(['run', '--audit', '--log', log, '-p', join(ROOT, 'examples/read-only.yaml'), '--', ...cmd], { cwd: dir });
    expect(audited.code).toBe(0);
    expect(readFileSync(join(dir, 'f.txt'), 'utf8')).toBe('written\n');
    expect(audited.stdout).toBe(readFileSync('/etc/hostname', 'utf8'));
    expect(audited.stderr).toMatch(/^sysvm: audit: would deny openat\(.*filename=".*f\.txt".*\) with EROFS; ran = \d+ \[pid \d+\] by no-writes at .*read-only\.yaml:\d+$/m);
    expect(audited.stderr).not.toMatch(/sysvm: denied/);
    const events = readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const write = events.find((e) => e.rule === 'no-writes');
    expect(write).toMatchObject({ syscall: 'openat', verdict: 'deny', detail: 'EROFS', audit: true });
    expect(write!.result as number).toBeGreaterThanOrEqual(0);
  });

  test('report: the tables, --format json, --top, bad lines', () => {
    const r = sysvm(['report', log]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/in audit mode: would deny, not carried out/);
    expect(r.stdout).toMatch(/^Top denials by rule\ncount +rule +verdict +where\n/m);
    expect(r.stdout).toMatch(/^ +1 +no-writes +EROFS +.*read-only\.yaml:\d+$/m);
    expect(r.stdout).toMatch(/^Top denials by path\n(.*\n)*? +1 +.*\/f\.txt$/m);

    const j = sysvm(['report', '--format', 'json', '--top', '1', log]);
    expect(j.code).toBe(0);
    const rep = JSON.parse(j.stdout) as { events: number; rules: unknown[]; byVerdict: Record<string, number> };
    expect(rep.rules).toHaveLength(1);
    expect(rep.byVerdict['deny (audit)']).toBe(rep.events);

    const bad = join(dir, 'bad.jsonl');
    writeFileSync(bad, `${readFileSync(log, 'utf8')}garbage\n{"x":1}\n`);
    const b = sysvm(['report', bad]);
    expect(b.code).toBe(0);
    const n = readFileSync(log, 'utf8').trim().split('\n').length;
    expect(b.stdout).toContain(`bad.jsonl:${n + 1}: not JSON`);
    expect(b.stdout).toContain(`bad.jsonl:${n + 2}: not an audit event`);
  });

  test.for([
    [['report'], 2, /no log file given/],
    [['report', '/no/such.jsonl'], 1, /cannot read \/no\/such\.jsonl: ENOENT/],
    [['report', '--top', '0', 'x'], 2, /--top must be a positive integer/],
  ] as const)('sysvm %j exits %i', ([args, code, re]) => {
    const r = sysvm([...args]);
    expect(r.code).toBe(code);
    expect(r.stderr).toMatch(re);
  });

  test('report of stdin with no events exits 1', () => {
    const r = sysvm(['report', '-'], { input: 'nothing here\n' });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/\(stdin\):1: not JSON/);
  });
});

describe('sysvm doctor', SLOW, () => {
  test('text: the checks with ✓/✗ and why, and the backend auto picks', () => {
    const r = sysvm(['doctor']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(release());
    expect(r.stdout).toMatch(/^✓ ptrace a child \(PTRACE_SEIZE\) +yes$/m);
    expect(r.stdout).toMatch(/^[✓✗] PTRACE_O_VM_TAGS \(ptrace_vm patch\) /m);
    expect(r.stdout).toMatch(/^[✓✗] Landlock +(ABI \d+(: .*)?|no: \w+)$/m);
    expect(r.stdout).toMatch(/^--backend auto picks: (seccomp|ptrace)\n {2}auto starts with seccomp/m);
  });

  test('json agrees with /proc', () => {
    const r = sysvm(['doctor', '--format', 'json']);
    expect(r.code).toBe(0);
    const d = JSON.parse(r.stdout) as { checks: Array<{ id: string; ok: boolean | null; value: string }>; backend: { auto: string } };
    expect(d.checks.map((c) => c.id)).toEqual(['kernel', 'seccomp', 'yama', 'user', 'ptrace', 'vmtags', 'syscall-info', 'landlock', 'userns', 'no-new-privs', 'bundles']);
    const actions = readFileSync('/proc/sys/kernel/seccomp/actions_avail', 'utf8').trim();
    expect(d.checks.find((c) => c.id === 'seccomp')!.value).toContain(actions);
    // the seccomp backend needs RET_TRACE: auto takes it exactly when the kernel has it
    expect(d.backend.auto).toBe(actions.split(' ').includes('trace') ? 'seccomp' : 'ptrace');
    // a stock kernel rejects the ptrace_vm option with EINVAL
    const vm = d.checks.find((c) => c.id === 'vmtags')!;
    expect(vm.ok === true || /EINVAL/.test(vm.value)).toBe(true);
  });
});
