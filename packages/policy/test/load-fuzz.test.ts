// Robustness: whatever the text, the loader returns diagnostics with real positions and never
// throws; a policy has an IR exactly when it has no error; IR values fit (integers their width,
// paths absolute, socket addresses' prefixes and ports theirs).
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

// Well-formed policies: each condition names an argument of its call, with operators and
// values of that argument's kind, so that every one reaches the IR and the values checks run
// (of the policies above about 1 in 40 loads, almost never one with a condition).
const intScalar = fc.oneof(fc.integer({ min: 0, max: 70000 }).map(String),
  fc.constantFrom('O_WRONLY', 'O_CREAT', 'AF_INET', 'PROT_EXEC', '0xffff'));
const intList = fc.array(intScalar, { minLength: 1, maxLength: 3 }).map((l) => `[${l.join(', ')}]`);
const intOp = fc.constantFrom('eq', 'ne', 'lt', 'le', 'gt', 'ge', 'in', 'not-in', 'all', 'any', 'none');
const intValue = (op: string) => (op === 'in' || op === 'not-in' ? intList
  : ['all', 'any', 'none'].includes(op) ? fc.oneof(intScalar, intList) : intScalar);
const pathOp = fc.constantFrom('equals', 'under', 'glob');
const pathValue = fc.constantFrom('/tmp', '"~/.ssh"', '"${cwd}/x"', '"${home}/**/*.key"', '[/etc, "${tmp}"]', '"/a/../b//c/."');
const ops = (op: fc.Arbitrary<string>, value: (op: string) => fc.Arbitrary<string>) =>
  fc.uniqueArray(op, { minLength: 1, maxLength: 3 })
    .chain((os) => fc.tuple(...os.map((o) => value(o).map((v) => `${o}: ${v}`))))
    .map((l) => `{ ${l.join(', ')} }`);
const intCond = ops(intOp, intValue);
const pathCond = ops(pathOp, () => pathValue);
const addrCond = fc.oneof(
  fc.constantFrom('"10.0.0.0/8:443"', '"[::1]:80"', '"127.0.0.1"', '"/run/x.sock"', '"@abstract"', 'inet6', 'unix'),
  fc.record({
    family: fc.option(fc.constantFrom('inet', 'inet6', '[inet, inet6]', '[inet, unspec]')),
    cidr: fc.option(fc.constantFrom('"10.0.0.0/8"', '"::1"', '["127.0.0.0/8", "::1/128"]', '"0.0.0.0/0"')),
    port: fc.option(fc.constantFrom('443', '"1024-65535"', '[22, "8000-8080"]', '0')),
  }).map((r) => Object.entries(r).filter(([, v]) => v !== null)).filter((kv) => kv.length > 0)
    .map((kv) => `{ ${kv.map(([k, v]) => `${k}: ${v}`).join(', ')} }`),
  fc.tuple(pathOp, pathValue).map(([o, v]) => `{ family: unix, ${o}: ${v} }`),
);
/** The calls and, per argument, the conditions it takes. */
const CALL_ARGS: Record<string, Record<string, fc.Arbitrary<string>>> = {
  openat: { dfd: intCond, flags: intCond, path: pathCond },
  read: { fd: fc.oneof(intCond, pathCond), count: intCond },
  mmap: { prot: intCond, flags: intCond },
  socket: { family: intCond, type: intCond },
  lseek: { offset: intCond },
  renameat2: { path: pathCond, newname: pathCond },
  connect: { addr: addrCond, fd: intCond },
  bind: { addr: addrCond },
  sendto: { addr: addrCond, len: intCond },
};
const goodAction = fc.constantFrom('allow', 'deny', 'kill', 'trace', '{ deny: EACCES }', '{ emulate: { return: 0 } }');
const goodRule = fc.constantFrom(...Object.keys(CALL_ARGS)).chain((call) => {
  const args = CALL_ARGS[call]!;
  const map = fc.uniqueArray(fc.constantFrom(...Object.keys(args)), { minLength: 1, maxLength: 3 })
    .chain((names) => fc.tuple(...names.map((n) => args[n]!.map((c) => `${n}: ${c}`))))
    .map((cs) => `{ ${cs.join(', ')} }`);
  return fc.tuple(fc.array(map, { minLength: 1, maxLength: 2 }), goodAction)
    .map(([alts, action]) => `  - syscalls: [${call}]\n    match: [${alts.join(', ')}]\n    action: ${action}`);
});
const goodPolicy = fc.tuple(goodAction, fc.array(goodRule, { minLength: 1, maxLength: 5 }))
  .map(([d, rules]) => `sysvm: 1\ndefault: ${d}\nrules:\n${rules.join('\n')}\n`);

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
        else if (c.kind === 'path') for (const p of c.values) expect(p.startsWith('/')).toBe(true);
        else if (c.kind === 'fd') for (const p of c.values ?? []) expect(p.startsWith('/')).toBe(true);
        else {
          for (const pat of c.patterns) {
            for (const cidr of pat.cidrs ?? []) expect(cidr.prefix).toBeLessThanOrEqual(cidr.family === 'inet' ? 32 : 128);
            for (const r of pat.ports ?? []) expect(0 <= r.from && r.from <= r.to && r.to <= 65535).toBe(true);
            // a unix socket's path, or an abstract name (@name)
            for (const p of pat.values ?? []) expect(p.startsWith('/') || p.startsWith('@')).toBe(true);
          }
        }
      }
    }
  }
}

describe('the loader on generated policies', () => {
  test('never throws; positions are real; IR iff no error; values fit', () => {
    fc.assert(fc.property(policy, (text) => { checkInvariants(text); }), { numRuns: 400 });
  });
  test('well-formed policies: no error, and the IR\'s values fit', () => {
    fc.assert(fc.property(goodPolicy, (text) => {
      const r = checkPolicy({ file: 'fuzz.yaml', text }, { context });
      expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
      expect(r.ir?.rules.some((rule) => rule.match !== null)).toBe(true);
      checkInvariants(text);
    }), { numRuns: 300 });
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
