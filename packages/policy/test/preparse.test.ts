// Policies parsed ahead (front/source.ts, `preparse`; the CLI's bundle carries the built-in
// ones, tools/bundle.mjs): a SourceFile made from one must be indistinguishable from one that
// parsed the YAML, and must never stand for any other text.
import { afterEach, describe, expect, test } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { isMap, isPair, isScalar, isSeq } from 'yaml';
import { builtinNames, builtinText, loadPolicy, schemaChecked } from '../src/front/load.js';
import { PREPARSED } from '../src/front/preparsed.js';
import { preparse, SourceFile, type YamlPath } from '../src/front/source.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const context = { cwd: '/home/u/proj', home: '/home/u', tmp: '/tmp/sysvm-1', env: { HOME: '/home/u', USER: 'u' } };
const table = PREPARSED as Record<string, string>;

afterEach(() => {
  for (const k of Object.keys(table)) delete table[k];
});

const yamlIn = (dir: string): string[] =>
  readdirSync(`${root}${dir}`).filter((f) => f.endsWith('.yaml')).sort().map((f) => `${root}${dir}/${f}`);

/** Every policy text at hand: the built-in ones, the examples, the test fixtures (broken ones too). */
const documents: [string, string][] = [
  ...builtinNames().map((n): [string, string] => [`builtin:${n}`, builtinText(n)!]),
  ...[...yamlIn('examples'), ...yamlIn('packages/policy/test/fixtures/broken'), ...yamlIn('packages/policy/test/fixtures/extends')]
    .map((f): [string, string] => [f, readFileSync(f, 'utf8')]),
];

/**
 * Every path to a node of the document, with beside each paths that find nothing (`plain`);
 * and the paths getIn reads in ways a parsed-ahead tree leaves to the YAML (`odd`: a number
 * as a map's key, a string, a negative or a fraction as a sequence's index).
 */
function pathsOf(src: SourceFile): { plain: YamlPath[]; odd: YamlPath[] } {
  const plain: YamlPath[] = [];
  const odd: YamlPath[] = [];
  const walk = (node: unknown, path: (string | number)[]): void => {
    plain.push(path);
    if (isMap(node)) {
      plain.push([...path, 'no-such-key'], [...path, 'no-such-key', 'deeper']);
      odd.push([...path, 0]);
      for (const item of node.items) {
        if (isPair(item) && isScalar(item.key)) walk(item.value, [...path, item.key.value as string]);
      }
    } else if (isSeq(node)) {
      plain.push([...path, 10_000], [...path, 10_000, 'deeper']);
      odd.push([...path, 'x'], [...path, '0'], [...path, -1], [...path, 0.5]);
      node.items.forEach((item, i) => walk(item, [...path, i]));
    } else {
      plain.push([...path, 'under-a-leaf'], [...path, 0, 'deeper']);
    }
  };
  walk(src.doc.contents, []);
  return { plain, odd };
}

