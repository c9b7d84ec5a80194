// The readable back end (like libseccomp's gen_pfc): per syscall, its rules in order as
// one line per alternative, each marked with where it is decided — `kernel` (the
// seccomp-BPF prefilter returns the verdict) or `supervisor` (the prefilter returns
// SECCOMP_RET_TRACE and the supervisor decides with `evaluate`) — followed by the
// default, the safety defaults and the guards. Plain text, stable format: this is what
// `sysvm compile --explain` prints.
import type { ArchName, Condition, DecidedBy, Emulation, IntCondition, PolicyIR, RuleIR, SockaddrCondition, SockaddrPattern, SourceRange, Verdict } from '../ir.js';
import { formatCidr, formatPorts } from './addrmatch.js';
import { isDenyLike } from '../evaluate.js';
import { planPolicy, type FallbackPlan, type SyscallPlan } from './plan.js';
import { prefilterGuards } from './safety.js';
import { syscallByName } from '../abi/index.js';
import { formatDuration } from '../front/time.js';

/** Conditions longer than this are printed on a line of their own. */
const MAX_CONDITION_COLUMN = 60;

const OPS: Record<string, string> = { eq: '==', ne: '!=', lt: '<', le: '<=', gt: '>', ge: '>=' };

function num(v: bigint, c: IntCondition, forceHex = false): string {
  const ordered = ['lt', 'le', 'gt', 'ge'].includes(c.op);
  const x = c.signed && (ordered || ['eq', 'ne', 'in', 'not-in'].includes(c.op)) ? BigInt.asIntN(c.width, v) : BigInt.asUintN(c.width, v);
  const abs = x < 0n ? -x : x;
  if (!forceHex && abs < 4096n) return x.toString();
  return `${x < 0n ? '-' : ''}0x${abs.toString(16)}`;
}

export function formatIntCondition(c: IntCondition): string {
  const name = c.argName || `arg${c.arg}`;
  const type = `${c.signed ? 's' : 'u'}${c.width}`;
  const v0 = c.values[0] ?? 0n;
  switch (c.op) {
    case 'eq': case 'ne': return `${name} ${OPS[c.op]} ${num(v0, c)}`;
    case 'lt': case 'le': case 'gt': case 'ge': return `${name} ${OPS[c.op]} ${num(v0, c)} (${type})`;
    case 'in': return `${name} in [${c.values.map((v) => num(v, c)).join(', ')}]`;
    case 'not-in': return `${name} not in [${c.values.map((v) => num(v, c)).join(', ')}]`;
    case 'all': return `${name} has all of ${num(v0, c, true)}`;
    case 'any': return `${name} has any of ${num(v0, c, true)}`;
    case 'none': return `${name} has none of ${num(v0, c, true)}`;
  }
}

/**
 * `address (msg_name of msg) in family [inet, inet6] and cidr [127.0.0.0/8] and port [80]`;
 * with several addresses (sendmmsg) `every address` or `any address` by the verdict.
 */
export function formatSockaddrCondition(c: SockaddrCondition, verdict: Verdict, syscall: string, argName: string): string {
  const pattern = (p: SockaddrPattern): string => {
    const parts: string[] = [];
    if (p.families) parts.push(p.families.length === 1 ? `family ${p.families[0]}` : `family in [${p.families.join(', ')}]`);
    if (p.cidrs) parts.push(`in ${p.cidrs.map(formatCidr).join(', ')}`);
    if (p.ports) parts.push(`port ${p.ports.map(formatPorts).join(', ')}`);
    if (p.op !== undefined) parts.push(`unix path ${p.op} ${(p.values ?? []).join(', ')}`);
    return parts.join(' and ');
  };
  const body = c.patterns.length === 1 && !c.negate ? pattern(c.patterns[0]!)
    : `${c.negate ? 'matches none of' : 'matches one of'}: ${c.patterns.map((p) => `(${pattern(p)})`).join(' | ')}`;
  const subject = syscall === 'sendmmsg' ? `${isDenyLike(verdict) ? 'any' : 'every'} address (msg_name of each ${argName})`
    : syscall === 'sendmsg' ? `address (msg_name of ${argName})` : `address ${argName}`;
  return `${subject} ${body}`;
}

