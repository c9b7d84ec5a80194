// Robustness: whatever the text, the loader returns diagnostics with real positions and never
// throws; a policy has an IR exactly when it has no error; IR values fit their width.
import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import { checkPolicy } from '../src/lint/lint.js';

const context = { cwd: '/work/proj', home: '/home/u', tmp: '/tmp/sv', env: { HOME: '/home/u' } };

const syscall = fc.constantFrom('openat', 'read', 'write', 'socket', 'mmap', 'uname', 'getpid', 'renameat2',
  'opne', '@file-system', '@basic-io', '@nope', 'ptrace', 'clock_gettime', 'unshare', 'lseek');
const argName = fc.constantFrom('path', 'flags', 'fd', 'domain', 'family', 'count', 'prot', 'offset', 'dfd',
  'filename', 'newname', 'unshare_flags', 'colour');
const value = fc.oneof(
  fc.integer({ min: -5, max: 70000 }).map(String),
  fc.constantFrom('O_WRONLY', 'O_CREAT', 'AF_INET', 'AF_UNIX', 'PROT_EXEC', 'CLONE_NEWUSER', 'NOPE', '0xffffffff',
    '0x100000000', '-100', '18446744073709551615', '/tmp', '"~/.ssh"', '"${cwd}/x"', '"${nope}"', 'rel/path',
    '"/a/**/b"', '"/a/[x"', '[]', '[1, 2]', '[O_WRONLY, O_RDWR]', '{}', 'null', 'true'),
);
const op = fc.constantFrom('eq', 'ne', 'lt', 'le', 'gt', 'ge', 'in', 'not-in', 'all', 'any', 'none', 'equals',
  'under', 'glob', 'bogus');
const condition = fc.tuple(argName, fc.array(fc.tuple(op, value), { minLength: 0, maxLength: 3 }))
  .map(([a, ops]) => `${a}: { ${ops.map(([o, v]) => `${o}: ${v}`).join(', ')} }`);
const action = fc.constantFrom('allow', 'deny', 'kill', 'trace', 'permit', '{ deny: EACCES }', '{ deny: EFOO }',
  '{ deny: 13 }', '{ emulate: { return: 0 } }', '{ emulate: { uname: { nodename: x } } }', '{ emulate: {} }', '3');
const rule = fc.record({
  syscalls: fc.array(syscall, { minLength: 0, maxLength: 4 }),
  match: fc.option(fc.array(condition, { minLength: 1, maxLength: 3 })),
  action,
  log: fc.boolean(),
  ack: fc.boolean(),
}).map((r) => [
  `  - syscalls: [${r.syscalls.join(', ')}]`,
  ...(r.match ? [`    match: { ${r.match.join(', ')} }`] : []),
  `    action: ${r.action}`,
  ...(r.log ? ['    log: true'] : []),
  ...(r.ack ? ['    acknowledge: needed'] : []),
].join('\n'));
const policy = fc.record({
  version: fc.constantFrom('sysvm: 1', 'sysvm: 2', ''),
  default: fc.option(action),
  vars: fc.option(fc.constantFrom('vars: { a: "${b}", b: "${a}" }', 'vars: { x: /srv }', 'vars: []')),
  rules: fc.array(rule, { maxLength: 5 }),
  crlf: fc.boolean(),
}).map((p) => {
  const text = [p.version, ...(p.default ? [`default: ${p.default}`] : []), ...(p.vars ? [p.vars] : []),
    'rules:', ...p.rules].join('\n') + '\n';
  return p.crlf ? text.replace(/\n/g, '\r\n') : text;
});

function checkInvariants(text: string): void {
  const r = checkPolicy({ file: 'fuzz.yaml', text }, { context });
  const lines = text.split(/\r?\n/);
  for (const d of r.diagnostics) {
    expect(d.code).toMatch(/^SV[123]\d{3}$/);
    const { line, column, endLine, endColumn } = d.range;
    if (d.range.file !== 'fuzz.yaml') continue;
    expect(line).toBeGreaterThanOrEqual(1);
    expect(column).toBeGreaterThanOrEqual(1);
    expect(line).toBeLessThanOrEqual(lines.length);
    expect(endLine * 10000 + endColumn).toBeGreaterThanOrEqual(line * 10000 + column);
    expect(column).toBeLessThanOrEqual((lines[line - 1] ?? '').length + 1);
  }
  const hasError = r.diagnostics.some((d) => d.severity === 'error');
  expect(r.ir === undefined).toBe(hasError);
  for (const rule of r.ir?.rules ?? []) {
    for (const alt of rule.match ?? []) {
      for (const c of alt) {
        if (c.kind === 'int') for (const v of c.values) expect(v >= 0n && v < 1n << BigInt(c.width)).toBe(true);
        else for (const p of c.values) expect(p.startsWith('/')).toBe(true);
      }
    }
  }
}

describe('the loader on generated policies', () => {
  test('never throws; positions are real; IR iff no error; values fit', () => {
    fc.assert(fc.property(policy, (text) => { checkInvariants(text); }), { numRuns: 400 });
  });
  test('never throws on arbitrary text', () => {
    fc.assert(fc.property(fc.string({ maxLength: 200 }), (text) => { checkInvariants(text); }), { numRuns: 300 });
  });
  test('CRLF line endings give the same positions', () => {
    const text = 'sysvm: 1\ndefault: deny\nrules:\n  - syscalls: [opne]\n    action: allow\n';
    const pos = (t: string) => checkPolicy({ file: 'f.yaml', text: t }, { context }).diagnostics
      .map((d) => [d.code, d.range.line, d.range.column, d.range.endColumn]);
    expect(pos(text.replace(/\n/g, '\r\n'))).toEqual(pos(text));
    expect(pos(text)).toEqual([['SV2001', 4, 16, 20]]);
  });
});
