// The policy workflow: calls written as text, test files, explain of one call, OCI profiles.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { bpf, compileBpf, evaluate, loadPolicy, prefilterRet, type PolicyIR } from '../src/index.js';
import {
  evaluateOci, explainCall, exportOci, importOci, ociActionOfRet, ociJson, parseCall, parseOciJson, runTestFile,
  renderExplanation, type OciProfile,
} from '../src/workflow/index.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const ctx = { cwd: '/home/u/proj', fds: { 3: '/home/u/.ssh', 7: '/etc' } };
const regs = (text: string): string[] => {
  const r = parseCall(text, ctx);
  if (!r.ok) throw new Error(r.diagnostics.map((d) => d.message).join('; '));
  return r.call.invocation.args.map((a) => `0x${a.toString(16)}`);
};

describe('calls written as text', () => {
  test.for([
    ['socket(AF_INET, SOCK_STREAM, 0)', 41, ['0x2', '0x1', '0x0']],
    ['kill(-1, SIGKILL)', 62, ['0xffffffffffffffff', '0x9']],
    ['openat(AT_FDCWD, "/etc/passwd", O_RDONLY|O_CLOEXEC)', 257, ['0xffffffffffffff9c', '0x7ffc00001000', '0x80000', '0x0']],
    ['openat(AT_FDCWD, "x", O_WRONLY|O_CREAT, 0644)', 257, ['0xffffffffffffff9c', '0x7ffc00001000', '0x41', '0x1a4']],
    ['mmap(NULL, 0x1000, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0)', 9,
      ['0x0', '0x1000', '0x3', '0x22', '0xffffffffffffffff', '0x0']],
    ['chmod("f", 0o755)', 90, ['0x7ffc00001000', '0x1ed']],
    ['connect(3, {family: AF_INET, addr: "1.2.3.4", port: 443}, 16)', 42, ['0x3', '0x7ffc00001000', '0x10']],
    ['getpid()', 39, []],
  ] as const)('%s', ([text, nr, args]) => {
    const r = parseCall(text, ctx);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.call.nr).toBe(nr);
    expect(regs(text).slice(0, args.length)).toEqual(args);
  });

  test.for([
    ['openat(AT_FDCWD, "/etc/../etc/./passwd", O_RDONLY)', 1, '/etc/passwd'],
    ['openat(AT_FDCWD, "src/../main.c", O_RDONLY)', 1, '/home/u/proj/main.c'],
    ['openat(AT_FDCWD, "../../../..", O_RDONLY)', 1, '/'],
    ['openat(3, "id_rsa", O_RDONLY)', 1, '/home/u/.ssh/id_rsa'],
    ['openat(7, "/abs/ignores/dirfd", O_RDONLY)', 1, '/abs/ignores/dirfd'],
    ['newfstatat(7, "", NULL, AT_EMPTY_PATH)', 1, '/etc'],
    ['renameat2(3, "a", AT_FDCWD, "b", 0)', 3, '/home/u/proj/b'],
    ['unlink("x")', 0, '/home/u/proj/x'],
    ['openat(AT_FDCWD, NULL, O_RDONLY)', 1, undefined],
    // bytes, as strace prints them: UTF-8 sequences are their characters, other bytes are
    // shown as the supervisor shows them (U+DC80 + the byte)
    ['openat(AT_FDCWD, "/home/jos\\xc3\\xa9/x", O_RDONLY)', 1, '/home/jos\u00e9/x'],
    ['openat(AT_FDCWD, "/tmp/caf\\xe9", O_RDONLY)', 1, '/tmp/caf\udce9'],
    ['openat(AT_FDCWD, "/tmp/jos\u00e9\\xff", O_RDONLY)', 1, '/tmp/jos\u00e9\udcff'],
  ] as const)('%s: path of arg %i is %s', ([text, arg, path]) => {
    const r = parseCall(text, ctx);
    expect(r.ok && r.call.invocation.deref?.path(arg)).toBe(path);
  });

  test.for([
    ['frob(1)', 'SV4001', 1, 5, "unknown system call 'frob'"],
    ['socket(AF_INET, SOCK_STREAM)', 'SV4002', 7, 29, 'socket takes 3 arguments, got 2'],
    ['kill(1, 2, 3)', 'SV4002', 12, 13, 'kill takes 2 arguments, got 3'],
    ['socket(AF_INET, SOCK_STRAEM, 0)', 'SV4003', 17, 28, "unknown constant 'SOCK_STRAEM'"],
    ['socket(AF_INET SOCK_STREAM, 0)', 'SV4004', 16, 27, "expected ',' or ')', found 'SOCK_STREAM'"],
    ['openat(AT_FDCWD, "x, O_RDONLY)', 'SV4004', 18, 31, 'unterminated string'],
    ['kill(09, 1)', 'SV4004', 6, 8, "malformed number '09'"],
    ['socket("inet", 1, 0)', 'SV4005', 8, 14, "'family' of socket is an integer (int), not a string"],
    ['kill(0x100000000, 1)', 'SV4005', 6, 17, "0x100000000 does not fit in the 32-bit argument 'pid' of kill"],
    ['fchmodat(AT_FDCWD, "f", 0x109ed)', 'SV4005', 25, 32, "0x109ed does not fit in the 16-bit argument 'mode' of fchmodat"],
    ['fchmodat(AT_FDCWD, "f", -32769)', 'SV4005', 25, 31, "-32769 does not fit in the 16-bit argument 'mode' of fchmodat"],
    ['openat(5, "x", O_RDONLY)', 'SV4006', 8, 9, 'dirfd 5 is not an open directory of the context (needed to resolve "x")'],
    ['open("x", O_RDONLY) trailing', 'SV4004', 21, 29, 'text after the call'],
    ['_llseek(1, 0, 0, NULL, 0)', 'SV4007', 1, 8, '_llseek has no system call number on x86_64'],
  ] as const)('%s -> %s at column %i', ([text, code, col, end, message]) => {
    const r = parseCall(text, ctx);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const d = r.diagnostics[0]!;
    expect([d.code, d.range.column, d.range.endColumn, d.message]).toEqual([code, col, end, message]);
  });
});

