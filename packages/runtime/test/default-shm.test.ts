// builtin:default gives the program a /dev/shm of its own (its last rule, a bind to ${tmp}/.shm,
// which makeRunTmp makes): POSIX semaphores and shared memory work, on every backend, and the
// host's /dev/shm is out of reach both ways. The policy is the real builtin, loaded with this
// test's directories as ${cwd} and ${tmp}, as `sysvm run` loads it.
import { chmodSync, copyFileSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadPolicy } from '@sysvm/policy';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

import { makeRunTmp, policyFromIR, run, SHM_DIR } from '../src/index.js';
import { BACKENDS, compileAll } from './helpers.js';

const PYTHON = '/usr/bin/python3';
const hasPython = existsSync(PYTHON);
const HOST_SHM = '/dev/shm';

let bin: Record<string, string>;
/** A file the test puts in the host's /dev/shm: the program must not see it. */
const hostName = `sysvm-test-host-${process.pid}`;
beforeAll(() => {
  bin = compileAll();
  // (A machine without a /dev/shm, the vmtags guest maybe: the bind makes one all the same.)
  if (existsSync(HOST_SHM)) writeFileSync(path.join(HOST_SHM, hostName), 'the host\'s\n');
});
afterAll(() => {
  rmSync(path.join(HOST_SHM, hostName), { force: true });
});

/** A working directory and a run's ${tmp} (with its .shm), and builtin:default for them. */
function setup() {
  const cwd = mkdtempSync(path.join(os.tmpdir(), 'sysvm-shm-work-'));
  const tmp = makeRunTmp();
  const r = loadPolicy('builtin:default', { context: { cwd, tmp } });
  expect(r.diagnostics.filter((d) => d.severity !== 'info')).toEqual([]);
  return { cwd, tmp, policy: policyFromIR(r.ir!), env: { ...process.env, TMPDIR: tmp } };
}

// Python's multiprocessing: a Queue and a Lock are POSIX semaphores (sem_open: /dev/shm/sem.*),
// a Pool adds both, and shared_memory is shm_open. Each prints its result; the host's file
// is not there; what the program made is listed.
const MP = `
import multiprocessing as m, os, sys
from multiprocessing import shared_memory
def sq(x): return x * x
if __name__ == '__main__':
    q = m.Queue(); q.put('queued'); print('queue', q.get())
    lock = m.Lock()
    with lock: print('lock held')
    with m.Pool(2) as p: print('pool', p.map(sq, [1, 2, 3]))
    s = shared_memory.SharedMemory(name=sys.argv[2], create=True, size=16)
    s.buf[:2] = b'ok'
    t = shared_memory.SharedMemory(name=sys.argv[2])
    print('shared', bytes(t.buf[:2]).decode())
    t.close()
    print('host', os.path.exists('/dev/shm/' + sys.argv[1]))
    print('listed', sorted(os.listdir('/dev/shm')))
    s.close(); s.unlink()
`;

describe.for(BACKENDS)('builtin:default on the %s backend: a private /dev/shm', (backend) => {
  test('shm_open and sem_open across a fork work, in a /dev/shm that holds only what the program made', async () => {
    const { cwd, tmp, policy } = setup();
    const name = `sysvm-test-${backend}-${process.pid}`;
    try {
      // (A copy in the working directory: builtin:default runs programs from there and the system's.)
      copyFileSync(bin.posixshm!, path.join(cwd, 'posixshm'));
      chmodSync(path.join(cwd, 'posixshm'), 0o755);
      const r = await run({ command: './posixshm', args: [name, hostName], cwd, backend, policy, quiet: true });
      expect({ out: r.stdout, err: r.stderr, code: r.code }).toEqual({
        out: 'host ENOENT\nshm hello from the child\nlisted 2\n', err: '', code: 0,
      });
      // Made in the run's own directory, not in the host's /dev/shm.
      expect(readdirSync(path.join(tmp, SHM_DIR)).sort()).toEqual([`sem.${name}`, name]);
      expect([existsSync(path.join(HOST_SHM, name)), existsSync(path.join(HOST_SHM, `sem.${name}`))]).toEqual([false, false]);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
      rmSync(path.join(HOST_SHM, name), { force: true });
      rmSync(path.join(HOST_SHM, `sem.${name}`), { force: true });
    }
  });

  test('the host\'s /dev/shm is not reached by another name: ls, cat, and a relative path from /dev', async () => {
    const { cwd, tmp, policy } = setup();
    try {
      const script = `ls -A /dev/shm; cat /dev/shm/${hostName} 2>&1; cd /dev && cat shm/${hostName} 2>&1; cd /dev/shm && pwd && echo x > made && ls -A`;
      const r = await run({ command: 'sh', args: ['-c', script], cwd, backend, policy, quiet: true });
      expect({ out: r.stdout, code: r.code }).toEqual({
        out: `cat: /dev/shm/${hostName}: No such file or directory\ncat: shm/${hostName}: No such file or directory\n/dev/shm\nmade\n`,
        code: 0,
      });
      expect(existsSync(path.join(HOST_SHM, 'made'))).toBe(false);
      expect(readdirSync(path.join(tmp, SHM_DIR))).toEqual(['made']);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  test.skipIf(!hasPython)('Python\'s multiprocessing: Queue, Lock, Pool and shared_memory', async () => {
    const { cwd, tmp, policy, env } = setup();
    const name = `sysvm-test-py-${backend}-${process.pid}`;
    try {
      const r = await run({ command: PYTHON, args: ['-c', MP, hostName, name], cwd, env, backend, policy, quiet: true });
      expect({ out: r.stdout, code: r.code }).toEqual({
        out: `queue queued\nlock held\npool [1, 4, 9]\nshared ok\nhost False\nlisted ['${name}']\n`, code: 0,
      });
      expect(existsSync(path.join(HOST_SHM, name))).toBe(false);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
      rmSync(path.join(HOST_SHM, name), { force: true });
    }
  });
});
