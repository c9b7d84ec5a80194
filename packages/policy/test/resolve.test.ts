// Pieces of the resolver on their own: groups against the catalogue, variables, paths.
import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { allSyscalls, syscallByName } from '../src/abi/index.js';
import { expandGroup, GROUPS, GROUP_NAMES } from '../src/front/groups.js';
import { expandTilde, globProblem, normalisePath } from '../src/front/paths.js';
import { parseRefs, VarScope, type VarDef } from '../src/front/vars.js';
import type { Diagnostic } from '../src/diagnostics.js';

const known = (n: string) => syscallByName(n) !== undefined;
const all = () => allSyscalls().map((s) => s.name);

describe('groups', () => {
  test('groups are made of catalogue syscalls', () => {
    const unknown = Object.values(GROUPS).flatMap((g) => g.members.filter((m) => !m.startsWith('@') && !known(m)));
    expect(unknown).toEqual([]);
  });
  test('nested groups exist', () => {
    const nested = Object.values(GROUPS).flatMap((g) => g.members.filter((m) => m.startsWith('@')));
    expect(nested.filter((m) => !(m in GROUPS))).toEqual([]);
  });
  test('the systemd set names', () => {
    expect(GROUP_NAMES).toEqual(['@aio', '@basic-io', '@chown', '@clock', '@cpu-emulation', '@debug', '@default',
      '@file-system', '@io-event', '@ipc', '@keyring', '@known', '@memlock', '@module', '@mount', '@network-io',
      '@obsolete', '@pkey', '@privileged', '@process', '@raw-io', '@reboot', '@resources', '@sandbox', '@setuid',
      '@signal', '@swap', '@sync', '@system-service', '@timer']);
  });
  const cases: [string, string[]][] = [
    ['@swap', ['swapoff', 'swapon']],
    ['@reboot', ['kexec_file_load', 'kexec_load', 'reboot']],
    ['@module', ['delete_module', 'finit_module', 'init_module']],
    ['@keyring', ['add_key', 'keyctl', 'request_key']],
    ['@sandbox', ['landlock_add_rule', 'landlock_create_ruleset', 'landlock_restrict_self', 'seccomp']],
  ];
  test.for(cases)('%s', ([name, members]) => {
    expect(expandGroup(name, known, all)).toEqual(members);
  });
  test('@privileged includes its nested groups; @known is the catalogue', () => {
    const p = expandGroup('@privileged', known, all)!;
    expect(p).toContain('swapon');
    expect(p).toContain('init_module');
    expect(p).toContain('bpf');
    expect(expandGroup('@known', known, all)).toHaveLength(allSyscalls().length);
    expect(expandGroup('@nope', known, all)).toBeUndefined();
  });
});

describe('paths', () => {
  const cases: [string, string][] = [
    ['/', '/'], ['/a/b/', '/a/b'], ['//a//b', '/a/b'], ['/a/./b/.', '/a/b'], ['/a/b/../c', '/a/c'], ['/../..', '/'],
    ['/a/b/../../..', '/'],
    // (normal already: returned as they are)
    ['/a/b', '/a/b'], ['/a/.b/..c/...', '/a/.b/..c/...'], ['/a.', '/a.'], ['/.a', '/.a'],
    ['/.', '/'], ['/..', '/'], ['/a/.', '/a'], ['/a/..', '/'], ['/a//', '/a'], ['a/b', '/a/b'], ['', '/'],
  ];
  test.for(cases)('normalise %s', ([p, want]) => expect(normalisePath(p)).toBe(want));
  test('normalise: a path normal already is returned as it is, any other folded component by component', () => {
    // The fold itself, component by component (what normalisePath did for every path before it
    // returned normal ones as they are).
    const fold = (p: string): string => {
      const out: string[] = [];
      for (const part of p.split('/')) {
        if (part === '' || part === '.') continue;
        if (part === '..') out.pop();
        else out.push(part);
      }
      return `/${out.join('/')}`;
    };
    const piece = fc.constantFrom('/', '/', '.', '..', 'a', 'b.', '.c', '...');
    fc.assert(fc.property(fc.array(piece, { maxLength: 10 }).map((a) => a.join('')), (p) => normalisePath(p) === fold(p)),
      { numRuns: 5000 });
  });
  test('~', () => {
    expect(expandTilde('~', '/home/u')).toBe('/home/u');
    expect(expandTilde('~/.ssh', '/home/u/')).toBe('/home/u/.ssh');
    expect(expandTilde('~root/x', '/home/u')).toBe('~root/x');
    expect(expandTilde('/a/~', '/home/u')).toBe('/a/~');
  });
  const globs: [string, string | undefined][] = [
    ['/a/*.txt', undefined], ['/a/**/b', undefined], ['/a/**', undefined], ['/a/?x', undefined],
    ['/a/[abc]', 'character classes ([...]) are not supported'], ['/a/[abc', 'character classes ([...]) are not supported'],
    ['/a/x**', '** must be a whole path component (a/**/b)'], ['/a/**b/c', '** must be a whole path component (a/**/b)'],
    ['/a/\\*', 'escapes (\\) are not supported'],
  ];
  test.for(globs)('glob %s', ([g, problem]) => expect(globProblem(g)).toBe(problem));
});

describe('variables', () => {
  const refs: [string, ReturnType<typeof parseRefs>][] = [
    ['plain', [{ lit: 'plain' }]],
    ['${cwd}/x', [{ ref: 'cwd' }, { lit: '/x' }]],
    ['a$$b', [{ lit: 'a$b' }]],
    ['$HOME', [{ lit: '$HOME' }]],
    ['${env.A:-/x/${home}}', [{ ref: 'env.A', fallback: '/x/${home}' }]],
    ['${env.A:-/x/${home}', undefined],
    ['${env.A:-/x}', [{ ref: 'env.A', fallback: '/x' }]],
    ['${my-var}', [{ ref: 'my-var' }]],
    ['${a:-x}', undefined],
    ['${', undefined],
    ['${1x}', undefined],
  ];
  test.for(refs)('parse %s', ([s, want]) => expect(parseRefs(s)).toEqual(want));

  test('user variables use each other and the built-ins; used ones are marked', () => {
    const range = { file: 'f', line: 1, column: 1, endLine: 1, endColumn: 2 };
    const def = (name: string, value: string): VarDef => ({ name, value, range, keyRange: range, file: 'f', used: false });
    const defs = new Map([['root', def('root', '${home}/src')], ['proj', def('proj', '${root}/p')], ['x', def('x', 'y')]]);
    const out: Diagnostic[] = [];
    const scope = new VarScope({ cwd: '/c', home: '/h', tmp: '/t', tty: [], env: { A: 'a' } }, defs, (d) => out.push(d));
    expect(scope.expand('${proj}/${env.A}/${tmp}/${cwd}', range)).toBe('/h/src/p/a//t//c');
    expect(out).toEqual([]);
    expect([...defs.values()].map((d) => [d.name, d.used])).toEqual([['root', true], ['proj', true], ['x', false]]);
  });
});
