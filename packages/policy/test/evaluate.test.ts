// The decision program: path conditions (equals, under, glob), several path arguments
// (deny-like: any; pass: all), unreadable paths (fail closed), rule order, decisions'
// rule and log, the guards and safety defaults, and decidedBy.
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { decidedBy, evaluate, prefilterRet, ruleForTraceData } from '../src/evaluate.js';
import { decodeRet } from '../src/bpf/seccomp.js';
import { pathGlob, pathUnder } from '../src/compile/pathmatch.js';
import type { Verdict } from '../src/ir.js';
import { ALLOW, KILL, TRACE, bpfRet, deny, emulateReturn, int, inv, nr, path, policy } from './bpf-fixtures.js';

describe('path matching', () => {
  const under: [string, string, boolean][] = [
    ['/a/b', '/a', true],
    ['/a', '/a', true],
    ['/ab', '/a', false],
    ['/a/b/c', '/a/b', true],
    ['/a', '/a/b', false],
    ['/anything/at/all', '/', true],
    ['/a/b', '/a/', true],
    ['/home/u/.ssh/id_rsa', '/home/u/.ssh', true],
    ['/home/u/.sshd', '/home/u/.ssh', false],
  ];
  test.for(under)('%s under %s: %s', ([p, base, r]) => {
    expect(pathUnder(p, base)).toBe(r);
  });
  test('under, for random paths and bases: as the definition by components says', () => {
    // The definition: drop one trailing slash of a base longer than `/`; `/` holds every
    // absolute path; else the path is the base or the base, a `/` and more.
    const reference = (p: string, base: string): boolean => {
      const b = base.length > 1 && base.endsWith('/') ? base.slice(0, -1) : base;
      return b === '/' ? p.startsWith('/') : p === b || p.startsWith(b + '/');
    };
    const text = fc.stringMatching(/^[/ab.]{0,7}$/);
    fc.assert(fc.property(text, text, (p, base) => pathUnder(p, base) === reference(p, base)), { numRuns: 20000, seed: 7 });
  });

  const glob: [string, string, boolean][] = [
    ['/etc/passwd', '/etc/*', true],
    ['/etc/ssl/x', '/etc/*', false],
    ['/etc/ssl/x', '/etc/**', true],
    ['/etc', '/etc/**', true],
    ['/etcetera', '/etc/**', false],
    ['/home/u/.ssh/id', '/home/*/.ssh/*', true],
    ['/home/u/v/.ssh/id', '/home/*/.ssh/*', false],
    ['/a/b', '/a/**/b', true],
    ['/a/x/y/b', '/a/**/b', true],
    ['/a/x/y/c', '/a/**/b', false],
    ['/tmp/a', '/tmp/?', true],
    ['/tmp/ab', '/tmp/?', false],
    ['/tmp/', '/tmp/?', false],
    ['/x.log', '/*.log', true],
    ['/x/y.log', '/*.log', false],
    ['/x/y.log', '/**/*.log', true],
    ['/a.b.c', '/a*c', true],
    ['/abc', '/a*b*c*', true],
    ['/a[1]', '/a[1]', true],
    ['/a1', '/a[1]', false],
    ['/', '/**', true],
  ];
  test.for(glob)('%s glob %s: %s', ([p, pattern, r]) => {
    expect(pathGlob(p, pattern)).toBe(r);
  });

  const ops: [string, 'equals' | 'under' | 'glob', string[], string, boolean][] = [
    ['equals is exact', 'equals', ['/etc/passwd'], '/etc/passwd', true],
    ['equals is not prefix', 'equals', ['/etc'], '/etc/passwd', false],
    ['any value of the list', 'under', ['/tmp', '/etc'], '/etc/passwd', true],
    ['glob in a condition', 'glob', ['/etc/*.conf'], '/etc/a.conf', true],
  ];
  test.for(ops)('condition: %s', ([, op, values, p, hit]) => {
    const ir = policy([{ syscalls: ['openat'], match: [[path([1], op, values)]], verdict: deny(13, 'EACCES') }]);
    expect(evaluate(ir, inv('openat', [], 'x86_64', { 1: p })).verdict.kind).toBe(hit ? 'deny' : 'allow');
  });
});

