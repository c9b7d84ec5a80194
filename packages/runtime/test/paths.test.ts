// Path resolution against a real directory tree, and the path-argument table against the
// syscall catalogue.
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { abi } from '@sysvm/policy';
import { beforeAll, describe, expect, test } from 'vitest';

import { decodeSockaddr, resolveAbsolute } from '../src/index.js';
import { PATH_ARGS } from '../src/tracer/paths.js';

let root: string;
beforeAll(() => {
  root = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'sysvm-paths-')));
  mkdirSync(path.join(root, 'a/b'), { recursive: true });
  mkdirSync(path.join(root, 'c'));
  writeFileSync(path.join(root, 'c/file'), '');
  symlinkSync('../c/file', path.join(root, 'a/up'));
  symlinkSync(path.join(root, 'c'), path.join(root, 'a/abs'));
  symlinkSync('nowhere', path.join(root, 'a/dangling'));
  symlinkSync('loop2', path.join(root, 'a/loop1'));
  symlinkSync('loop1', path.join(root, 'a/loop2'));
  symlinkSync('/proc/self/status', path.join(root, 'a/selfstatus'));
});

describe('resolveAbsolute', () => {
  test.for([
    // [path under root, follow the final symlink, expected under root]
    ['a/b/../b/./', true, 'a/b'],
    ['a/up', true, 'c/file'],
    ['a/up', false, 'a/up'],
    ['a/abs/file', false, 'c/file'],
    ['a/abs/../a/up', true, 'c/file'], // `..` after a symlink goes up from its target
    ['a/abs/../c/file', true, 'c/file'],
    ['a/dangling', true, 'a/nowhere'], // O_CREAT through a dangling link creates its target
    ['a/dangling', false, 'a/dangling'],
    ['a/new/file', true, 'a/new/file'], // missing parents are appended lexically
    ['a/missing/../b', true, 'a/b'],
    ['a/loop1', true, 'a/loop1'], // ELOOP: left as it is
    ['c/file/x', true, 'c/file/x'], // ENOTDIR: the call fails; the rest is appended lexically
    ['a/up/x/../y', true, 'c/file/y'],
    ['a/abs/', false, 'c'], // a trailing slash follows even a no-follow final symlink
  ] as const)('%s (follow %s) -> %s', ([p, follow, want]) => {
    // Joined by hand: path.join would fold `..` lexically.
    expect(resolveAbsolute(`${root}/${p}`, follow)).toBe(path.join(root, want));
  });

  test('/proc/self names the tracee, not the supervisor', () => {
    expect(resolveAbsolute('/proc/self/cwd', false, 4242, 4243)).toBe('/proc/4242/cwd');
    expect(resolveAbsolute('/proc/thread-self/comm', true, 1, 1)).toBe('/proc/1/task/1/comm');
  });

  test('/proc/self reached through a symlink names the tracee too', () => {
    expect(resolveAbsolute(`${root}/a/selfstatus`, true, 4242, 4243)).toBe('/proc/4242/status');
    expect(resolveAbsolute(`${root}/a/selfstatus`, false, 4242, 4243)).toBe(`${root}/a/selfstatus`);
  });

  test('/dev/stdin is the stdin of the process named, not the resolver\'s', async () => {
    // A process whose fd 0 is a file this test process does not have open.
    const fd = openSync(path.join(root, 'c/file'), 'r');
    const child = spawn('sleep', ['30'], { stdio: [fd, 'ignore', 'ignore'] });
    closeSync(fd);
    try {
      await new Promise((resolve) => child.once('spawn', resolve));
      const pid = child.pid!;
      expect(resolveAbsolute('/dev/stdin', true, pid, pid)).toBe(path.join(root, 'c/file'));
    } finally {
      child.kill('SIGKILL');
    }
  });
});

describe('the path-argument table', () => {
  test('covers every path argument of the catalogue, with its dirfd', () => {
    const missing: string[] = [];
    for (const s of abi.allSyscalls()) {
      if (s.nr.x86_64 === undefined || !s.args) continue;
      s.args.forEach((a, i) => {
        if (a.kind !== 'path') return;
        const mine = PATH_ARGS[s.name]?.find((x) => x.arg === i);
        if (mine === undefined) missing.push(`${s.name}:${i}`);
        else if (a.dirfd !== undefined && mine.dirfd !== a.dirfd) missing.push(`${s.name}:${i} dirfd ${a.dirfd}`);
      });
    }
    expect(missing).toEqual([]);
  });

  test('has only these paths the catalogue types otherwise', () => {
    const extra: string[] = [];
    for (const [name, specs] of Object.entries(PATH_ARGS)) {
      const s = abi.syscallByName(name);
      for (const p of specs) if (p.follow !== 'raw' && s?.args?.[p.arg]?.kind !== 'path') extra.push(`${name}:${p.arg}`);
    }
    expect(extra.sort()).toEqual(['acct:0', 'mount:1', 'name_to_handle_at:1', 'umount2:0', 'utime:0', 'utimes:0']);
  });
});

describe('decodeSockaddr', () => {
  test.for([
    ['0100' + Buffer.from('/run/x.sock\0').toString('hex'), { family: 'unix', path: '/run/x.sock', abstract: false }],
    ['0100' + '00' + Buffer.from('abs').toString('hex'), { family: 'unix', path: '@abs', abstract: true }],
    ['0200' + '1f90' + '7f000001' + '0000000000000000', { family: 'inet', address: '127.0.0.1', port: 8080 }],
    ['0a00' + '0050' + '00000000' + '20010db8000000000000000000000001' + '00000000',
      { family: 'inet6', address: '2001:db8::1', port: 80, scopeId: 0 }],
    ['1000' + '0000', { family: 16 }],
  ] as const)('%s', ([bytes, want]) => {
    expect(decodeSockaddr(Buffer.from(bytes, 'hex'))).toEqual(want);
  });
});
