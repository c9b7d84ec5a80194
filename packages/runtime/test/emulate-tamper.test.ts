// The exit checks that keep rewritten opens honest (src/emulate/files.ts, bind.ts): if a
// sibling thread swapped the rewritten path, the fd the kernel made is not the file the
// supervisor meant, and the process is killed. Checked here on real fds of this process
// (/proc/PID/fd/N), since a race cannot be made to land deterministically.
import { closeSync, mkdtempSync, openSync, realpathSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, test } from 'vitest';

import type { ExitContext, ExitHandler } from '../src/emulate/index.js';
import { FileStore } from '../src/emulate/index.js';
import { verifyBoundOpen } from '../src/emulate/bind.js';
import { verifyOpen } from '../src/emulate/files.js';

function check(h: ExitHandler, fd: number): string[] {
  const killed: string[] = [];
  const x: ExitContext = {
    pid: process.pid, tid: process.pid, rval: BigInt(fd), setReturn: () => undefined, killProcess: (r) => { killed.push(r); },
  };
  h(x);
  return killed;
}

test.for([
  ['the prepared file itself', true, []],
  ['another file (the path was swapped)', false, ['sysvm:vfs-tamper']],
] as const)('a virtual open that yields %s', ([, honest, killed]) => {
  const store = new FileStore();
  try {
    const prepared = store.prepare('/etc/virtual', { text: 'x' });
    const fd = openSync(honest ? prepared : '/etc/passwd', 'r');
    try {
      expect(check(verifyOpen(store, prepared), fd)).toEqual(killed);
    } finally {
      closeSync(fd);
    }
  } finally {
    store.dispose();
  }
});

test.for([
  ['the bound file', true, []],
  ['another file (the path was swapped)', false, ['sysvm:bind-tamper']],
] as const)('a bound open that yields %s', ([, honest, killed]) => {
  const dir = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'sysvm-tamper-')));
  writeFileSync(path.join(dir, 'f'), '');
  const fd = openSync(honest ? path.join(dir, 'f') : '/etc/passwd', 'r');
  try {
    expect(check(verifyBoundOpen(path.join(dir, 'f'), true), fd)).toEqual(killed);
  } finally {
    closeSync(fd);
  }
});

test('a failed open is not checked', () => {
  const store = new FileStore();
  const prepared = store.prepare('/etc/virtual', { text: 'x' });
  const killed: string[] = [];
  verifyOpen(store, prepared)({ pid: process.pid, tid: process.pid, rval: -2n, setReturn: () => undefined, killProcess: (r) => { killed.push(r); } });
  store.dispose();
  expect(killed).toEqual([]);
});
