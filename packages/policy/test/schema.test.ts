// The JSON Schema for editors: committed, generated from the zod schema, never stale; and the
// schema itself accepts and rejects what the format says.
import { describe, expect, test } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { policyFile, policyJsonSchema, policyShape } from '../src/front/schema.js';
import { TOP_KEYS } from '../src/front/issues.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));

test('the committed JSON Schema is what the zod schema generates (run scripts/gen-schema.mjs)', () => {
  const committed = readFileSync(`${root}packages/policy/schema/sysvm-policy.schema.json`, 'utf8');
  expect(committed).toBe(`${JSON.stringify(policyJsonSchema(), null, 2)}\n`);
});

test('the JSON Schema is draft 2020-12, closed, with sysvm required', () => {
  const s = policyJsonSchema() as { $schema: string; required: string[]; additionalProperties: boolean; properties: Record<string, unknown> };
  expect(s.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
  expect(s.required).toEqual(['sysvm']);
  expect(s.additionalProperties).toBe(false);
  expect(Object.keys(s.properties)).toEqual(['sysvm', 'name', 'description', 'extends', 'vars', 'default', 'rules',
    'filesystem', 'network', 'identity', 'time', 'environment']);
});

test('the loader\'s list of top-level keys is the schema\'s (issues.ts writes it out)', () => {
  expect(TOP_KEYS).toEqual(Object.keys(policyShape));
});

describe('the zod schema on whole documents', () => {
  const files = [
    ...readdirSync(`${root}examples`).filter((f) => f.endsWith('.yaml')).map((f) => `${root}examples/${f}`),
    ...readdirSync(`${root}packages/policy/builtin`).map((f) => `${root}packages/policy/builtin/${f}`),
  ];
  test.for(files.map((f) => [f.slice(root.length)]))('accepts %s', ([f]) => {
    const r = policyFile.safeParse(parse(readFileSync(`${root}${f}`, 'utf8')));
    expect(r.error?.issues ?? []).toEqual([]);
  });

  const rejected: [string, unknown][] = [
    ['no version', { default: 'deny' }],
    ['version 2', { sysvm: 2 }],
    ['unknown top-level key', { sysvm: 1, rulez: [] }],
    ['rule without action', { sysvm: 1, rules: [{ syscalls: ['read'] }] }],
    ['rule without syscalls', { sysvm: 1, rules: [{ action: 'allow' }] }],
    ['empty syscall list', { sysvm: 1, rules: [{ syscalls: [], action: 'allow' }] }],
    ['unknown action word', { sysvm: 1, default: 'permit' }],
    ['deny with a lowercase errno', { sysvm: 1, default: { deny: 'eperm' } }],
    ['emulate with two kinds', { sysvm: 1, default: { emulate: { return: 0, uname: {} } } }],
    ['uname field too long', { sysvm: 1, default: { emulate: { uname: { nodename: 'x'.repeat(65) } } } }],
    ['condition with no operator', { sysvm: 1, rules: [{ syscalls: ['read'], match: { fd: {} }, action: 'allow' }] }],
    ['unknown operator', { sysvm: 1, rules: [{ syscalls: ['read'], match: { fd: { equal: 1 } }, action: 'allow' }] }],
    ['empty match list', { sysvm: 1, rules: [{ syscalls: ['read'], match: [], action: 'allow' }] }],
    ['reserved variable name', { sysvm: 1, vars: { cwd: '/x' } }],
    ['empty acknowledge', { sysvm: 1, rules: [{ syscalls: ['ptrace'], action: 'allow', acknowledge: '' }] }],
  ];
  test.for(rejected)('rejects: %s', ([, doc]) => {
    expect(policyFile.safeParse(doc).success).toBe(false);
  });
});
