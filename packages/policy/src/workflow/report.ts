// `sysvm report LOG`: a summary of an audit or run log (JSON Lines, one AuditEvent per line
// as the runtime writes them): totals by verdict, the top denials by rule, by path, by
// syscall, and per process. Pure: the CLI reads the file and prints the result.
import { syscallByName } from '../abi/index.js';

/** The fields of a runtime AuditEvent that a report reads (the rest is ignored). */
export interface LoggedEvent {
  time?: string;
  pid: number;
  syscall: string;
  args?: Record<string, string | number>;
  verdict: string;
  detail?: string;
  result?: number | null;
  rule: string;
  source?: string;
  /** Audit mode: the verdict was not carried out (the call ran). */
  audit?: boolean;
}

export interface BadLine {
  line: number;
  error: string;
}

export interface Count {
  key: string;
  count: number;
}

export interface RuleCount extends Count {
  source?: string;
  /** The errno names the rule's denials used (deny: EACCES), or 'kill'. */
  verdicts: string[];
}

export interface ProcessCount {
  pid: number;
  events: number;
  denials: number;
  /** The syscalls denied most in this process. */
  top: string[];
}

export interface Report {
  /** Non-empty lines read. */
  lines: number;
  events: number;
  bad: BadLine[];
  byVerdict: Record<string, number>;
  /** Denials and kills (carried out or, in audit mode, only logged). */
  denials: number;
  /** Of which audit mode only logged ("would deny"). */
  wouldDeny: number;
  first?: string;
  last?: string;
  rules: RuleCount[];
  paths: Count[];
  syscalls: Count[];
  processes: ProcessCount[];
}

function isEvent(v: unknown): v is LoggedEvent {
  if (typeof v !== 'object' || v === null) return false;
  const e = v as Record<string, unknown>;
  return typeof e.syscall === 'string' && typeof e.verdict === 'string' && typeof e.rule === 'string'
    && typeof e.pid === 'number';
}

/** Parse JSON Lines; a bad line is recorded with its 1-based number and skipped. */
export function parseLog(text: string): { events: LoggedEvent[]; bad: BadLine[]; lines: number } {
  const events: LoggedEvent[] = [];
  const bad: BadLine[] = [];
  let lines = 0;
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (line === '') return;
    lines++;
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch (e) {
      bad.push({ line: i + 1, error: `not JSON: ${(e as Error).message}` });
      return;
    }
    if (!isEvent(v)) {
      bad.push({ line: i + 1, error: 'not an audit event (needs pid, syscall, verdict, rule)' });
      return;
    }
    events.push(v);
  });
  return { events, bad, lines };
}

/** The absolute paths among a logged call's arguments (its path arguments, resolved). */
export function eventPaths(e: LoggedEvent): string[] {
  const args = e.args ?? {};
  const info = syscallByName(e.syscall);
  const names = info?.args?.filter((a) => a.kind === 'path').map((a) => a.name) ?? Object.keys(args);
  return names.map((n) => args[n]).filter((v): v is string => typeof v === 'string' && v.startsWith('/'));
}

export function isDenial(e: LoggedEvent): boolean {
  return e.verdict === 'deny' || e.verdict === 'kill';
}

function top(m: Map<string, number>, n: number): Count[] {
  return [...m].map(([key, count]) => ({ key, count }))
    .sort((a, b) => b.count - a.count || (a.key < b.key ? -1 : 1)).slice(0, n);
}

const bump = (m: Map<string, number>, k: string): void => { m.set(k, (m.get(k) ?? 0) + 1); };

