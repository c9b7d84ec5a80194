// Broken policies and the exact diagnostics each must produce (kafel's test/broken.c style):
// the files are real YAML under fixtures/broken/, the expectations are written out by hand.
import { describe, expect, test } from 'vitest';
import { fileURLToPath } from 'node:url';
import { checkPolicy } from '../src/lint/lint.js';

const dir = fileURLToPath(new URL('./fixtures/broken/', import.meta.url));
const context = { cwd: '/work/proj', home: '/home/u', tmp: '/tmp/sv', env: { HOME: '/home/u' } };

type Row = [code: string, line: number, column: number, file?: string];

const cases: [file: string, expected: Row[]][] = [
  ['yaml-syntax.yaml', [['SV1001', 5, 5]]],
  ['duplicate-key.yaml', [['SV1001', 3, 1]]],
  ['yaml-warning.yaml', [['SV1006', 2, 10]]], // an unknown tag is read as a plain value
  ['unknown-keys.yaml', [
    ['SV1002', 2, 25], // log inside a bare action
    ['SV1002', 3, 1], // rulez
    ['SV1004', 5, 5], // the rule has no action (actoin is not one)
    ['SV1002', 6, 5], // actoin
    ['SV1002', 8, 35], // nodenam
  ]],
  ['wrong-types.yaml', [
    ['SV1003', 2, 7], // name: 42
    ['SV1003', 5, 15], // syscalls: 5
    ['SV1003', 8, 13], // action: permit
    ['SV1003', 11, 10], // log: yes please
    ['SV1003', 13, 34], // return beyond 2^53
  ]],
  ['missing-version.yaml', [['SV1004', 1, 1]]],
  ['version-2.yaml', [['SV1005', 1, 8]]],
  ['not-a-map.yaml', [['SV1003', 1, 1]]],
  ['unknown-names.yaml', [
    ['SV2005', 2, 18], // EPREM
    ['SV2001', 4, 16], // opne
    ['SV2002', 4, 22], // @file-sytem
    ['SV2004', 7, 28], // O_WRONY
    ['SV2003', 7, 39], // colour
    ['SV2005', 8, 21], // 9999
  ]],
  ['vars.yaml', [
    ['SV3110', 3, 3], // a is never used (b is, by a)
    ['SV2010', 4, 6], // a -> b -> a
    ['SV2007', 5, 9], // env.SYSVM_TEST_UNSET
    ['SV2006', 9, 30], // ${nope}
    ['SV2012', 9, 52], // "${cwd"
  ]],
  ['tty.yaml', [
    ['SV3110', 2, 9], // t is never used
    ['SV2013', 2, 12], // ${tty} in vars
    ['SV2013', 4, 21], // ${tty} in an intent section
    ['SV2013', 7, 29], // "${tty}/x": inside a path
    ['SV2013', 7, 47], // glob: "${tty}"
    ['SV2013', 10, 45], // a uname field
    ['SV3107', 11, 5], // (the good rule: allow on a path, advisory)
  ]],
  ['extends-missing.yaml', [['SV2008', 2, 11], ['SV2009', 2, 34]]],
  ['extends-cycle-a.yaml', [['SV2011', 2, 10, 'extends-cycle-b.yaml']]],
  ['extends-cycle-b.yaml', [['SV2011', 2, 10, 'extends-cycle-a.yaml']]],
  ['no-default.yaml', [['SV3001', 1, 1]]],
  ['wrong-kind.yaml', [
    ['SV3002', 5, 23], // glob on flags
    ['SV3002', 5, 48], // all on path
    ['SV3003', 7, 16], // read has no path argument
    ['SV3004', 11, 29], // build/out is relative
    ['SV3005', 14, 27], // 2^32 on a 32-bit argument
    ['SV3006', 17, 22], // O_RDONLY for a socket domain
    ['SV3007', 20, 28], // a character class
    ['SV3008', 22, 15], // @basic-io has no path argument
    ['SV3010', 26, 27], // gt -1 on a size_t
    ['SV3103', 26, 27], // ... which therefore never holds
  ]],
  ['uname-elsewhere.yaml', [
    ['SV3009', 4, 15], // getpid returns no utsname
    ['SV2001', 4, 23], // gethostname is libc's, not a syscall
  ]],
  ['uname-default.yaml', [['SV3009', 2, 10]]],
  ['emulations.yaml', [
    ['SV3011', 4, 15], // identity on getpid
    ['SV3012', 6, 15], // time on nanosleep
    ['SV3013', 8, 15], // file on read
    ['SV3014', 10, 15], // bind on chroot
    ['SV3015', 13, 15], // rename's other path not under /data
    ['SV3019', 18, 40], // ./no-such-file
    ['SV3003', 19, 24], // read has no flags
    ['SV3002', 20, 23], // virtual on an integer argument
    ['SV3016', 23, 42], // offset: 5 has no unit
    ['SV1003', 25, 43], // uid -1
  ]],
  ['sections.yaml', [
    ['SV3011', 2, 10], // identity emulation as the default
    ['SV3004', 4, 16], // relative/dir
    ['SV3019', 5, 18], // ./no-such-dir (not ${tmp}/made-by-the-run: sysvm run makes ${tmp} afresh for each run)
    ['SV1004', 7, 11], // uid without gid
    ['SV3017', 8, 17], // a date without a time
  ]],
  ['network.yaml', [
    ['SV3018', 3, 39], // example.com is a host name
    ['SV3024', 3, 56], // host bits set after /8
    ['SV3024', 3, 70], // port 99999
    ['SV3024', 3, 85], // 1.2.3 is no address
    ['SV3021', 6, 29], // /33
    ['SV3021', 6, 42], // 256.1.1.1
    ['SV3022', 6, 66], // an empty range
    ['SV3023', 9, 37], // AF_PACKET
    ['SV3022', 9, 55], // 70000
    ['SV3026', 12, 20], // unix has no IP address
    ['SV3002', 15, 22], // eq on a socket address
  ]],
  ['network-all.yaml', [['SV3025', 3, 24]]], // connect: beside allow: all
  ['missing.yaml', [
    ['SV3027', 2, 35], // missing: on the default
    ['SV2005', 7, 38], // ENOSUCH
    ['SV1002', 11, 39], // missing: beside an emulation
    ['SV1004', 15, 13], // missing: without deny:
  ]],
  ['host-hidden.yaml', [
    ['SV3019', 5, 31], // ~/.ssh/motd does not exist (home is /home/u here)
    ['SV3020', 5, 31], // ... and is hidden
    ['SV3019', 6, 18], // /etc/ssl/private/keys
    ['SV3020', 6, 18], // under the hidden /etc/ssl/private
  ]],
  ['sections-keys.yaml', [
    ['SV1002', 4, 3], // reads
    ['SV1003', 5, 19], // allow: everything
    ['SV1003', 6, 7], // offset and frozen together
  ]],
];

