// The `network:` section's socket address rules on real programs: python3 with servers on
// loopback inside the sandbox, connections to TEST-NET (192.0.2.1, 2001:db8::1, RFC 5737 and
// RFC 3849) that must be refused at the call's entry, IPv4-mapped IPv6, UDP sendto, sendmsg,
// sendmmsg, bind, AF_UNSPEC. Policies come from YAML through @sysvm/policy's front end.
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';

import { loadPolicy } from '../../policy/src/index.js';
import { type AuditEvent, policyFromIR, spawn } from '../src/index.js';
import { BACKENDS } from './helpers.js';

const probe = fileURLToPath(new URL('./fixtures/net-probe.py', import.meta.url));

function ir(text: string, cwd?: string) {
  const r = loadPolicy({ file: 'net.yaml', text }, cwd === undefined ? {} : { context: { cwd } });
  expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return r.ir!;
}

async function runProbe(policy: string, backend: (typeof BACKENDS)[number]) {
  const events: AuditEvent[] = [];
  let out = '';
  const p = spawn({ command: 'python3', args: [probe], backend, quiet: true, stdio: ['ignore', 'pipe', 'pipe'], policy: policyFromIR(ir(policy)) });
  p.on('decision', (e: AuditEvent) => events.push(e));
  p.stdout?.on('data', (b: Buffer) => { out += b.toString(); });
  const r = await p.closed;
  return { code: r.code, lines: Object.fromEntries(out.trim().split('\n').map((l) => [l.slice(0, l.indexOf(' ')), l.slice(l.indexOf(' ') + 1)])), events };
}

describe.for(BACKENDS)('network: loopback on the %s backend', (backend) => {
  test('loopback works; other addresses are refused before the kernel runs the call', async () => {
    const { code, lines, events } = await runProbe('sysvm: 1\ndefault: allow\nnetwork: loopback\n', backend);
    expect(code).toBe(0);
    expect(lines).toEqual({
      'connect-loopback4': 'ok',
      'connect-loopback6': 'ok',
      'connect-mapped-loopback': 'ok',
      // local-port=0: the kernel never ran the connect (it would bind a port and send a SYN,
      // answering EINPROGRESS on this non-blocking socket)
      'connect-testnet': 'ECONNREFUSED local-port=0',
      'connect-mapped-testnet': 'ECONNREFUSED local-port=0',
      'connect-testnet6': 'ECONNREFUSED local-port=0',
      'sendto-loopback': 'hello',
      'sendto-testnet': 'ECONNREFUSED',
      'sendmsg-loopback': 'ping',
      'sendmsg-testnet': 'ECONNREFUSED',
      'sendmsg-mapped-testnet': 'ECONNREFUSED',
      // send() with no address goes to the connected peer; connect(AF_UNSPEC) disconnects
      'connected-udp': 'peer peer2 then EDESTADDRREQ',
      'sendmmsg-loopback': 'sent 2',
      'sendmmsg-mixed': 'ECONNREFUSED',
      'bind-any': 'EADDRNOTAVAIL',
      'bind-loopback': 'ok',
      'netlink-socket': 'EAFNOSUPPORT',
    });
    // The denials, as the audit stream shows them (glibc may also talk to nscd: only inet ones).
    const denied = events.filter((e) => e.verdict === 'deny' && /^(connect|sendto|sendmsg|sendmmsg|bind)$/.test(e.syscall))
      .map((e) => [e.syscall, e.rule, e.result]);
    expect(denied).toEqual([
      ['connect', 'network.addresses', -111],
      ['connect', 'network.addresses', -111],
      ['connect', 'network.addresses', -111],
      ['sendto', 'network.addresses', -111],
      ['sendmsg', 'network.addresses', -111],
      ['sendmsg', 'network.addresses', -111],
      ['sendmmsg', 'network.addresses', -111],
      ['bind', 'network.bind', -99],
    ]);
  });

  test('connect rules by CIDR and port beside loopback, and a raw rule that narrows them', async () => {
    const { code, lines } = await runProbe(`sysvm: 1
default: allow
network: { allow: loopback, connect: ["192.0.2.0/24:443"] }
rules:
  - name: no-mapped
    syscalls: connect
    match: { addr: { family: inet6, cidr: "::ffff:0:0/96" } }
    action: { deny: EACCES }
`, backend);
    expect(code).toBe(0);
    expect(lines).toMatchObject({
      'connect-loopback4': 'ok',
      'connect-loopback6': 'ok',
      'connect-mapped-loopback': 'EACCES',
      'connect-testnet': 'ECONNREFUSED local-port=0', // port 80 is not 443
      'sendto-loopback': 'hello',
      'sendto-testnet': 'ECONNREFUSED',
      'sendmsg-mapped-testnet': 'ECONNREFUSED',
      'bind-any': 'EADDRNOTAVAIL',
      'bind-loopback': 'ok',
      'netlink-socket': 'EAFNOSUPPORT',
    });
  });
});

