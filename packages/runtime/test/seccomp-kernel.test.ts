// The compiled seccomp-BPF program in a real kernel: a small C program (compiled here
// with `cc` into a temp dir) installs it with seccomp(SECCOMP_SET_MODE_FILTER) after
// PR_SET_NO_NEW_PRIVS and issues one raw system call; the kernel's result must be what
// the TypeScript interpreter predicts from the same program:
//   ALLOW        -> the call ran: the same result as a run without a filter
//   ERRNO(e)     -> -e
//   TRACE        -> -ENOSYS (no tracer is attached)
//   KILL_PROCESS -> the process dies of SIGSYS
// The policy package is imported from its sources (vitest compiles them), so this test
// needs no prior `tsc -b`.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { abi, bpf, compileBpf, loadPolicy, type PolicyIR, type RuleIR, type Verdict, type Condition } from '../../policy/src/index.js';

const here = dirname(fileURLToPath(import.meta.url));
let dir = '';
let runner = '';
let filterFile = '';
let defaultFilterFile = '';

const src = { file: 'kernel-test.yaml', line: 1, column: 1, endLine: 1, endColumn: 2 };
const C = (name: string): bigint => {
  const v = abi.constant(name);
  if (v === undefined) throw new Error(`no constant ${name}`);
  return v;
};
const E = (name: string): Verdict => ({ kind: 'deny', errno: abi.errnoNumber(name) ?? 0, errnoName: name });
const int = (arg: number, op: 'eq' | 'lt' | 'ge' | 'in', values: bigint[], width: 32 | 64, signed: boolean): Condition =>
  ({ kind: 'int', arg, argName: `a${arg}`, op, values: values.map((v) => BigInt.asUintN(width, v)), width, signed, source: src });

const rules: Omit<RuleIR, 'index' | 'source'>[] = [
  // The runner's own two calls after the install.
  { syscalls: ['write', 'exit_group'], match: null, verdict: { kind: 'allow' }, log: false },
  { syscalls: ['getppid'], match: [[int(0, 'eq', [0xdeadn], 64, false)]], verdict: { kind: 'kill' }, log: false },
  { syscalls: ['getppid'], match: null, verdict: { kind: 'allow' }, log: false },
  { syscalls: ['socket'], match: [[int(0, 'in', [C('AF_INET6')], 32, true)]], verdict: E('EACCES'), log: false },
  { syscalls: ['socket'], match: null, verdict: { kind: 'allow' }, log: false },
  { syscalls: ['lseek'], match: [[int(1, 'lt', [0n], 64, true)]], verdict: E('EPERM'), log: false },
  { syscalls: ['lseek'], match: null, verdict: { kind: 'allow' }, log: false },
  { syscalls: ['close'], match: [[int(0, 'ge', [1000n], 32, false)]], verdict: E('ENOTTY'), log: false },
  { syscalls: ['close'], match: null, verdict: { kind: 'allow' }, log: false },
  { syscalls: ['openat'], match: [[{ kind: 'path', args: [1], op: 'under', values: ['/etc'], source: src }]], verdict: E('EACCES'), log: false },
  { syscalls: ['uname'], match: null, verdict: { kind: 'emulate', emulate: { kind: 'uname', fields: { nodename: 'sandbox' } } }, log: false },
];
const ir: PolicyIR = {
  name: 'kernel-test',
  files: ['kernel-test.yaml'],
  default: { verdict: E('EPERM'), log: false, source: src },
  rules: rules.map((r, index) => ({ ...r, index, source: src })),
};
const compiled = compileBpf(ir, 'x86_64');

const nr64 = (name: string): number => {
  const n = abi.syscallNumber('x86_64', name);
  if (n === undefined) throw new Error(`no x86_64 ${name}`);
  return n;
};
const nr32 = (name: string): number => {
  const n = abi.syscallNumber('i386', name);
  if (n === undefined) throw new Error(`no i386 ${name}`);
  return n;
};

interface Call { abi: 'x64' | 'ia32'; nr: number; args: bigint[] }
const x64 = (name: string, ...args: bigint[]): Call => ({ abi: 'x64', nr: nr64(name), args });

// [label, the call, the return value the interpreter must predict (literal)].
const cases: [string, Call, number][] = [
  ['getppid: allowed', x64('getppid'), 0x7fff0000],
  ['getppid(0xdead): kill (64-bit eq)', x64('getppid', 0xdeadn), 0x80000000],
  ['getppid(0x1_0000dead): the high half differs, allowed', x64('getppid', 0x1_0000deadn), 0x7fff0000],
  ['socket(AF_INET6): EACCES', x64('socket', 10n, 1n, 0n), 0x5000d],
  ['socket(AF_INET6 with high-half garbage): EACCES, the kernel reads an int', x64('socket', 0xffffffff_0000000an, 1n, 0n), 0x5000d],
  ['socket(AF_UNIX): allowed', x64('socket', 1n, 1n, 0n), 0x7fff0000],
  ['lseek(0, -5): EPERM (signed 64-bit)', x64('lseek', 0n, 0xffffffff_fffffffbn, 0n), 0x50001],
  ['lseek(0, 0x80000000): allowed (negative only as 32-bit)', x64('lseek', 0n, 0x80000000n, 0n), 0x7fff0000],
  ['close(1000): ENOTTY', x64('close', 1000n), 0x50019],
  ['close(0x1_00000005): fd 5, allowed', x64('close', 0x1_00000005n), 0x7fff0000],
  ['getuid: the default EPERM', x64('getuid'), 0x50001],
  ['openat: a path rule, to the supervisor (no tracer: ENOSYS)', x64('openat', 0xffffff9cn, 0n, 0n), 0x7ff0000a],
  ['uname: emulated, to the supervisor', x64('uname', 0n), 0x7ff0000b],
  ['io_uring_setup: the io_uring safety default EPERM', x64('io_uring_setup', 0n, 0n), 0x50001],
  ['nr -1: never trapped', { abi: 'x64', nr: -1, args: [] }, 0x7fff0000],
  ['x32 getppid: ENOSYS', { abi: 'x64', nr: (nr64('getppid') | 0x40000000) >>> 0, args: [] }, 0x50026],
  ['int 0x80 getppid (AUDIT_ARCH_I386): ENOSYS', { abi: 'ia32', nr: nr32('getppid'), args: [] }, 0x50026],
];

