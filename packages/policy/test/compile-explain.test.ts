// explain: how conditions, verdicts and places of decision are printed.
import { describe, expect, test } from 'vitest';
import { explainPolicy, formatIntCondition, formatVerdict } from '../src/compile/explain.js';
import type { IntCondition, Verdict } from '../src/ir.js';
import { ALLOW, KILL, TRACE, deny, emulateReturn, int, path, policy } from './bpf-fixtures.js';

describe('conditions and verdicts', () => {
  const conds: [IntCondition, string][] = [
    [int(0, 'eq', 5n, 32, false, 'fd'), 'fd == 5'],
    [int(0, 'ne', -100n, 32, true, 'dfd'), 'dfd != -100'],
    [int(1, 'lt', 0n, 64, true, 'offset'), 'offset < 0 (s64)'],
    [int(2, 'ge', 0x1_00000000n, 64, false, 'count'), 'count >= 0x100000000 (u64)'],
    [int(2, 'le', -1n, 32, false, 'n'), 'n <= 0xffffffff (u32)'],
    [int(0, 'in', [2n, 10n], 32, true, 'family'), 'family in [2, 10]'],
    [int(0, 'not-in', [0n, 1n, 2n], 32, false, 'fd'), 'fd not in [0, 1, 2]'],
    [int(2, 'all', 0x6n, 64, false, 'prot'), 'prot has all of 0x6'],
    [int(2, 'any', 0x40n, 32, false, 'flags'), 'flags has any of 0x40'],
    [int(2, 'none', 0x80000n, 32, false, 'flags'), 'flags has none of 0x80000'],
    [int(3, 'eq', 7n, 64), 'a3 == 7'],
  ];
  test.for(conds)('%o -> %s', ([c, text]) => {
    expect(formatIntCondition(c)).toBe(text);
  });

  const verdicts: [Verdict, string][] = [
    [ALLOW, 'allow'], [KILL, 'kill'], [TRACE, 'trace'], [deny(13, 'EACCES'), 'deny EACCES'],
    [emulateReturn(-2), 'emulate return -2'],
    [{ kind: 'emulate', emulate: { kind: 'uname', fields: { nodename: 'box', release: '6.0' } } }, 'emulate uname {nodename: box, release: 6.0}'],
  ];
  test.for(verdicts)('%o -> %s', ([v, text]) => {
    expect(formatVerdict(v)).toBe(text);
  });
});

describe('the decision table', () => {
  const ir = policy([
    { name: 'secrets', syscalls: ['renameat2'], match: [[path([1, 3], 'under', ['/etc'])]], verdict: deny(13, 'EACCES'), log: true },
    { name: 'tmp-only', syscalls: ['renameat2'], match: [[path([1, 3], 'glob', ['/tmp/**'])]], verdict: ALLOW },
    { name: 'inet', syscalls: ['socket'], match: [[int(0, 'eq', 2n, 32, false, 'family')], [int(0, 'eq', 10n, 32, false, 'family'), int(1, 'eq', 1n, 32, false, 'type')]], verdict: TRACE },
    { name: 'all-sockets', syscalls: ['socket'], verdict: deny(1, 'EPERM') },
    { name: 'shadowed', syscalls: ['socket'], verdict: ALLOW },
  ], ALLOW);
  const text = explainPolicy(ir);

  test.for([
    'guards, before any rule:',
    '  nr == -1 (a tracer skipping the call)                           -> kernel: allow',
    'renameat2 (316) [supervisor]:',
    '  if either path (args 1, 3) under /etc  -> supervisor: deny EACCES, log [rule secrets, test.yaml:10]',
    '  if both paths (args 1, 3) glob /tmp/** -> supervisor: allow [rule tmp-only, test.yaml:11]',
    '  otherwise                              -> supervisor: allow [default, test.yaml:2]',
    'socket (41) [mixed]:',
    '  if family == 2                   -> supervisor: trace [rule inet, test.yaml:12]',
    '  or if family == 10 and type == 1 -> supervisor: trace [rule inet, test.yaml:12]',
    '  always                           -> kernel: deny EPERM [rule all-sockets, test.yaml:13]',
    '  never reached                    -> [rule shadowed, test.yaml:14]: rule all-sockets always matches first',
    'every other syscall -> kernel: allow [default, test.yaml:2]',
  ])('has the line %s', (line) => {
    expect(text.split('\n')).toContain(line);
  });

  test('syscalls without a number on the architecture are listed', () => {
    const t = explainPolicy(policy([{ syscalls: ['no_such_call', 'read'], verdict: KILL }]));
    expect(t).toContain('not on x86_64 (ignored): no_such_call\n');
  });
});
