// `sysvm learn`'s generator: path generalisation, syscall grouping, and the policy it writes,
// loaded and linted like a file a person wrote, then evaluated on the recorded calls (all
// allowed) and on calls the run did not make (denied).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { constant, syscallByName, syscallNumber } from '../src/abi/index.js';
import { evaluate } from '../src/evaluate.js';
import { loadPolicy } from '../src/front/load.js';
import { GROUPS } from '../src/front/groups.js';
import type { Invocation, SockAddr } from '../src/ir.js';
import { lintPolicy } from '../src/lint/lint.js';
import { type LearnContext, type SeenAddress, generalisePaths, groupSyscalls, learnPolicy, seenAddress } from '../src/workflow/learn.js';
import type { LoggedEvent } from '../src/workflow/report.js';

const CTX: LearnContext = { cwd: '/home/u/proj', home: '/home/u', tmp: '/tmp/sysvm-abc', command: ['tool', '--x'] };

describe('generalisePaths', () => {
  const cases: Array<[string, string[], boolean, { under?: string[]; equals?: string[]; glob?: string[] }]> = [
    ['the cwd and tmp are subtrees', ['/home/u/proj/a', '/home/u/proj/b/c', '/tmp/sysvm-abc/x'], true, { under: ['${cwd}', '${tmp}'] }],
    ['3 files below /usr/lib widen to it', ['/usr/lib/a.so', '/usr/lib/x/b.so', '/usr/lib/c.so', '/usr/lib'], true, { under: ['/usr/lib'] }],
    ['2 files below /usr/lib stay exact', ['/usr/lib/a.so', '/usr/lib/x/b.so'], true, { equals: ['/usr/lib/a.so', '/usr/lib/x/b.so'] }],
    ['writes never widen outside cwd/tmp', ['/usr/lib/a.so', '/usr/lib/b.so', '/usr/lib/c.so'], false, { equals: ['/usr/lib/a.so', '/usr/lib/b.so', '/usr/lib/c.so'] }],
    ['/etc stays exact however many', ['/etc/a/1', '/etc/a/2', '/etc/a/3'], true, { equals: ['/etc/a/1', '/etc/a/2', '/etc/a/3'] }],
    ['process ids become globs, a terminal ${tty}', ['/proc/123/status', '/proc/9/task/9/stat', '/dev/pts/4'], true, { equals: ['${tty}'], glob: ['/proc/*/status', '/proc/*/task/*/stat'] }],
    ['the home is ~', ['/home/u/.cache/pip/1', '/home/u/.cache/pip/2', '/home/u/.cache/pip/x/3', '/home/u/.bashrc'], true, { under: ['~/.cache/pip'], equals: ['~/.bashrc'] }],
    ['short paths stay exact', ['/', '/usr', '/etc/passwd'], true, { equals: ['/', '/etc/passwd', '/usr'] }],
  ];
  test.for(cases)('%s', ([, paths, widen, want]) => {
    expect(generalisePaths(paths, CTX, widen)).toEqual({ under: [], equals: [], glob: [], ...want });
  });
});

describe('groupSyscalls', () => {
  test('a group replaces its members only when every member was used', () => {
    const members = GROUPS['@sync']!.members.filter((m) => syscallByName(m)?.nr.x86_64 !== undefined);
    expect(groupSyscalls([...members, 'read'])).toEqual(['@sync', 'read']);
    expect(groupSyscalls([...members.slice(1), 'read'])).toEqual([...members.slice(1), 'read'].sort());
  });
});

/** A recorded call (as the runtime logs it) and the same call as `evaluate` sees it. */
function call(name: string, a: Record<string, string | number>): { event: LoggedEvent; inv: Invocation } {
  const info = syscallByName(name)!;
  const args = (info.args ?? []).map((arg) => {
    const v = a[arg.name];
    if (arg.kind === 'path' || v === undefined) return 0n;
    if (v === 'AT_FDCWD') return BigInt.asUintN(64, -100n);
    return BigInt.asUintN(64, BigInt(v));
  });
  const paths = Object.fromEntries((info.args ?? []).map((arg, i) => [i, arg.kind === 'path' ? a[arg.name] : undefined]));
  return {
    event: { pid: 1, syscall: name, verdict: 'trace', rule: 'default', args: a },
    inv: { arch: 'x86_64', nr: syscallNumber('x86_64', name)!, args: [...args, 0n, 0n, 0n, 0n, 0n, 0n].slice(0, 6),
      deref: { path: (i) => paths[i] as string | undefined } },
  };
}
const hex = (...names: string[]): string => `0x${names.reduce((m, n) => m | constant(n)!, 0n).toString(16)}`;
const open = (p: string, ...flags: string[]) => call('openat', { dfd: 'AT_FDCWD', filename: p, flags: flags.length ? hex(...flags) : '0x0', mode: '0o0' });

