// The exit checks that keep rewritten opens honest (src/emulate/files.ts, bind.ts): if a
// sibling thread swapped the rewritten path, the fd the kernel made is not the file the
// supervisor meant, and the process is killed. Checked here on real fds of this process
// (/proc/PID/fd/N), since a race cannot be made to land deterministically.
import { closeSync, mkdtempSync, openSync, realpathSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { expect, test } from 'vitest';

import type { ExitHandler } from '../src/emulate/index.js';
import { FileStore } from '../src/emulate/index.js';
import { verifyBoundOpen } from '../src/emulate/bind.js';
import { verifyOpen } from '../src/emulate/files.js';

/** What the exit handler did with the call that returned `rval`: each of its ExitContext calls. */
function check(h: ExitHandler, rval: bigint): string[] {
  const done: string[] = [];
  h({
    pid: process.pid, tid: process.pid, rval,
    setReturn: (v) => { done.push(`return ${v}`); },
    killProcess: (r) => { done.push(`kill ${r}`); },
    restart: () => { done.push('restart'); },
  });
  return done;
}

test.for([
  ['the prepared file itself', true, []],
  ['another file (the path was swapped)', false, ['kill sysvm:vfs-tamper']],
] as const)('a virtual open that yields %s', ([, honest, done]) => {
  const store = new FileStore();
  try {
    const prepared = store.prepare('/etc/virtual', { text: 'x' });
    const fd = openSync(honest ? prepared : '/etc/passwd', 'r');
    try {
      expect(check(verifyOpen(store, prepared), BigInt(fd))).toEqual(done);
    } finally {
      closeSync(fd);
    }
  } finally {
    store.dispose();
  }
});

test.for([
  ['the bound file', true, []],
  ['another file (the path was swapped)', false, ['kill sysvm:bind-tamper']],
] as const)('a bound open that yields %s', ([, honest, done]) => {
  const dir = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'sysvm-tamper-')));
  writeFileSync(path.join(dir, 'f'), '');
  const fd = openSync(honest ? path.join(dir, 'f') : '/etc/passwd', 'r');
  try {
    expect(check(verifyBoundOpen(path.join(dir, 'f'), true), BigInt(fd))).toEqual(done);
  } finally {
    closeSync(fd);
  }
});

test('a failed open is not checked', () => {
  const store = new FileStore();
  const prepared = store.prepare('/etc/virtual', { text: 'x' });
  const done = check(verifyOpen(store, prepared), -2n);
  store.dispose();
  expect(done).toEqual([]);
});
