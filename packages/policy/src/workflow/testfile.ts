// Policy unit tests: a YAML file beside a policy lists calls written as a person reads them
// and the verdict each must get. The format is documented in docs/policy-tests.md:
//
//   policy: ../no-network.yaml          # relative to this file, or builtin:NAME
//   context: { cwd: /home/u/proj, home: /home/u, tmp: /tmp/t, tty: [/dev/pts/3], env: {}, fds: { 3: /etc } }
//   cases:
//     - call: 'socket(AF_INET, SOCK_STREAM, 0)'
//       expect: { deny: EAFNOSUPPORT }   # allow | deny | kill | trace | emulate | {deny: E} | {emulate: {return: N}}
//       rule: no-inet-sockets            # optional: the rule that must decide (or default, safety)
//       where: kernel                    # optional: kernel | supervisor
//
// Each case is decided by `evaluate` and by the compiled BPF prefilter in the interpreter
// (workflow/decide.ts); where the kernel decides, both must agree with `expect`.
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { isMap, isPair, isScalar, isSeq, type Node } from 'yaml';
import type { Diagnostic } from '../diagnostics.js';
import type { Invocation, PolicyIR, SourceRange, Verdict } from '../ir.js';
import { errnoName, errnoNumber } from '../abi/index.js';
import { BUILTIN_PREFIX, loadPolicy } from '../front/load.js';
import { SourceFile } from '../front/source.js';
import { compileBpf } from '../compile/bpf.js';
import { formatVerdict } from '../compile/explain.js';
import { sortDiagnostics } from '../render.js';
import { wdiag } from './codes.js';
import { decideCall, type CallDecision } from './decide.js';
import { parseCall, type CallContext } from './invocation.js';

/** What a case expects. `errno`/`value` undefined: any errno / any emulation. */
export type Expectation =
  | { kind: 'allow' | 'kill' | 'trace' }
  | { kind: 'deny'; errno?: number; errnoName?: string }
  | { kind: 'emulate'; value?: number };

/** The process context of a test file, with its defaults (fixed, so that tests mean the same on every machine). */
export interface TestContext {
  cwd: string;
  home: string;
  tmp: string;
  /** ${tty}: the program's terminals; none unless the test file names them. */
  tty: string[];
  env: Record<string, string>;
  fds: Record<number, string>;
}

export const DEFAULT_TEST_CONTEXT: TestContext = {
  cwd: '/home/user/project', home: '/home/user', tmp: '/tmp/sysvm-tmp', tty: [], env: {}, fds: {},
};

export interface CaseResult {
  /** 0-based index in `cases`. */
  index: number;
  name?: string;
  call: string;
  source: SourceRange;
  expected: string;
  /** Undefined when the call could not be parsed (see the file's diagnostics). */
  result?: {
    verdict: string;
    by: string;
    source?: SourceRange;
    where: 'kernel' | 'supervisor';
    bpfRet: string;
  };
  passed: boolean;
  /** Why it failed, one line each. */
  problems: string[];
}

export interface TestFileResult {
  file: string;
  /** The policy as the test file names it, resolved against the test file. */
  policy?: string;
  /** Errors in the test file or its policy: when any is an error, the file is broken (exit 2). */
  diagnostics: Diagnostic[];
  sources: Map<string, string>;
  cases: CaseResult[];
}

export interface RunTestOptions {
  readFile?: (path: string) => string;
  /**
   * What `evaluate` decides the cases with, from the policy as compiled: the IR, and each
   * case's invocation. Default: both as they are. `sysvm test` gives the runtime's (the host
   * names of deny rules' paths, the caller's /proc/self), so that a case gets the verdict
   * `sysvm run` gives. The prefilter is compiled from the policy itself (it sees no paths).
   */
  judge?: (ir: PolicyIR) => { ir: PolicyIR; invocation: (inv: Invocation) => Invocation };
}

const TOP = ['policy', 'context', 'cases', 'description'];
const CONTEXT = ['cwd', 'home', 'tmp', 'tty', 'env', 'fds'];
const CASE = ['call', 'expect', 'rule', 'where', 'name', 'cwd', 'fds', 'arch', 'missing'];

