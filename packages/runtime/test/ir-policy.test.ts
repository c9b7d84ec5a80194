// A compiled policy (PolicyIR) run through @sysvm/policy's compileBpf and evaluate.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { abi, bpf, compileBpf } from '@sysvm/policy';
import { describe, expect, test } from 'vitest';

import { policyFromIR, run, startTracer } from '../src/index.js';
import type { PolicyIR, SourceRange } from '../src/index.js';
import { createSupervisorPolicy, withHostNames } from '../src/policy-module.js';
import { BACKENDS, errnoOf } from './helpers.js';

const at = (line: number): SourceRange => ({ file: 'ir.yaml', line, column: 3, endLine: line, endColumn: 9 });

function secretPolicy(secret: string): PolicyIR {
  const deny = { kind: 'deny' as const, errno: errnoOf('EACCES'), errnoName: 'EACCES' };
  return {
    name: 'test', files: ['ir.yaml'],
    default: { verdict: { kind: 'allow' }, log: false, source: at(2) },
    rules: [
      {
        index: 0, name: 'no-secret', source: at(4), syscalls: ['open', 'openat'], verdict: deny, log: false,
        match: [[{ kind: 'path', args: [1], op: 'under', values: [secret], source: at(5) }]],
      },
      {
        index: 1, name: 'fake-pid', source: at(7), syscalls: ['getpid'], log: true,
        verdict: { kind: 'emulate', emulate: { kind: 'return', value: 99 } }, match: null,
      },
    ],
  };
}

describe.for(BACKENDS)('policyFromIR on the %s backend', (backend) => {
  test('path rule denies, emulate answers, the rest passes', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sysvm-ir-'));
    mkdirSync(path.join(dir, 'secret'));
    writeFileSync(path.join(dir, 'secret/key'), 'k\n');
    writeFileSync(path.join(dir, 'open'), 'o\n');
    const denied = await run({ command: 'cat', args: ['secret/key'], cwd: dir, backend, quiet: true, policy: policyFromIR(secretPolicy(path.join(dir, 'secret'))) });
    expect(denied.code).toBe(1);
    expect(denied.stderr).toContain('Permission denied');
    const ok = await run({ command: 'cat', args: ['open'], cwd: dir, backend, policy: policyFromIR(secretPolicy(path.join(dir, 'secret'))) });
    expect(ok.stdout).toBe('o\n');
    const py = await run({ command: 'python3', args: ['-c', 'import os; print(os.getpid())'], backend, policy: policyFromIR(secretPolicy(path.join(dir, 'secret'))) });
    expect(py.stdout).toBe('99\n');
  });
});

// A policy that fails uname in the kernel (no supervisor stop for it).
const noUname = (): PolicyIR => ({
  files: ['ir.yaml'], default: { verdict: { kind: 'allow' }, log: false, source: at(2) },
  rules: [{ index: 0, source: at(4), syscalls: ['uname'], verdict: { kind: 'deny', errno: errnoOf('EPERM'), errnoName: 'EPERM' },
    log: false, match: null }],
});
const filterOf = (ir: PolicyIR): Uint8Array => bpf.toSockFilter(compileBpf(ir, 'x86_64').program);

describe('policyFromIR with the prefilter given (sysvm run\'s cache)', () => {
  test('the given prefilter is the one the kernel runs, and the same as compiling it there', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sysvm-ir-'));
    const ir = secretPolicy(path.join(dir, 'secret'));
    const plain = await run({ command: 'uname', backend: 'seccomp', policy: policyFromIR(ir, filterOf(ir)) });
    expect(plain.stdout).toBe(`${os.type()}\n`);
    const py = await run({ command: 'python3', args: ['-c', 'import os; print(os.getpid())'], backend: 'seccomp', policy: policyFromIR(ir, filterOf(ir)) });
    expect(py.stdout).toBe('99\n');
    // A prefilter compiled from another IR is what runs: the caller must give the IR's own.
    const other = await run({ command: 'uname', backend: 'seccomp', quiet: true, policy: policyFromIR(ir, filterOf(noUname())) });
    expect(other.code).toBe(1);
    expect(other.stderr).toMatch(/Operation not permitted/);
  });
});

describe('startTracer: a tracer thread started ahead of spawn', () => {
  test.for(BACKENDS)('%s: the run is the same with it', async (backend) => {
    const tracer = startTracer();
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sysvm-ir-'));
    mkdirSync(path.join(dir, 'secret'));
    writeFileSync(path.join(dir, 'secret/key'), 'k\n');
    const denied = await run({ command: 'cat', args: ['secret/key'], cwd: dir, backend, quiet: true, tracer,
      policy: policyFromIR(secretPolicy(path.join(dir, 'secret'))) });
    expect(denied.code).toBe(1);
    expect(denied.stderr).toContain('Permission denied');
    tracer.close(); // used: nothing to do
    // used once: a second spawn given it starts a thread of its own
    const again = await run({ command: 'true', backend, tracer, policy: policyFromIR(secretPolicy(path.join(dir, 'secret'))) });
    expect(again.code).toBe(0);
  });

  test.for([
    ['started and closed', 'm.startTracer().close();'],
    ['started, never used nor closed', 'm.startTracer();'],
  ])('%s: the process still ends at once', ([, code]) => {
    const index = new URL('../dist/index.js', import.meta.url).href;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', `const m = await import(${JSON.stringify(index)}); ${code} console.log('end');`],
      { encoding: 'utf8', timeout: 20_000 });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('end\n');
    expect(r.status).toBe(0);
  });
});