describe('several path arguments and unreadable paths', () => {
  // renameat2(olddfd, oldname, newdfd, newname, flags): paths are args 1 and 3.
  type Row = [string, Verdict, Record<number, string | undefined> | undefined, boolean];
  const rows: Row[] = [
    ['deny: either path matches', deny(13, 'EACCES'), { 1: '/etc/x', 3: '/tmp/y' }, true],
    ['deny: the second path matches', deny(13, 'EACCES'), { 1: '/tmp/x', 3: '/etc/y' }, true],
    ['deny: neither', deny(13, 'EACCES'), { 1: '/tmp/x', 3: '/tmp/y' }, false],
    ['deny: an unreadable path fails closed', deny(13, 'EACCES'), { 1: undefined, 3: '/tmp/y' }, true],
    ['deny: no deref at all fails closed', deny(13, 'EACCES'), undefined, true],
    ['kill is deny-like', KILL, { 1: '/tmp/x', 3: '/etc/y' }, true],
    ['emulate is deny-like', emulateReturn(0), { 1: undefined, 3: '/tmp/y' }, true],
    ['allow: both paths match', ALLOW, { 1: '/etc/x', 3: '/etc/y' }, true],
    ['allow: one path is not enough', ALLOW, { 1: '/etc/x', 3: '/tmp/y' }, false],
    ['allow: an unreadable path never allows', ALLOW, { 1: '/etc/x', 3: undefined }, false],
    ['allow: no deref never allows', ALLOW, undefined, false],
    ['trace is a pass: both', TRACE, { 1: '/etc/x', 3: '/etc/y' }, true],
    ['trace is a pass: one is not enough', TRACE, { 1: '/etc/x', 3: '/tmp/y' }, false],
  ];
  test.for(rows)('%s', ([, verdict, paths, hit]) => {
    const ir = policy([{ name: 'r', syscalls: ['renameat2'], match: [[path([1, 3], 'under', ['/etc'])]], verdict }], deny(1, 'EPERM'));
    const d = evaluate(ir, inv('renameat2', [], 'x86_64', paths));
    expect(d.rule?.name ?? null).toBe(hit ? 'r' : null);
    expect(d.verdict).toEqual(hit ? verdict : deny(1, 'EPERM'));
  });
});

describe('decisions', () => {
  const ir = policy([
    { name: 'a', syscalls: ['openat'], match: [[int(2, 'all', 0o100n, 32), path([1], 'under', ['/home'])]], verdict: deny(30, 'EROFS'), log: true },
    { name: 'b', syscalls: ['openat'], match: [[path([1], 'under', ['/home'])]], verdict: ALLOW },
    { name: 'c', syscalls: ['openat', 'getpid'], verdict: TRACE },
  ], KILL, true);

  test('the first matching rule, with its log flag', () => {
    const d = evaluate(ir, inv('openat', [0n, 0n, 0o101n], 'x86_64', { 1: '/home/u/f' }));
    expect(d).toMatchObject({ verdict: { kind: 'deny', errno: 30 }, log: true, rule: { name: 'a', index: 0 } });
  });

  test('a later rule when an earlier one fails on its integer part', () => {
    const d = evaluate(ir, inv('openat', [0n, 0n, 0n], 'x86_64', { 1: '/home/u/f' }));
    expect(d).toMatchObject({ verdict: { kind: 'allow' }, log: false, rule: { name: 'b' } });
  });

  test('the default, with its log flag', () => {
    expect(evaluate(ir, inv('read'))).toEqual({ verdict: { kind: 'kill' }, rule: null, log: true });
  });

  test('the guards decide before any rule', () => {
    expect(evaluate(ir, inv(20, [], 'i386'))).toEqual({ verdict: deny(38, 'ENOSYS'), rule: null, log: false });
    expect(evaluate(ir, inv(-1))).toEqual({ verdict: ALLOW, rule: null, log: false });
    expect(evaluate(ir, inv((nr('getpid') | 0x40000000) >>> 0))).toEqual({ verdict: deny(38, 'ENOSYS'), rule: null, log: false });
  });

  test('io_uring is denied unless named', () => {
    expect(evaluate(ir, inv('io_uring_setup'))).toEqual({ verdict: deny(1, 'EPERM'), rule: null, log: false });
  });

  test('the TRACE data of the BPF program names the rule (0: the default)', () => {
    const named = (call: ReturnType<typeof inv>): string | null | undefined => {
      const r = ruleForTraceData(ir, decodeRet(bpfRet(ir, call)).data);
      return r === null ? null : r?.name;
    };
    expect(named(inv('openat', [0n, 0n, 0o100n]))).toBe('a');
    expect(named(inv('openat', [0n, 0n, 0n]))).toBe('b');
    expect(named(inv('getpid'))).toBe('c');
    expect(named(inv('read'))).toBe(null);
    expect(ruleForTraceData(ir, 99)).toBeUndefined();
  });

  test('prefilterRet: a path rule whose integer part holds goes to the supervisor', () => {
    expect(prefilterRet(ir, inv('openat', [0n, 0n, 0o100n]))).toBe(0x7ff00001);
    expect(prefilterRet(ir, inv('openat', [0n, 0n, 0n]))).toBe(0x7ff00002);
    expect(prefilterRet(ir, inv('read'))).toBe(0x7ff00000);
  });
});

