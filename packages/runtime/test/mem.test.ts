// Reading strings and symlinks the way the tracer does at every stop, against real memory
// (this process's own, through process_vm_readv, with an unreadable page) and a real tree.
import { mkdirSync, mkdtempSync, readlinkSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import koffi from 'koffi';
import { beforeAll, describe, expect, test } from 'vitest';

import { EINVAL, ENOENT, ENOTDIR } from '../src/linux/consts.js';
import { readlinkOrErrno, readlinkText, realpathText } from '../src/linux/fsx.js';
import { bytesToText, PAGE_SIZE, readCString, readCStringText, writeMem } from '../src/linux/mem.js';

const libc = koffi.load('libc.so.6');
const mmap = libc.func('long mmap(long addr, size_t len, int prot, int flags, int fd, long off)') as
  (a: number, l: number, p: number, f: number, fd: number, o: number) => bigint | number;
const mprotect = libc.func('int mprotect(long addr, size_t len, int prot)') as (a: bigint, l: number, p: number) => number;
const PROT_NONE = 0;
const PROT_RW = 3;
const MAP_PRIVATE_ANON = 0x22;

describe('readCStringText', () => {
  // Two readable pages, then an unreadable one.
  let base = 0n;
  beforeAll(() => {
    base = BigInt(mmap(0, 3 * PAGE_SIZE, PROT_RW, MAP_PRIVATE_ANON, -1, 0));
    expect(mprotect(base + BigInt(2 * PAGE_SIZE), PAGE_SIZE, PROT_NONE)).toBe(0);
  });
  const utf8 = Buffer.from('/tmp/é✓\u{1F600}', 'utf8');
  const notUtf8 = Buffer.from([0x2f, 0x74, 0xe9, 0xff, 0x78]); // "/t" 0xe9 0xff "x"
  const long = Buffer.alloc(PAGE_SIZE + 10, 0x61);
  test.for([
    // [name, offset from the start of the mapping, bytes written, NUL written after them, max, expected]
    ['a short path', 100, Buffer.from('/usr/include/stdio.h'), true, 4096, '/usr/include/stdio.h'],
    ['the empty string', 0, Buffer.alloc(0), true, 4096, ''],
    ['across the page boundary', PAGE_SIZE - 7, Buffer.from('/across/the/boundary'), true, 4096, '/across/the/boundary'],
    ['no NUL before the unreadable page', 2 * PAGE_SIZE - 12, Buffer.from('/edge/path12'), false, 4096, null],
    ['NUL on the last readable byte', 2 * PAGE_SIZE - 11, Buffer.from('/edge/path'), true, 4096, '/edge/path'],
    ['UTF-8', 5, utf8, true, 4096, utf8.toString('utf8')],
    ['not UTF-8: each invalid byte escaped (linux/pathtext.ts)', PAGE_SIZE - 2, notUtf8, true, 4096, '/t\udce9\udcffx'],
    ['exactly max bytes', 0, Buffer.alloc(64, 0x62), true, 64, 'b'.repeat(64)],
    ['one more than max', 0, Buffer.alloc(65, 0x62), true, 64, null],
    ['longer than a page', 3, long, true, 8192, 'a'.repeat(long.length)],
    ['longer than the first read', 10, Buffer.alloc(300, 0x63), true, 4096, 'c'.repeat(300)],
    ['max bytes over three reads', 0, Buffer.alloc(4096, 0x64), true, 4096, 'd'.repeat(4096)],
    ['non-ASCII after the first read', 100, Buffer.concat([Buffer.alloc(290, 0x65), Buffer.from([0xff])]), true, 4096, 'e'.repeat(290) + '\udcff'],
  ] as const)('%s', ([, off, bytes, nul, max, want]) => {
    const at = base + BigInt(off);
    // Fill what follows with non-NUL bytes so that nothing stops the string early.
    const rest = Number(BigInt(2 * PAGE_SIZE) - BigInt(off));
    expect(writeMem(process.pid, at, Buffer.alloc(rest, 0x7a))).toBe(0);
    expect(writeMem(process.pid, at, nul ? Buffer.concat([bytes, Buffer.from([0])]) : bytes)).toBe(0);
    const got = readCStringText(process.pid, at, max);
    expect(got).toBe(want);
    // The same answer as readCString, the general reader.
    const raw = readCString(process.pid, at, max);
    expect(raw === null ? null : bytesToText(raw)).toBe(got);
  });

  test('an unmapped address is null', () => {
    expect(readCStringText(process.pid, base + BigInt(2 * PAGE_SIZE))).toBeNull();
    expect(readCStringText(process.pid, 0n)).toBeNull();
  });
});

describe('readlinkOrErrno and realpathText', () => {
  let root: string;
  beforeAll(() => {
    root = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'sysvm-fsx-')));
    mkdirSync(path.join(root, 'd'));
    writeFileSync(path.join(root, 'd/file'), '');
    symlinkSync('d/file', path.join(root, 'link'));
    symlinkSync('/nowhere/at/all', path.join(root, 'dangling'));
    symlinkSync('loop', path.join(root, 'loop'));
    symlinkSync('d/\u00e9t\u00e9', path.join(root, 'utf8'));
  });
  test.for([
    ['link', 'd/file'],
    ['dangling', '/nowhere/at/all'],
    ['utf8', 'd/\u00e9t\u00e9'],
    ['d', EINVAL], // exists, not a symlink
    ['d/file', EINVAL],
    ['missing', ENOENT],
    ['d/file/below', ENOTDIR],
  ] as const)('readlink %s', ([p, want]) => {
    expect(readlinkOrErrno(path.join(root, p))).toBe(want);
  });

  test('/proc links as Node reads them', () => {
    expect(readlinkText('/proc/self/cwd')).toBe(readlinkSync('/proc/self/cwd'));
    expect(readlinkText('/proc/self/fd/999999')).toBeUndefined();
  });

  test.for([
    ['link', 'd/file'],
    ['d/../link', 'd/file'],
    ['d/./file', 'd/file'],
    ['dangling', null],
    ['loop', null],
    ['missing', null],
    ['d/file/below', null],
  ] as const)('realpath %s', ([p, want]) => {
    expect(realpathText(path.join(root, p))).toBe(want === null ? null : path.join(root, want));
  });
});
