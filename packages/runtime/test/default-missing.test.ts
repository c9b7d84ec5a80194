// builtin:default answers ENOENT, as the kernel would, for a refused path that names nothing
// (`action: { deny: EACCES, missing: ENOENT }` on other-paths and access-refused), and EACCES
// for one that exists, for a new name in an existing refused directory, and for the secrets
// whether they exist or not. Real programs on every backend; the policy is the real builtin,
// loaded with this test's directories as ${cwd}, ${tmp} and the home directory.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { text } from 'node:stream/consumers';
import os from 'node:os';
import path from 'node:path';
import { loadPolicy } from '@sysvm/policy';
import { beforeAll, describe, expect, test } from 'vitest';

import { makeRunTmp, policyFromIR, spawn } from '../src/index.js';
import type { AuditEvent } from '../src/index.js';
import { BACKENDS } from './helpers.js';

let home: string;
beforeAll(() => {
  home = mkdtempSync(path.join(os.tmpdir(), 'sysvm-missing-home-'));
  mkdirSync(path.join(home, '.config/app'), { recursive: true });
  writeFileSync(path.join(home, '.config/app/settings'), 'token\n');
  mkdirSync(path.join(home, '.ssh'));
  writeFileSync(path.join(home, '.ssh/config'), 'Host x\n');
});

/** builtin:default for a fresh working directory, with `home` as ~. */
function setup() {
  const cwd = mkdtempSync(path.join(os.tmpdir(), 'sysvm-missing-work-'));
  const tmp = makeRunTmp();
  const r = loadPolicy('builtin:default', { context: { cwd, tmp, home } });
  expect(r.diagnostics.filter((d) => d.severity !== 'info')).toEqual([]);
  return { cwd, policy: policyFromIR(r.ir!) };
}

async function sh(backend: (typeof BACKENDS)[number], script: string, cwd: string, policy: ReturnType<typeof policyFromIR>) {
  const events: AuditEvent[] = [];
  const p = spawn({ command: 'sh', args: ['-c', script], cwd, env: { ...process.env, H: home }, backend, policy, quiet: true });
  p.on('decision', (e: AuditEvent) => events.push(e));
  const [stdout, stderr] = await Promise.all([text(p.stdout!), text(p.stderr!)]);
  const r = await p.closed;
  return { code: r.code, stdout, stderr, events };
}

// Each line: what the command printed on stderr (its error), in order.
const CASES: [what: string, command: string, error: string][] = [
  ['cat of a file in a directory that does not exist', 'cat "$H/.config/nonexistent/x"', 'No such file or directory'],
  ['cat of a missing file in an existing refused directory', 'cat "$H/.config/app/none"', 'No such file or directory'],
  ['cat of an existing file outside the allowed areas', 'cat "$H/.config/app/settings"', 'Permission denied'],
  ['touch of a new file in an existing refused directory (the kernel would create it)', 'touch "$H/.config/app/new"', 'Permission denied'],
  ['touch of a new file in a directory that does not exist', 'touch "$H/.config/none/new"', 'No such file or directory'],
  ['mkdir in an existing refused directory', 'mkdir "$H/.config/app/d"', 'Permission denied'],
  ['mkdir below a directory that does not exist', 'mkdir "$H/.config/none/d"', 'No such file or directory'],
  ['a secret that exists', 'cat "$H/.ssh/config"', 'Permission denied'],
  ['a secret that does not exist', 'cat "$H/.ssh/none"', 'Permission denied'],
  ['a secret whose directory does not exist', 'cat "$H/.aws/credentials"', 'Permission denied'],
  ['a symlink in the work directory to a missing file', 'ln -s "$H/.config/none" dangling && cat dangling', 'No such file or directory'],
  ['a symlink in the work directory to a missing secret', 'ln -s "$H/.ssh/none" key && cat key', 'Permission denied'],
  ['running a program that does not exist', '"$H/.local/bin/tool"', 'not found'],
];

describe.for(BACKENDS)('builtin:default on the %s backend: ENOENT where the kernel would say so, outside the secrets', (backend) => {
  test.for(CASES)('%s', async ([, command, error]) => {
    const { cwd, policy } = setup();
    const r = await sh(backend, `${command} 2>&1 | sed 's/.*: //'`, cwd, policy);
    expect([r.stdout, r.stderr]).toEqual([`${error}\n`, '']);
  });

  test('access(R_OK) answers as the open would: ENOENT for a missing path, EACCES for an existing one and for the secrets', async () => {
    const { cwd, policy } = setup();
    const py = [
      'import ctypes, os, sys',
      'libc = ctypes.CDLL(None, use_errno=True)',
      'for p in sys.argv[1:]:',
      '    r = libc.access(p.encode(), os.R_OK)',
      '    print(os.strerror(ctypes.get_errno()) if r else "ok")',
    ].join('\n');
    const paths = ['.config/none/x', '.config/app/settings', '.ssh/none', '.ssh/config'].map((p) => `"$H/${p}"`).join(' ');
    const r = await sh(backend, `/usr/bin/python3 -c '${py}' ${paths}`, cwd, policy);
    expect([r.stdout, r.stderr]).toEqual(['No such file or directory\nPermission denied\nPermission denied\nPermission denied\n', '']);
  });

  test('rename and link, two paths: ENOENT when either names nothing (the new name: its directory), else EACCES', async () => {
    const { cwd, policy } = setup();
    const py = [
      'import os, sys',
      'H = os.environ["H"]',
      'open("mine", "w").close()',
      'def t(f, a, b):',
      '    try: f(a, b); print("ok")',
      '    except OSError as e: print(os.strerror(e.errno))',
      'for f in (os.rename, os.link):',
      '    t(f, "none", H + "/.config/app/y")',
      '    t(f, "mine", H + "/.config/app/y")',
      '    t(f, "mine", H + "/.config/none/y")',
      '    t(f, "mine", H + "/.ssh/none/y")',
    ].join('\n');
    const r = await sh(backend, `/usr/bin/python3 -c '${py}'`, cwd, policy);
    const four = 'No such file or directory\nPermission denied\nNo such file or directory\nPermission denied\n';
    expect([r.stdout, r.stderr]).toEqual([four + four, '']);
  });

  test('the audit records the errno given, and the rule', async () => {
    const { cwd, policy } = setup();
    const r = await sh(backend, 'cat "$H/.config/none" "$H/.config/app/settings" 2>/dev/null', cwd, policy);
    expect(r.code).toBe(1);
    const opens = r.events.filter((e) => e.syscall === 'openat' && e.verdict === 'deny')
      .map((e) => [e.args.filename, e.detail, e.result, e.rule]);
    expect(opens).toEqual([
      [path.join(home, '.config/none'), 'ENOENT', -2, 'other-paths'],
      [path.join(home, '.config/app/settings'), 'EACCES', -13, 'other-paths'],
    ]);
  });
});