export function formatExpectation(e: Expectation): string {
  if (e.kind === 'deny') return e.errno === undefined ? 'deny (any errno)' : `deny ${e.errnoName ?? e.errno}`;
  if (e.kind === 'emulate') return e.value === undefined ? 'emulate (anything)' : `emulate return ${e.value}`;
  return e.kind;
}

function meets(e: Expectation, v: Verdict): boolean {
  if (e.kind !== v.kind) return false;
  if (e.kind === 'deny' && v.kind === 'deny') return e.errno === undefined || e.errno === v.errno;
  if (e.kind === 'emulate' && v.kind === 'emulate') {
    return e.value === undefined || (v.emulate.kind === 'return' && v.emulate.value === e.value);
  }
  return true;
}

/** Load and run one test file. Never throws on bad input: problems are diagnostics. */
export function runTestFile(file: string, opts: RunTestOptions = {}): TestFileResult {
  const read = opts.readFile ?? ((p: string) => readFileSync(p, 'utf8'));
  const out: TestFileResult = { file, diagnostics: [], sources: new Map(), cases: [] };
  const whole = { file, line: 1, column: 1, endLine: 1, endColumn: 1 };
  let text: string;
  try {
    text = read(file);
  } catch (e) {
    const reason = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : String((e as Error).message);
    out.diagnostics.push(wdiag('SV4102', whole, { detail: `cannot read '${file}': ${reason}` }, 'Check the path of the test file.'));
    return out;
  }
  out.sources.set(file, text);
  const src = new SourceFile(file, text);
  const report = (d: Diagnostic): void => { out.diagnostics.push(d); };
  for (const d of src.diagnostics) {
    const detail = d.message.replace(/^YAML: /, '');
    report(d.severity === 'error' ? wdiag('SV4101', d.range, { detail }) : { ...d });
  }
  if (src.doc.errors.length > 0) return finish(out);
  const root = src.doc.contents;
  if (!isMap(root)) {
    report(wdiag('SV4102', src.range([]), { detail: 'a test file is a YAML mapping with `policy:` and `cases:`' }));
    return finish(out);
  }
  const schema = (path: (string | number)[], detail: string, hint?: string): void => {
    report(wdiag('SV4102', src.range(path), { detail }, hint));
  };
  const unknownKeys = (node: Node | null | undefined, path: (string | number)[], known: string[], where: string): void => {
    if (!isMap(node)) return;
    for (const item of node.items) {
      if (isPair(item) && isScalar(item.key) && !known.includes(String(item.key.value))) {
        report(wdiag('SV4102', src.keyRange(path, String(item.key.value)),
          { detail: `unknown key '${String(item.key.value)}' in ${where}` }, `Known keys: ${known.join(', ')}.`));
      }
    }
  };
  unknownKeys(root, [], TOP, 'the test file');
  const value = src.value as Record<string, unknown>;

  // The context.
  const ctx: TestContext = { ...DEFAULT_TEST_CONTEXT, tty: [], env: {}, fds: {} };
  const readFds = (raw: unknown, path: (string | number)[]): Record<number, string> | undefined => {
    if (raw === undefined) return undefined;
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
      schema(path, 'fds: expected a map from descriptor numbers to absolute directory paths, e.g. { 3: /etc }');
      return undefined;
    }
    const fds: Record<number, string> = {};
    for (const [k, v] of Object.entries(raw)) {
      if (!/^[0-9]+$/.test(k) || typeof v !== 'string' || !v.startsWith('/')) {
        schema([...path, k], `fds: '${k}: ${String(v)}' is not 'descriptor number: /absolute/path'`);
        continue;
      }
      fds[Number(k)] = v;
    }
    return fds;
  };
  if (value.context !== undefined) {
    const c = value.context;
    if (c === null || typeof c !== 'object' || Array.isArray(c)) schema(['context'], 'context: expected a mapping (cwd, home, tmp, tty, env, fds)');
    else {
      unknownKeys(src.doc.getIn(['context'], true) as Node, ['context'], CONTEXT, 'context');
      const cm = c as Record<string, unknown>;
      for (const k of ['cwd', 'home', 'tmp'] as const) {
        if (cm[k] === undefined) continue;
        if (typeof cm[k] !== 'string' || !cm[k].startsWith('/')) schema(['context', k], `context.${k}: expected an absolute path`);
        else ctx[k] = cm[k];
      }
      if (cm.tty !== undefined) {
        const list = Array.isArray(cm.tty) ? cm.tty as unknown[] : [cm.tty];
        if (!list.every((t) => typeof t === 'string' && t.startsWith('/'))) {
          schema(['context', 'tty'], 'context.tty: expected a list of absolute terminal paths, e.g. [/dev/pts/3] (or [] for none)');
        } else ctx.tty = list as string[];
      }
      if (cm.env !== undefined) {
        if (cm.env === null || typeof cm.env !== 'object' || Array.isArray(cm.env)) schema(['context', 'env'], 'context.env: expected a map of strings');
        else for (const [k, v] of Object.entries(cm.env)) ctx.env[k] = String(v);
      }
      Object.assign(ctx.fds, readFds(cm.fds, ['context', 'fds']) ?? {});
    }
  }

  // The policy.
  let ir: PolicyIR | undefined;
  if (typeof value.policy !== 'string') {
    if (value.policy === undefined) report(wdiag('SV4102', src.range([]), { detail: "'policy' is required in the test file" }, 'Add `policy: ./my-policy.yaml` (relative to this file) or `policy: builtin:default`.'));
    else schema(['policy'], 'policy: expected a file name (relative to this file) or builtin:NAME');
  } else {
    const p = value.policy;
    const policyFile = p.startsWith(BUILTIN_PREFIX) || isAbsolute(p) ? p : join(dirname(file), p);
    out.policy = policyFile;
    const loaded = loadPolicy(policyFile, { context: { cwd: ctx.cwd, home: ctx.home, tmp: ctx.tmp, tty: ctx.tty, env: ctx.env },
      readFile: read });
    for (const [k, v] of loaded.sources) out.sources.set(k, v);
    const errors = loaded.diagnostics.filter((d) => d.severity === 'error');
    if (!loaded.ir || errors.length > 0) {
      const unreadable = errors.find((d) => d.code === 'SV2008' && d.range.file === policyFile);
      report(wdiag('SV4104', src.range(['policy']), { policy: policyFile },
        unreadable ? `${unreadable.message}; the path is relative to the test file.` : undefined));
      if (!unreadable) out.diagnostics.push(...errors);
    } else ir = loaded.ir;
  }

  // The cases.
  const casesNode = src.doc.getIn(['cases'], true);
  if (value.cases === undefined || value.cases === null || (Array.isArray(value.cases) && value.cases.length === 0)) {
    report(wdiag('SV4106', value.cases === undefined ? src.range([]) : src.range(['cases'])));
    return finish(out);
  }
  if (!Array.isArray(value.cases) || !isSeq(casesNode)) {
    schema(['cases'], 'cases: expected a list of cases (`- call: ...` with `expect: ...`)');
    return finish(out);
  }
  const compiled = ir ? compileBpf(ir, 'x86_64') : undefined;
  const judged = ir && opts.judge ? opts.judge(ir) : undefined;
  const ruleNames = ir ? [...new Set(ir.rules.flatMap((r) => (r.name !== undefined ? [r.name] : [])))] : [];
  value.cases.forEach((raw, index) => {
    const base = ['cases', index];
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
      schema(base, `cases[${index}]: expected a mapping with call: and expect:`);
      return;
    }
    const c = raw as Record<string, unknown>;
    unknownKeys(src.doc.getIn(base, true) as Node, base, CASE, `cases[${index}]`);
    const errorsBefore = out.diagnostics.length;
    if (typeof c.call !== 'string') {
      if (c.call === undefined) schema(base, `cases[${index}]: 'call' is required`, "Write the call as a person reads it: call: 'openat(AT_FDCWD, \"/etc/passwd\", O_RDONLY)'.");
      else schema([...base, 'call'], `cases[${index}].call: expected the call as a string`, "Quote it: call: 'kill(-1, SIGKILL)'.");
    }
    const expect = readExpect(c.expect, [...base, 'expect'], src, report, index);
    if (c.rule !== undefined && typeof c.rule !== 'string') schema([...base, 'rule'], `cases[${index}].rule: expected a rule name`);
    else if (typeof c.rule === 'string' && ir && !['default', 'safety', 'guard'].includes(c.rule) && !ruleNames.includes(c.rule)) {
      report(wdiag('SV4103', src.range([...base, 'rule']), { name: c.rule, known: ruleNames.join(', ') || '(no named rules)' }));
    }
    if (c.where !== undefined && c.where !== 'kernel' && c.where !== 'supervisor') {
      schema([...base, 'where'], `cases[${index}].where: expected kernel or supervisor`);
    }
    if (c.arch !== undefined && c.arch !== 'x86_64' && c.arch !== 'i386') {
      schema([...base, 'arch'], `cases[${index}].arch: expected x86_64 or i386 (an int 0x80 call of a 64-bit process)`);
    }
    if (c.missing !== undefined && typeof c.missing !== 'boolean') {
      schema([...base, 'missing'], `cases[${index}].missing: expected true or false (the call's paths name nothing)`);
    }
    if (c.cwd !== undefined && (typeof c.cwd !== 'string' || !c.cwd.startsWith('/'))) schema([...base, 'cwd'], `cases[${index}].cwd: expected an absolute path`);
    const fds = readFds(c.fds, [...base, 'fds']);
    if (typeof c.call !== 'string') return;
    const callNode = src.doc.getIn([...base, 'call'], true) as Node;
    const at = callPosition(src, callNode, c.call);
    const callCtx: CallContext = { cwd: typeof c.cwd === 'string' ? c.cwd : ctx.cwd, fds: { ...ctx.fds, ...(fds ?? {}) },
      ...(c.missing === true ? { missing: true } : {}) };
    const parsed = parseCall(c.call, callCtx, { at, arch: c.arch === 'i386' ? 'i386' : 'x86_64' });
    const result: CaseResult = {
      index, call: c.call, source: src.range([...base, 'call']), expected: expect ? formatExpectation(expect) : '?',
      passed: false, problems: [],
      ...(typeof c.name === 'string' ? { name: c.name } : {}),
    };
    if (!parsed.ok) {
      out.diagnostics.push(...parsed.diagnostics);
      result.problems.push('the call could not be read (see the diagnostics)');
      out.cases.push(result);
      return;
    }
    if (!ir || !compiled || !expect || out.diagnostics.length > errorsBefore) {
      if (ir) result.problems.push('the case is malformed (see the diagnostics)');
      else result.problems.push('the policy could not be loaded');
      out.cases.push(result);
      return;
    }
    const d: CallDecision = judged ? decideCall(judged.ir, judged.invocation(parsed.call.invocation), compiled)
      : decideCall(ir, parsed.call.invocation, compiled);
    result.result = { verdict: formatVerdict(d.decision.verdict), by: d.by.label, where: d.where, bpfRet: d.bpfRet,
      ...(d.by.source ? { source: d.by.source } : {}) };
    if (!meets(expect, d.decision.verdict)) result.problems.push(`expected ${formatExpectation(expect)}, got ${formatVerdict(d.decision.verdict)}`);
    if (d.kernelVerdict && !meets(expect, d.kernelVerdict)) {
      result.problems.push(`the kernel (BPF prefilter) returns ${d.bpfRet}, not ${formatExpectation(expect)}`);
    }
    if (d.disagreement) result.problems.push(d.disagreement);
    if (typeof c.rule === 'string') {
      const ok = c.rule === 'default' ? d.by.kind === 'default'
        : c.rule === 'safety' || c.rule === 'guard' ? d.by.kind === 'safety' || d.by.kind === 'guard'
          : d.by.kind === 'rule' && d.by.name === c.rule;
      if (!ok) result.problems.push(`expected rule '${c.rule}' to decide, but ${d.by.label} did`);
    }
    if (typeof c.where === 'string' && c.where !== d.where) {
      result.problems.push(`expected the ${c.where} to decide, but the ${d.where} does (prefilter returns ${d.bpfRet})`);
    }
    result.passed = result.problems.length === 0;
    out.cases.push(result);
  });
  return finish(out);
}

