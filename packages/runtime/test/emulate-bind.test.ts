// The bind module (src/emulate/bind.ts) with real programs, on both backends: /data is
// ./sandbox-data on the host; the program sees /data in paths, getcwd and /proc links.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';

import { policyFromIR, run } from '../src/index.js';
import type { Emulation } from '../src/index.js';

import { BACKENDS, compileAll } from './helpers.js';
import { emulate, pathRules, vmPolicy } from './vm-helpers.js';

let to: string;
let bin: Record<string, string>;
let policy: ReturnType<typeof policyFromIR>;
/** Rules on the path calls only (as the front end's filesystem.bind expands). */
let pathsOnly: ReturnType<typeof policyFromIR>;
beforeAll(() => {
  bin = compileAll();
  to = path.join(realpathSync(mkdtempSync(path.join(os.tmpdir(), 'sysvm-bind-'))), 'sandbox-data');
  mkdirSync(path.join(to, 'sub'), { recursive: true });
  writeFileSync(path.join(to, 'a.txt'), 'bound\n');
  const bind: Emulation = { kind: 'bind', from: '/data', to };
  policy = policyFromIR(vmPolicy([
    ...pathRules('bind /data', 'under', '/data', bind),
    // Results that show paths: getcwd, and readlink of /proc/PID/{cwd,fd/N,exe,root}.
    { name: 'bind results', syscalls: ['getcwd', 'readlink', 'readlinkat'], verdict: emulate(bind) },
  ]));
  pathsOnly = policyFromIR(vmPolicy(pathRules('bind /data', 'under', '/data', bind)));
});

describe.for(BACKENDS)('%s backend', (backend) => {
  test('cat and ls -l in the bound directory', async () => {
    const r = await run({ command: 'sh', args: ['-c', 'cat /data/a.txt; ls /data; ls -ld /data/sub | cut -c1'], backend, policy });
    expect({ out: r.stdout, err: r.stderr, code: r.code }).toEqual({ out: 'bound\na.txt\nsub\nd\n', err: '', code: 0 });
    const l = await run({ command: 'ls', args: ['-l', '/data'], backend, policy });
    expect(l.stdout).toMatch(/^total \d+\n-\S+ 1 \S+ \S+ +6 .* a\.txt\nd\S+ 2 \S+ \S+ +\d+ .* sub\n$/);
  });

  test('cd /data && pwd: the shell, /bin/pwd (getcwd) and /proc/self/cwd all show the virtual path', async () => {
    const r = await run({
      command: 'sh', args: ['-c', 'cd /data/sub && pwd && /bin/pwd && readlink /proc/self/cwd && python3 -c "import os; print(os.getcwd())"'],
      backend, policy,
    });
    expect({ out: r.stdout, err: r.stderr }).toEqual({ out: '/data/sub\n/data/sub\n/data/sub\n/data/sub\n', err: '' });
  });

  test('without rules for getcwd and readlink, the runtime still maps their results (the world filter)', async () => {
    const r = await run({
      command: 'sh', args: ['-c', 'cd /data/sub && /bin/pwd && readlink /proc/self/cwd; cd /tmp && /bin/pwd'], backend, policy: pathsOnly,
    });
    expect({ out: r.stdout, err: r.stderr }).toEqual({ out: '/data/sub\n/data/sub\n/tmp\n', err: '' });
    // getcwd stops (twice) only because the policy has a bind.
    expect(r.stats.syscalls.getcwd).toBeGreaterThanOrEqual(2);
  });

  test('/proc/self/fd shows the virtual path of an fd opened through the bind', async () => {
    const r = await run({ command: 'sh', args: ['-c', 'exec 3</data/a.txt; readlink /proc/self/fd/3; ls -l /proc/self/fd/3 | sed "s/.* -> //"'], backend, policy });
    expect(r.stdout).toBe('/data/a.txt\n/data/a.txt\n');
  });

  test('writes land in the bind target: create, mkdir, rename, unlink', async () => {
    const tag = `${backend}-${process.pid}`;
    const r = await run({
      command: 'sh', args: ['-c', `echo new > /data/${tag}.txt && mkdir /data/d-${tag} && mv /data/${tag}.txt /data/d-${tag}/moved && cat /data/d-${tag}/moved && touch /data/gone-${tag} && rm /data/gone-${tag}`],
      backend, policy,
    });
    expect({ out: r.stdout, err: r.stderr, code: r.code }).toEqual({ out: 'new\n', err: '', code: 0 });
    expect(readFileSync(path.join(to, `d-${tag}`, 'moved'), 'utf8')).toBe('new\n');
    expect(existsSync(path.join(to, `gone-${tag}`))).toBe(false);
    expect(existsSync(`/data/d-${tag}`)).toBe(false);
    rmSync(path.join(to, `d-${tag}`), { recursive: true });
  });

  test('a rewritten open interrupted by a signal is restarted with the program\'s own path', async () => {
    const fifo = `fifo-${backend}-${process.pid}`;
    execFileSync('mkfifo', [path.join(to, fifo)]);
    try {
      const r = await run({ command: bin.restart!, args: [`/data/${fifo}`, path.join(to, fifo)], backend, policy });
      expect(r.stdout).toBe('read=8 through\n hits=1\n');
    } finally {
      rmSync(path.join(to, fifo));
    }
  });

  test('a rewritten path argument is given back: after the call the registers are the program\'s own', async () => {
    const dir = `regs-${backend}-${process.pid}`;
    const r = await run({ command: bin.argregs!, args: ['/data/a.txt', `/data/${dir}`], backend, policy });
    rmSync(path.join(to, dir), { recursive: true, force: true });
    expect(r.stdout).toBe('newfstatat: ok, registers kept\nopenat: ok, registers kept\nmkdirat: ok, registers kept\n');
  });

  test('outside the bind nothing changes', async () => {
    const r = await run({ command: 'sh', args: ['-c', 'cd /tmp && /bin/pwd && ls -d /data 2>/dev/null; readlink /proc/self/cwd'], backend, policy });
    expect(r.stdout).toBe('/tmp\n/data\n/tmp\n');
  });
});