// Unix sockets by path: `connect:` entries name the sockets a program may reach (relative
// paths resolve against its cwd, as the kernel resolves them); the others are refused.
const UNIX_PROBE = `
import errno, os, socket
def res(f):
    try:
        f(); return 'ok'
    except OSError as e:
        return errno.errorcode.get(e.errno, str(e.errno))
def server(p):
    s = socket.socket(socket.AF_UNIX); s.bind(p); s.listen(); return s
ok = server('ok.sock')
print('bind-other', res(lambda: server('other.sock')))
print('connect-ok-relative', res(lambda: socket.socket(socket.AF_UNIX).connect('ok.sock')))
print('connect-ok-absolute', res(lambda: socket.socket(socket.AF_UNIX).connect(ok.getsockname())))
os.symlink('ok.sock', 'link.sock')
print('connect-ok-by-symlink', res(lambda: socket.socket(socket.AF_UNIX).connect('link.sock')))
print('connect-abstract', res(lambda: socket.socket(socket.AF_UNIX).connect('\\0sysvm-nothing-here')))
print('inet-socket', res(lambda: socket.socket(socket.AF_INET)))
`;

describe.for(BACKENDS)('network connect: unix paths on the %s backend', (backend) => {
  test('only the listed unix socket is reachable', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sysvm-net-'));
    const p = spawn({ command: 'python3', args: ['-c', UNIX_PROBE], cwd: dir, backend, quiet: true, stdio: ['ignore', 'pipe', 'pipe'],
      policy: policyFromIR(ir('sysvm: 1\ndefault: allow\nnetwork: { connect: ["${cwd}/ok.sock"] }\n', dir)) });
    let out = '';
    const events: AuditEvent[] = [];
    p.on('decision', (e: AuditEvent) => events.push(e));
    p.stdout?.on('data', (b: Buffer) => { out += b.toString(); });
    expect((await p.closed).code).toBe(0);
    // ECONNREFUSED is also what a missing abstract socket answers: the audit says who refused.
    // (socket's family is denied by the kernel, without a stop or an audit event, on seccomp.)
    // glibc may also connect to nscd (/var/run/nscd/socket) where it runs: not this program's choice.
    const own = events.filter((e) => e.verdict === 'deny' && e.syscall !== 'socket' && !String(e.args.uservaddr).includes('nscd'));
    expect(own.map((e) => [e.syscall, e.rule, e.result])).toEqual([
      ['bind', 'network.bind', -99],
      ['connect', 'network.addresses', -111],
    ]);
    expect(out).toBe([
      'bind-other EADDRNOTAVAIL',
      'connect-ok-relative ok',
      'connect-ok-absolute ok',
      'connect-ok-by-symlink ok',
      'connect-abstract ECONNREFUSED',
      'inet-socket EAFNOSUPPORT',
      '',
    ].join('\n'));
  });
});

// A unix socket path is judged as the socket the kernel reaches: connect and sendto follow
// symlinks (on Debian, /var/run/docker.sock is /run/docker.sock through /var/run -> /run);
// bind follows the directories above the name it creates, not a symlink in its place.
const SYMLINK_PROBE = `
import errno, os, socket
def res(f):
    try:
        f(); return 'ok'
    except OSError as e:
        return errno.errorcode.get(e.errno, str(e.errno))
os.mkdir('real'); os.mkdir('nobind')
srv = socket.socket(socket.AF_UNIX); srv.bind('real/s.sock'); srv.listen()
dg = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); dg.bind('real/d.sock')
os.symlink('real', 'alias'); os.symlink('real/s.sock', 'alias.sock')
os.symlink('nobind', 'nb'); os.symlink('nobind/y.sock', 'nbfile')
print('direct', res(lambda: socket.socket(socket.AF_UNIX).connect('real/s.sock')))
print('dir-symlink', res(lambda: socket.socket(socket.AF_UNIX).connect('alias/s.sock')))
print('file-symlink', res(lambda: socket.socket(socket.AF_UNIX).connect('alias.sock')))
print('absolute', res(lambda: socket.socket(socket.AF_UNIX).connect(os.getcwd() + '/alias/../alias.sock')))
print('sendto', res(lambda: socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM).sendto(b'x', 'alias/d.sock')))
print('bind-below-symlink', res(lambda: socket.socket(socket.AF_UNIX).bind('nb/x.sock')))
print('bind-over-symlink', res(lambda: socket.socket(socket.AF_UNIX).bind('nbfile')))
`;

describe.for(BACKENDS)('network: unix paths through symlinks on the %s backend', (backend) => {
  test('a rule on a socket holds for every path that reaches it', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sysvm-net-'));
    const policy = `sysvm: 1
default: allow
rules:
  - name: no-real-sockets
    syscalls: [connect, sendto, sendmsg]
    match: { addr: { under: "\${cwd}/real" } }
    action: { deny: EACCES }
  - name: no-binds-there
    syscalls: [bind]
    match: { addr: { under: "\${cwd}/nobind" } }
    action: { deny: EACCES }
`;
    const p = spawn({ command: 'python3', args: ['-c', SYMLINK_PROBE], cwd: dir, backend, quiet: true, stdio: ['ignore', 'pipe', 'pipe'],
      policy: policyFromIR(ir(policy, dir)) });
    let out = '';
    p.stdout?.on('data', (b: Buffer) => { out += b.toString(); });
    expect((await p.closed).code).toBe(0);
    expect(out).toBe([
      'direct EACCES', 'dir-symlink EACCES', 'file-symlink EACCES', 'absolute EACCES', 'sendto EACCES',
      'bind-below-symlink EACCES',
      // the name is taken (by the symlink): the kernel refuses, and the rule judged the name itself
      'bind-over-symlink EADDRINUSE',
      '',
    ].join('\n'));
  });
});
