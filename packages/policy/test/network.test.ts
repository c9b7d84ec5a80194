// Socket address conditions: the parsers (CIDRs, ports, endpoints), the `network:` section's
// expansion, raw `addr:` conditions, and the decisions for calls written as strace prints
// them, through the real front end, evaluate and the BPF prefilter (decideCall).
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { loadPolicy } from '../src/front/load.js';
import { formatIPv4, formatIPv6, parseCidr, parseEndpoint, parseIPv6, parsePorts, sockaddrMatches } from '../src/compile/addrmatch.js';
import { explainPolicy, formatVerdict } from '../src/compile/explain.js';
import { evaluate } from '../src/evaluate.js';
import { decideCall, evaluateOci, exportOci, parseCall } from '../src/workflow/index.js';
import { formatCall as formatCallText } from '../src/workflow/invocation.js';
import type { PolicyIR, SockAddr, SockaddrCondition } from '../src/ir.js';

const context = { cwd: '/work/project', home: '/home/user', tmp: '/tmp/sysvm', env: {} };

function load(text: string): PolicyIR {
  const r = loadPolicy({ file: '/virt/p.yaml', text }, { context });
  expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  return r.ir!;
}

/** [verdict, deciding rule, where] of a call written as text. */
function decide(ir: PolicyIR, call: string): [string, string, string] {
  const r = parseCall(call, { cwd: '/work/project' });
  if (!r.ok) throw new Error(r.diagnostics.map((d) => d.message).join('; '));
  const d = decideCall(ir, r.call.invocation);
  expect(d.disagreement).toBeUndefined();
  return [formatVerdict(d.decision.verdict), d.decision.rule?.name ?? (d.decision.rule ? `#${d.decision.rule.index}` : 'default'), d.where];
}

describe('parsing addresses, ports and endpoints', () => {
  test.for([
    ['10.0.0.0/8', '10.0.0.0/8'],
    ['127.0.0.1', '127.0.0.1/32'],
    ['0.0.0.0/0', '0.0.0.0/0'],
    ['::1', '::1/128'],
    ['::1/128', '::1/128'],
    ['2001:DB8::/32', '2001:db8::/32'],
    ['::ffff:10.0.0.0/104', '::ffff:10.0.0.0/104'],
    ['fe80:0:0:0:0:0:0:0/10', 'fe80::/10'],
  ] as const)('cidr %s', ([text, shown]) => {
    const c = parseCidr(text);
    expect('reason' in c ? c.reason : `${c.address}/${c.prefix}`).toBe(shown);
  });

  test.for([
    ['10.0.0.1/8', 'host bits are set after /8: the block is 10.0.0.0/8'],
    ['10.0.0.0/33', 'the prefix length must be 0 to 32'],
    ['::/129', 'the prefix length must be 0 to 128'],
    ['127.1', 'not a dotted-quad IPv4 address (four numbers 0-255)'],
    ['010.0.0.1', 'not a dotted-quad IPv4 address (four numbers 0-255)'],
    ['256.0.0.0', 'not a dotted-quad IPv4 address (four numbers 0-255)'],
    ['localhost', 'a host name, not an address (names are not resolved: write the addresses)'],
    ['1::2::3', 'not an IPv4 or IPv6 address'],
    ['1:2:3:4:5:6:7:8:9', 'not an IPv4 or IPv6 address'],
  ] as const)('not a cidr: %s', ([text, reason]) => {
    const c = parseCidr(text);
    expect('reason' in c ? c.reason : 'parsed').toBe(reason);
  });

  test.for([
    [443, '443-443'],
    ['8000-8999', '8000-8999'],
    ['0', '0-0'],
    [65535, '65535-65535'],
    [65536, 'a port is 0 to 65535'],
    ['9-1', 'the range is empty (9 > 1)'],
    ['http', 'a port is a number 0 to 65535 or a range like 8000-8999'],
  ] as const)('port %s', ([v, shown]) => {
    const p = parsePorts(v);
    expect('reason' in p ? p.reason : `${p.from}-${p.to}`).toBe(shown);
  });

  test.for([
    ['10.0.0.0/8:443', 'inet 10.0.0.0/8 443-443'],
    ['10.0.0.0/8', 'inet 10.0.0.0/8 any'],
    ['1.2.3.4:8000-8999', 'inet 1.2.3.4/32 8000-8999'],
    ['[::1]:8080', 'inet ::1/128 8080-8080'],
    ['[2001:db8::/32]', 'inet 2001:db8::/32 any'],
    ['::1', 'inet ::1/128 any'],
    ['*:53', 'inet any 53-53'],
    ['/run/app.sock', 'unix /run/app.sock'],
    ['@abstract', 'unix @abstract'],
    ['unix:/x', 'unix /x'],
    ['*', "any address and any port: use `allow: all`, or name addresses or ports"],
    ['[::1', "an IPv6 address in brackets needs its ']'"],
    ['1.2.3.4:x', "'x': a port is a number 0 to 65535 or a range like 8000-8999"],
  ] as const)('endpoint %s', ([text, shown]) => {
    const e = parseEndpoint(text);
    const got = 'reason' in e ? e.reason : e.kind === 'unix' ? `unix ${e.path}`
      : `inet ${e.cidr ? `${e.cidr.address}/${e.cidr.prefix}` : 'any'} ${e.ports ? `${e.ports.from}-${e.ports.to}` : 'any'}`;
    expect(got).toBe(shown);
  });
});