describe('broken policies', () => {
  test.for(cases)('%s', ([file, expected]) => {
    const r = checkPolicy(dir + file, { context });
    const got = r.diagnostics.map((d): Row => {
      const base = d.range.file.split('/').pop()!;
      return base === file ? [d.code, d.range.line, d.range.column] : [d.code, d.range.line, d.range.column, base];
    });
    expect(got).toEqual(expected);
    // Any error means no IR; every diagnostic has a message and a hint.
    if (r.diagnostics.some((d) => d.severity === 'error')) expect(r.ir).toBeUndefined();
    for (const d of r.diagnostics) {
      expect(d.message.length).toBeGreaterThan(10);
      expect(d.hint?.length ?? 0).toBeGreaterThan(10);
      expect(d.message).not.toMatch(/(?<!\$)\{\w+\}/);
      expect(d.hint).not.toMatch(/(?<!\$)\{\w+\}/);
    }
  });
});

test('messages say what is wrong in words (a few literal ones)', () => {
  const msgs = (f: string): string[] => checkPolicy(dir + f, { context }).diagnostics.map((d) => `${d.message} | ${d.hint}`);
  expect(msgs('unknown-names.yaml')).toContain("unknown system call 'opne' | Did you mean 'open'?");
  expect(msgs('unknown-names.yaml')).toContain("unknown syscall group '@file-sytem' | Did you mean '@file-system'?");
  expect(msgs('unknown-names.yaml')).toContain("unknown constant 'O_WRONY' | Did you mean 'O_WRONLY'?");
  expect(msgs('extends-cycle-a.yaml')[0]).toMatch(
    /^'extends-cycle-a.yaml' extends itself: extends-cycle-a.yaml -> extends-cycle-b.yaml -> extends-cycle-a.yaml/);
  expect(msgs('wrong-kind.yaml')).toContain(
    "'glob' is a path condition but 'flags' of openat is an integer (int) | On an integer use eq, ne, lt, le, gt, ge, in, not-in, all, any or none; `path:` matches the path argument(s).");
  expect(msgs('wrong-kind.yaml')).toContain(
    "0x100000000 does not fit in the 32-bit argument 'flags' of openat | The kernel compares only the low 32 bits of this argument.");
  expect(msgs('wrong-kind.yaml')).toContain(
    "O_RDONLY is not one of the AF_* constants that 'domain' of socket takes | Check the constant: domain takes AF_* values.");
  expect(msgs('vars.yaml')).toContain(
    "variable 'b' refers to itself: ${b} -> ${a} -> ${b} | Break the cycle: one of these variables must not use the others.");
});

test('a file that does not exist is a diagnostic, not an exception', () => {
  const r = checkPolicy(dir + 'nope.yaml', { context });
  expect(r.diagnostics.map((d) => [d.code, d.message])).toEqual([['SV2008', `cannot read '${dir}nope.yaml': no such file`]]);
  expect(r.ir).toBeUndefined();
});

test('an unknown builtin named as the root is a diagnostic', () => {
  const r = checkPolicy('builtin:nope', { context });
  expect(r.diagnostics.map((d) => d.code)).toEqual(['SV2009']);
});
