// The `environment:` section: what the program gets of the caller's environment
// (environment.ts), from real policy files, extends included.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';

import { loadPolicy, programEnvironment, type EnvironmentLayer } from '../src/index.js';

const layer = (l: Partial<EnvironmentLayer>): EnvironmentLayer =>
  ({ source: { file: 'p.yaml', line: 1, column: 1, endLine: 1, endColumn: 1 }, set: {}, keep: [], drop: [], ...l });

describe('programEnvironment', () => {
  test.for([
    ['no section: the caller\'s, unchanged', [], { A: '1', B: '2' }, { A: '1', B: '2' }],
    ['a name, and a glob at either end, case ignored', [layer({ drop: ['A', '*_token', 'AWS_*'] })],
      { A: '1', a: '1b', GITHUB_TOKEN: 't', npm_token: 'n', AWS_REGION: 'r', TOKENS: 'k', B: '2' }, { TOKENS: 'k', B: '2' }],
    ['a glob inside, and several stars', [layer({ drop: ['X*Y', '*_SECRET_*', 'A*B*C'] })],
      { XY: '1', XaY: '2', XaYb: '3', K_SECRET_V: '4', K_SECRET: '5', ABC: '6', AxBxC: '7', ACB: '8' }, { XaYb: '3', K_SECRET: '5', ACB: '8' }],
    ['keep beats drop in the same file; set gives a value, also to a name the caller lacks', [layer({ drop: ['*_TOKEN'], keep: ['GH_TOKEN'], set: { LANG: 'C', X_TOKEN: 'fixed' } })],
      { GH_TOKEN: 'g', CI_TOKEN: 'c', X_TOKEN: 'x' }, { GH_TOKEN: 'g', LANG: 'C', X_TOKEN: 'fixed' }],
    ['the first layer that names a variable decides: the extending file over what it extends', [layer({ keep: ['GITHUB_TOKEN'], drop: ['HOME'] }), layer({ drop: ['*_TOKEN'], set: { HOME: '/h', PAGER: 'cat' } })],
      { GITHUB_TOKEN: 'g', CI_TOKEN: 'c', HOME: '/root', PAGER: 'less' }, { GITHUB_TOKEN: 'g', PAGER: 'cat' }],
    ['an undefined value is no variable', [layer({ keep: ['*'] })], { A: undefined, B: '' }, { B: '' }],
  ] as [string, EnvironmentLayer[], Record<string, string | undefined>, Record<string, string>][])('%s', ([, layers, env, expected]) => {
    expect(programEnvironment({ environment: layers }, env)).toEqual(expected);
  });

  // Names and globs from a small alphabet, so that they collide.
  const name = fc.stringMatching(/^[ABab_]{1,4}$/);
  const glob = fc.stringMatching(/^[ABab_*]{1,4}$/);
  const layers = fc.array(fc.record({ set: fc.dictionary(name, fc.string({ maxLength: 3 })), keep: fc.array(glob, { maxLength: 3 }), drop: fc.array(glob, { maxLength: 3 }) }), { maxLength: 3 });
  /** The definition: a glob as a regular expression, case ignored. */
  const re = (g: string) => new RegExp(`^${g.split('*').map((p) => p.replace(/[^A-Za-z0-9_]/g, '\\$&')).join('.*')}$`, 'i');

  test('matches its definition: per name, the first layer whose set, keep or drop names it', () => {
    fc.assert(fc.property(layers, fc.dictionary(name, fc.string({ maxLength: 3 })), (ls, env) => {
      const out = programEnvironment({ environment: ls.map((l) => layer(l)) }, env);
      const names = new Set([...Object.keys(env), ...ls.flatMap((l) => Object.keys(l.set))]);
      const expected: Record<string, string> = {};
      for (const n of names) {
        const l = ls.find((x) => Object.hasOwn(x.set, n) || [...x.keep, ...x.drop].some((g) => re(g).test(n)));
        const v = l === undefined ? env[n] : Object.hasOwn(l.set, n) ? l.set[n] : l.keep.some((g) => re(g).test(n)) ? env[n] : undefined;
        if (v !== undefined) expected[n] = v;
      }
      expect(out).toEqual(expected);
    }), { numRuns: 2000 });
  });
});

describe('environment: in policy files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sysvm-env-'));
  const file = (name: string, text: string): string => {
    writeFileSync(join(dir, name), text);
    return join(dir, name);
  };

  test('an extending file keeps what builtin:default drops; set takes variables', () => {
    const p = file('keeps.yaml', [
      'sysvm: 1',
      'extends: builtin:default',
      'environment:',
      '  keep: [GITHUB_TOKEN]',
      '  set: { CACHE: "${tmp}/cache", WHO: "${home}" }',
      '',
    ].join('\n'));
    const r = loadPolicy(p, { context: { cwd: dir, home: '/home/u', tmp: '/tmp/t', tty: [], env: {} } });
    expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(r.ir!.environment!.map((l) => l.source.file)).toEqual([p, 'builtin:default']);
    expect(r.ir!.environment![0]).toMatchObject({ keep: ['GITHUB_TOKEN'], set: { CACHE: '/tmp/t/cache', WHO: '/home/u' }, drop: [] });
    expect(programEnvironment(r.ir!, { GITHUB_TOKEN: 'g', NPM_TOKEN: 'n', AWS_SECRET_ACCESS_KEY: 's', OPENAI_API_KEY: 'o', PATH: '/usr/bin', HOME: '/home/u' }))
      .toEqual({ GITHUB_TOKEN: 'g', PATH: '/usr/bin', HOME: '/home/u', CACHE: '/tmp/t/cache', WHO: '/home/u' });
  });

  test('a policy without the section, and extending none that has one, has no environment in its IR', () => {
    const p = file('none.yaml', 'sysvm: 1\ndefault: allow\n');
    expect(loadPolicy(p).ir!.environment).toBeUndefined();
  });

  test.for([
    ['drop: ["A=B"]', 'SV1003', 4, 10, /a variable name, or a pattern of names with \*/],
    ['set: { "A*": x }', 'SV1003', 4, 10, /a variable name \(no =, \* or spaces\)/],
    ['dropp: [A]', 'SV1002', 4, 3, /unknown key 'dropp' in environment/],
    ['set: { A: "${nope}" }', 'SV2006', 4, 13, /nope/],
  ] as const)('%s is an error at its place', ([entry, code, line, col, message]) => {
    const p = file(`bad-${code}-${col}.yaml`, `sysvm: 1\ndefault: allow\nenvironment:\n  ${entry}\n`);
    const r = loadPolicy(p);
    expect(r.ir).toBeUndefined();
    const d = r.diagnostics.find((x) => x.severity === 'error')!;
    expect([d.code, d.range.line, d.message]).toEqual([code, line, expect.stringMatching(message)]);
    expect(d.range.column).toBe(col);
    if (code === 'SV1002') expect(d.hint).toBe("Did you mean 'drop'?");
  });
});