describe('what an address is, for a CIDR', () => {
  const cidr = (text: string, negate = false): SockaddrCondition => {
    const c = parseCidr(text);
    if ('reason' in c) throw new Error(c.reason);
    return { kind: 'sockaddr', arg: 1, patterns: [{ cidrs: [c] }], negate, source: { file: 'x', line: 1, column: 1, endLine: 1, endColumn: 1 } };
  };
  const in4 = (address: string): SockAddr => ({ family: 'inet', address, port: 80 });
  const in6 = (address: string): SockAddr => ({ family: 'inet6', address, port: 80 });
  test.for([
    // [block, address, destination?, matches]
    ['10.0.0.0/8', in4('10.1.2.3'), true, true],
    ['10.0.0.0/8', in4('11.0.0.1'), true, false],
    // IPv4-mapped IPv6 is the IPv4 address it maps, both ways
    ['10.0.0.0/8', in6('::ffff:10.9.9.9'), true, true],
    ['10.0.0.0/8', in6('::ffff:a09:909'), true, true],
    ['10.0.0.0/8', in6('::ffff:1.2.3.4'), true, false],
    ['1.2.3.4', in6('::ffff:1.2.3.4'), true, true],
    ['::ffff:0:0/96', in6('::ffff:1.2.3.4'), true, true],
    // IPv4-compatible (::1.2.3.4) and NAT64 addresses are IPv6 destinations of their own
    ['1.2.3.4', in6('::1.2.3.4'), true, false],
    ['1.2.3.4', in6('64:ff9b::102:304'), true, false],
    // a destination 0.0.0.0 or :: is this host's loopback; a bind to it is every interface
    ['127.0.0.1', in4('0.0.0.0'), true, true],
    ['127.0.0.1', in4('0.0.0.0'), false, false],
    ['::1', in6('::'), true, true],
    ['127.0.0.0/8', in6('::ffff:0.0.0.0'), true, true],
    ['0.0.0.0', in4('0.0.0.0'), false, true],
    // AF_UNSPEC on sendto: UDP over IPv4 sends to its sin_addr
    ['192.0.2.0/24', { family: 'unspec', address: '192.0.2.1', port: 9 }, true, true],
    ['192.0.2.0/24', { family: 'unspec' }, true, false],
    ['::/0', { family: 'unix', path: '/x' }, true, false],
    ['::/0', null, true, false],
    ['0.0.0.0/0', { family: 16 }, true, false],
  ] as const)('%s holds for %j (destination %s): %s', ([block, sa, dest, want]) => {
    expect(sockaddrMatches(cidr(block), sa as SockAddr | null, dest)).toBe(want);
    expect(sockaddrMatches(cidr(block, true), sa as SockAddr | null, dest)).toBe(!want);
  });
});

