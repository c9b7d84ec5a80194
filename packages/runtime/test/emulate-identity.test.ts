// The identity module (src/emulate/identity.ts) with real programs, on both backends.
import { chownSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, test } from 'vitest';

import { policyFromIR, run } from '../src/index.js';
import type { VirtualIdentity } from '../src/ir.js';

import { BACKENDS } from './helpers.js';
import { emulate, vmPolicy } from './vm-helpers.js';

const IDENTITY = [
  'getuid', 'geteuid', 'getgid', 'getegid', 'getresuid', 'getresgid', 'getgroups',
  'setuid', 'setgid', 'setreuid', 'setregid', 'setresuid', 'setresgid', 'setfsuid', 'setfsgid', 'setgroups',
];

const as = (identity: VirtualIdentity) =>
  policyFromIR(vmPolicy([{ name: 'identity', syscalls: IDENTITY, verdict: emulate({ kind: 'identity', identity }) }]));

const PY = [
  'import os',
  'print(os.getuid(), os.geteuid(), os.getgid(), os.getegid(), os.getresuid(), os.getresgid(), os.getgroups())',
  'for name, call in [("setuid-same", lambda: os.setuid(os.getuid())), ("setuid-0", lambda: os.setuid(0)),',
  '                   ("setgroups-same", lambda: os.setgroups(os.getgroups())), ("setgroups-other", lambda: os.setgroups([4242]))]:',
  '    try:',
  '        call(); print(name, "ok")',
  '    except OSError as e:',
  '        print(name, e.strerror)',
].join('\n');

describe.for(BACKENDS)('%s backend', (backend) => {
  test.for<[VirtualIdentity, string, string]>([
    [{ uid: 1, gid: 1 }, 'uid=1(daemon) gid=1(daemon) groups=1(daemon)\n', 'daemon\n'],
    [{ uid: 65534, gid: 65534, groups: [65534, 4] }, 'uid=65534(nobody) gid=65534(nogroup) groups=65534(nogroup),4(adm)\n', 'nobody\n'],
    [{ uid: 0, gid: 0 }, 'uid=0(root) gid=0(root) groups=0(root)\n', 'root\n'],
  ])('id and whoami as %j', async ([identity, id, whoami]) => {
    const r = await run({ command: 'id', backend, policy: as(identity) });
    expect({ out: r.stdout, code: r.code }).toEqual({ out: id, code: 0 });
    const w = await run({ command: 'whoami', backend, policy: as(identity) });
    expect(w.stdout).toBe(whoami);
  });

  test('python3: getuid, getresuid, getgroups, and set*id as no-ops only for the virtual ids', async () => {
    const r = await run({
      command: 'python3', args: ['-c', PY], backend,
      policy: as({ uid: 1000, gid: 100, euid: 1001, egid: 101, suid: 1002, sgid: 102, groups: [100, 27, 4] }),
    });
    expect(r.stdout).toBe([
      '1000 1001 100 101 (1000, 1001, 1002) (100, 101, 102) [100, 27, 4]',
      'setuid-same ok', 'setuid-0 Operation not permitted', 'setgroups-same ok', 'setgroups-other Operation not permitted', '',
    ].join('\n'));
    // euid and suid default to uid.
    const defaults = await run({ command: 'python3', args: ['-c', 'import os; print(os.getresuid())'], backend, policy: as({ uid: 1000, gid: 100 }) });
    expect(defaults.stdout).toBe('(1000, 1000, 1000)\n');
  });

  // chown to another user needs root (CI and this machine run the tests as root).
  test.skipIf(process.getuid?.() !== 0)('stat shows the virtual owner for files of the real user, and others unchanged', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sysvm-owner-'));
    const mine = path.join(dir, 'mine');
    const theirs = path.join(dir, 'theirs');
    writeFileSync(mine, '');
    writeFileSync(theirs, '');
    chownSync(theirs, 4242, 4343);
    const policy = policyFromIR(vmPolicy([{
      name: 'identity', syscalls: [...IDENTITY, 'stat', 'lstat', 'fstat', 'newfstatat', 'statx'],
      verdict: emulate({ kind: 'identity', identity: { uid: 1000, gid: 100 } }),
    }]));
    const r = await run({ command: 'sh', args: ['-c', `stat -c '%u %g' ${mine} ${theirs}; ls -n ${mine} | cut -d' ' -f3,4; python3 -c 'import os; s = os.stat("${mine}"); print(s.st_uid, s.st_gid)'`], backend, policy });
    expect(r.stdout).toBe('1000 100\n4242 4343\n1000 100\n1000 100\n');
  });

  test('the real ids stay in /proc/self/status (what the module cannot hide)', async () => {
    const r = await run({ command: 'grep', args: ['^Uid:', '/proc/self/status'], backend, policy: as({ uid: 1, gid: 1 }) });
    const uid = process.getuid!();
    expect(r.stdout).toBe(`Uid:\t${uid}\t${uid}\t${uid}\t${uid}\n`);
  });
});
