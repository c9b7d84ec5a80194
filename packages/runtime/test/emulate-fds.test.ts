// fd conditions (src/emulate/fds.ts): what the supervisor knows of an fd follows it through
// dup, fcntl, fork, close and exec with no stop of its own, on both backends.
import { beforeAll, describe, expect, test } from 'vitest';

import { policyFromIR, run } from '../src/index.js';
import type { Condition } from '@sysvm/policy';
import type { Emulation } from '../src/index.js';

import { BACKENDS, compileAll, errnoOf } from './helpers.js';
import { pathRules, vmPolicy, type RuleSpec } from './vm-helpers.js';

const fileRules = (virtualPath: string, content: Extract<Emulation, { kind: 'file' }>['content']): RuleSpec[] =>
  pathRules(`file ${virtualPath}`, 'equals', virtualPath, { kind: 'file', content });
const policy = (...rules: RuleSpec[][]) => policyFromIR(vmPolicy(rules.flat()));

const VIRTUAL = '/etc/sysvm-virtual.conf'; // absent on the host
const src = { file: 'vm-test.yaml', line: 9, column: 1, endLine: 9, endColumn: 10 };
const fdVirtual: Condition = { kind: 'fd', arg: 0, virtual: true, source: src };
const fdIs = (p: string): Condition => ({ kind: 'fd', arg: 0, op: 'equals', values: [p], source: src });
const noVirtualWrites: RuleSpec = {
  name: 'no-virtual-writes', syscalls: ['write'], verdict: { kind: 'deny', errno: errnoOf('EPERM'), errnoName: 'EPERM' }, match: [[fdVirtual]],
};

let bin: Record<string, string>;
beforeAll(() => { bin = compileAll(); });

const PY = [
  'import os',
  `v = os.open("${VIRTUAL}", os.O_RDONLY)`,
  'def w(fd):',
  '    try:',
  '        os.write(fd, b"")',
  '        return "ok"',
  '    except OSError as e:',
  '        return e.strerror',
  'os.dup2(v, 9); os.close(v)',
  'a = w(9)',
  'n = os.open("/dev/null", os.O_WRONLY); os.dup2(n, 9)',
  'print(a, "|", w(9), "|", w(n))',
].join("\n");

describe.for(BACKENDS)('%s backend', (backend) => {
  test('an fd of a virtual file: dup, F_DUPFD_CLOEXEC, fork, read in the child, lseek, fstat, mmap, exec', async () => {
    const r = await run({ command: bin.vfd!, args: [VIRTUAL, 'exec'], backend, policy: policy(fileRules(VIRTUAL, { text: 'virtual\n' })) });
    expect(r.stdout).toBe([
      'child: 8 virtual', 'parent: size=8 offset=8 mmap=virtual', 'parent: write=Bad file descriptor',
      'exec: fd7=open fd8=closed', 'exec: write=Bad file descriptor', '',
    ].join('\n'));
  });

  test('fd conditions: write on a virtual fd is denied (EPERM) wherever the fd went; the fd\'s path is the virtual one', async () => {
    const r = await run({
      command: bin.vfd!, args: [VIRTUAL, 'exec'], backend, quiet: true,
      policy: policy(fileRules(VIRTUAL, { text: 'virtual\n' }), [
        noVirtualWrites,
        { name: 'no-reads-of-it', syscalls: ['read'], verdict: { kind: 'deny', errno: errnoOf('EIO'), errnoName: 'EIO' }, match: [[fdIs(VIRTUAL)]] },
      ]),
    });
    expect(r.stdout).toBe([
      // read(2) in the child is denied (EIO), so it prints an empty buffer and no newline.
      'child: -1 parent: size=8 offset=0 mmap=virtual', 'parent: write=Operation not permitted',
      'exec: fd7=open fd8=closed', 'exec: write=Operation not permitted', '',
    ].join('\n'));
  });

  test('dup2 carries the virtual mark to a new number; an fd dup2ed over it loses it', async () => {
    const r = await run({ command: 'python3', args: ['-c', PY], backend, quiet: true, policy: policy(fileRules(VIRTUAL, { text: 'v' }), [noVirtualWrites]) });
    expect(r.stdout).toBe('Operation not permitted | ok | ok\n');
    // write(2) stops only because the fd rule needs it; no open, dup or close stops for tracking.
    if (backend === 'seccomp') {
      expect(Object.keys(r.stats.syscalls).filter((c) => /^(dup|close|fcntl)/.test(c))).toEqual([]);
    }
  });
});
