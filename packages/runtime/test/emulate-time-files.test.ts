// File times under a virtual clock (src/emulate/filetimes.ts), with real programs and real
// policy files: with an offset a file written now looks written now, times a program sets
// come back as it set them (and lie where the host's clock puts them), and `make` and `find`
// agree with `date`. `files: false` and a frozen clock leave file times real.
import { mkdirSync, mkdtempSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';

import { loadPolicy } from '@sysvm/policy';

import { policyFromIR, run } from '../src/index.js';
import type { ModulePolicy } from '../src/index.js';

import { BACKENDS, compileAll } from './helpers.js';

let bin: Record<string, string>;
const dir = mkdtempSync(path.join(os.tmpdir(), 'sysvm-filetimes-'));
beforeAll(() => { bin = compileAll(); });

let n = 0;
function timePolicy(time: string, more = ''): ModulePolicy {
  const file = path.join(dir, `policy-${n++}.yaml`);
  writeFileSync(file, `sysvm: 1\nname: filetimes-test\ndefault: allow\ntime: ${time}\n${more}`);
  const r = loadPolicy(file);
  if (r.ir === undefined) throw new Error(JSON.stringify(r.diagnostics));
  return policyFromIR(r.ir);
}
const fresh = (): string => {
  const d = path.join(dir, `run-${n++}`);
  mkdirSync(d);
  return d;
};

const YEAR = 365 * 86400;
const nowS = (): number => Date.now() / 1000;
const SET = 946684800; // 2000-01-01T00:00:00Z

/** The filetimes program's lines as name -> numbers. */
function lines(stdout: string | undefined): Record<string, number[]> {
  const out: Record<string, number[]> = {};
  for (const m of (stdout ?? '').matchAll(/^(\w+)=(.*)$/gm)) out[m[1]!] = m[2]!.split(/ |atime-kept=/).filter((x) => x !== '').map(Number);
  return out;
}

describe.for(BACKENDS)('%s backend', (backend) => {
  test.for([
    ['-365d', -YEAR],
    ['+365d', YEAR],
  ] as const)('offset %s: every stat call shows a new file written now, and every utime call sets what it says', async ([offset, shift]) => {
    const f = path.join(fresh(), 'f');
    const r = await run({ command: bin.filetimes!, args: [f, String(SET)], backend, policy: timePolicy(`{ offset: ${offset} }`) });
    expect(r.code).toBe(0);
    const l = lines(r.stdout);
    expect(Math.abs(l.now![0]! - (nowS() + shift))).toBeLessThan(30);
    for (const call of ['stat', 'lstat', 'fstat', 'newfstatat', 'statx']) expect.soft(Math.abs(l[call]![0]! - l.now![0]!), call).toBeLessThanOrEqual(2);
    expect(l.utimensat).toEqual([0, SET, 1]);
    expect(l.utimes).toEqual([0, SET + 1]);
    expect(l.futimens).toEqual([0, SET + 2]);
    expect(l.utime).toEqual([0, SET + 3]);
    expect(l.futimesat).toEqual([0, SET + 4]);
    // On the host the file's times are where the host's clock puts the virtual instant.
    expect(statSync(f).mtimeMs / 1000).toBe(SET + 4 - shift);
  });

  test.for([
    ['{ offset: -365d, files: false }', (): number => nowS() - YEAR],
    ['{ frozen: 2000-01-01T00:00:00Z }', (): number => SET],
  ] as const)('%s: file times stay real', async ([time, clock]) => {
    const f = path.join(fresh(), 'f');
    const r = await run({ command: bin.filetimes!, args: [f, String(SET)], backend, policy: timePolicy(time) });
    const l = lines(r.stdout);
    expect(Math.abs(l.now![0]! - clock())).toBeLessThan(30);
    expect(Math.abs(l.statx![0]! - nowS())).toBeLessThan(30);
    expect(l.futimesat).toEqual([0, SET + 4]);
    expect(statSync(f).mtimeMs / 1000).toBe(SET + 4);
  });

  test('coreutils: touch -d and stat give back the date; touch -m leaves the atime (UTIME_OMIT)', async () => {
    const f = path.join(fresh(), 'f');
    writeFileSync(f, '');
    utimesSync(f, 1_000_000_000, 1_000_000_000);
    const r = await run({ command: 'sh', args: ['-c', `touch -m -d @${SET} "$1" && stat -c '%X %Y' "$1" && date -u -r "$1" +%FT%TZ`, 'sh', f],
      backend, policy: timePolicy('{ offset: -365d }') });
    // The atime the host keeps (1e9), as the program's clock shows it: shifted by -365d.
    expect(r.stdout).toBe(`${1_000_000_000 - YEAR} ${SET}\n2000-01-01T00:00:00Z\n`);
    expect(statSync(f).atimeMs / 1000).toBe(1_000_000_000);
    expect(statSync(f).mtimeMs / 1000).toBe(SET + YEAR);
  });

  test('python3: os.stat of a file just written agrees with time.time(); os.utime round-trips', async () => {
    const f = path.join(fresh(), 'f');
    const py = [
      'import os, sys, time',
      'f = sys.argv[1]',
      'open(f, "w").close()',
      'print(abs(os.stat(f).st_mtime - time.time()) < 5, abs(os.fstat(os.open(f, os.O_RDONLY)).st_mtime - time.time()) < 5)',
      `os.utime(f, (${SET}, ${SET} + 0.25))`,
      'print(os.stat(f).st_mtime, os.stat(f).st_atime)',
    ].join('\n');
    const r = await run({ command: 'python3', args: ['-c', py, f], backend, policy: timePolicy('{ offset: +365d }') });
    expect(r.stdout).toBe(`True True\n${SET}.25 ${SET}.0\n`);
    expect(statSync(f).mtimeMs).toBe((SET - YEAR + 0.25) * 1000);
  });

  test('through a bind (its path rewrite and the times rewrite in one call): touch -d and stat agree', async () => {
    const host = fresh();
    const policy = timePolicy('{ offset: -365d }', `filesystem:\n  bind: { /sysvm-bound: ${host} }\n`);
    const r = await run({ command: 'sh', args: ['-c', `touch -d @${SET} /sysvm-bound/f && stat -c %Y /sysvm-bound/f && python3 -c 'import os; print(int(os.stat("/sysvm-bound/f").st_mtime))'`],
      backend, policy });
    expect({ out: r.stdout, err: r.stderr }).toEqual({ out: `${SET}\n${SET}\n`, err: '' });
    expect(statSync(path.join(host, 'f')).mtimeMs / 1000).toBe(SET + YEAR);
  });

  test('make sees no clock skew and find -mmin agrees with the virtual clock', async () => {
    const d = fresh();
    writeFileSync(path.join(d, 'Makefile'), 'out.txt: in.txt\n\tcp in.txt out.txt\n');
    const script = 'echo a > in.txt && make -s && echo b > in.txt && sleep 1.1 && touch in.txt && make -s && cat out.txt'
      + ' && find . -name "*.txt" -mmin +5 && echo found-end';
    // Unshifted, -365d puts the files a year in the program's future: make warns "modification
    // time ... in the future"; +365d makes them a year old: find -mmin +5 prints them.
    for (const offset of ['-365d', '+365d']) {
      const r = await run({ command: 'sh', args: ['-c', script], cwd: d, backend, policy: timePolicy(`{ offset: ${offset} }`) });
      expect({ offset, out: r.stdout, err: r.stderr }).toEqual({ offset, out: 'b\nfound-end\n', err: '' });
    }
  });
});
