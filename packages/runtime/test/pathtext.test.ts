// linux/pathtext.ts: the one mapping between file names (bytes) and the text the policy and
// the walk use. Its invariant is exactness: every byte string comes back from its text.
import { mkdtempSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';

import { lstatPath, readlinkOrErrno, realpathText } from '../src/linux/fsx.js';
import { decodePath, encodePath, encodePathInto, PATH_MAX } from '../src/linux/pathtext.js';

const b = (...x: number[]): Buffer => Buffer.from(x);

describe('decodePath', () => {
  test.for([
    ['ASCII', Buffer.from('/usr/include/stdio.h'), '/usr/include/stdio.h'],
    ['UTF-8', Buffer.from('/home/jos\u00e9/\u6587\u4ef6/\u{1f600}'), '/home/jos\u00e9/\u6587\u4ef6/\u{1f600}'],
    ['one invalid byte', b(0x2f, 0xff), '/\udcff'],
    ['valid then invalid: the valid part stays text', Buffer.concat([Buffer.from('/jos\u00e9/'), b(0xff)]), '/jos\u00e9/\udcff'],
    ['latin1 e-acute (not UTF-8)', b(0x63, 0x61, 0x66, 0xe9), 'caf\udce9'],
    ['a truncated sequence', b(0xe6, 0x96), '\udce6\udc96'],
    ['an overlong slash', b(0xc0, 0xaf), '\udcc0\udcaf'],
    ['a surrogate encoded in UTF-8 (CESU)', b(0xed, 0xb3, 0xbf), '\udced\udcb3\udcbf'],
    ['above U+10FFFF', b(0xf4, 0x90, 0x80, 0x80), '\udcf4\udc90\udc80\udc80'],
    ['a lone continuation byte', b(0x80), '\udc80'],
    ['U+FFFD itself is valid', Buffer.from('\ufffd'), '\ufffd'],
  ] as const)('%s', ([, bytes, want]) => {
    expect(decodePath(bytes)).toBe(want);
    expect(encodePath(want).equals(bytes)).toBe(true);
  });

  test('a slice of a buffer', () => {
    const buf = Buffer.concat([Buffer.from('xx/a'), b(0xff), Buffer.from('yy')]);
    expect(decodePath(buf, 2, 5)).toBe('/a\udcff');
  });

  test('every byte string comes back exactly (no NUL: names cannot hold one)', () => {
    fc.assert(fc.property(fc.uint8Array({ minLength: 0, maxLength: 64 }).map((a) => Buffer.from(a.filter((x) => x !== 0))), (bytes) => {
      const text = decodePath(bytes);
      expect(encodePath(text).equals(bytes)).toBe(true);
      // ...and the text is what a UTF-8 reader sees wherever the bytes are UTF-8
      if (Buffer.from(bytes.toString('utf8'), 'utf8').equals(bytes)) expect(text).toBe(bytes.toString('utf8'));
    }), { numRuns: 2000 });
  });

  test('texts of different names differ', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 12 }), fc.uint8Array({ maxLength: 12 }), (x, y) => {
      const a = Buffer.from(x);
      const c = Buffer.from(y);
      expect(decodePath(a) === decodePath(c)).toBe(a.equals(c));
    }), { numRuns: 2000 });
  });
});

describe('encodePathInto', () => {
  const buf = Buffer.alloc(3 * PATH_MAX + 1);
  test.for([
    ['ASCII', '/etc/passwd', Buffer.from('/etc/passwd')],
    ['UTF-8', '/jos\u00e9', Buffer.from('/jos\u00e9')],
    ['escaped bytes', '/a\udcff\udcfe', b(0x2f, 0x61, 0xff, 0xfe)],
  ] as const)('%s', ([, text, want]) => {
    const n = encodePathInto(text, buf);
    expect(n).toBe(want.length);
    expect(buf.subarray(0, n).equals(want)).toBe(true);
    expect(buf[n]).toBe(0);
  });
  test.for([
    ['a NUL', '/a\0b'],
    ['PATH_MAX bytes', `/${'a'.repeat(PATH_MAX - 1)}`],
    ['PATH_MAX bytes of UTF-8', `/${'\u00e9'.repeat(PATH_MAX / 2)}`],
  ] as const)('refuses %s', ([, text]) => {
    expect(encodePathInto(text, buf)).toBe(-1);
  });
});

describe('system calls by the bytes of a name', () => {
  const root = mkdtempSync(path.join(os.tmpdir(), 'sysvm-pathtext-'));
  const name = (...x: number[]): Buffer => Buffer.concat([Buffer.from(`${root}/`), Buffer.from(x)]);
  writeFileSync(name(0xff), 'x');
  symlinkSync(Buffer.from([0xfe, 0x2f, 0x78]), name(0xfd)); // a link text that is not UTF-8
  symlinkSync(Buffer.from([0xff]), name(0x6c)); // "l" -> \xff

  test('readlink of a name that is not UTF-8, and its text', () => {
    expect(readlinkOrErrno(`${root}/\udcfd`)).toBe('\udcfe/x');
    expect(readlinkSync(name(0xfd), { encoding: 'buffer' }).equals(encodePath('\udcfe/x'))).toBe(true);
    // the name Node's UTF-8 would look up is another one
    expect(readlinkOrErrno(`${root}/\ufffd`)).toBeTypeOf('number');
  });
  test('lstat and realpath', () => {
    expect(lstatPath(`${root}/\udcff`)?.isFile()).toBe(true);
    expect(realpathText(`${root}/l`)).toBe(`${realpathText(root)}/\udcff`);
  });
});