describe('preparse', () => {
  test('makes an entry of every built-in policy (the bundle carries them all)', () => {
    for (const name of builtinNames()) expect(preparse(`builtin:${name}`, builtinText(name)!), name).toBeTypeOf('string');
  });

  test.for(documents.map(([file, text]) => [file.replace(root, ''), file, text]))(
    '%s: range and keyRange of every path are the same as from the YAML',
    ([, file, text]) => {
      const json = preparse(file!, text!);
      if (json === undefined) return; // (a document it refuses is parsed: see the next tests)
      const parsed = new SourceFile(file!, text!);
      table[file!] = json;
      const ahead = new SourceFile(file!, text!);
      expect(ahead.value).toEqual(parsed.value);
      expect(ahead.diagnostics).toEqual(parsed.diagnostics);
      expect(ahead.failed).toBe(parsed.failed);
      const same = (paths: YamlPath[]): void => {
        for (const path of paths) {
          expect(ahead.range(path), JSON.stringify(path)).toEqual(parsed.range(path));
          for (const key of ['sysvm', 'name', 'rules', 'action', 'path', 'under', 'syscalls', 'no-such-key', '0']) {
            expect(ahead.keyRange(path, key), `${JSON.stringify(path)} ${key}`).toEqual(parsed.keyRange(path, key));
          }
        }
      };
      const { plain, odd } = pathsOf(parsed);
      same(plain);
      // All of that without parsing the YAML (a private field: the point of the entry)...
      expect((ahead as unknown as { parsed?: unknown }).parsed).toBeUndefined();
      same(odd);
      // ...and its own document, when something asks for it.
      expect(ahead.doc.toJS()).toEqual(parsed.doc.toJS());
    },
  );

  test.for(documents.map(([file, text]) => [file.replace(root, ''), file, text]))(
    '%s: loadPolicy gives the same result from an entry as from the YAML',
    ([, file, text]) => {
      const before = loadPolicy(file!, { context });
      // Parsed ahead only, then also with the schemas' output (as tools/bundle.mjs makes them).
      for (const check of [undefined, schemaChecked]) {
        const json = preparse(file!, text!, check);
        if (json === undefined) return;
        table[file!] = json;
        const after = loadPolicy(file!, { context });
        expect(after.ir).toEqual(before.ir);
        expect(after.diagnostics).toEqual(before.diagnostics);
        expect(after.model.rules).toEqual(before.model.rules);
        expect(after.model.default).toEqual(before.model.default);
        expect(after.model.vars).toEqual(before.model.vars);
        expect(after.model.complete).toBe(before.model.complete);
      }
    },
  );

  test('the built-in policies are entries with the schemas\' output', () => {
    for (const name of builtinNames()) {
      table[`builtin:${name}`] = preparse(`builtin:${name}`, builtinText(name)!, schemaChecked)!;
      expect(new SourceFile(`builtin:${name}`, builtinText(name)!).checked, name).toBeTypeOf('string');
    }
  });

  test.for([
    ['a rule the schema refuses', 'sysvm: 1\ndefault: allow\nrules:\n  - syscalls: [read]\n    action: nope\n'],
    ['an unknown top-level key', 'sysvm: 1\ndefault: allow\nrule: []\n'],
    ['a section the schema refuses', 'sysvm: 1\ndefault: allow\nnetwork: sometimes\n'],
    ['format version 2', 'sysvm: 2\ndefault: allow\n'],
    ['no format version', 'default: allow\n'],
    ['rules that are not a list', 'sysvm: 1\ndefault: allow\nrules: 3\n'],
    ['a big integer in a rule', 'sysvm: 1\ndefault: allow\nrules:\n  - syscalls: [read]\n    match: { fd: { eq: 123456789012345678901234567890 } }\n    action: allow\n'],
  ])('schemaChecked gives nothing for %s (the loader runs the schemas and reports)', ([, text]) => {
    expect(schemaChecked(new SourceFile('p.yaml', text!).value)).toBeUndefined();
  });

  test('schemaChecked keeps the order the schema gives a condition\'s operators (the order of its IR conditions)', () => {
    const text = 'sysvm: 1\ndefault: allow\nrules:\n  - syscalls: [ioprio_set]\n    match: { ioprio: { ge: 0, lt: 8 } }\n    action: allow\n';
    const specs = JSON.parse(schemaChecked(new SourceFile('p.yaml', text).value)!) as { match: { ioprio: object } }[];
    expect(Object.keys(specs[0]!.match.ioprio)).toEqual(['lt', 'ge']);
    const before = loadPolicy({ file: 'p.yaml', text }, { context });
    table['p.yaml'] = preparse('p.yaml', text, schemaChecked)!;
    expect(loadPolicy({ file: 'p.yaml', text }, { context }).ir).toEqual(before.ir);
  });

  test.for([
    ['a YAML syntax error', 'sysvm: 1\nrules: [\n'],
    ['a duplicate key', 'sysvm: 1\nsysvm: 1\n'],
    ['a YAML warning (an unknown tag)', 'sysvm: 1\nname: !foo x\n'],
    ['a number as a key', 'sysvm: 1\n1: x\n'],
    ['a key that is a map', 'sysvm: 1\n? { a: 1 }\n: x\n'],
    ['a big integer', 'sysvm: 1\nx: 123456789012345678901234567890\n'],
    ['NaN', 'sysvm: 1\nx: .nan\n'],
    ['negative zero', 'sysvm: 1\nx: -0.0\n'],
  ])('refuses a document with %s (a SourceFile parses it)', ([, text]) => {
    expect(preparse('p.yaml', text!)).toBeUndefined();
  });
});

describe('an entry stands only for the exact text it was made from', () => {
  const text = builtinText('default')!;
  // The same length and the same structure: a changed character in a path, in a value, in a comment.
  test.for([
    ['a path', text.replace('/etc/shadow', '/etc/shadoX')],
    ['an action', text.replace(/deny: EACCES/, 'deny: EPERM ')],
    ['a comment only', text.replace('#', '%').replace('%', '#').replace(/# /, '#-')],
    ['a trailing newline', `${text}\n`],
  ])('builtin:default with %s changed is parsed, not taken from the entry', ([, changed]) => {
    expect(changed).not.toBe(text);
    table['builtin:default'] = preparse('builtin:default', text)!;
    const fresh = new SourceFile('builtin:default', changed!);
    table['builtin:default'] = preparse('builtin:default', changed!)!;
    expect(fresh.value).toEqual(new SourceFile('builtin:default', changed!).value);
    delete table['builtin:default'];
    expect(fresh.value).toEqual(new SourceFile('builtin:default', changed!).value);
  });

  test('an entry made from another text is never used: the policy loaded is the file\'s', () => {
    // The entry says default: allow and no rules; the file on disk (builtin:default) says otherwise.
    const other = 'sysvm: 1\nname: other\ndefault: allow\n';
    const entry = JSON.parse(preparse('builtin:default', other)!) as Record<string, unknown>;
    table['builtin:default'] = JSON.stringify({ ...entry, text: `${text.slice(0, -1)}X` });
    const r = loadPolicy('builtin:default', { context });
    expect(r.ir?.name).toBe('default');
    expect(r.ir?.rules.length).toBe(loadPolicy('builtin:default', { context }).ir?.rules.length);
    delete table['builtin:default'];
    expect(r.ir).toEqual(loadPolicy('builtin:default', { context }).ir);
  });

  test('an entry that is not JSON is ignored', () => {
    table['builtin:default'] = '{not json';
    const r = new SourceFile('builtin:default', text);
    delete table['builtin:default'];
    expect(r.value).toEqual(new SourceFile('builtin:default', text).value);
  });
});
