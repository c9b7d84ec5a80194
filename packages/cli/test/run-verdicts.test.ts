// `sysvm test` and `sysvm explain` give the verdict `sysvm run` gives (run `tsc -b` first): the
// policy as the runtime judges it (a deny rule's path also under its host name, the symlinks in
// it resolved; /proc/self in a rule for the caller's own /proc/PID), and a call as its caller
// makes it. Each row is decided by the three commands of the built CLI, on a real directory
// with a real symlink; `sysvm run` runs cat under the policy.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { CALLER_PID, callerPath } from '../src/commands/as-run.js';

const CLI = join(import.meta.dirname, '../dist/main.js');

function sysvm(args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: D, encoding: 'utf8', input: '' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

// D/link -> real (relative, as /var/run -> ../run), D/real/key, D/real/notes.
const D = mkdtempSync(join(tmpdir(), 'sysvm-run-verdicts-'));
afterAll(() => rmSync(D, { recursive: true, force: true }));
mkdirSync(join(D, 'real'));
symlinkSync('real', join(D, 'link'));
writeFileSync(join(D, 'real/key'), 'secret\n');
writeFileSync(join(D, 'real/notes'), 'notes\n');

const POLICY = join(D, 'policy.yaml');
writeFileSync(POLICY, `sysvm: 1
default: allow
rules:
  - name: no-keys
    syscalls: [openat]
    match: { path: { equals: ${D}/link/key } }
    action: { deny: EPERM }
  - name: no-own-environ
    syscalls: [openat]
    match: { path: { equals: /proc/self/environ } }
    action: { deny: EACCES }
  - name: no-own-threads
    syscalls: [openat]
    match: { path: { under: /proc/self/task } }
    action: { deny: EPERM }
`);
const LINE: Record<string, number> = { 'default': 2, 'no-keys': 4, 'no-own-environ': 8, 'no-own-threads': 12 };

type Row = [title: string, path: string, verdict: 'allow' | 'deny EPERM' | 'deny EACCES', rule: string, run: boolean];

// `path` with D for the directory; `run`: whether `sysvm run -- cat PATH` is asked too (it can
// only read its own /proc/PID, and /proc/1/environ is the kernel's to refuse).
const rows: Row[] = [
  ['the rule\'s path, through the symlink as written', 'D/link/key', 'deny EPERM', 'no-keys', true],
  ['the symlink\'s target: the rule\'s host name (as compiled, the default allowed it)', 'D/real/key', 'deny EPERM', 'no-keys', true],
  ['a file beside it that the rule does not name', 'D/real/notes', 'allow', 'default', true],
  ['/proc/self/environ: the caller\'s own', '/proc/self/environ', 'deny EACCES', 'no-own-environ', true],
  ['/proc/thread-self/environ: the caller\'s thread, /proc/PID/task/TID (as compiled, the default allowed it)', '/proc/thread-self/environ', 'deny EPERM', 'no-own-threads', true],
  ['/proc/1/environ: another process\'s', '/proc/1/environ', 'allow', 'default', false],
];
const real = (p: string): string => p.replace(/^D\//, `${D}/`);

describe('sysvm test, explain and run agree', () => {
  test('sysvm test: every case gets the verdict of sysvm run', () => {
    const file = join(D, 'policy.test.yaml');
    writeFileSync(file, `policy: ./policy.yaml
cases:
${rows.map(([, p, verdict, rule]) => `  - call: 'openat(AT_FDCWD, "${real(p)}", O_RDONLY)'
    expect: ${verdict === 'allow' ? 'allow' : `{ deny: ${verdict.slice(5)} }`}
    rule: ${rule}
`).join('')}`);
    const r = sysvm(['test', '--format', 'json', file]);
    expect(r.stderr).toBe('');
    const j = JSON.parse(r.stdout) as { passed: number; failed: number; files: { cases: { problems: string[] }[] }[] };
    expect(j.files[0]!.cases.flatMap((c) => c.problems)).toEqual([]);
    expect([j.passed, j.failed, r.code]).toEqual([rows.length, 0, 0]);
  });

  test.for(rows)('%s: sysvm explain', ([, p, verdict, rule]) => {
    const r = sysvm(['explain', POLICY, `openat(AT_FDCWD, "${real(p)}", O_RDONLY)`]);
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n').slice(1, 3)).toEqual([`verdict: ${verdict}`,
      `decided by: ${rule === 'default' ? 'the default' : `rule '${rule}'`} (policy.yaml:${LINE[rule]})`]);
  });

  test.for(rows.filter((r) => r[4]))('%s: sysvm run', ([, p, verdict]) => {
    const r = sysvm(['run', '-p', POLICY, '--', 'cat', real(p)]);
    if (verdict === 'allow') {
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
    } else {
      expect(r.stderr).toContain(verdict === 'deny EPERM' ? 'Operation not permitted' : 'Permission denied');
      expect(r.code).toBe(1);
    }
  });
});

describe('the caller of a case', () => {
  test.for([
    ['/proc/self/environ', `/proc/${CALLER_PID}/environ`],
    ['/proc/self', `/proc/${CALLER_PID}`],
    ['/proc/thread-self/fd/3', `/proc/${CALLER_PID}/task/${CALLER_PID}/fd/3`],
    ['/proc/selfish', '/proc/selfish'],
    ['/proc/1/environ', '/proc/1/environ'],
    ['/tmp/proc/self', '/tmp/proc/self'],
  ])('%s is %s', ([path, mapped]) => {
    expect(callerPath(path!)).toBe(mapped);
  });
});