const load = (file: string): PolicyIR => {
  const r = loadPolicy(file, { context: { cwd: '/home/u/proj', home: '/home/u', tmp: '/tmp/t', env: {} } });
  if (!r.ir) throw new Error(r.diagnostics.map((d) => d.message).join('\n'));
  return r.ir;
};

describe('explain of one call', () => {
  test('read-only: each rule with the condition that failed and the value', () => {
    const ir = load(`${root}examples/read-only.yaml`);
    const r = parseCall('openat(AT_FDCWD, "/etc/passwd", O_WRONLY)', ctx);
    if (!r.ok) throw new Error('parse');
    const e = explainCall(ir, r.call);
    expect(e.verdict).toBe('deny EROFS');
    expect(e.decision.where).toBe('supervisor');
    expect(e.rules.map((x) => [x.label, x.matched])).toEqual([["rule 'no-secrets'", false], ["rule 'no-writes'", true]]);
    expect(e.rules[1]!.alternatives![0]!.conditions[0]).toEqual({ text: 'flags has any of 0x643', holds: true, actual: 'flags = 0x1' });
    expect(e.notTried).toBe(2);
    expect(renderExplanation(e, (f) => f.slice(root.length))).toContain('no   path under /home/u/.ssh, /home/u/.gnupg, /home/u/.aws, /etc/shadow, /etc/gshadow  (path /etc/passwd)');
  });

  test('a 16-bit mode: the kernel reads the low 16 bits of the register, and so does the explanation', () => {
    const ir = irOf(`sysvm: 1
default: allow
rules:
  - { name: no-setuid, syscalls: [fchmodat], match: { mode: { in: [0o4755] } }, action: { deny: EPERM } }
`);
    const r = parseCall('fchmodat(AT_FDCWD, "f", 04755)', ctx);
    if (!r.ok) throw new Error('parse');
    // The register as a program can fill it: fchmodat(AT_FDCWD, "f", 0x10000 | 04755).
    const high = { ...r.call, invocation: { ...r.call.invocation, args: r.call.invocation.args.map((a, i) => (i === 2 ? a | 0x1_0000n : a)) } };
    for (const call of [r.call, high]) {
      const e = explainCall(ir, call);
      expect([e.verdict, e.decision.where]).toEqual(['deny EPERM', 'kernel']);
      expect(e.rules[0]!.alternatives![0]!.conditions[0]).toEqual({ text: 'mode in [2541]', holds: true, actual: 'mode = 2541' });
    }
  });

  test('no-network: decided by the kernel, with the constant named', () => {
    const ir = load(`${root}examples/no-network.yaml`);
    const r = parseCall('socket(AF_INET6, SOCK_DGRAM, 0)', ctx);
    if (!r.ok) throw new Error('parse');
    const e = explainCall(ir, r.call);
    expect([e.verdict, e.decision.where, e.decision.bpfRet]).toEqual(['deny EAFNOSUPPORT', 'kernel', 'ERRNO(97)']);
    expect(e.rules[0]!.alternatives![0]!.conditions[0]!.actual).toBe('family = 10 (AF_INET6)');
  });
});