describe('learnPolicy', () => {
  const recorded = [
    call('execve', { filename: '/usr/bin/tool', argv: '0x1', envp: '0x2' }),
    open('/etc/ld.so.cache', 'O_CLOEXEC'),
    open('/usr/lib/x86_64-linux-gnu/libc.so.6', 'O_CLOEXEC'),
    open('/usr/lib/x86_64-linux-gnu/libm.so.6', 'O_CLOEXEC'),
    open('/usr/lib/locale/locale-archive', 'O_CLOEXEC'),
    open('/proc/4242/status'),
    open('/home/u/proj/src/main.c'),
    open('/home/u/proj/out.txt', 'O_WRONLY', 'O_CREAT', 'O_TRUNC'),
    open('/dev/null', 'O_WRONLY'),
    call('newfstatat', { dfd: 1, filename: '/tmp/somewhere/stdout', statbuf: '0x7f', flag: hex('AT_EMPTY_PATH') }),
    call('newfstatat', { dfd: 'AT_FDCWD', filename: '/usr/lib/x86_64-linux-gnu', statbuf: '0x7f', flag: '0x0' }),
    call('mkdir', { pathname: '/tmp/sysvm-abc/work', mode: '0o755' }),
    call('socket', { family: '0x1', type: '0x80001', protocol: 0 }),
    call('read', { fd: 3, buf: '0x1', count: 10 }),
    call('write', { fd: 1, buf: '0x1', count: 10 }),
    call('exit_group', { error_code: 0 }),
  ];
  const learned = learnPolicy([...recorded.map((c) => c.event),
    // left out: safety-rule decisions (the runtime's, not the policy's)
    { pid: 1, syscall: 'ptrace', verdict: 'deny', rule: 'sysvm:ptrace', args: {} }], { ...CTX, date: '2026-11-27' });
  const dir = mkdtempSync(join(tmpdir(), 'learn-test-'));
  const file = join(dir, 'learned.yaml');
  writeFileSync(file, learned.yaml);
  const loaded = loadPolicy(file, { context: CTX });

  test('the policy loads and lints without errors or warnings', () => {
    const diags = [...loaded.diagnostics, ...lintPolicy(loaded)].filter((d) => d.severity !== 'info');
    expect(diags).toEqual([]);
    expect(loaded.ir!.default.verdict).toMatchObject({ kind: 'deny', errnoName: 'EPERM' });
  });

  test('counts and comments', () => {
    expect(learned.syscalls).toBe(new Set(recorded.map((c) => c.event.syscall)).size);
    expect(learned.yaml).toMatch(/^# Written by 'sysvm learn' on 2026-11-27 from what this command did:\n# {3}tool --x\n/);
    expect(learned.yaml.split('\n').filter((l) => l.startsWith('  - name:')).length).toBe(learned.rules);
    expect(learned.dangerous).toEqual([]);
  });

  test.for(recorded.map((c, i) => [i, c.event.syscall, c] as const))('recorded call %i (%s) is allowed', ([, , c]) => {
    expect(evaluate(loaded.ir!, c.inv).verdict.kind).toBe('allow');
  });

  const others: Array<[string, ReturnType<typeof call>, 'allow' | 'deny']> = [
    ['another library below /usr/lib', open('/usr/lib/x86_64-linux-gnu/libz.so.1'), 'allow'],
    ['another process\'s status', open('/proc/1/status'), 'allow'],
    ['fstat of stdout wherever it goes', call('newfstatat', { dfd: 1, filename: '/dev/pts/3', statbuf: '0x7f', flag: hex('AT_EMPTY_PATH') }), 'allow'],
    ['a new file in the cwd', open('/home/u/proj/new.o', 'O_WRONLY', 'O_CREAT'), 'allow'],
    ['writing below /usr/lib', open('/usr/lib/x86_64-linux-gnu/libc.so.6', 'O_RDWR'), 'deny'],
    ['reading a file never read', open('/etc/shadow'), 'deny'],
    ['reading the home', open('/home/u/.ssh/id_rsa'), 'deny'],
    ['an inet socket', call('socket', { family: '0x2', type: '0x1', protocol: 0 }), 'deny'],
    ['a syscall never made', call('unlink', { pathname: '/home/u/proj/src/main.c' }), 'deny'],
  ];
  test.for(others)('%s: %s', ([, c, want]) => {
    expect(evaluate(loaded.ir!, c.inv).verdict.kind).toBe(want);
  });

  test('a path call that only named objects outside the file system (pipe:[N]) is allowed by name', () => {
    const l = learnPolicy([call('newfstatat', { dfd: 3, filename: 'pipe:[77]', statbuf: '0x7f', flag: hex('AT_EMPTY_PATH') }).event], CTX);
    expect(l.yaml).toMatch(/name: calls\n {4}syscalls: \[newfstatat\]\n {4}action: allow\n/);
    expect(l.yaml).not.toMatch(/look-up/);
  });

  // A terminal the program used is its own at the next run (${tty}), not every /dev/pts/N:
  // the user's other terminals stay refused. A program that makes terminals (/dev/ptmx) opens
  // their numbered slaves: for it the glob.
  test('a terminal is learned as ${tty}; /dev/pts/* only for a program that opened /dev/ptmx', () => {
    const used = [open('/dev/pts/5', 'O_RDWR'), open('/dev/pts/5')].map((c) => c.event);
    const l = learnPolicy(used, CTX);
    expect(l.yaml).toContain('"${tty}"');
    expect(l.yaml).not.toContain('/dev/pts');
    const f = join(dir, 'tty.yaml');
    writeFileSync(f, l.yaml);
    const mine = loadPolicy(f, { context: { ...CTX, tty: ['/dev/pts/5'] } }).ir!;
    expect(evaluate(mine, open('/dev/pts/5', 'O_RDWR').inv).verdict.kind).toBe('allow');
    expect(evaluate(mine, open('/dev/pts/6').inv).verdict.kind).toBe('deny');
    const none = loadPolicy(f, { context: { ...CTX, tty: [] } }).ir!;
    expect(evaluate(none, open('/dev/pts/5').inv).verdict.kind).toBe('deny');
    const maker = learnPolicy([open('/dev/ptmx', 'O_RDWR').event, ...used], CTX);
    expect(maker.yaml).toContain('"/dev/pts/*"');
    expect(maker.yaml).not.toContain('${tty}');
  });

  test('a dangerous call gets its own rule with an acknowledge, and the policy still lints clean', () => {
    const l = learnPolicy([call('personality', { personality: 0 }).event, call('read', { fd: 0, buf: '0x1', count: 1 }).event], CTX);
    expect(l.dangerous).toEqual(['personality']);
    expect(l.yaml).toMatch(/name: dangerous-calls\n {4}syscalls: \[personality\]\n {4}action: allow\n {4}acknowledge: /);
    const f = join(dir, 'dangerous.yaml');
    writeFileSync(f, l.yaml);
    const r = loadPolicy(f, { context: CTX });
    expect([...r.diagnostics, ...lintPolicy(r)].filter((d) => d.severity !== 'info')).toEqual([]);
  });
});

// --- socket addresses -------------------------------------------------------------------------

/**
 * A recorded call that names a socket address: `recorded` is the argument as the runtime's
 * audit stream writes it (tracer/decode.ts), `seen` the address as the policy sees it (IR
 * SockAddr; null: no address; undefined: unreadable).
 */
function net(name: 'connect' | 'bind' | 'sendto' | 'sendmsg' | 'sendmmsg', recorded: string | undefined,
  seen: SockAddr | null | undefined, len = 16): { event: LoggedEvent; inv: Invocation } {
  const args: Record<string, string | number> = { fd: 3 };
  if (name === 'connect' || name === 'bind') Object.assign(args, { [name === 'bind' ? 'umyaddr' : 'uservaddr']: recorded!, addrlen: len });
  if (name === 'sendto') Object.assign(args, { buff: '0x1000', len: 5, flags: '0x0', addr: recorded ?? '0x0', addr_len: recorded === undefined ? 0 : len });
  if (name === 'sendmsg') Object.assign(args, { msg: '0x2000', flags: '0x0' }, recorded === undefined ? {} : { sockaddr: recorded });
  if (name === 'sendmmsg') Object.assign(args, { mmsg: '0x3000', vlen: 2, flags: 0 });
  const sockaddrs = (): (SockAddr | null)[] | undefined => (seen === undefined ? undefined : name === 'sendmmsg' ? [seen, seen] : [seen]);
  return {
    event: { pid: 1, syscall: name, verdict: 'trace', rule: 'default', args, result: 0 },
    inv: { arch: 'x86_64', nr: syscallNumber('x86_64', name)!, args: [3n, 0x1000n, 16n, 0n, seen === null ? 0n : 0x1000n, 16n],
      deref: { path: () => undefined, sockaddrs } },
  };
}
const v4 = (address: string, port: number): SockAddr => ({ family: 'inet', address, port });
const v6 = (address: string, port: number): SockAddr => ({ family: 'inet6', address, port });
const unix = (path: string): SockAddr => ({ family: 'unix', path });

describe('seenAddress: the audit stream\'s text of an address', () => {
  const cases: Array<[string, ReturnType<typeof net>['event'], SeenAddress]> = [
    ['IPv4', net('connect', 'inet:127.0.0.1:8080', null).event, { family: 'inet', address: '127.0.0.1', port: 8080 }],
    ['IPv6', net('connect', 'inet6:[::1]:443', null).event, { family: 'inet6', address: '::1', port: 443 }],
    ['IPv4-mapped IPv6', net('connect', 'inet6:[::ffff:7f00:1]:80', null).event, { family: 'inet6', address: '::ffff:7f00:1', port: 80 }],
    ['a unix path', net('connect', 'unix:/run/x.sock', null).event, { family: 'unix', path: '/run/x.sock' }],
    ['an abstract name', net('connect', 'unix:@bus', null).event, { family: 'unix', path: '@bus' }],
    ['AF_UNSPEC', net('connect', 'family:0', null).event, { family: 'unspec' }],
    ['netlink', net('bind', 'family:16', null).event, { family: 'other', number: 16 }],
    ['sendto with a NULL address', net('sendto', undefined, null).event, { family: 'none' }],
    ['sendmsg with a NULL msg_name', net('sendmsg', undefined, null).event, { family: 'none' }],
    ['sendmmsg (not decoded)', net('sendmmsg', undefined, null).event, { family: 'none' }],
    ['an unreadable pointer', net('connect', '0x7ffd0000', null).event, { family: 'unreadable' }],
    ['a zero length', net('connect', '0x7ffd0000', null, 0).event, { family: 'none' }],
  ];
  test.for(cases)('%s', ([, e, want]) => {
    expect(seenAddress(e)).toEqual(want);
  });
});

/** The `match:` lines of one rule of a learned policy, or undefined if it has no such rule. */
function ruleMatch(yaml: string, rule: string): string[] | undefined {
  const m = new RegExp(`^ {2}- name: ${rule}\\n {4}syscalls: .*\\n((?: {4}match:.*\\n)?(?: {6}- .*\\n)*)`, 'm').exec(yaml);
  return m ? m[1]!.split('\n').filter(Boolean).map((l) => l.trim()) : undefined;
}

describe('learnPolicy: socket addresses, events in, rules out', () => {
  const cases: Array<[string, Array<ReturnType<typeof net>>, Record<string, string[] | undefined>]> = [
    ['a TCP connect on loopback: exactly that address and port',
      [net('connect', 'inet:127.0.0.1:8080', v4('127.0.0.1', 8080))],
      { destinations: ['match:', '- { addr: "127.0.0.1:8080" }'], binds: undefined }],
    ['IPv6 and IPv4-mapped endpoints in brackets',
      [net('connect', 'inet6:[::1]:8080', v6('::1', 8080)), net('connect', 'inet6:[::ffff:7f00:1]:80', v6('::ffff:7f00:1', 80))],
      { destinations: ['match:', '- { addr: "[::1]:8080" }', '- { addr: "[::ffff:7f00:1]:80" }'] }],
    ['DNS: the nameserver on port 53 is any nameserver, by connect or sendto',
      [net('connect', 'inet:10.0.0.2:53', v4('10.0.0.2', 53)), net('sendto', 'inet6:[fd00::53]:53', v6('fd00::53', 53)),
        net('sendmmsg', undefined, null)],
      { destinations: ['match:', '- { addr: none }', '- { addr: "*:53" }'] }],
    ['nscd\'s socket is never allowed (both spellings); other service sockets exactly',
      [net('connect', 'unix:/var/run/nscd/socket', unix('/var/run/nscd/socket')), net('connect', 'unix:/run/nscd/socket', unix('/run/nscd/socket')),
        net('connect', 'unix:/run/systemd/resolve/io.systemd.Resolve', unix('/run/systemd/resolve/io.systemd.Resolve'))],
      { destinations: ['match:', '- { addr: { equals: ["/run/systemd/resolve/io.systemd.Resolve"] } }'] }],
    ['only nscd: no allow, the refusal alone',
      [net('connect', 'unix:/var/run/nscd/socket', unix('/var/run/nscd/socket'))],
      { destinations: undefined, 'other-destinations': [] }],
    ['unix paths generalised as written files are, abstract names exactly, relative against the cwd',
      [net('connect', 'unix:/tmp/sysvm-abc/a/s.sock', unix('/tmp/sysvm-abc/a/s.sock')), net('connect', 'unix:@/tmp/.X11-unix/X0', unix('@/tmp/.X11-unix/X0')),
        net('connect', 'unix:run/app.sock', unix('/home/u/proj/run/app.sock')), net('sendto', 'unix:/dev/log', unix('/dev/log'))],
      { destinations: ['match:', '- { addr: { under: ["${cwd}", "${tmp}"] } }', '- { addr: { equals: ["/dev/log", "@/tmp/.X11-unix/X0"] } }'] }],
    ['a failed connect is kept (the program tried it)',
      [{ ...net('connect', 'inet:192.0.2.1:443', v4('192.0.2.1', 443)), event: { ...net('connect', 'inet:192.0.2.1:443', null).event, result: -111 } }],
      { destinations: ['match:', '- { addr: "192.0.2.1:443" }'] }],
    ['binds exactly, port 0 as port 0; a bind on port 53 is not any address',
      [net('bind', 'inet:0.0.0.0:0', v4('0.0.0.0', 0)), net('bind', 'inet6:[::1]:53', v6('::1', 53)), net('bind', 'unix:/tmp/sysvm-abc/srv.sock', unix('/tmp/sysvm-abc/srv.sock'))],
      { binds: ['match:', '- { addr: "0.0.0.0:0" }', '- { addr: "[::1]:53" }', '- { addr: { under: ["${tmp}"] } }'], destinations: undefined }],
    ['a program that bound port 0 and reached a loopback port in the ephemeral range: that address, the whole range',
      [net('bind', 'inet:127.0.0.1:0', v4('127.0.0.1', 0)), net('sendto', 'inet:127.0.0.1:41113', v4('127.0.0.1', 41113)),
        net('connect', 'inet6:[::1]:45000', v6('::1', 45000)), net('connect', 'inet:127.0.0.1:8080', v4('127.0.0.1', 8080)),
        net('connect', 'inet:192.0.2.1:40000', v4('192.0.2.1', 40000))],
      { destinations: ['match:', '- { addr: "127.0.0.1:32768-60999" }', '- { addr: "127.0.0.1:8080" }', '- { addr: "192.0.2.1:40000" }',
        '- { addr: "[::1]:32768-60999" }'], binds: ['match:', '- { addr: "127.0.0.1:0" }'] }],
    ['without a bind to port 0, an ephemeral loopback port stays exact',
      [net('connect', 'inet:127.0.0.1:41113', v4('127.0.0.1', 41113)), net('bind', 'inet:127.0.0.1:9000', v4('127.0.0.1', 9000))],
      { destinations: ['match:', '- { addr: "127.0.0.1:41113" }'] }],
    ['AF_UNSPEC connect: its own rule, on connect alone',
      [net('connect', 'family:0', { family: 'unspec' }), net('sendto', 'inet:127.0.0.1:9', v4('127.0.0.1', 9))],
      { disconnect: ['match: { addr: unspec }'], destinations: ['match:', '- { addr: "127.0.0.1:9" }'] }],
    ['netlink addresses: a deny of the nameable families, then the call by name',
      [net('bind', 'family:16', { family: 16 }, 12), net('sendto', 'family:16', { family: 16 }, 12)],
      { 'other-destinations': ['match: { addr: { family: [unix, inet, inet6, unspec] } }'],
        'other-binds': ['match: { addr: { family: [unix, inet, inet6, unspec] } }'], calls: [] }],
  ];
  test.for(cases)('%s', ([, calls, want]) => {
    const l = learnPolicy(calls.map((c) => c.event), CTX);
    for (const [rule, lines] of Object.entries(want)) expect(ruleMatch(l.yaml, rule), rule).toEqual(lines);
  });
});

describe('learnPolicy: a program that talks to itself on a port the kernel picked', () => {
  const l = learnPolicy([net('bind', 'inet:127.0.0.1:0', v4('127.0.0.1', 0)), net('sendto', 'inet:127.0.0.1:41113', v4('127.0.0.1', 41113))].map((c) => c.event),
    { ...CTX, ephemeralPorts: [40000, 50000] });
  const dir = mkdtempSync(join(tmpdir(), 'learn-self-'));
  writeFileSync(join(dir, 'self.yaml'), l.yaml);
  const loaded = loadPolicy(join(dir, 'self.yaml'), { context: CTX });
  test.for([
    ['the next run\'s port', 'allow', v4('127.0.0.1', 49999)],
    ['the ephemeral range as this machine has it, not the default', 'ECONNREFUSED', v4('127.0.0.1', 50001)],
    ['a fixed local port', 'ECONNREFUSED', v4('127.0.0.1', 8080)],
    ['another host', 'ECONNREFUSED', v4('192.0.2.1', 45000)],
  ] as const)('sendto %s: %s', ([, want, sa]) => {
    expect([...loaded.diagnostics, ...lintPolicy(loaded)].filter((d) => d.severity !== 'info')).toEqual([]);
    expect(evaluate(loaded.ir!, net('sendto', undefined, sa).inv).verdict).toMatchObject(want === 'allow' ? { kind: 'allow' } : { kind: 'deny', errnoName: want });
  });
});

describe('learnPolicy: the written network rules, loaded, linted and evaluated', () => {
  // What a client that looks a name up, talks to a local server and a unix socket, and runs
  // a UDP server of its own did.
  const recorded = [
    call('socket', { family: '0x2', type: '0x80001', protocol: 0 }),
    call('socket', { family: '0xa', type: '0x80002', protocol: 0 }),
    call('socket', { family: '0x1', type: '0x80801', protocol: 0 }),
    call('socket', { family: '0x10', type: '0x80003', protocol: 0 }),
    // the runtime writes the family by name
    { event: { pid: 1, syscall: 'socket', verdict: 'trace', rule: 'default', args: { family: 'AF_INET6', type: 'SOCK_DGRAM', protocol: 0 } },
      inv: call('socket', { family: '0xa', type: '0x2', protocol: 0 }).inv },
    net('connect', 'unix:/var/run/nscd/socket', unix('/var/run/nscd/socket')),
    net('bind', 'family:16', { family: 16 }, 12),
    net('sendto', 'family:16', { family: 16 }, 12),
    net('connect', 'inet:10.0.0.2:53', v4('10.0.0.2', 53)),
    net('sendmmsg', undefined, null),
    net('connect', 'inet:127.0.0.1:8080', v4('127.0.0.1', 8080)),
    net('sendto', undefined, null),
    net('connect', 'inet6:[::1]:8443', v6('::1', 8443)),
    net('connect', 'unix:/tmp/sysvm-abc/app.sock', unix('/tmp/sysvm-abc/app.sock')),
    net('bind', 'inet6:[::]:0', v6('::', 0)),
    net('sendto', 'inet6:[2001:db8::7]:5000', v6('2001:db8::7', 5000)),
    net('sendmsg', undefined, null),
  ];
  const learned = learnPolicy(recorded.map((c) => c.event), CTX);
  const dir = mkdtempSync(join(tmpdir(), 'learn-net-'));
  const file = join(dir, 'learned.yaml');
  writeFileSync(file, learned.yaml);
  const loaded = loadPolicy(file, { context: CTX });

  test('the policy loads and lints without errors or warnings', () => {
    expect([...loaded.diagnostics, ...lintPolicy(loaded)].filter((d) => d.severity !== 'info')).toEqual([]);
    expect(ruleMatch(learned.yaml, 'sockets')).toEqual(['match: { family: { in: [AF_INET, AF_INET6, AF_NETLINK, AF_UNIX] } }']);
    // nscd, netlink (bind and sendto: one), 10.0.0.2:53, two servers, a unix socket, [::]:0, the UDP peer
    expect(learned.endpoints).toBe(8);
  });

  test.for(recorded.map((c, i) => [i, c.event.syscall, c] as const)
)(
    'recorded call %i (%s) is allowed, but nscd\'s socket', ([, , c]) => {
      const nscd = c.event.args?.uservaddr === 'unix:/var/run/nscd/socket';
      expect(evaluate(loaded.ir!, c.inv).verdict).toMatchObject(nscd ? { kind: 'deny', errnoName: 'ECONNREFUSED' } : { kind: 'allow' });
    });

  const others: Array<[string, 'allow' | 'ECONNREFUSED' | 'EADDRNOTAVAIL' | 'EPERM', ReturnType<typeof net>]> = [
    ['the same server, another port', 'ECONNREFUSED', net('connect', undefined, v4('127.0.0.1', 8081))],
    ['another loopback address, same port', 'ECONNREFUSED', net('connect', undefined, v4('127.0.0.2', 8080))],
    ['0.0.0.0, which reaches loopback, on the port', 'allow', net('connect', undefined, v4('0.0.0.0', 8080))],
    ['the same port over IPv4-mapped IPv6', 'allow', net('connect', undefined, v6('::ffff:127.0.0.1', 8080))],
    ['an outside host', 'ECONNREFUSED', net('connect', undefined, v4('192.0.2.1', 443))],
    ['another nameserver', 'allow', net('connect', undefined, v4('192.168.1.1', 53))],
    ['DNS over IPv6 by sendto', 'allow', net('sendto', undefined, v6('fd00::1', 53))],
    ['the IPv6 server, another port', 'ECONNREFUSED', net('connect', undefined, v6('::1', 8444))],
    ['the UDP peer by sendmsg', 'allow', net('sendmsg', undefined, v6('2001:db8::7', 5000))],
    ['another UDP peer', 'ECONNREFUSED', net('sendto', undefined, v6('2001:db8::8', 5000))],
    ['sendmmsg to an address', 'allow', net('sendmmsg', undefined, v4('127.0.0.1', 8080))],
    ['sendmmsg to another address', 'allow', net('sendmmsg', undefined, v4('192.0.2.1', 53))],
    ['sendmmsg to an outside address', 'ECONNREFUSED', net('sendmmsg', undefined, v4('192.0.2.1', 80))],
    ['AF_UNSPEC sendto (IPv4 sends it)', 'ECONNREFUSED', net('sendto', undefined, { family: 'unspec', address: '192.0.2.1', port: 80 })],
    ['an unreadable address', 'ECONNREFUSED', net('connect', undefined, undefined)],
    ['another socket in ${tmp}', 'allow', net('connect', undefined, unix('/tmp/sysvm-abc/other.sock'))],
    ['the docker socket', 'ECONNREFUSED', net('connect', undefined, unix('/run/docker.sock'))],
    ['nscd by its other name', 'ECONNREFUSED', net('connect', undefined, unix('/run/nscd/socket'))],
    ['a netlink send again', 'allow', net('sendto', undefined, { family: 16 })],
    ['the ephemeral bind again', 'allow', net('bind', undefined, v6('::', 0))],
    ['a bind on a fixed port', 'EADDRNOTAVAIL', net('bind', undefined, v6('::', 8080))],
    ['a bind on every IPv4 interface', 'EADDRNOTAVAIL', net('bind', undefined, v4('0.0.0.0', 0))],
    ['a packet socket', 'EPERM', call('socket', { family: '0x11', type: '0x3', protocol: 0 })],
  ];
  test.for(others)('%s: %s', ([, want, c]) => {
    expect(evaluate(loaded.ir!, c.inv).verdict).toMatchObject(want === 'allow' ? { kind: 'allow' } : { kind: 'deny', errnoName: want });
  });
});