describe('properties', () => {
  const src = { file: 'x', line: 1, column: 1, endLine: 1, endColumn: 1 };
  test('IPv6 text round-trips', () => {
    fc.assert(fc.property(fc.bigInt({ min: 0n, max: (1n << 128n) - 1n }), (v) => parseIPv6(formatIPv6(v)) === v));
  });
  test('an IPv4-mapped address matches an IPv4 block exactly when its IPv4 address does, allow and deny alike', () => {
    fc.assert(fc.property(fc.bigInt({ min: 0n, max: 0xffffffffn }), fc.bigInt({ min: 0n, max: 0xffffffffn }), fc.integer({ min: 0, max: 32 }),
      (addr, net, prefix) => {
        const host = BigInt(32 - prefix);
        const block = { family: 'inet' as const, address: formatIPv4((net >> host) << host), prefix };
        const c: SockaddrCondition = { kind: 'sockaddr', arg: 1, patterns: [{ cidrs: [block] }], negate: false, source: src };
        const v4: SockAddr = { family: 'inet', address: formatIPv4(addr), port: 1 };
        const mapped: SockAddr = { family: 'inet6', address: formatIPv6(0xffff00000000n | addr), port: 1 };
        // bind: no loopback aliasing of 0.0.0.0, so both sides are the plain address
        return sockaddrMatches(c, v4, false) === sockaddrMatches(c, mapped, false)
          && sockaddrMatches(c, v4, true) === sockaddrMatches(c, mapped, true);
      }));
  });
});

