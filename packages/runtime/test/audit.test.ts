// Audit mode in the runtime: a real program under a real policy file, on both backends.
// Enforced, the policy's kernel-decided deny blocks mkdir; in audit mode (the policy's IR
// through auditPolicy, SpawnOptions.audit) mkdir runs and the event says what would have
// happened. The safety rules stay enforced.
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, test } from 'vitest';

import { auditPolicy, loadPolicy } from '../../policy/src/index.js';
import { type AuditEvent, policyFromIR, spawn } from '../src/index.js';
import { BACKENDS } from './helpers.js';

const POLICY = `sysvm: 1
extends: builtin:permissive
rules:
  - name: no-mkdir
    syscalls: [mkdir, mkdirat]
    action: { deny: EACCES }
`;

async function runMkdir(backend: typeof BACKENDS[number], audit: boolean) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sysvm-audit-'));
  const file = path.join(dir, 'policy.yaml');
  writeFileSync(file, POLICY);
  const ir = loadPolicy(file).ir!;
  const events: AuditEvent[] = [];
  const p = spawn({
    command: 'mkdir', args: [path.join(dir, 'made')], backend, stdio: 'ignore', quiet: true, audit,
    policy: policyFromIR(audit ? auditPolicy(ir) : ir),
  });
  p.on('decision', (e: AuditEvent) => events.push(e));
  const r = await p.exited;
  return { r, made: existsSync(path.join(dir, 'made')), events };
}

describe('SpawnOptions.audit', { timeout: 60_000 }, () => {
  test.for(BACKENDS)('%s: enforced, mkdir fails with EACCES', async (backend) => {
    const { r, made, events } = await runMkdir(backend, false);
    expect(made).toBe(false);
    expect(r.code).not.toBe(0);
    // a kernel-decided deny under seccomp leaves no event; under ptrace the supervisor logs it
    for (const e of events) expect(e.audit).toBeUndefined();
  });

  test.for(BACKENDS)('%s: audit mode, mkdir runs and the event says "would deny"', async (backend) => {
    const { r, made, events } = await runMkdir(backend, true);
    expect(made).toBe(true);
    expect(r.code).toBe(0);
    const e = events.find((x) => x.syscall === 'mkdir' || x.syscall === 'mkdirat');
    expect(e).toMatchObject({ verdict: 'deny', detail: 'EACCES', rule: 'no-mkdir', audit: true, result: 0 });
  });
});
