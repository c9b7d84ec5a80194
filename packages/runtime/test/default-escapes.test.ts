// Ways out of builtin:default, each reproduced on every backend and closed: unix sockets of
// processes outside the sandbox (by path and abstract name), device nodes made by a root
// program. The policy is the real builtin, loaded with this test's directories as ${cwd} and
// ${tmp}; the programs are the system's python3 (/usr/bin, which the policy may run).
import { type ChildProcess, spawn as spawnChild } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadPolicy } from '@sysvm/policy';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import { policyFromIR, run } from '../src/index.js';
import type { PolicyIR } from '../src/index.js';
import { LANDLOCK_SCOPE_ABI, scopingAbi } from '../src/linux/landlock.js';
import { BACKENDS } from './helpers.js';

const PYTHON = '/usr/bin/python3';
const hasPython = existsSync(PYTHON);

let outside: string; // a directory outside the sandbox's ${cwd} and ${tmp}
let listener: ChildProcess;
const abstractName = `sysvm-test-outside-${process.pid}`;

/** builtin:default with `cwd` as ${cwd} and a directory of its own as ${tmp}. */
function defaultPolicy(cwd: string): PolicyIR {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'sysvm-esc-tmp-'));
  const r = loadPolicy('builtin:default', { context: { cwd, tmp } });
  expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return r.ir!;
}

/** A fresh working directory for one run (not below `outside`). */
const workDir = (): string => mkdtempSync(path.join(os.tmpdir(), 'sysvm-esc-work-'));

// Listens outside the sandbox, as the D-Bus bus, an ssh-agent or docker.sock do: a stream
// socket file, a datagram socket file and an abstract stream socket; answers "outside".
const LISTENER = `
import socket, sys, threading, os
d, name = sys.argv[1], sys.argv[2]
def serve(s):
    while True:
        c, _ = s.accept(); c.sendall(b'outside'); c.close()
st = socket.socket(socket.AF_UNIX); st.bind(os.path.join(d, 's.sock')); st.listen(8)
ab = socket.socket(socket.AF_UNIX); ab.bind('\\0' + name); ab.listen(8)
dg = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); dg.bind(os.path.join(d, 'd.sock'))
for s in (st, ab): threading.Thread(target=serve, args=(s,), daemon=True).start()
print('ready', flush=True)
sys.stdin.read()
`;

// In the sandbox: reach the outside sockets (directly, and through a symlink in the working
// directory), and make and reach sockets of its own (a file in the working directory, an
// abstract name, autobind, socketpair).
const PROBE = `
import socket, sys, os, errno, threading
d, name = sys.argv[1], sys.argv[2]
def res(f):
    try:
        return f()
    except OSError as e:
        return errno.errorcode[e.errno]
def fetch(addr):
    s = socket.socket(socket.AF_UNIX); s.connect(addr); return s.recv(16).decode()
def own(addr):
    srv = socket.socket(socket.AF_UNIX); srv.bind(addr); srv.listen(1)
    threading.Thread(target=lambda: srv.accept()[0].sendall(b'inside'), daemon=True).start()
    return fetch(addr)
os.symlink(os.path.join(d, 's.sock'), 'alias.sock')
print('outside-path', res(lambda: fetch(os.path.join(d, 's.sock'))))
print('outside-symlink', res(lambda: fetch('alias.sock')))
print('outside-abstract', res(lambda: fetch('\\0' + name)))
print('outside-sendto', res(lambda: socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM).sendto(b'x', os.path.join(d, 'd.sock'))))
print('own-path', res(lambda: own('own.sock')))
print('own-abstract', res(lambda: own('\\0' + name + '-inside')))
def autobind():
    s = socket.socket(socket.AF_UNIX); s.bind(''); return 'ok' if s.getsockname().startswith(b'\\0') else 'no name'
print('autobind', res(autobind))
def pair():
    a, b = socket.socketpair(); a.sendall(b'pair'); return b.recv(8).decode()
print('socketpair', res(pair))
def own_dgram():
    r = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); r.bind('own.dgram')
    socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM).sendto(b'dgram', 'own.dgram'); return r.recv(8).decode()
print('own-sendto', res(own_dgram))
`;

