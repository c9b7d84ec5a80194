// The name module: uname(2) (src/emulate/uname.ts) and the host name as files read it
// (/proc/sys/kernel/hostname, /etc/hostname: file emulations), on both backends.
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import { describe, expect, test } from 'vitest';

import { policyFromIR, run } from '../src/index.js';
import type { Emulation } from '../src/index.js';

import { BACKENDS } from './helpers.js';
import { emulate, pathRules, vmPolicy, type RuleSpec } from './vm-helpers.js';

const fileRules = (virtualPath: string, content: Extract<Emulation, { kind: 'file' }>['content']): RuleSpec[] =>
  pathRules(`file ${virtualPath}`, 'equals', virtualPath, { kind: 'file', content });
const policy = (...rules: RuleSpec[][]) => policyFromIR(vmPolicy(rules.flat()));

describe.for(BACKENDS)('%s backend', (backend) => {
  test('the host name: hostname, uname -a, /proc/sys/kernel/hostname and /etc/hostname', async () => {
    const host: Emulation = { kind: 'uname', fields: { nodename: 'sandbox' } };
    const p = policy(
      [{ name: 'name', syscalls: ['uname'], verdict: emulate(host) }],
      fileRules('/proc/sys/kernel/hostname', { text: 'sandbox\n' }),
      fileRules('/etc/hostname', { text: 'sandbox\n' }),
    );
    const r = await run({ command: 'sh', args: ['-c', 'hostname; uname -n; cat /proc/sys/kernel/hostname /etc/hostname'], backend, policy: p });
    expect(r.stdout).toBe('sandbox\nsandbox\nsandbox\nsandbox\n');
    const a = await run({ command: 'uname', args: ['-a'], backend, policy: p });
    // The host's `uname -a` with the virtual node name.
    const hostUname = execFileSync('uname', ['-a'], { encoding: 'utf8' });
    expect(a.stdout).toBe(hostUname.replace(` ${os.hostname()} `, ' sandbox '));
  });

});
