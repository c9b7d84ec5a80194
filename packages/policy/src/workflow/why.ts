// Why one call gets the verdict it gets: every rule that names its syscall, in order, each
// alternative with each condition, whether it held and the value it was checked against,
// down to the rule (or default, safety default, guard) that decides; and whether the
// kernel (the BPF prefilter) or the supervisor decides it. What `sysvm explain POLICY CALL`
// prints.
import type { Condition, IntCondition, PolicyIR, RuleIR, SourceRange } from '../ir.js';
import { constantsWithPrefix } from '../abi/index.js';
import { fdHolds, intHolds, isDenyLike, pathHolds, sockaddrHolds } from '../evaluate.js';
import { formatIntCondition, formatSockaddrCondition, formatVerdict } from '../compile/explain.js';
import { formatSockAddr } from '../compile/addrmatch.js';
import { compileBpf, type CompiledBpf } from '../compile/bpf.js';
import { auditArch, prefilterGuard, safetyDefault } from '../compile/safety.js';
import { decideCall, ruleLabel, type CallDecision } from './decide.js';
import { formatCall, type ParsedCall } from './invocation.js';

export interface ConditionTrace {
  /** The condition as explain prints it: `family != 1`, `path under /etc`. */
  text: string;
  holds: boolean;
  /** The value it was checked against: `family = 2`, `path /etc/passwd`. */
  actual: string;
}

export interface RuleTrace {
  label: string;
  index: number;
  source: SourceRange;
  verdict: string;
  /** null: the rule has no `match:` (always matches). */
  alternatives: { holds: boolean; conditions: ConditionTrace[] }[] | null;
  matched: boolean;
}

export interface CallExplanation {
  call: string;
  arch: string;
  syscall: string;
  nr: number;
  decision: CallDecision;
  verdict: string;
  /** The rules naming the syscall, in order, up to the one that decides. */
  rules: RuleTrace[];
  /** Rules naming the syscall after the deciding one (never tried). */
  notTried: number;
  /** Set when a guard decides before any rule. */
  guard?: string;
  /** Set when no rule matched and a safety default decides. */
  safety?: string;
}

function intActual(c: IntCondition, raw: bigint, prefix: string | undefined): string {
  const signed = c.signed && !['all', 'any', 'none'].includes(c.op);
  const x = signed ? BigInt.asIntN(c.width, raw) : BigInt.asUintN(c.width, raw);
  const abs = x < 0n ? -x : x;
  const bits = ['all', 'any', 'none'].includes(c.op);
  const named = !bits && prefix ? constantsWithPrefix(prefix).find(([, v]) => BigInt.asUintN(c.width, v) === BigInt.asUintN(c.width, raw))?.[0] : undefined;
  return `${c.argName || `arg${c.arg}`} = ${bits || abs >= 4096n ? `${x < 0n ? '-' : ''}0x${abs.toString(16)}` : x.toString()}${named ? ` (${named})` : ''}`;
}

function traceCondition(c: Condition, rule: RuleIR, call: ParsedCall): ConditionTrace {
  const inv = call.invocation;
  if (c.kind === 'int') {
    const raw = inv.args[c.arg] ?? 0n;
    return { text: formatIntCondition(c), holds: intHolds(c, raw), actual: intActual(c, raw, call.syscall.args?.[c.arg]?.constPrefix) };
  }
  if (c.kind === 'fd') {
    const info = inv.deref?.fd?.(c.arg);
    const parts: string[] = [];
    if (c.virtual !== undefined) parts.push(c.virtual ? 'is virtual' : 'is not virtual');
    if (c.op !== undefined) parts.push(`opened with a path ${c.op} ${(c.values ?? []).join(', ')}`);
    const name = call.syscall.args?.[c.arg]?.name ?? `arg${c.arg}`;
    const actual = info === undefined ? `fd ${name}: nothing known (fails closed)`
      : `fd ${name}: ${info.virtual ? 'virtual' : 'not virtual'}${info.path !== undefined ? `, opened as ${info.path}` : ''}`;
    return { text: `fd ${name} ${parts.join(' and ')}`, holds: fdHolds(c, rule.verdict, inv.deref), actual };
  }
  if (c.kind === 'sockaddr') {
    const name = call.syscall.args?.[c.arg]?.name ?? `arg${c.arg}`;
    const addrs = inv.deref?.sockaddrs?.(c.arg);
    const actual = addrs === undefined ? 'address unreadable (fails closed)'
      : `address ${addrs.length === 0 ? 'none' : addrs.map(formatSockAddr).join(', ')}`;
    return { text: formatSockaddrCondition(c, rule.verdict, call.syscall.name, name),
      holds: sockaddrHolds(c, rule.verdict, inv.deref, call.syscall.name), actual };
  }
  const denyLike = isDenyLike(rule.verdict);
  const paths = c.args.map((a) => inv.deref?.path(a));
  const shown = paths.map((p) => (p === undefined ? '(unreadable)' : p));
  const subject = c.args.length > 1 ? `${denyLike ? 'either' : 'both'} path (args ${c.args.join(', ')})` : 'path';
  return { text: `${subject} ${c.op} ${c.values.join(', ')}`, holds: pathHolds(c, rule.verdict, inv.deref),
    actual: `${c.args.length > 1 ? 'paths' : 'path'} ${shown.join(', ')}` };
}