describe('decidedBy', () => {
  const ir = policy([
    { syscalls: ['openat'], match: [[path([1], 'under', ['/etc'])]], verdict: deny(13, 'EACCES') },
    { syscalls: ['socket'], match: [[int(0, 'eq', 2n, 32)]], verdict: TRACE },
    { syscalls: ['openat', 'socket', 'getpid', 'write'], verdict: ALLOW },
    { syscalls: ['uname'], verdict: emulateReturn(0) },
    { syscalls: ['read'], match: [[int(0, 'eq', 0n, 32)]], verdict: KILL },
  ], deny(1, 'EPERM'));
  const rows: [string, number, string][] = [
    ['getpid', nr('getpid'), 'kernel'],
    ['openat (a path rule first: every call stops)', nr('openat'), 'supervisor'],
    ['socket (trace on AF_INET, else allow)', nr('socket'), 'mixed'],
    ['uname (emulated)', nr('uname'), 'supervisor'],
    ['read (kill or default)', nr('read'), 'kernel'],
    ['a syscall no rule names', nr('getppid'), 'kernel'],
    ['io_uring_setup', nr('io_uring_setup'), 'kernel'],
    ['nr -1', -1, 'kernel'],
  ];
  test.for(rows)('%s', ([, n, where]) => {
    expect(decidedBy(ir, 'x86_64', n)).toBe(where);
  });

  test('a trace default makes unnamed syscalls supervisor-decided', () => {
    expect(decidedBy(policy([], TRACE), 'x86_64', nr('getppid'))).toBe('supervisor');
  });
});

