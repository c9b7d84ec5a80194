// A 16-bit argument (umode_t) in the audit stream: the supervisor decodes what the kernel reads,
// the low 16 bits of the register. A real program (test/c/modehigh.c) calls fchmodat with 04755
// and with 0x10000 | 04755 under a logged rule denying mode 04755, on every backend.
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';

import { loadPolicy } from '../../policy/src/index.js';
import { type AuditEvent, policyFromIR, spawn } from '../src/index.js';
import { BACKENDS, CFLAGS } from './helpers.js';

const here = path.dirname(fileURLToPath(import.meta.url));

const POLICY = `sysvm: 1
default: allow
rules:
  - name: no-setuid-0755
    syscalls: [fchmodat]
    match: { mode: { in: [0o4755] } }
    action: { deny: EPERM }
    log: true
`;

describe('a 16-bit mode in the audit stream', { timeout: 60_000 }, () => {
  const bin = path.join(mkdtempSync(path.join(os.tmpdir(), 'sysvm-modewidth-')), 'modehigh');
  execFileSync('cc', CFLAGS.concat(['-o', bin, path.join(here, 'c', 'modehigh.c')]));

  test.for(BACKENDS)('%s: both calls denied, both decoded as mode 0o4755', async (backend) => {
    const r = loadPolicy({ file: 'modewidth.yaml', text: POLICY });
    const events: AuditEvent[] = [];
    let stdout = '';
    const p = spawn({ command: bin, backend, stdio: ['ignore', 'pipe', 'ignore'], quiet: true, policy: policyFromIR(r.ir!) });
    p.stdout!.on('data', (d: Buffer) => { stdout += d.toString(); });
    p.on('decision', (e: AuditEvent) => events.push(e));
    const done = await p.closed;
    expect([done.code, stdout]).toEqual([0, 'plain=EPERM\nhigh=EPERM\nmode=644\n']);
    expect(events.filter((e) => e.syscall === 'fchmodat').map((e) => [e.verdict, e.rule, e.args.mode]))
      .toEqual([['deny', 'no-setuid-0755', '0o4755'], ['deny', 'no-setuid-0755', '0o4755']]);
  });
});