describe('test files', () => {
  test.for(['no-network', 'read-only', 'fake-identity', 'builtin-default'])('examples/tests/%s.test.yaml passes', (name) => {
    const r = runTestFile(`${root}examples/tests/${name}.test.yaml`);
    expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(r.cases.length).toBeGreaterThan(5);
    expect(r.cases.filter((c) => !c.passed).map((c) => [c.call, c.problems])).toEqual([]);
  });

  const broken = `${root}packages/policy/test/fixtures/workflow/`;
  test.for([
    ['bad-call.test.yaml', [['SV4003', 5, 28], ['SV4001', 7, 11]]],
    ['bad-schema.test.yaml', [['SV4102', 2, 17], ['SV4102', 6, 5], ['SV4105', 8, 21], ['SV4103', 12, 11]]],
    ['bad-policy.test.yaml', [['SV4104', 2, 9]]],
    ['bad-yaml.test.yaml', [['SV4101', 4, 1]]],
  ] as const)('%s: diagnostics with their positions', ([file, want]) => {
    const r = runTestFile(`${broken}${file}`);
    expect(r.diagnostics.map((d) => [d.code, d.range.line, d.range.column])).toEqual(want);
  });

  test('a failing case says what decided it', () => {
    const r = runTestFile(`${broken}failing.test.yaml`);
    expect(r.diagnostics).toEqual([]);
    expect(r.cases.map((c) => [c.passed, c.problems])).toEqual([
      [false, ['expected allow, got deny EAFNOSUPPORT', 'the kernel (BPF prefilter) returns ERRNO(97), not allow']],
      [false, ["expected rule 'no-escape' to decide, but rule 'no-io-uring' did"]],
      [false, ['expected the supervisor to decide, but the kernel does (prefilter returns ALLOW)']],
      [true, []],
    ]);
  });
});

// --- OCI -------------------------------------------------------------------------------------------

const dockerText = readFileSync(`${root}packages/policy/test/fixtures/oci/docker-default-excerpt.json`, 'utf8');
const docker = parseOciJson(dockerText) as OciProfile;

/** Invocations covering every entry of the fixture and the examples' rules. */
const CALLS = [
  'read(0, NULL, 10)', 'openat(AT_FDCWD, "/etc/passwd", O_RDONLY)', 'getpid()', 'ptrace(PTRACE_ATTACH, 1, 0, 0)',
  'socket(AF_INET, SOCK_STREAM, 0)', 'socket(40, SOCK_STREAM, 0)', 'socket(AF_UNIX, SOCK_STREAM, 0)', 'socket(-1, 0, 0)',
  'socket(41, 0, 0)', 'socket(39, 0, 0)', 'socketpair(AF_UNIX, SOCK_STREAM, 0, NULL)', 'socketpair(AF_INET, SOCK_STREAM, 0, NULL)',
  'personality(0)', 'personality(8)', 'personality(0xffffffff)', 'personality(9)',
  'clone(0x11, 0, NULL, NULL, 0)', 'clone(CLONE_NEWUSER, 0, NULL, NULL, 0)', 'clone(CLONE_NEWNET|CLONE_VM, 0, NULL, NULL, 0)',
  'clone3(NULL, 88)', 'bpf(0, NULL, 0)', 'mount("a", "b", NULL, 0, NULL)', 'reboot(0, 0, 0, NULL)', 'io_uring_setup(8, NULL)',
  'kill(-1, SIGKILL)', 'uname(NULL)', 'setns(3, 0)', 'unshare(CLONE_NEWNS)', 'kexec_load(0, 0, NULL, 0)',
];