describe('network: the section', () => {
  const loopback = load('sysvm: 1\ndefault: allow\nnetwork: loopback\n');
  const narrow = load(`sysvm: 1
default: { deny: EPERM }
network: { allow: unix, connect: ["10.0.0.0/8:443", "[2001:db8::/32]:8000-8999", "*:53"] }
rules:
  - name: no-redis
    syscalls: connect
    match: { addr: { cidr: 127.0.0.0/8, port: 6379 } }
    action: { deny: EACCES }
`);

  test.for([
    // servers and clients on loopback
    ['connect(3, {sa_family=AF_INET, sin_port=htons(8080), sin_addr=inet_addr("127.0.0.1")}, 16)', ['allow', 'network.sockets', 'supervisor']],
    ['connect(3, {sa_family=AF_INET, sin_port=htons(80), sin_addr=inet_addr("127.9.9.9")}, 16)', ['allow', 'network.sockets', 'supervisor']],
    ['connect(3, {sa_family=AF_INET6, sin6_port=htons(80), sin6_flowinfo=htonl(0), inet_pton(AF_INET6, "::1", &sin6_addr), sin6_scope_id=0}, 28)',
      ['allow', 'network.sockets', 'supervisor']],
    ['connect(3, "inet6:[::ffff:127.0.0.1]:80", 28)', ['allow', 'network.sockets', 'supervisor']],
    ['connect(3, {sa_family=AF_UNIX, sun_path="/run/dbus/system_bus_socket"}, 110)', ['allow', 'network.sockets', 'supervisor']],
    ['connect(3, {sa_family=AF_UNSPEC}, 16)', ['allow', 'network.sockets', 'supervisor']],
    ['bind(3, {sa_family=AF_INET, sin_port=htons(0), sin_addr=inet_addr("127.0.0.1")}, 16)', ['allow', 'network.sockets', 'supervisor']],
    ['sendto(3, "x", 1, 0, {sa_family=AF_INET, sin_port=htons(53), sin_addr=inet_addr("127.0.0.53")}, 16)', ['allow', 'network.sockets', 'supervisor']],
    ['sendto(3, "x", 1, 0, NULL, 0)', ['allow', 'network.sockets', 'kernel']],
    ['sendmsg(3, {msg_name=NULL, msg_namelen=0, msg_iov=[{iov_base="x", iov_len=1}], msg_iovlen=1}, 0)', ['allow', 'network.sockets', 'supervisor']],
    // everything else
    ['connect(3, {sa_family=AF_INET, sin_port=htons(80), sin_addr=inet_addr("192.0.2.1")}, 16)', ['deny ECONNREFUSED', 'network.addresses', 'supervisor']],
    ['connect(3, "inet6:[::ffff:192.0.2.1]:80", 28)', ['deny ECONNREFUSED', 'network.addresses', 'supervisor']],
    ['connect(3, "inet6:[2001:db8::1]:80", 28)', ['deny ECONNREFUSED', 'network.addresses', 'supervisor']],
    ['sendto(3, "x", 1, 0, {sa_family=AF_INET, sin_port=htons(9), sin_addr=inet_addr("192.0.2.1")}, 16)', ['deny ECONNREFUSED', 'network.addresses', 'supervisor']],
    ['sendto(3, "x", 1, 0, {sa_family=AF_UNSPEC, sin_port=htons(9), sin_addr=inet_addr("192.0.2.1")}, 16)', ['deny ECONNREFUSED', 'network.addresses', 'supervisor']],
    ['sendmsg(3, {msg_name={sa_family=AF_INET, sin_port=htons(9), sin_addr=inet_addr("192.0.2.1")}, msg_namelen=16}, 0)', ['deny ECONNREFUSED', 'network.addresses', 'supervisor']],
    ['sendmmsg(3, [{msg_hdr={msg_name=NULL}}, {msg_hdr={msg_name="inet:192.0.2.1:9"}}], 2, 0)', ['deny ECONNREFUSED', 'network.addresses', 'supervisor']],
    ['bind(3, {sa_family=AF_INET, sin_port=htons(8080), sin_addr=inet_addr("0.0.0.0")}, 16)', ['deny EADDRNOTAVAIL', 'network.bind', 'supervisor']],
    ['bind(3, "inet6:[::]:8080", 28)', ['deny EADDRNOTAVAIL', 'network.bind', 'supervisor']],
    ['socket(AF_NETLINK, SOCK_RAW, 0)', ['deny EAFNOSUPPORT', 'network.families', 'kernel']],
    ['socket(AF_INET6, SOCK_DGRAM, 0)', ['allow', 'network.sockets', 'kernel']],
  ] as const)('loopback: %s', ([call, want]) => {
    expect(decide(loopback, call)).toEqual(want);
  });

  test.for([
    ['connect(3, "inet:10.1.2.3:443", 16)', ['allow', 'network.sockets', 'supervisor']],
    ['connect(3, "inet6:[::ffff:10.1.2.3]:443", 28)', ['allow', 'network.sockets', 'supervisor']],
    ['connect(3, "inet:10.1.2.3:80", 16)', ['deny ECONNREFUSED', 'network.addresses', 'supervisor']],
    ['connect(3, "inet6:[2001:db8::7]:8443", 28)', ['allow', 'network.sockets', 'supervisor']],
    ['connect(3, "inet6:[2001:db8::7]:9000", 28)', ['deny ECONNREFUSED', 'network.addresses', 'supervisor']],
    ['sendto(3, "q", 1, 0, "inet:9.9.9.9:53", 16)', ['allow', 'network.sockets', 'supervisor']],
    // no loopback here: only unix and the entries
    ['connect(3, "inet:127.0.0.1:8080", 16)', ['deny ECONNREFUSED', 'network.addresses', 'supervisor']],
    ['connect(3, "inet:0.0.0.0:443", 16)', ['deny ECONNREFUSED', 'network.addresses', 'supervisor']],
    ['connect(3, "unix:/run/x.sock", 110)', ['allow', 'network.sockets', 'supervisor']],
    ['bind(3, "inet:10.0.0.5:443", 16)', ['deny EADDRNOTAVAIL', 'network.bind', 'supervisor']],
    ['bind(3, "unix:/tmp/s", 110)', ['allow', 'network.sockets', 'supervisor']],
    ['socket(AF_INET, SOCK_STREAM, 0)', ['allow', 'network.sockets', 'kernel']],
    ['socket(AF_PACKET, SOCK_RAW, 0)', ['deny EAFNOSUPPORT', 'network.families', 'kernel']],
  ] as const)('unix + connect: %s', ([call, want]) => {
    expect(decide(narrow, call)).toEqual(want);
  });

  test('a raw rule still narrows what the section lets through', () => {
    const ir = load(`sysvm: 1
default: allow
network: loopback
rules:
  - name: no-redis
    syscalls: connect
    match: { addr: { cidr: 127.0.0.0/8, port: 6379 } }
    action: { deny: EACCES }
`);
    expect(decide(ir, 'connect(3, "inet:127.0.0.1:6379", 16)')).toEqual(['deny EACCES', 'no-redis', 'supervisor']);
    // 0.0.0.0 as a destination is loopback: the deny catches it too
    expect(decide(ir, 'connect(3, "inet:0.0.0.0:6379", 16)')).toEqual(['deny EACCES', 'no-redis', 'supervisor']);
    expect(decide(ir, 'connect(3, "inet6:[::ffff:127.0.0.1]:6379", 28)')).toEqual(['deny EACCES', 'no-redis', 'supervisor']);
    expect(decide(ir, 'connect(3, "inet:127.0.0.1:6380", 16)')).toEqual(['allow', 'network.sockets', 'supervisor']);
  });

  test('an address that cannot be read fails closed', () => {
    const nr = 42;
    const inv = (deref: object) => ({ arch: 'x86_64' as const, nr, args: [3n, 0x1000n, 16n, 0n, 0n, 0n], deref: { path: () => undefined, ...deref } });
    expect(formatVerdict(evaluate(loopback, inv({})).verdict)).toBe('deny ECONNREFUSED');
    expect(formatVerdict(evaluate(loopback, inv({ sockaddrs: () => undefined })).verdict)).toBe('deny ECONNREFUSED');
    expect(formatVerdict(evaluate(loopback, inv({ sockaddrs: () => [{ family: 'inet', address: '127.0.0.1', port: 1 }] })).verdict)).toBe('allow');
  });

  test('explain shows the expansion, and that the supervisor decides', () => {
    const text = explainPolicy(load('sysvm: 1\ndefault: { deny: EPERM }\nnetwork: { allow: loopback, connect: ["10.0.0.0/8:443"] }\n'));
    const section = (name: string): string => text.split('\n\n').find((s) => s.startsWith(`${name} (`)) ?? '';
    expect(section('connect')).toContain('connect (42) [supervisor]:');
    expect(section('connect')).toContain('if address uservaddr matches none of: (family unspec) | (family none) | (family unix) | (in 127.0.0.0/8, ::1/128) | (in 10.0.0.0/8 and port 443)');
    expect(section('connect')).toContain('-> supervisor: deny ECONNREFUSED [rule network.addresses, /virt/p.yaml:3]');
    expect(section('sendto')).toContain('sendto (44) [mixed]:');
    expect(section('sendto')).toContain('if addr != 0 and addr_len != 0 and address addr matches none of: (family none) | (family unix)');
    expect(section('sendmmsg')).toContain('if any address (msg_name of each mmsg) matches none of');
    expect(section('bind')).toContain('if address umyaddr matches none of: (family unix) | (in 127.0.0.0/8, ::1/128)');
    expect(section('socket')).toContain('if family not in [1, 2, 10] -> kernel: deny EAFNOSUPPORT');
  });

  test('an OCI profile sends the address checks to a tracer, and keeps a connected send in the kernel', () => {
    const r = exportOci(loopback);
    expect(r.notes).toContain("rule 'network.addresses' looks at socket addresses: SCMP_ACT_TRACE where its integer conditions hold: connect, sendto, sendmsg, sendmmsg");
    const inv = (call: string) => { const p = parseCall(call, { cwd: '/' }); if (!p.ok) throw new Error('bad call'); return p.call.invocation; };
    expect(evaluateOci(r.profile, inv('connect(3, "inet:127.0.0.1:80", 16)'))).toBe('SCMP_ACT_TRACE');
    expect(evaluateOci(r.profile, inv('sendto(3, "x", 1, 0, NULL, 0)'))).toBe('SCMP_ACT_ALLOW');
  });

  test.for([
    ['unix', 'network.families network.sockets'],
    ['none', 'network.families'],
    ['all', 'network.sockets'],
    ['loopback', 'network.families network.addresses network.bind network.sockets'],
    ['{ connect: ["10.0.0.0/8"] }', 'network.families network.addresses network.bind network.sockets'],
  ] as const)('network: %s expands to %s', ([spec, names]) => {
    const ir = load(`sysvm: 1\ndefault: deny\nnetwork: ${spec}\n`);
    expect([...new Set(ir.rules.map((r) => r.name))].join(' ')).toBe(names);
  });
});