/** Explain the decision of one parsed call under `ir`. */
export function explainCall(ir: PolicyIR, call: ParsedCall, compiled: CompiledBpf = compileBpf(ir, 'x86_64')): CallExplanation {
  const decision = decideCall(ir, call.invocation, compiled);
  const name = call.syscall.name;
  const out: CallExplanation = {
    call: formatCall(call), arch: call.invocation.arch, syscall: name, nr: call.nr, decision, verdict: formatVerdict(decision.decision.verdict),
    rules: [], notTried: 0,
  };
  const guard = prefilterGuard('x86_64', auditArch(call.invocation.arch), call.invocation.nr);
  if (guard) { out.guard = guard.reason; return out; }
  const naming = ir.rules.filter((r) => r.syscalls.includes(name));
  let decided = false;
  for (const rule of naming) {
    if (decided) { out.notTried++; continue; }
    const alternatives = rule.match === null ? null : rule.match.map((alt) => {
      const conditions = alt.map((c) => traceCondition(c, rule, call));
      return { holds: conditions.every((c) => c.holds), conditions };
    });
    const matched = alternatives === null || alternatives.some((a) => a.holds);
    out.rules.push({ label: ruleLabel(rule), index: rule.index, source: rule.source, verdict: formatVerdict(rule.verdict),
      alternatives, matched });
    if (matched) decided = true;
  }
  if (!decided) {
    const s = safetyDefault(ir, name);
    if (s) out.safety = s.reason;
  }
  return out;
}

/** The explanation as text. `rel` shortens file names. */
export function renderExplanation(e: CallExplanation, rel: (f: string) => string = (f) => f): string {
  const at = (s: SourceRange | undefined): string => (s ? `${rel(s.file)}:${s.line}` : '');
  const d = e.decision;
  const lines: string[] = [];
  lines.push(`${e.call}  [${e.arch} syscall ${e.nr}]`);
  lines.push(`verdict: ${e.verdict}${d.decision.log ? ', logged' : ''}`);
  lines.push(`decided by: ${d.by.label}${d.by.source ? ` (${at(d.by.source)})` : ''}`);
  lines.push(d.where === 'kernel'
    ? `where: the kernel; the seccomp-BPF prefilter returns ${d.bpfRet} and the call never stops`
    : `where: the supervisor; the prefilter returns ${d.bpfRet}, the call stops and the supervisor decides`);
  if (d.disagreement) lines.push(`BUG: ${d.disagreement}`);
  if (e.guard) {
    lines.push('', `a guard decides before any rule: ${e.guard}`);
    return lines.join('\n') + '\n';
  }
  lines.push('');
  if (e.rules.length === 0) lines.push(`no rule names ${e.syscall}.`);
  else lines.push(`rules naming ${e.syscall}, in order (the first that matches decides):`);
  for (const r of e.rules) {
    lines.push(`  ${r.label} (${at(r.source)}) -> ${r.verdict}: ${r.matched ? 'MATCHES' : 'does not match'}`);
    if (r.alternatives === null) { lines.push('      no conditions: matches every call'); continue; }
    r.alternatives.forEach((alt, i) => {
      const indent = r.alternatives!.length > 1 ? '        ' : '      ';
      if (r.alternatives!.length > 1) lines.push(`      alternative ${i + 1}: ${alt.holds ? 'holds' : 'fails'}`);
      for (const c of alt.conditions) {
        lines.push(`${indent}${c.holds ? 'yes' : 'no '}  ${c.text}  (${c.actual})`);
      }
    });
  }
  if (e.notTried > 0) lines.push(`  (${e.notTried} later rule${e.notTried === 1 ? '' : 's'} naming ${e.syscall} not tried)`);
  if (e.safety) lines.push(`no rule matches: the safety default decides (${e.safety})`);
  else if (d.by.kind === 'default') lines.push(`no rule matches: the default decides (${at(d.by.source)})`);
  return lines.join('\n') + '\n';
}

/** The explanation as plain data (for --format json): bigints and IR objects left out. */
export function explanationJson(e: CallExplanation): unknown {
  const d = e.decision;
  return {
    call: e.call, arch: e.arch, syscall: e.syscall, nr: e.nr, verdict: e.verdict, log: d.decision.log,
    decidedBy: { kind: d.by.kind, label: d.by.label, ...(d.by.name !== undefined ? { name: d.by.name } : {}),
      ...(d.by.source ? { source: d.by.source } : {}) },
    where: d.where, prefilterReturns: d.bpfRet, ...(d.disagreement ? { bug: d.disagreement } : {}),
    ...(e.guard ? { guard: e.guard } : {}), ...(e.safety ? { safetyDefault: e.safety } : {}),
    rules: e.rules, notTried: e.notTried,
  };
}