export function summarize(text: string, topN = 10): Report {
  const { events, bad, lines } = parseLog(text);
  const byVerdict: Record<string, number> = {};
  const rules = new Map<string, number>();
  const ruleInfo = new Map<string, { source?: string; verdicts: Set<string> }>();
  const paths = new Map<string, number>();
  const syscalls = new Map<string, number>();
  const procs = new Map<number, { events: number; denials: number; calls: Map<string, number> }>();
  let denials = 0;
  let wouldDeny = 0;
  let first: string | undefined;
  let last: string | undefined;
  for (const e of events) {
    const v = e.audit ? `${e.verdict} (audit)` : e.verdict;
    byVerdict[v] = (byVerdict[v] ?? 0) + 1;
    if (typeof e.time === 'string') {
      if (first === undefined || e.time < first) first = e.time;
      if (last === undefined || e.time > last) last = e.time;
    }
    const p = procs.get(e.pid) ?? { events: 0, denials: 0, calls: new Map() };
    procs.set(e.pid, p);
    p.events++;
    if (!isDenial(e)) continue;
    denials++;
    if (e.audit) wouldDeny++;
    p.denials++;
    bump(p.calls, e.syscall);
    bump(rules, e.rule);
    const ri = ruleInfo.get(e.rule) ?? { verdicts: new Set<string>() };
    if (e.source !== undefined) ri.source = e.source;
    ri.verdicts.add(e.verdict === 'kill' ? 'kill' : (e.detail ?? 'deny'));
    ruleInfo.set(e.rule, ri);
    bump(syscalls, e.syscall);
    for (const path of new Set(eventPaths(e))) bump(paths, path);
  }
  const report: Report = {
    lines, events: events.length, bad, byVerdict, denials, wouldDeny,
    rules: top(rules, topN).map((c) => {
      const ri = ruleInfo.get(c.key)!;
      return { ...c, ...(ri.source !== undefined ? { source: ri.source } : {}), verdicts: [...ri.verdicts].sort() };
    }),
    paths: top(paths, topN),
    syscalls: top(syscalls, topN),
    processes: [...procs].map(([pid, p]) => ({ pid, events: p.events, denials: p.denials, top: top(p.calls, 3).map((c) => c.key) }))
      .sort((a, b) => b.denials - a.denials || b.events - a.events || a.pid - b.pid).slice(0, topN),
  };
  if (first !== undefined) report.first = first;
  if (last !== undefined) report.last = last;
  return report;
}

/** Rows as aligned columns; numbers right-aligned. */
export function table(header: string[], rows: Array<Array<string | number>>): string {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const w = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const numeric = header.map((_, i) => rows.length > 0 && rows.every((r) => typeof r[i] === 'number'));
  return cells.map((r) => r.map((c, i) => (numeric[i] ? c.padStart(w[i]!) : i === r.length - 1 ? c : c.padEnd(w[i]!)))
    .join('  ').trimEnd()).join('\n') + '\n';
}

export function renderReport(r: Report, file: string): string {
  const out: string[] = [];
  const verdicts = Object.entries(r.byVerdict).sort((a, b) => b[1] - a[1]);
  out.push(`${file}: ${r.events} event${r.events === 1 ? '' : 's'}${r.first ? ` from ${r.first} to ${r.last}` : ''}`
    + `; ${r.denials} denial${r.denials === 1 ? '' : 's'}${r.wouldDeny ? ` (${r.wouldDeny} in audit mode: would deny, not carried out)` : ''}`);
  if (r.bad.length) out.push(`${r.bad.length} bad line${r.bad.length === 1 ? '' : 's'} skipped`);
  out.push('');
  if (verdicts.length) out.push('By verdict', table(['verdict', 'count'], verdicts.map(([k, v]) => [k, v])));
  if (r.denials) {
    out.push('Top denials by rule', table(['count', 'rule', 'verdict', 'where'],
      r.rules.map((c) => [c.count, c.key, c.verdicts.join(','), c.source ?? '-'])));
    if (r.paths.length) out.push('Top denials by path', table(['count', 'path'], r.paths.map((c) => [c.count, c.key])));
    out.push('Top denials by syscall', table(['count', 'syscall'], r.syscalls.map((c) => [c.count, c.key])));
    out.push('Per process', table(['pid', 'events', 'denials', 'denied most'],
      r.processes.map((p) => [p.pid, p.events, p.denials, p.top.join(', ') || '-'])));
  } else if (r.events) {
    out.push('No denials.', '');
  }
  for (const b of r.bad.slice(0, 20)) out.push(`${file}:${b.line}: ${b.error}`);
  if (r.bad.length > 20) out.push(`... and ${r.bad.length - 20} more bad lines`);
  return out.join('\n').replace(/\n*$/, '\n');
}