describe('raw addr: conditions', () => {
  const ir = load(`sysvm: 1
default: { deny: EPERM }
rules:
  - name: web
    syscalls: [connect, sendto, sendmsg]
    match: { addr: { family: [inet, AF_INET6], port: [80, 443, "8000-8999"] } }
    action: allow
  - name: dns
    syscalls: [sendto, sendmmsg]
    match: { addr: "*:53" }
    action: allow
  - name: own-sockets
    syscalls: [connect, bind]
    match: { addr: { under: /run/app } }
    action: allow
  - name: abstract
    syscalls: connect
    match: { addr: { equals: "@app" } }
    action: allow
  - name: connected
    syscalls: sendto
    match: { addr: none }
    action: allow
  - name: null-pointer
    syscalls: sendto
    match: { addr: 0 }
    action: allow
`);
  test.for([
    ['connect(3, "inet:93.184.215.14:443", 16)', ['allow', 'web', 'supervisor']],
    ['connect(3, "inet6:[2606:2800::1]:8080", 28)', ['allow', 'web', 'supervisor']],
    ['connect(3, "inet:93.184.215.14:22", 16)', ['deny EPERM', 'default', 'supervisor']],
    ['sendmmsg(3, [{msg_hdr={msg_name="inet:1.1.1.1:53"}}, {msg_hdr={msg_name="inet6:[2606:4700::1111]:53"}}], 2, 0)', ['allow', 'dns', 'supervisor']],
    ['sendmmsg(3, [{msg_hdr={msg_name="inet:1.1.1.1:53"}}, {msg_hdr={msg_name="inet:1.1.1.1:54"}}], 2, 0)', ['deny EPERM', 'default', 'supervisor']],
    ['connect(3, {sa_family=AF_UNIX, sun_path="/run/app/api.sock"}, 110)', ['allow', 'own-sockets', 'supervisor']],
    ['connect(3, {sa_family=AF_UNIX, sun_path="api.sock"}, 110)', ['deny EPERM', 'default', 'supervisor']],
    ['connect(3, {sa_family=AF_UNIX, sun_path=@"app"}, 6)', ['allow', 'abstract', 'supervisor']],
    ['bind(3, {family: AF_UNIX, path: "/run/app/s"}, 110)', ['allow', 'own-sockets', 'supervisor']],
    // `addr: none`: no address (the connected peer)
    ['sendto(3, "x", 1, 0, NULL, 0)', ['allow', 'connected', 'supervisor']],
  ] as const)('%s', ([call, want]) => {
    expect(decide(ir, call)).toEqual(want);
  });

  test('the relative unix path resolves against the cwd', () => {
    const r = parseCall('connect(3, {sa_family=AF_UNIX, sun_path="sock"}, 110)', { cwd: '/run/app' });
    expect(r.ok && r.call.invocation.deref?.sockaddrs?.(1)).toEqual([{ family: 'unix', path: '/run/app/sock' }]);
  });
});