describe('silentAllow: the calls the tracer passes without calling decide', () => {
  const logged: PolicyIR = { ...secretPolicy('/s'), default: { verdict: { kind: 'allow' }, log: true, source: at(2) } };
  const denying: PolicyIR = {
    ...secretPolicy('/s'),
    default: { verdict: { kind: 'deny', errno: errnoOf('EPERM'), errnoName: 'EPERM' }, log: false, source: at(2) },
  };
  const uring: PolicyIR = {
    ...secretPolicy('/s'),
    rules: [...secretPolicy('/s').rules, {
      index: 2, name: 'uring', source: at(9), syscalls: ['io_uring_enter'], verdict: { kind: 'allow' }, log: false, match: null,
    }],
  };
  const nrOf = (name: string): number => abi.syscallNumber('x86_64', name)!;

  test.for([
    // [policy, calls passed silently, calls decide must see]
    ['allow by default', secretPolicy('/s'), ['read', 'close', 'fstat', 'execve'], ['open', 'openat', 'getpid', 'io_uring_setup', 'io_uring_enter']],
    ['a logged default', logged, [], ['read', 'open', 'getpid']],
    ['deny by default', denying, [], ['read', 'close', 'getpid']],
    ['a rule for io_uring_enter', uring, ['read'], ['io_uring_enter', 'io_uring_setup', 'io_uring_register']],
  ] as const)('%s', async ([, ir, silent, decided]) => {
    const p = await createSupervisorPolicy({ ir });
    expect(silent.filter((n) => p.silentAllow?.[nrOf(n)] !== 1)).toEqual([]);
    expect(decided.filter((n) => p.silentAllow?.[nrOf(n)] === 1)).toEqual([]);
    // Whatever it promises, evaluate keeps: a silent allow for any arguments, paths unread.
    const deref = { path: (): string => { throw new Error('a silent call read a path'); } };
    const args = [0n, 0xdeadbeefn, 0xffffffffffffffffn, 1n, 2n, 3n];
    for (let nr = 0; nr < (p.silentAllow?.length ?? 0); nr++) {
      if (p.silentAllow![nr] !== 1) continue;
      expect([nr, p.decide({ arch: 'x86_64', nr, args, deref }, { pid: 1, tid: 1, name: '', data: undefined })])
        .toEqual([nr, { verdict: { kind: 'allow' }, rule: null, log: false }]);
    }
  });
});

describe('withHostNames: rule paths under their host names', () => {
  test('a deny rule through a symlink gains the target; an allow rule and a negated address list do not', () => {
    const dir = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'sysvm-hostnames-')));
    mkdirSync(path.join(dir, 'real'));
    symlinkSync(path.join(dir, 'real'), path.join(dir, 'link'));
    const link = path.join(dir, 'link');
    const real = path.join(dir, 'real');
    const deny = { kind: 'deny' as const, errno: errnoOf('EACCES'), errnoName: 'EACCES' };
    const ir: PolicyIR = {
      name: 'hostnames', files: ['ir.yaml'],
      default: { verdict: { kind: 'allow' }, log: false, source: at(2) },
      rules: [
        { index: 0, source: at(3), syscalls: ['openat'], verdict: deny, log: false, match: [[{ kind: 'path', args: [1], op: 'under', values: [link], source: at(3) }]] },
        { index: 1, source: at(4), syscalls: ['openat'], verdict: { kind: 'allow' }, log: false, match: [[{ kind: 'path', args: [1], op: 'under', values: [link], source: at(4) }]] },
        { index: 2, source: at(5), syscalls: ['openat'], verdict: deny, log: false, match: [[{ kind: 'path', args: [1], op: 'glob', values: [`${link}/*.key`], source: at(5) }]] },
        {
          index: 3, source: at(6), syscalls: ['connect'], verdict: deny, log: false,
          match: [[{ kind: 'sockaddr', arg: 1, negate: true, patterns: [{ families: ['unix'], op: 'equals', values: [`${link}/s`] }], source: at(6) }]],
        },
      ],
    };
    const out = withHostNames(ir);
    const values = out.rules.map((r) => {
      const c = r.match![0]![0]!;
      return c.kind === 'path' ? c.values : c.kind === 'sockaddr' ? c.patterns[0]!.values : undefined;
    });
    expect(values).toEqual([[link, real], [link], [`${link}/*.key`, `${real}/*.key`], [`${link}/s`]]);
    expect(out.rules[1]).toBe(ir.rules[1]); // untouched rules are the same objects
  });
});