/** `multiPath`: the syscall has several path arguments, so a one-argument path condition names its argument. */
function formatCondition(c: Condition, verdict: Verdict, argNames: readonly string[] = [], multiPath = false, syscall = ''): string {
  if (c.kind === 'int') return formatIntCondition(c);
  if (c.kind === 'sockaddr') return formatSockaddrCondition(c, verdict, syscall, argNames[c.arg] ?? `arg${c.arg}`);
  if (c.kind === 'fd') {
    const parts = [];
    if (c.virtual !== undefined) parts.push(c.virtual ? 'is virtual' : 'is not virtual');
    if (c.op !== undefined) parts.push(`opened with a path ${c.op} ${pathList(c.values ?? [])}`);
    return `${argNames[c.arg] ?? `fd arg${c.arg}`} ${parts.join(' and ')}`;
  }
  let subject = 'path';
  if (c.args.length === 1 && multiPath) subject = argNames[c.args[0]!] ?? `path arg${c.args[0]}`;
  if (c.args.length > 1) {
    const two = c.args.length === 2;
    const which = isDenyLike(verdict) ? (two ? 'either path' : 'any path') : (two ? 'both paths' : 'every path');
    subject = `${which} (args ${c.args.join(', ')})`;
  }
  return `${subject} ${c.op} ${pathList(c.values)}`;
}

/** Path values as explain shows them; none (an empty ${tty}) holds for no path, and says so. */
const pathList = (values: readonly string[]): string => (values.length > 0 ? values.join(', ') : '(no path: never holds)');

export function formatEmulation(e: Emulation): string {
  switch (e.kind) {
    case 'return': return `return ${e.value}`;
    case 'uname': return `uname {${Object.entries(e.fields).map(([k, x]) => `${k}: ${x}`).join(', ')}}`;
    case 'identity': return `identity {${Object.entries(e.identity).map(([k, x]) => `${k}: ${Array.isArray(x) ? `[${x.join(', ')}]` : x}`).join(', ')}}`;
    case 'time': return e.clock.kind === 'offset' ? `time {offset: ${formatDuration(e.clock.offsetNs)}${e.clock.files === true ? '' : ', files: false'}}` : `time {frozen: ${new Date(Number(e.clock.epochNs / 1000000n)).toISOString()}}`;
    case 'file': return 'text' in e.content ? `file {${JSON.stringify(e.content.text.length > 40 ? `${e.content.text.slice(0, 40)}...` : e.content.text)}}` : `file {from ${e.content.hostPath}}`;
    case 'bind': return `bind ${e.from} -> ${e.to}`;
  }
}

export function formatVerdict(v: Verdict): string {
  switch (v.kind) {
    case 'allow': return 'allow';
    case 'kill': return 'kill';
    case 'trace': return 'trace';
    case 'deny': return `deny ${v.errnoName || v.errno}${v.missing ? ` (${v.missing.errnoName} when a path names nothing)` : ''}`;
    case 'emulate':
      return `emulate ${formatEmulation(v.emulate)}`;
  }
}

const at = (s: SourceRange | undefined): string => (s ? `${s.file}:${s.line}` : '');
const ruleTag = (r: RuleIR): string => `[rule ${r.name ?? `#${r.index}`}, ${at(r.source)}]`;
const outcome = (where: DecidedBy, verdict: Verdict, log: boolean): string => `${where}: ${formatVerdict(verdict)}${log ? ', log' : ''}`;

function fallbackLine(f: FallbackPlan, where: DecidedBy): string {
  if (f.kind === 'safety') return `${outcome(where, f.verdict, false)} [safety default: ${f.reason ?? ''}]`;
  return `${outcome(where, f.verdict, f.log)} [default, ${at(f.source)}]`;
}