function finish(out: TestFileResult): TestFileResult {
  out.diagnostics = sortDiagnostics(out.diagnostics);
  return out;
}

/** Where the call text of a `call:` scalar starts in the file (exact for plain and quoted one-line scalars). */
function callPosition(src: SourceFile, node: Node | undefined, call: string): { file: string; line: number; column: number } {
  const r = node?.range;
  if (!r) return { file: src.file, line: 1, column: 1 };
  const raw = src.text.slice(r[0], r[1]);
  const i = raw.indexOf(call);
  const offset = r[0] + (i >= 0 ? i : 0);
  const pos = src.lineCounter.linePos(offset);
  return { file: src.file, line: pos.line, column: pos.col };
}

function readExpect(raw: unknown, path: (string | number)[], src: SourceFile, report: (d: Diagnostic) => void, index: number)
  : Expectation | undefined {
  const bad = (): undefined => {
    report(wdiag('SV4102', src.range(path), { detail: `cases[${index}].expect: expected allow, deny, kill, trace, emulate, { deny: ERRNO } or { emulate: { return: N } }` }));
    return undefined;
  };
  if (raw === undefined) {
    report(wdiag('SV4102', src.range(path.slice(0, -1)), { detail: `cases[${index}]: 'expect' is required` }, 'Add e.g. `expect: allow` or `expect: { deny: EACCES }`.'));
    return undefined;
  }
  if (raw === 'allow' || raw === 'kill' || raw === 'trace') return { kind: raw };
  if (raw === 'deny') return { kind: 'deny' };
  if (raw === 'emulate') return { kind: 'emulate' };
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return bad();
  const o = raw as Record<string, unknown>;
  const keys = Object.keys(o);
  if (keys.length !== 1) return bad();
  if ('deny' in o) {
    const e = o.deny;
    if (typeof e === 'string') {
      const n = errnoNumber(e);
      if (n === undefined) { report(wdiag('SV4105', src.range([...path, 'deny']), { name: e })); return undefined; }
      return { kind: 'deny', errno: n, errnoName: e };
    }
    if (typeof e === 'number' && errnoName(e) !== undefined) return { kind: 'deny', errno: e, errnoName: errnoName(e)! };
    report(wdiag('SV4105', src.range([...path, 'deny']), { name: String(e) }));
    return undefined;
  }
  if ('emulate' in o) {
    const em = o.emulate;
    if (em !== null && typeof em === 'object' && !Array.isArray(em) && typeof (em as Record<string, unknown>).return === 'number'
      && Object.keys(em).length === 1) {
      return { kind: 'emulate', value: (em as { return: number }).return };
    }
    return bad();
  }
  return bad();
}

