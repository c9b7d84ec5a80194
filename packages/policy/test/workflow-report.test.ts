// `sysvm report`'s summary: counts by verdict, rule, path, syscall and process; bad lines
// reported with their numbers; aligned tables.
import { describe, expect, test } from 'vitest';
import { parseLog, renderReport, summarize, table } from '../src/workflow/report.js';

const ev = (o: Record<string, unknown>): string => JSON.stringify({
  time: '2026-11-27T10:00:00.000Z', pid: 10, tid: 10, nr: 0, result: -1, args: {}, ...o,
});

const LOG = [
  ev({ syscall: 'openat', verdict: 'deny', detail: 'EACCES', rule: 'no-secrets', source: 'p.yaml:5',
    args: { dfd: 'AT_FDCWD', filename: '/home/u/.ssh/id_rsa', flags: '0x0' } }),
  ev({ syscall: 'openat', verdict: 'deny', detail: 'EACCES', rule: 'no-secrets', source: 'p.yaml:5',
    args: { dfd: 'AT_FDCWD', filename: '/home/u/.ssh/id_rsa', flags: '0x0' }, pid: 11 }),
  ev({ syscall: 'newfstatat', verdict: 'deny', detail: 'EPERM', rule: 'default', audit: true,
    args: { dfd: 'AT_FDCWD', filename: '/opt/x', statbuf: '0x7ff', flag: '0x0' } }),
  '',
  'this is not json',
  ev({ syscall: 'socket', verdict: 'kill', rule: 'no-net', args: { family: '0x2' } }),
  ev({ syscall: 'getpid', verdict: 'allow', rule: 'logged' }),
  '{"syscall": "read"}',
  ev({ syscall: 'renameat2', verdict: 'deny', detail: 'EPERM', rule: 'default',
    args: { olddfd: 'AT_FDCWD', oldname: '/w/a', newdfd: 'AT_FDCWD', newname: '/w/b', flags: 0 } }),
].join('\n');

describe('summarize', () => {
  const r = summarize(LOG, 10);

  test('counts lines, events and bad lines (1-based line numbers, blank lines skipped)', () => {
    expect(r.lines).toBe(8);
    expect(r.events).toBe(6);
    expect(r.bad.map((b) => b.line)).toEqual([5, 8]);
    expect(r.bad[0]!.error).toMatch(/^not JSON/);
    expect(r.bad[1]!.error).toMatch(/not an audit event/);
  });

  test('totals by verdict keep audit-mode denials apart', () => {
    expect(r.byVerdict).toEqual({ deny: 3, 'deny (audit)': 1, kill: 1, allow: 1 });
    expect(r.denials).toBe(5);
    expect(r.wouldDeny).toBe(1);
  });

  test('top denials by rule, path (every path argument), syscall; per process', () => {
    expect(r.rules.map((c) => [c.key, c.count, c.verdicts])).toEqual([
      ['default', 2, ['EPERM']], ['no-secrets', 2, ['EACCES']], ['no-net', 1, ['kill']],
    ]);
    expect(r.rules[1]!.source).toBe('p.yaml:5');
    expect(r.paths).toEqual([
      { key: '/home/u/.ssh/id_rsa', count: 2 }, { key: '/opt/x', count: 1 }, { key: '/w/a', count: 1 }, { key: '/w/b', count: 1 },
    ]);
    expect(r.syscalls[0]).toEqual({ key: 'openat', count: 2 });
    expect(r.processes).toEqual([
      { pid: 10, events: 5, denials: 4, top: ['newfstatat', 'openat', 'renameat2'] },
      { pid: 11, events: 1, denials: 1, top: ['openat'] },
    ]);
  });

  test('--top N cuts every table', () => {
    const t = summarize(LOG, 1);
    expect([t.rules.length, t.paths.length, t.syscalls.length, t.processes.length]).toEqual([1, 1, 1, 1]);
  });

  test('the text report names the bad lines and has the tables', () => {
    const text = renderReport(r, 'audit.jsonl');
    expect(text).toMatch(/^audit\.jsonl: 6 events from .* 5 denials \(1 in audit mode/);
    expect(text).toContain('audit.jsonl:5: not JSON');
    expect(text).toContain('audit.jsonl:8: not an audit event');
    for (const h of ['By verdict', 'Top denials by rule', 'Top denials by path', 'Top denials by syscall', 'Per process']) {
      expect(text).toContain(h);
    }
  });

  test('an empty log', () => {
    expect(parseLog('\n\n')).toEqual({ events: [], bad: [], lines: 0 });
  });
});

describe('table', () => {
  test('columns aligned, numbers right-aligned', () => {
    expect(table(['n', 'name'], [[5, 'a'], [120, 'bbb']])).toBe('  n  name\n  5  a\n120  bbb\n');
  });
});