describe('deny with missing: the errno for a path that names nothing', () => {
  // renameat2(olddfd, oldname, newdfd, newname, flags): paths are args 1 and 3. `missing` is
  // the set of path arguments the runtime's Deref says name nothing (it has already folded
  // in "the call would create it": an O_CREAT open of a new name is not missing).
  const EACCES_ENOENT: Verdict = { kind: 'deny', errno: 13, errnoName: 'EACCES', missing: { errno: 2, errnoName: 'ENOENT' } };
  const ENOENT = deny(2, 'ENOENT');
  const EACCES = deny(13, 'EACCES');
  const withMissing = (paths: Record<number, string | undefined> | undefined, missing: number[] | undefined, args: bigint[] = []) => {
    const i = inv('renameat2', args, 'x86_64', paths);
    if (i.deref && missing !== undefined) i.deref.missing = (arg) => missing.includes(arg);
    return i;
  };
  const ir = policy([
    { name: 'secrets', syscalls: ['renameat2'], match: [[path([1, 3], 'under', ['/home/u/.ssh'])]], verdict: EACCES },
    { name: 'other', syscalls: ['renameat2'], match: [[path([1, 3], 'under', ['/'])]], verdict: EACCES_ENOENT },
  ], deny(1, 'EPERM'));
  type Row = [string, Record<number, string | undefined> | undefined, number[] | undefined, string, Verdict];
  const rows: Row[] = [
    ['an existing path: the deny errno (the rule\'s own verdict)', { 1: '/etc/x', 3: '/etc/y' }, [], 'other', EACCES_ENOENT],
    ['the first path names nothing: missing', { 1: '/etc/none', 3: '/etc/y' }, [1], 'other', ENOENT],
    ['the second path names nothing: missing', { 1: '/etc/x', 3: '/no/dir/y' }, [3], 'other', ENOENT],
    ['a Deref that cannot say (no missing): the deny errno', { 1: '/etc/none', 3: '/etc/y' }, undefined, 'other', EACCES_ENOENT],
    ['an unreadable path fails closed: the first deny rule, EACCES', { 1: undefined, 3: '/etc/y' }, [3], 'secrets', EACCES],
    ['a secret, missing or not, is decided before: EACCES', { 1: '/home/u/.ssh/none', 3: '/etc/y' }, [1], 'secrets', EACCES],
    ['a secret in the other argument: EACCES', { 1: '/etc/none', 3: '/home/u/.ssh/x' }, [1], 'secrets', EACCES],
  ];
  test.for(rows)('%s', ([, paths, missing, rule, verdict]) => {
    // The errno given is the verdict's; when `missing` answers, a plain deny (nothing more for
    // the runtime to carry out or log), the decision marked `missing` (the runtime prints it
    // on no stderr).
    const d = evaluate(ir, withMissing(paths, missing));
    expect([d.rule?.name, d.verdict, d.missing]).toStrictEqual([rule, verdict, verdict === ENOENT ? true : undefined]);
  });

  test('only the paths of a path condition count: an integer alternative that holds decides as the kernel would', () => {
    // flags (arg 4) RENAME_NOREPLACE = 1: the second alternative holds without any path, so
    // the kernel decides the call (prefilterRet) with the deny errno; evaluate must agree.
    const mixed = policy([{ name: 'm', syscalls: ['renameat2'], match: [[path([1], 'under', ['/srv'])], [int(4, 'eq', 1n, 32)]], verdict: EACCES_ENOENT }]);
    const both = withMissing({ 1: '/srv/none', 3: '/x' }, [1, 3], [0n, 0n, 0n, 0n, 1n]);
    expect(evaluate(mixed, both).verdict).toStrictEqual(EACCES_ENOENT);
    expect(decodeRet(prefilterRet(mixed, both)).action).toBe('errno');
    const pathOnly = withMissing({ 1: '/srv/none', 3: '/x' }, [1, 3], [0n, 0n, 0n, 0n, 0n]);
    expect(evaluate(mixed, pathOnly).verdict).toStrictEqual(ENOENT);
    // arg 3 is missing but no condition looks at it: the rule's path condition is on arg 1 only.
    const otherArg = withMissing({ 1: '/srv/x', 3: '/none' }, [3], [0n, 0n, 0n, 0n, 0n]);
    expect(evaluate(mixed, otherArg).verdict).toStrictEqual(EACCES_ENOENT);
    // no path condition at all (SV3113): never missing, and decided by the kernel.
    const noPath = policy([{ name: 'n', syscalls: ['renameat2'], verdict: EACCES_ENOENT }]);
    expect(evaluate(noPath, withMissing({ 1: '/none', 3: '/none' }, [1, 3])).verdict).toStrictEqual(EACCES_ENOENT);
  });

  test('for random rules, paths and missing sets: as the definition says', () => {
    // The definition, written from the docs: the first rule whose match holds decides; with
    // `missing`, its errno is given when no integer-only alternative holds and some argument
    // of a path condition of a holding alternative names nothing.
    const pathsOf = fc.constantFrom('/srv/a', '/srv/b', '/etc/x', '/home/u/.ssh/k');
    const arb = fc.record({
      p1: pathsOf, p3: pathsOf, m1: fc.boolean(), m3: fc.boolean(), flags: fc.constantFrom(0n, 1n),
      base: fc.constantFrom('/srv', '/etc', '/'), args: fc.constantFrom([1], [3], [1, 3]), intAlt: fc.boolean(),
    });
    fc.assert(fc.property(arb, (c) => {
      const match = [[path([...c.args], 'under', [c.base])], ...(c.intAlt ? [[int(4, 'eq', 1n, 32)]] : [])];
      const ir2 = policy([
        { name: 's', syscalls: ['renameat2'], match: [[path([1, 3], 'under', ['/home/u/.ssh'])]], verdict: EACCES },
        { name: 'r', syscalls: ['renameat2'], match, verdict: EACCES_ENOENT },
      ], deny(1, 'EPERM'));
      const missing = [...(c.m1 ? [1] : []), ...(c.m3 ? [3] : [])];
      const d = evaluate(ir2, withMissing({ 1: c.p1, 3: c.p3 }, missing, [0n, 0n, 0n, 0n, c.flags]));
      const under = (p: string): boolean => pathUnder(p, c.base);
      const secret = [c.p1, c.p3].some((p) => pathUnder(p, '/home/u/.ssh'));
      const pathAlt = c.args.some((a) => under(a === 1 ? c.p1 : c.p3));
      const intHolds = c.intAlt && c.flags === 1n;
      const expected = secret ? EACCES : !pathAlt && !intHolds ? deny(1, 'EPERM')
        : !intHolds && c.args.some((a) => missing.includes(a)) ? ENOENT : EACCES_ENOENT;
      expect([d.verdict, d.missing]).toStrictEqual([expected, expected === ENOENT ? true : undefined]);
    }), { numRuns: 3000, seed: 11 });
  });
});