// --- output ------------------------------------------------------------------------------------

const at = (s: SourceRange | undefined, rel: (f: string) => string): string => (s ? ` at ${rel(s.file)}:${s.line}` : '');

/**
 * A test runner's report: per file a header, one line per case (`ok` or `FAIL`), under a
 * failing case why and what decided it, and at the end `N passed, N failed` alone on its
 * line. `rel` shortens file names (the CLI makes them relative to the working directory).
 */
export function renderTestText(results: readonly TestFileResult[], rel: (f: string) => string = (f) => f): string {
  const lines: string[] = [];
  let passed = 0;
  let failed = 0;
  for (const r of results) {
    lines.push(`${rel(r.file)}${r.policy ? ` (policy ${rel(r.policy)})` : ''}`);
    for (const c of r.cases) {
      const label = c.name ? `${c.name}: ${c.call}` : c.call;
      if (c.passed && c.result) {
        passed++;
        lines.push(`  ok    ${label} -> ${c.result.verdict} [${c.result.where}, ${c.result.by}]`);
        continue;
      }
      failed++;
      lines.push(`  FAIL  ${label}  (${rel(c.source.file)}:${c.source.line})`);
      for (const p of c.problems) lines.push(`        ${p}`);
      if (c.result) {
        lines.push(`        decided by ${c.result.by}${at(c.result.source, rel)}, in the ${c.result.where} (prefilter returns ${c.result.bpfRet})`);
      }
    }
  }
  lines.push(`${passed} passed, ${failed} failed`);
  return lines.join('\n') + '\n';
}

export function testCounts(results: readonly TestFileResult[]): { passed: number; failed: number; broken: number } {
  const cases = results.flatMap((r) => r.cases);
  return {
    passed: cases.filter((c) => c.passed).length,
    failed: cases.filter((c) => !c.passed).length,
    broken: results.filter((r) => r.diagnostics.some((d) => d.severity === 'error')).length,
  };
}
