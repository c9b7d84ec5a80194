// The conformance table (conformance/cases.ts) on every backend this kernel offers, with
// real YAML policies compiled by @sysvm/policy and real programs.
// Needs the built packages (dist/: `tsc -b`).
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadPolicy } from '@sysvm/policy';
import { beforeAll, describe, expect, test } from 'vitest';

import { policyFromIR, run, shellExitCode } from '../src/index.js';
import type { AuditEvent, PolicyIR } from '../src/index.js';
import { CASES } from './conformance/cases.js';
import { BACKENDS, compileAll } from './helpers.js';

const here = path.dirname(fileURLToPath(import.meta.url));
let bin: Record<string, string>;
let fs: string;
const policies = new Map<string, PolicyIR>();
/** What this kernel has (Case.requires), found by running the test programs bare. */
const has = { ia32: false };

beforeAll(() => {
  bin = compileAll();
  // Unsandboxed, the program's `int 0x80` (an ia32 getpid) returns where the kernel has ia32
  // emulation, and is a SIGSEGV where it does not.
  has.ia32 = spawnSync(bin.int80!).signal === null;
  fs = mkdtempSync(path.join(os.tmpdir(), 'sysvm-conf-'));
  mkdirSync(path.join(fs, 'allowed'));
  mkdirSync(path.join(fs, 'secret'));
  writeFileSync(path.join(fs, 'allowed', 'ok.txt'), 'fine\n');
  writeFileSync(path.join(fs, 'secret', 'key.txt'), 'hidden\n');
  symlinkSync('../secret/key.txt', path.join(fs, 'allowed', 'link'));
  symlinkSync(path.join(fs, 'secret'), path.join(fs, 'allowed', 'dirlink'));
  // Names that are not UTF-8 (made as bytes: a string path would be UTF-8): raw/\xff and
  // raw/\xfe -> ../secret, raw/t -> \xfe (a link text that is not UTF-8); sécret/\xff.
  const raw = (dir: string, ...bytes: number[]): Buffer => Buffer.concat([Buffer.from(`${path.join(fs, dir)}/`), Buffer.from(bytes)]);
  mkdirSync(path.join(fs, 'raw'));
  symlinkSync('../secret', raw('raw', 0xff));
  symlinkSync('../secret', raw('raw', 0xfe));
  symlinkSync(Buffer.from([0xfe]), path.join(fs, 'raw', 't'));
  mkdirSync(path.join(fs, 's\u00e9cret'));
  writeFileSync(raw('s\u00e9cret', 0xff), 'below\n');
});

function policy(name: string): PolicyIR {
  let ir = policies.get(name);
  if (ir === undefined) {
    const file = name.startsWith('builtin:') ? name : path.join(here, 'conformance', name);
    const r = loadPolicy(file, { context: { tmp: fs } });
    const errors = r.diagnostics.filter((d) => d.severity === 'error');
    if (!r.ir || errors.length > 0) throw new Error(`${file}: ${errors.map((d) => d.message).join('; ')}`);
    ir = r.ir;
    policies.set(name, ir);
  }
  return ir;
}

const expand = (s: string): string => s.replace(/^\$bin\/(\w+)$/, (_, n: string) => bin[n] ?? `missing test program ${n}`).replaceAll('$fs', fs);

describe.for(BACKENDS)('%s backend', (backend) => {
  test.for(CASES)('$name', async (c, ctx) => {
    if (c.requires !== undefined && !has[c.requires]) ctx.skip(`the kernel has no ${c.requires}`);
    const log = path.join(mkdtempSync(path.join(os.tmpdir(), 'sysvm-conf-log-')), 'audit.jsonl');
    const [command, ...args] = c.command.map(expand);
    const r = await run({
      command: command!, args, backend, policy: policyFromIR(policy(c.policy)), quiet: true, log,
      ...(c.cwd !== undefined ? { cwd: expand(c.cwd) } : {}),
    });
    expect(r.backend).toBe(backend);
    const want = { code: c.code === undefined ? 0 : c.code, signal: c.signal ?? null, ...(c.stdout !== undefined ? { stdout: c.stdout } : {}) };
    expect({ code: r.code, signal: r.signal, ...(c.stdout !== undefined ? { stdout: r.stdout } : {}) }).toEqual(want);
    // What `sysvm run` exits with: the code, or 128 + the signal's number.
    expect(shellExitCode(r)).toBe(c.signal !== undefined ? 128 + (os.constants.signals as Record<string, number>)[c.signal]! : want.code);
    if (c.stderrContains !== undefined) expect(r.stderr).toContain(c.stderrContains);
    if (c.audit !== undefined) {
      let lines: string[] = [];
      try {
        lines = readFileSync(log, 'utf8').trim().split('\n').filter(Boolean);
      } catch {
        // no event, no file
      }
      const events = lines.map((l) => JSON.parse(l) as AuditEvent);
      expect(events.map((e) => `${e.verdict} ${e.syscall} ${e.rule}`)).toEqual(c.audit);
    }
    for (const [name, n] of Object.entries(c.decided ?? {})) {
      const want = typeof n === 'number' ? n : (n[backend] ?? 0);
      expect([name, r.stats.syscalls[name] ?? 0]).toEqual([name, want]);
    }
    if (c.tracees !== undefined) expect(r.stats.tracees).toBe(c.tracees);
  });
});