/** The lines of one syscall (without its header). */
function syscallLines(p: SyscallPlan): string[] {
  const lines: [string, string][] = [];
  // `kernelLive`: the prefilter still decides here. After an alternative that always
  // sends the call to the supervisor, the rest is the supervisor's (it re-evaluates
  // every rule); after one that always matches, the rest is never reached.
  let kernelLive = true;
  let deadBy: RuleIR | undefined;
  const args = syscallByName(p.name)?.args ?? [];
  const argNames = args.map((a) => a.name);
  const multiPath = args.filter((a) => a.kind === 'path').length > 1;
  for (const step of p.steps) {
    const rule = step.rule;
    const match = rule.match ?? [[]];
    if (deadBy) {
      lines.push(['never reached', `${ruleTag(rule)}: rule ${deadBy.name ?? `#${deadBy.index}`} always matches first`]);
      continue;
    }
    if (match.length === 0) {
      lines.push(['never', `${ruleTag(rule)}: empty match`]);
      continue;
    }
    match.forEach((alt, i) => {
      // Path, fd and sockaddr conditions need the supervisor (dereferenced memory, fd tracking).
      const paths = alt.some((c) => c.kind !== 'int');
      const supervisorOnly = paths || rule.log || rule.verdict.kind === 'trace' || rule.verdict.kind === 'emulate';
      const where: DecidedBy = kernelLive && !supervisorOnly ? 'kernel' : 'supervisor';
      const cond = alt.length === 0 ? 'always' : `${i > 0 ? 'or if' : 'if'} ${alt.map((c) => formatCondition(c, rule.verdict, argNames, multiPath, p.name)).join(' and ')}`;
      lines.push([cond, `${outcome(where, rule.verdict, rule.log)}${rule.quiet === true && rule.verdict.kind === 'deny' ? ', quiet' : ''} ${ruleTag(rule)}`]);
    });
    if (match.some((alt) => alt.length === 0)) deadBy = rule;
    else if (match.some((alt) => alt.every((c) => c.kind !== 'int'))) kernelLive = false;
  }
  if (!deadBy) lines.push(['otherwise', fallbackLine(p.fallback, kernelLive ? p.fallback.where : 'supervisor')]);
  // Arrows line up; a condition longer than the column gets a line of its own.
  const width = Math.max(...lines.map(([c]) => (c.length > MAX_CONDITION_COLUMN ? 0 : c.length)), 'otherwise'.length);
  return lines.map(([c, o]) => (c.length > width
    ? `  ${c}\n  ${' '.repeat(width)} -> ${o}`
    : `  ${c.padEnd(width)} -> ${o}`));
}

/** The whole readable decision table of a policy. */
export function explainPolicy(ir: PolicyIR, arch: ArchName = 'x86_64'): string {
  const plan = planPolicy(ir, arch);
  const out: string[] = [];
  out.push(`policy ${ir.name ?? '(unnamed)'} for ${arch}${ir.files.length ? ` from ${ir.files.join(', ')}` : ''}`);
  out.push('kernel: decided by the seccomp-BPF prefilter alone; supervisor: the call stops (SECCOMP_RET_TRACE) and the supervisor decides');
  out.push('');
  out.push('guards, before any rule:');
  const guards = prefilterGuards(arch);
  const gw = Math.max(...guards.map((g) => g.reason.length));
  for (const g of guards) out.push(`  ${g.reason.padEnd(gw)} -> ${outcome('kernel', g.verdict, false)}`);
  for (const s of plan.syscalls) {
    out.push('');
    out.push(`${s.name} (${s.nr}) [${s.decidedBy}]:`);
    out.push(...syscallLines(s));
  }
  out.push('');
  out.push(`every other syscall -> ${fallbackLine(plan.default, plan.default.where)}`);
  if (plan.unknown.length > 0) out.push(`not on ${arch} (ignored): ${plan.unknown.join(', ')}`);
  if (ir.environment !== undefined) {
    // In the order they decide (environment.ts): each file's set, keep, drop.
    out.push('', "environment (the caller's, but for these; the first file that names a variable decides):");
    for (const l of ir.environment) {
      const where = at(l.source);
      for (const [k, v] of Object.entries(l.set)) out.push(`  set ${k}=${JSON.stringify(v)} [${where}]`);
      if (l.keep.length > 0) out.push(`  keep ${l.keep.join(' ')} [${where}]`);
      if (l.drop.length > 0) out.push(`  drop ${l.drop.join(' ')} [${where}]`);
    }
  }
  return out.join('\n') + '\n';
}