function sysvmKernelAction(ir: PolicyIR, call: string): string {
  const r = parseCall(call, ctx);
  if (!r.ok) throw new Error(`${call}: ${r.diagnostics[0]!.message}`);
  const inv = r.call.invocation;
  const ret = bpf.runBpf(compileBpf(ir).program, { nr: inv.nr, arch: 0xc000003e, args: inv.args }).ret;
  expect(ret).toBe(prefilterRet(ir, inv));
  return ociActionOfRet(ret);
}

const inv = (call: string) => {
  const r = parseCall(call, ctx);
  if (!r.ok) throw new Error(call);
  return r.call.invocation;
};

const irOf = (yaml: string): PolicyIR => {
  const r = loadPolicy({ file: 'imported.yaml', text: yaml }, { context: { cwd: '/w', home: '/h', tmp: '/t', env: {} } });
  if (!r.ir) throw new Error(r.diagnostics.map((d) => `${d.range.line}:${d.range.column} ${d.message}`).join('\n'));
  return r.ir;
};

describe('OCI import', () => {
  const imported = importOci(docker, { source: 'docker-default-excerpt.json' });
  const ir = irOf(imported.yaml);

  test('the policy loads and names what it could not carry over', () => {
    expect(imported.notes).toEqual([
      'syscalls[7] (bpf, clone, clone3, mount, ...) left out: it is for containers with CAP_SYS_ADMIN (--cap to include)',
      'syscalls[10] (reboot) left out: it is for containers with CAP_SYS_BOOT (--cap to include)',
      'entries with includes.minKernel were kept (give --kernel VERSION to check them)',
    ]);
    expect(imported.yaml).toContain('match: { clone_flags: { none: 0x7e020000 } }');
  });

  test.for(CALLS)('%s: sysvm decides as the profile does', (call) => {
    expect(sysvmKernelAction(ir, call)).toBe(evaluateOci(docker, inv(call)));
  });

  test('--cap CAP_SYS_ADMIN includes its entries and drops the excluded ones', () => {
    const admin = irOf(importOci(docker, { caps: ['CAP_SYS_ADMIN'] }).yaml);
    for (const call of CALLS) {
      expect([call, sysvmKernelAction(admin, call)]).toEqual([call, evaluateOci(docker, inv(call), { caps: ['CAP_SYS_ADMIN'] })]);
    }
    expect(sysvmKernelAction(admin, 'clone(CLONE_NEWUSER, 0, NULL, NULL, 0)')).toBe('SCMP_ACT_ALLOW');
    expect(sysvmKernelAction(admin, 'clone3(NULL, 88)')).toBe('SCMP_ACT_ALLOW');
    expect(sysvmKernelAction(ir, 'clone3(NULL, 88)')).toBe('SCMP_ACT_ERRNO(38)');
  });

  test.for([
    [{ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['kill'], action: 'SCMP_ACT_TRAP' }] },
      ['syscalls[0]: SCMP_ACT_TRAP (SIGSYS) became kill: sysvm has no SIGSYS verdict']],
    [{ defaultAction: 'SCMP_ACT_LOG', syscalls: [{ names: ['nosuchcall', 'kill'], action: 'SCMP_ACT_KILL_THREAD' }] },
      ['syscalls[0]: SCMP_ACT_KILL_THREAD became kill (sysvm kills the whole process)', "not in sysvm's syscall catalogue (left out): nosuchcall"]],
    [{ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['personality'], action: 'SCMP_ACT_ERRNO', args: [{ index: 0, value: 1, valueTwo: 2, op: 'SCMP_CMP_MASKED_EQ' }] }] },
      ['syscalls[0] for personality left out: (personality & 1) == 2 can never hold']],
    [{ defaultAction: 'SCMP_ACT_ALLOW', flags: ['SECCOMP_FILTER_FLAG_LOG'], syscalls: [{ names: ['kill'], action: 'SCMP_ACT_ERRNO', errno: 'EPERM' }] },
      ['ignored flags (SECCOMP_FILTER_FLAG_LOG): sysvm installs its own filter with its own flags', 'syscalls[0]: ignored errno']],
  ] as const)('notes: %j', ([profile, notes]) => {
    const r = importOci(profile);
    expect(r.notes).toEqual(notes);
    irOf(r.yaml);
  });

  test('not a profile', () => {
    expect(importOci([1, 2]).error).toBe('not a seccomp profile: a JSON object with "defaultAction" (and "syscalls") is expected');
  });
});