const lines = (s: string | undefined): Record<string, string> =>
  Object.fromEntries((s ?? '').trim().split('\n').map((l) => [l.slice(0, l.indexOf(' ')), l.slice(l.indexOf(' ') + 1)]));

beforeAll(async () => {
  if (!hasPython) return;
  outside = mkdtempSync(path.join(os.tmpdir(), 'sysvm-esc-outside-'));
  listener = spawnChild(PYTHON, ['-c', LISTENER, outside, abstractName], { stdio: ['pipe', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    listener.stdout!.once('data', () => resolve());
    listener.once('exit', (code) => reject(new Error(`the listener ended (${String(code)})`)));
  });
});

afterAll(() => {
  listener?.kill('SIGKILL');
});

/** Run the probe under builtin:default; `landlockMax` caps the Landlock ABI (SYSVM_LANDLOCK_ABI_MAX). */
async function probe(backend: (typeof BACKENDS)[number], landlockMax?: string): Promise<Record<string, string>> {
  const saved = process.env.SYSVM_LANDLOCK_ABI_MAX;
  if (landlockMax !== undefined) process.env.SYSVM_LANDLOCK_ABI_MAX = landlockMax;
  try {
    const cwd = workDir();
    const r = await run({ command: PYTHON, args: ['-c', PROBE, outside, abstractName], cwd, backend, policy: policyFromIR(defaultPolicy(cwd)), quiet: true });
    expect(r.stderr).toBe('');
    return lines(r.stdout);
  } finally {
    if (saved === undefined) delete process.env.SYSVM_LANDLOCK_ABI_MAX;
    else process.env.SYSVM_LANDLOCK_ABI_MAX = saved;
  }
}

describe.for(BACKENDS)('builtin:default on the %s backend', (backend) => {
  test.skipIf(!hasPython)('the probe reaches every outside socket when nothing stands in the way', async () => {
    const control = await run({ command: PYTHON, args: ['-c', PROBE, outside, abstractName], cwd: workDir(), backend,
      policy: { filter: null, decide: () => ({ verdict: { kind: 'allow' }, rule: null, log: false }) }, quiet: true });
    const r = lines(control.stdout);
    expect([r['outside-path'], r['outside-symlink'], r['outside-sendto']]).toEqual(['outside', 'outside', '1']);
  });

  // builtin:default allowed connect, bind and the sends on any unix address: the user's
  // D-Bus bus (`systemd-run --user` runs anything outside), ssh-agent, docker.sock.
  const abi6 = (scopingAbi() ?? 0) >= LANDLOCK_SCOPE_ABI;
  test.skipIf(!hasPython)('unix sockets: only those in ${cwd} and ${tmp}, and abstract ones made inside', async () => {
    expect(await probe(backend)).toEqual({
      'outside-path': 'EACCES',
      'outside-symlink': 'EACCES',
      // The Landlock domain's abstract unix socket scope (ABI 6) refuses it with EPERM.
      'outside-abstract': abi6 ? 'EPERM' : 'outside',
      'outside-sendto': 'EACCES',
      'own-path': 'inside',
      'own-abstract': 'inside',
      autobind: 'ok',
      socketpair: 'pair',
      'own-sendto': 'dgram',
    });
  });

  // Below ABI 6 there is no abstract socket scope: what docs/policy.md says remains.
  test.skipIf(!hasPython || scopingAbi() === null)('unix sockets, Landlock ABI 5: outside abstract sockets stay reachable (documented)', async () => {
    const r = await probe(backend, '5');
    expect([r['outside-path'], r['outside-abstract'], r['own-abstract']]).toEqual(['EACCES', 'outside', 'inside']);
  });

  // read-system allowed read-only opens below /dev/pts: the user's other terminals (any, as
  // root), whose typed input the program read away and whose modes it set (stty -F).
  test.skipIf(!hasPython)('no terminal of the user but its own: another pts is not opened, even for reading', async () => {
    // Outside: a terminal with a line typed into it, waiting to be read by its own program.
    const pty = spawnChild(PYTHON, ['-c', 'import os, sys\nm, s = os.openpty()\nos.write(m, b"typed-secret\\n")\nprint(os.ttyname(s), flush=True)\nsys.stdin.read()'],
      { stdio: ['pipe', 'pipe', 'inherit'] });
    try {
      const name = await new Promise<string>((resolve) => { pty.stdout!.once('data', (b: Buffer) => resolve(b.toString().trim())); });
      expect(name).toMatch(/^\/dev\/pts\/\d+$/);
      const cwd = workDir();
      const script = `import os, errno, termios\ndef res(f):\n    try:\n        return f()\n    except OSError as e:\n        return errno.errorcode[e.errno]\n`
        + `print('read', res(lambda: os.read(os.open(${JSON.stringify(name)}, os.O_RDONLY), 64).decode().strip()))\n`
        + `print('stty', res(lambda: termios.tcgetattr(os.open(${JSON.stringify(name)}, os.O_RDONLY | os.O_NONBLOCK)) and 'ok'))\n`;
      const r = await run({ command: PYTHON, args: ['-c', script], cwd, backend, policy: policyFromIR(defaultPolicy(cwd)), quiet: true });
      expect(lines(r.stdout)).toEqual({ read: 'EACCES', stty: 'EACCES' });
    } finally {
      pty.kill('SIGKILL');
    }
  });

  // As root, `mknod ./disk b 8 0` in the working directory (allowed by work-and-tmp) then
  // opened read-write reads the raw disk around every path rule; c 1 1 is /dev/mem.
  test.skipIf(!hasPython || process.getuid?.() !== 0)('as root: no character or block device nodes (FIFOs and socket files still), no /proc/kmsg', async () => {
    const cwd = workDir();
    mkdirSync(path.join(cwd, 'sub'));
    symlinkSync('sub', path.join(cwd, 'link'));
    const script = `
import os, stat, errno
def res(f):
    try:
        f(); return 'ok'
    except OSError as e:
        return errno.errorcode[e.errno]
dev = os.makedev(1, 3)
print('chr', res(lambda: os.mknod('null', 0o600 | stat.S_IFCHR, dev)))
print('blk', res(lambda: os.mknod('disk', 0o600 | stat.S_IFBLK, os.makedev(8, 0))))
print('chr-high-bits', res(lambda: os.mknod('null2', 0x10000 | 0o600 | stat.S_IFCHR, dev)))
print('chr-at', res(lambda: os.mknod('null3', 0o600 | stat.S_IFCHR, dev, dir_fd=os.open('sub', os.O_RDONLY))))
print('fifo', res(lambda: os.mkfifo('fifo')))
print('sock', res(lambda: os.mknod('sock', 0o600 | stat.S_IFSOCK)))
print('reg', res(lambda: os.mknod('reg', 0o600)))
print('files', ' '.join(sorted(os.listdir('.'))))
print('kmsg', res(lambda: os.close(os.open('/proc/kmsg', os.O_RDONLY | os.O_NONBLOCK))))
`;
    const r = await run({ command: PYTHON, args: ['-c', script], cwd, backend, policy: policyFromIR(defaultPolicy(cwd)), quiet: true });
    expect(lines(r.stdout)).toEqual({
      chr: 'EPERM', blk: 'EPERM', 'chr-high-bits': 'EPERM', 'chr-at': 'EPERM', fifo: 'ok', sock: 'ok', reg: 'ok', files: 'fifo link reg sock sub',
      // /proc is readable (read-system), but not the kernel's log (nor /proc/kcore, where the kernel has it)
      kmsg: 'EACCES',
    });
  });
});