describe('socket addresses in calls', () => {
  test.for([
    ['connect(3, {sa_family=AF_INET, sin_port=htons(80), sin_addr=inet_addr("127.0.0.1")}, 16)', 'connect(fd=3, uservaddr=inet:127.0.0.1:80, addrlen=16)'],
    ['connect(3, {family: AF_INET6, addr: "0:0:0:0:0:0:0:1", port: 443}, 28)', 'connect(fd=3, uservaddr=inet6:[::1]:443, addrlen=28)'],
    ['connect(3, "inet6:[::ffff:7f00:1]:80", 28)', 'connect(fd=3, uservaddr=inet6:[::ffff:127.0.0.1]:80, addrlen=28)'],
    ['connect(3, {sa_family=AF_UNSPEC}, 16)', 'connect(fd=3, uservaddr=unspec, addrlen=16)'],
    ['connect(3, {sa_family=AF_NETLINK, nl_pid=0}, 12)', 'connect(fd=3, uservaddr=family:16, addrlen=12)'],
    ['sendto(3, "x", 1, 0, {sa_family=AF_INET, sin_port=htons(9), sin_addr=inet_addr("1.2.3.4")}, 0)', 'sendto(fd=3, buff="x", len=1, flags=0, addr=none, addr_len=0)'],
    ['sendmsg(3, {msg_name={sa_family=AF_UNIX, sun_path="/dev/log"}, msg_namelen=11, msg_iov=[{iov_base="x", iov_len=1}]}, MSG_NOSIGNAL)',
      'sendmsg(fd=3, msg=unix:/dev/log, flags=0x4000)'],
  ] as const)('%s', ([call, shown]) => {
    const r = parseCall(call, { cwd: '/' });
    if (!r.ok) throw new Error(r.diagnostics.map((d) => d.message).join('; '));
    expect(formatCallText(r.call)).toBe(shown);
  });

  test.for([
    ['connect(3, {sa_family=AF_INET, sin_port=htons(80), sin_addr=inet_addr("1.2.3")}, 16)', 'SV4005', "'1.2.3' is not an IPv4 address"],
    ['connect(3, "inet:1.2.3.4", 16)', 'SV4005', "'inet:1.2.3.4' is not a socket address"],
    ['connect(3, {sin_port=htons(80)}, 16)', 'SV4005', 'the struct has no sa_family'],
    ['connect(3, {sa_family=AF_INET, sin_port=htons(70000), sin_addr=inet_addr("1.2.3.4")}, 16)', 'SV4005', 'port 70000 is not 0 to 65535'],
    ['connect(3, {sa_family AF_INET}, 16)', 'SV4004', "expected ':' or '=' after the field name, found 'AF_INET'"],
    ['sendmmsg(3, {msg_name=NULL}, 1, 0)', 'SV4005', 'expected an array of struct mmsghdr: [{msg_hdr={msg_name=..., ...}}, ...]'],
    ['bind(3, 7, 16)', 'SV4005', 'expected a struct sockaddr'],
  ] as const)('%s: %s', ([call, code, message]) => {
    const r = parseCall(call, { cwd: '/' });
    expect(r.ok ? [] : r.diagnostics.map((d) => [d.code, d.message])).toEqual([[code, message]]);
  });
});