function run(filter: string, call: Call): { ret?: number; signal?: string } {
  const r = spawnSync(runner, [filter, call.abi, String(call.nr), ...call.args.map((a) => `0x${a.toString(16)}`)], {
    stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', timeout: 10_000,
  });
  if (r.signal) return { signal: r.signal };
  const m = /^ret=(-?\d+)$/m.exec(r.stdout);
  if (!m || r.status !== 0) throw new Error(`runner failed (status ${r.status}): ${r.stdout}${r.stderr}`);
  return { ret: Number(m[1]) };
}

function predict(call: Call, program = compiled.program): number {
  const data = {
    nr: call.nr,
    arch: call.abi === 'ia32' ? abi.AUDIT_ARCH.i386 : abi.AUDIT_ARCH.x86_64,
    args: call.args,
  };
  return bpf.runBpf(program, data).ret;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'sysvm-seccomp-'));
  runner = join(dir, 'seccomp-run');
  const cc = spawnSync('cc', ['-O2', '-Wall', '-o', runner, join(here, 'fixtures', 'seccomp-run.c')], { encoding: 'utf8' });
  if (cc.error || cc.status !== 0) {
    throw new Error(`cannot build the seccomp test runner with cc: ${cc.error?.message ?? cc.stderr}`);
  }
  filterFile = join(dir, 'filter.bin');
  writeFileSync(filterFile, bpf.toSockFilter(compiled.program));
  defaultFilterFile = join(dir, 'default.bin');
  writeFileSync(defaultFilterFile, bpf.toSockFilter(builtinDefault.program));
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Run `call` under the filter and check the kernel did what the interpreter predicted. */
function checkAgainstKernel(filter: string, program: bpf.Insn[], call: Call, expected: number): void {
  const ret = predict(call, program);
  expect(bpf.formatRet(ret)).toBe(bpf.formatRet(expected));
  const got = run(filter, call);
  const { action, data } = bpf.decodeRet(ret);
  switch (action) {
    case 'allow':
      expect(got).toEqual(run('-', call));
      break;
    case 'errno':
      expect(got).toEqual({ ret: -data });
      break;
    case 'trace':
      expect(got).toEqual({ ret: -(abi.errnoNumber('ENOSYS') ?? 0) });
      break;
    case 'kill_process':
      expect(got).toEqual({ signal: 'SIGSYS' });
      break;
    default:
      throw new Error(`unexpected action ${action}`);
  }
}

// The built-in default policy, through the real front end (YAML -> IR -> BPF).
const loaded = loadPolicy('builtin:default', { context: { cwd: '/work/project', home: '/home/user', tmp: '/tmp/sysvm', env: {} } });
if (!loaded.ir) throw new Error(`builtin:default does not load: ${JSON.stringify(loaded.diagnostics)}`);
const builtinDefault = compileBpf(loaded.ir, 'x86_64');
const defaultCases: [string, Call, number][] = [
  ['getppid: allowed in the kernel', x64('getppid'), 0x7fff0000],
  ['socket(AF_INET): EAFNOSUPPORT in the kernel', x64('socket', 2n, 1n, 0n), 0x50061],
  ['socket(AF_UNIX): allowed', x64('socket', 1n, 1n, 0n), 0x7fff0000],
  ['ioctl(0, TIOCSTI): EPERM in the kernel', x64('ioctl', 0n, 0x5412n, 0n), 0x50001],
  ['openat: paths, to the supervisor', x64('openat', 0xffffff9cn, 0n, 0n), 0x7ff00000 | (loaded.ir.rules.find((r) => r.syscalls.includes('openat'))?.index ?? -1) + 1],
  ['int 0x80: ENOSYS', { abi: 'ia32', nr: nr32('getppid'), args: [] }, 0x50026],
];

describe('the kernel runs the compiled program as the interpreter does', () => {
  test.for(cases)('%s', ([, call, expected]) => {
    checkAgainstKernel(filterFile, compiled.program, call, expected);
  });

  test('the filtered result differs from the unfiltered one where the policy decides', () => {
    // Guards against a runner that never installs the filter.
    const call: Call = { abi: 'ia32', nr: nr32('getppid'), args: [] };
    expect(run('-', call).ret).toBeGreaterThan(0);
    expect(run(filterFile, call)).toEqual({ ret: -38 });
  });
});

describe('builtin:default in the kernel', () => {
  test.for(defaultCases)('%s', ([, call, expected]) => {
    checkAgainstKernel(defaultFilterFile, builtinDefault.program, call, expected);
  });
});