describe('OCI export', () => {
  const policies = ['examples/no-network.yaml', 'examples/read-only.yaml', 'builtin:default'];
  test.for(policies)('%s: the profile decides as the prefilter does', (file) => {
    const ir = load(file.startsWith('builtin:') ? file : `${root}${file}`);
    const { profile } = exportOci(ir);
    const reread = parseOciJson(ociJson(profile)) as OciProfile;
    for (const call of CALLS) {
      expect([call, evaluateOci(reread, inv(call))]).toEqual([call, sysvmKernelAction(ir, call)]);
    }
  });

  test('ranges on signed and 64-bit arguments', () => {
    const ir = irOf(`sysvm: 1
default: allow
rules:
  - { syscalls: [kill], match: { pid: { lt: -5 } }, action: { deny: ESRCH } }
  - { syscalls: [kill], match: { sig: { in: [9, 15] }, pid: { ge: 100 } }, action: kill }
  - { syscalls: [lseek], match: { offset: { gt: -2 } }, action: { deny: EINVAL } }
  - { syscalls: [mmap], match: { prot: { all: [PROT_WRITE, PROT_EXEC] } }, action: { deny: EACCES } }
  - { syscalls: [mmap], match: { flags: { any: [MAP_SHARED] } }, action: { deny: EPERM } }
`);
    const { profile } = exportOci(ir);
    const reread = parseOciJson(ociJson(profile)) as OciProfile;
    const calls = ['kill(-6, 9)', 'kill(-5, 9)', 'kill(100, 9)', 'kill(100, 1)', 'kill(99, 15)', 'kill(0x7fffffff, 15)',
      'lseek(1, -2, 0)', 'lseek(1, -1, 0)', 'lseek(1, 0x7fffffffffffffff, 0)', 'lseek(1, -0x8000000000000000, 0)',
      'mmap(NULL, 1, PROT_WRITE|PROT_EXEC, MAP_SHARED, -1, 0)', 'mmap(NULL, 1, PROT_WRITE, MAP_SHARED, -1, 0)',
      'mmap(NULL, 1, PROT_WRITE, MAP_PRIVATE, -1, 0)'];
    for (const call of calls) expect([call, evaluateOci(reread, inv(call))]).toEqual([call, sysvmKernelAction(ir, call)]);
    // and back again: import(export(policy)) decides the same
    const back = irOf(importOci(reread).yaml);
    for (const call of calls) expect([call, sysvmKernelAction(back, call)]).toEqual([call, sysvmKernelAction(ir, call)]);
  });

  test('a 16-bit mode: MASKED_EQ on the low 16 bits, exact whatever the bits above hold', () => {
    const ir = irOf(`sysvm: 1
default: allow
rules:
  - { syscalls: [fchmodat], match: { mode: { in: [0o4755, 0o6755] } }, action: { deny: EPERM } }
  - { syscalls: [fchmod], match: { mode: { ge: 0o1000 } }, action: { deny: EPERM } }
  - { syscalls: [chmod], match: { mode: { ne: 0o644 } }, action: { deny: EPERM } }
`);
    const { profile, notes } = exportOci(ir);
    expect(notes.filter((n) => n.includes('mode'))).toEqual([]);
    const reread = parseOciJson(ociJson(profile)) as OciProfile;
    const fchmodat = reread.syscalls!.filter((e) => (e.names ?? []).includes('fchmodat')).flatMap((e) => e.args ?? []);
    expect(fchmodat).toEqual([
      { index: 2, value: 0xffff, valueTwo: 0o4755, op: 'SCMP_CMP_MASKED_EQ' },
      { index: 2, value: 0xffff, valueTwo: 0o6755, op: 'SCMP_CMP_MASKED_EQ' },
    ]);
    // The mode (the last argument) with bits above the low 16 set, as a program can pass it.
    const withHigh = (call: string, h: bigint) => {
      const i = inv(call);
      return { ...i, args: i.args.map((a, k) => (k === i.args.length - 1 ? a | h : a)) };
    };
    for (const call of ['fchmodat(AT_FDCWD, "f", 04755)', 'fchmodat(AT_FDCWD, "f", 0644)', 'fchmod(1, 0777)', 'fchmod(1, 01000)',
      'chmod("f", 0644)', 'chmod("f", 0640)']) {
      for (const h of [0n, 0x1_0000n, 0xffff_0000n, 0xffff_ffff_ffff_0000n]) {
        const want = ociActionOfRet(prefilterRet(ir, withHigh(call, h)));
        expect([call, h, evaluateOci(reread, withHigh(call, h))]).toEqual([call, h, want]);
      }
    }
    expect(ociActionOfRet(prefilterRet(ir, withHigh('fchmodat(AT_FDCWD, "f", 04755)', 0x1_0000n)))).toBe('SCMP_ACT_ERRNO(1)');
  });

  test('import: a value wider than a 16-bit mode is left out', () => {
    const r = importOci({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [
      { names: ['fchmodat'], action: 'SCMP_ACT_ERRNO', args: [{ index: 2, value: 0x109ed, op: 'SCMP_CMP_EQ' }] },
      { names: ['fchmod'], action: 'SCMP_ACT_ERRNO', args: [{ index: 1, value: 0x1f000, valueTwo: 0x8000, op: 'SCMP_CMP_MASKED_EQ' }] },
      { names: ['chmod'], action: 'SCMP_ACT_ERRNO', args: [{ index: 1, value: 0o4755, op: 'SCMP_CMP_EQ' }] },
    ] });
    expect(r.notes).toEqual([
      "syscalls[0] for fchmodat left out: 0x109ed does not fit the 16-bit argument 'mode' (sysvm compares its low 16 bits, as the kernel reads it)",
      "syscalls[1] for fchmod left out: mask 0x1f000 is wider than the 16-bit argument 'mode'",
    ]);
    expect(r.yaml).toContain('match: { mode: { eq: 2541 } }');
    irOf(r.yaml);
  });

  test('round trip: import, export, import again decide alike', () => {
    const once = irOf(importOci(docker).yaml);
    const exported = exportOci(once).profile;
    const twice = irOf(importOci(parseOciJson(ociJson(exported))).yaml);
    for (const call of CALLS) {
      expect([call, sysvmKernelAction(twice, call)]).toEqual([call, sysvmKernelAction(once, call)]);
      expect([call, evaluateOci(exported, inv(call))]).toEqual([call, evaluateOci(docker, inv(call))]);
    }
  });

  test('what needs the supervisor becomes SCMP_ACT_TRACE, with a note', () => {
    const ir = load(`${root}examples/read-only.yaml`);
    const r = exportOci(ir);
    expect(r.notes).toContain("rule 'no-secrets' looks at paths or fds: SCMP_ACT_TRACE where its integer conditions hold: open, stat, lstat, access, truncate, chdir and 38 more");
    expect(evaluateOci(r.profile, inv('openat(AT_FDCWD, "/etc/passwd", O_RDONLY)'))).toBe('SCMP_ACT_TRACE');
    expect(evaluate(ir, inv('openat(AT_FDCWD, "/etc/passwd", O_RDONLY)')).verdict.kind).toBe('allow');
  });
});
