// The loader: policy files (and what they extend) -> PolicyIR, collecting every diagnostic.
//
// Order of rules across `extends` (documented in docs/policy.md): a file's rules come before
// the rules of every file it extends, so a policy refines what it builds on (the first match
// wins). Files are ordered by a depth-first walk in which a file comes before all its
// ancestors, siblings in the order `extends` lists them; a file reached twice (a diamond) is
// used once. The `default` and each variable come from the first file in that order that
// defines them: the extending policy overrides.
import { existsSync, readFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, isAbsolute, relative as relativePath, resolve as resolvePath } from 'node:path';
import type { Diagnostic } from '../diagnostics.js';
import type { Condition, Emulation, EnvironmentLayer, FdCondition, IntCondition, PathCondition, PathOp, PolicyIR, RuleIR, SockaddrCondition,
  SockaddrPattern, SockFamily, SourceRange, UtsField, Verdict, VirtualClock } from '../ir.js';
import { parseCidr, parseEndpoint, parsePorts } from '../compile/addrmatch.js';
import { allSyscalls, constant, constantsWithPrefix, errnoName, errnoNumber, syscallByName } from '../abi/index.js';
import { diag, type Code } from './codes.js';
import { sortDiagnostics } from '../render.js';
import { expandGroup, GROUP_NAMES } from './groups.js';
import { describePath, issuesToDiagnostics, TOP_KEYS } from './issues.js';
import { expandTilde, globProblem, normaliseGlob, normalisePath } from './paths.js';
import { schemas, type ActionSpec, type ClockSpec, type ConditionMapSpec, type ConditionSpec, type EnvironmentSpec, type FilesystemSpec,
  type IdentitySpec, type IntValueSpec, type NetworkSpec, type RuleSpec, type Schemas } from './schema-def.js';
import { expandAllows, expandWorld, type SectionEnv } from './sections.js';
import { parseDuration, parseTimestamp } from './time.js';
import { FILE_CALLS, FS_PATH_CALLS, IDENTITY_CALLS, SOCKADDR_CALLS, TIME_CALLS, UNAME_CALLS } from './calls.js';
import { pathUnder } from '../compile/pathmatch.js';
import { BUILTIN_DIR, BUILTIN_PREFIX, builtinNames, builtinText } from './builtin.js';
import { SourceFile, type YamlPath } from './source.js';
import { didYouMean } from './suggest.js';
import { terminalPaths } from './tty.js';
import { TTY_REF, VarScope, type PolicyContext, type VarDef } from './vars.js';

type SyscallInfo = NonNullable<ReturnType<typeof syscallByName>>;
type ArgInfo = NonNullable<SyscallInfo['args']>[number];

/** The index of the argument called `key` (the kernel's name or an alias such as socket's `domain`). */
const argIndexOf = (s: SyscallInfo, key: string): number =>
  (s.args ?? []).findIndex((a) => a.name === key || (a.aliases ?? []).includes(key));

/** JSON.stringify's replacer for a layout's key: a bigint as its digits and `n`. */
const bigintText = (_k: string, v: unknown): unknown => (typeof v === 'bigint' ? `${v}n` : v);

const signatureIds = new Map<string, number>();
const signatureOfName = new Map<string, number>();

/**
 * What compileCondition reads of a syscall for the condition on `key`, besides the syscall's
 * name in messages, as a small number: the same for two syscalls exactly when that is the
 * same. For `path`: which arguments are paths, and what compileAddrCondition looks at (the
 * socket-address argument, an argument named `path` and its kind); for any other key: every
 * argument as the catalogue describes it, and the socket-address argument.
 * Keep in step with compileCondition and compileAddrCondition.
 */
function signatureOf(s: SyscallInfo, key: string): number {
  const byName = `${key === 'path' ? 'p' : 'a'}\0${s.name}`;
  let id = signatureOfName.get(byName);
  if (id === undefined) {
    const args = s.args ?? [];
    const own = argIndexOf(s, 'path');
    const sig = key === 'path'
      ? JSON.stringify(['path', args.flatMap((a, i) => (a.kind === 'path' ? [i] : [])), SOCKADDR_CALLS[s.name] ?? null, own,
        own >= 0 ? args[own]!.kind : null])
      : JSON.stringify(['any', s.args ?? null, SOCKADDR_CALLS[s.name] ?? null]);
    id = signatureIds.get(sig);
    if (id === undefined) {
      id = signatureIds.size;
      signatureIds.set(sig, id);
    }
    signatureOfName.set(byName, id);
  }
  return id;
}

const argNames = (s: SyscallInfo): string[] => (s.args ?? []).flatMap((a) => [a.name, ...(a.aliases ?? [])]);

export type { PolicyContext } from './vars.js';

export interface LoadOptions {
  /** cwd, home, tmp, tty and env for ${vars}; each defaults to this process's. */
  context?: Partial<PolicyContext>;
  /** How to read a file (default: fs.readFileSync as UTF-8). */
  readFile?: (path: string) => string;
}

/** A policy given as text (e.g. from an editor buffer); `file` names it in diagnostics. */
export interface PolicyText {
  file: string;
  text: string;
}

/** A rule of the policy as the front end saw it; the linter works on these. */
export interface ModelRule {
  /** The file and the rule's position in its `rules:` list (0-based). */
  file: string;
  indexInFile: number;
  name?: string;
  /** How diagnostics name the rule: `rule 'no-secrets'` or `rule 3 (file:12)`. */
  label: string;
  source: SourceRange;
  syscallsRange: SourceRange;
  /** Syscalls named explicitly (not through a group). */
  explicit: ReadonlySet<string>;
  /** The syscalls named or in groups, before the `match` narrowed them (deduplicated). */
  named: readonly string[];
  duplicates: readonly string[];
  verdict: Verdict;
  log: boolean;
  /** `quiet: true` was given (with its position, for lint). */
  quiet?: SourceRange;
  acknowledge?: { reason: string; range: SourceRange };
  /** Where its action's `missing:` is written (a deny with `missing`). */
  missingRange?: SourceRange;
  /** The IR rules this rule became (one per argument layout; empty if it applies to nothing). */
  parts: RuleIR[];
}

export interface ModelDefault {
  file: string;
  verdict: Verdict;
  log: boolean;
  acknowledge?: { reason: string; range: SourceRange };
  source: SourceRange;
}

export interface PolicyModel {
  files: string[];
  rules: ModelRule[];
  default?: ModelDefault;
  vars: VarDef[];
  context: PolicyContext;
  /** False when a schema error dropped part of a file: findings about what is missing are then unreliable. */
  complete: boolean;
}

export interface LoadResult {
  /** The compiled policy; absent when there is any error. */
  ir?: PolicyIR;
  /** Everything found, sorted by file, line, column. */
  diagnostics: Diagnostic[];
  /** The text of every file read, by the name used in diagnostics (for rendering source lines). */
  sources: Map<string, string>;
  /** The front end's view of the policy, for `lintPolicy` (built as far as the errors allow). */
  model: PolicyModel;
}

// --- built-in policies: front/builtin.ts ------------------------------------------------------

export { BUILTIN_PREFIX, builtinNames, builtinText } from './builtin.js';

export function defaultContext(): PolicyContext {
  return { cwd: process.cwd(), home: homedir(), tmp: `${tmpdir()}/sysvm-tmp`, tty: terminalPaths(), env: process.env };
}

// --- one file ---------------------------------------------------------------------------------

interface ExtendsRef { target: string; range: SourceRange }

interface Unit {
  file: string;
  src: SourceFile;
  value?: Record<string, unknown>;
  name?: string;
  extendsRefs: ExtendsRef[];
  /** Validated rules with their index in the file. */
  rules: { spec: RuleSpec; index: number }[];
  default?: { spec: unknown; path: YamlPath };
  vars: VarDef[];
  valid: Set<string>;
}

function loadUnit(file: string, text: string, report: (d: Diagnostic) => void): Unit {
  const src = new SourceFile(file, text);
  src.diagnostics.forEach(report);
  const unit: Unit = { file, src, extendsRefs: [], rules: [], vars: [], valid: new Set() };
  if (src.hasErrors || src.failed) return unit;
  const value = src.value;
  if (value === null || value === undefined || typeof value !== 'object' || Array.isArray(value)) {
    report(diag('SV1003', src.range([]), { detail: 'a policy is a YAML mapping that starts with `sysvm: 1`' },
      'Start the file with `sysvm: 1`, then `default:` and `rules:`.'));
    return unit;
  }
  const obj = value as Record<string, unknown>;
  unit.value = obj;
  for (const key of Object.keys(obj)) {
    if (!TOP_KEYS.includes(key)) {
      report(diag('SV1002', src.keyRange([], key), { key, where: 'the policy', known: TOP_KEYS.join(', ') },
        didYouMean(key, TOP_KEYS)));
    }
  }
  if (!('sysvm' in obj)) {
    report(diag('SV1004', src.range([]), { key: 'sysvm', where: 'the policy' }, 'Add `sysvm: 1` (the format version) as the first line.'));
  } else if (typeof obj.sysvm === 'number' && obj.sysvm !== 1) {
    report(diag('SV1005', src.range(['sysvm']), { version: obj.sysvm }));
  }
  // A document parsed ahead with what the schemas make of it (schemaChecked) is not checked
  // again: the same code gave that answer for this very text (front/source.ts).
  const checked = src.checked === undefined ? undefined : JSON.parse(src.checked) as RuleSpec[];
  for (const key of TOP_KEYS) {
    if (!(key in obj) || key === 'rules' || (key === 'sysvm' && typeof obj.sysvm === 'number')) continue;
    if (checked) { unit.valid.add(key); continue; }
    const r = schemas().policyShape[key as keyof Schemas['policyShape']].safeParse(obj[key]);
    if (r.success) unit.valid.add(key);
    else issuesToDiagnostics(r.error.issues, [key], obj, src).forEach(report);
  }
  if (unit.valid.has('name')) unit.name = obj.name as string;
  if (unit.valid.has('extends')) {
    const list = typeof obj.extends === 'string' ? [[obj.extends, ['extends']] as const]
      : (obj.extends as string[]).map((e, i) => [e, ['extends', i]] as const);
    unit.extendsRefs = list.map(([target, path]) => ({ target, range: src.range(path) }));
  }
  if (unit.valid.has('vars')) {
    for (const [name, v] of Object.entries(obj.vars as Record<string, string>)) {
      unit.vars.push({ name, value: v, range: src.range(['vars', name]), keyRange: src.keyRange(['vars'], name),
        file, used: false });
    }
  }
  if (unit.valid.has('default')) unit.default = { spec: obj.default, path: ['default'] };
  if ('rules' in obj) {
    if (!Array.isArray(obj.rules)) {
      if (obj.rules !== null) {
        report(diag('SV1003', src.range(['rules']), { detail: 'rules: expected a list of rules' }));
      }
    } else {
      obj.rules.forEach((raw, index) => {
        if (checked) { unit.rules.push({ spec: checked[index]!, index }); return; }
        const ruleSchema = schemas().rule;
        const r = ruleSchema.safeParse(raw);
        if (r.success) { unit.rules.push({ spec: r.data, index }); return; }
        issuesToDiagnostics(r.error.issues, ['rules', index], obj, src).forEach(report);
        // Unknown keys are reported; check the rest of the rule as if they were not there, so
        // that its other problems are reported too (never stop at the first).
        const again = ruleSchema.safeParse(withoutUnknownKeys(raw, r.error.issues));
        if (again.success) unit.rules.push({ spec: again.data, index });
      });
    }
  }
  return unit;
}

/** JSON that tells a key whose value is undefined from a missing one (and a bigint from a string). */
const exactJson = (v: unknown): string =>
  JSON.stringify(v, (_k, x: unknown) => (x === undefined ? '\u0000undefined' : typeof x === 'bigint' ? `\u0000${x}n` : x));

/**
 * What loadUnit's schemas make of `value` (a policy file's), as JSON, when they find nothing
 * wrong with it: every top-level key is known and passes its schema, `sysvm` is 1, and every
 * rule passes the rule schema; then the rules as the schema outputs them (its key order is
 * the order of a condition's IR conditions), provided JSON holds that output exactly.
 * Undefined otherwise. For `preparse` (front/source.ts): a SourceFile of a document parsed
 * ahead with this `check` has it as `checked`, and loadUnit takes the rules from it instead
 * of running the schemas again on the same text with the same code (the built-in policies,
 * tools/bundle.mjs).
 */
export function schemaChecked(value: unknown): string | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const obj = value as Record<string, unknown>;
  if (Object.keys(obj).some((key) => !TOP_KEYS.includes(key)) || obj.sysvm !== 1) return undefined;
  for (const key of TOP_KEYS) {
    if (!(key in obj) || key === 'rules' || key === 'sysvm') continue;
    if (!schemas().policyShape[key as keyof Schemas['policyShape']].safeParse(obj[key]).success) return undefined;
  }
  const raws = 'rules' in obj ? obj.rules : [];
  if (!Array.isArray(raws)) return undefined;
  const specs: unknown[] = [];
  for (const raw of raws) {
    const r = schemas().rule.safeParse(raw);
    if (!r.success) return undefined;
    specs.push(r.data);
  }
  let json: string;
  try {
    json = JSON.stringify(specs);
  } catch {
    return undefined; // (a bigint)
  }
  return exactJson(JSON.parse(json)) === exactJson(specs) ? json : undefined;
}

/** A copy of `raw` without the keys zod reported as unrecognized. */
function withoutUnknownKeys(raw: unknown, issues: readonly { code?: string; path: PropertyKey[]; keys?: string[] }[])
  : unknown {
  const copy = structuredClone(raw);
  for (const issue of issues) {
    if (issue.code !== 'unrecognized_keys' || !issue.keys) continue;
    let v: unknown = copy;
    for (const p of issue.path) v = v !== null && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[p] : undefined;
    if (v !== null && typeof v === 'object') for (const k of issue.keys) delete (v as Record<string, unknown>)[k];
  }
  return copy;
}

// --- the resolver -----------------------------------------------------------------------------

const PATH_OPS = new Set(['equals', 'under', 'glob']);
const ADDR_OPS = new Set(['family', 'cidr', 'port']);
const FAMILY_NAMES = ['unix', 'inet', 'inet6', 'unspec', 'none'] as const;
const AF_NAMES: Record<string, SockFamily> = { AF_UNIX: 'unix', AF_LOCAL: 'unix', AF_INET: 'inet', AF_INET6: 'inet6', AF_UNSPEC: 'unspec' };
/** A family by the names conditions use (unix, inet, ...) or the kernel's (AF_INET, ...). */
const familyName = (t: string): SockFamily | undefined =>
  ((FAMILY_NAMES as readonly string[]).includes(t) ? t as SockFamily : AF_NAMES[t]);
const ORDER_OPS = new Set(['lt', 'le', 'gt', 'ge']);

type CompiledAlt = Condition[];

class Resolver {
  readonly diagnostics: Diagnostic[] = [];
  private readonly seen = new Set<string>();
  readonly sources = new Map<string, string>();
  readonly units: Unit[] = [];
  private readonly ctx: PolicyContext;
  private scope!: VarScope;

  constructor(private readonly options: LoadOptions) {
    const given = options.context ?? {};
    // Only what the caller did not give is read from this process. Asked with `in`, without
    // reading the values: `sysvm run` passes a context that records which values the policy
    // uses (its cache depends on those only).
    const need = !('cwd' in given && 'home' in given && 'tmp' in given && 'tty' in given && 'env' in given);
    this.ctx = need ? { ...defaultContext(), ...given } : given as PolicyContext;
  }

  report = (d: Diagnostic): void => {
    const r = d.range;
    const key = `${d.code}|${r.file}|${r.line}:${r.column}-${r.endLine}:${r.endColumn}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.diagnostics.push(d);
  };

  private read(path: string): string {
    return (this.options.readFile ?? ((p: string) => readFileSync(p, 'utf8')))(path);
  }

  /** Load `root` and everything it extends; `units` ends up in rule order. */
  loadAll(root: PolicyText): void {
    const byFile = new Map<string, Unit>();
    const post: Unit[] = [];
    const onStack: string[] = [];
    const visit = (file: string, text: string): void => {
      const unit = loadUnit(file, text, this.report);
      this.sources.set(file, text);
      byFile.set(file, unit);
      onStack.push(file);
      // Children in reverse, then the reverse of the post-order: a file before what it
      // extends, siblings in the listed order (see the comment at the top of this file).
      for (const ref of [...unit.extendsRefs].reverse()) {
        const target = this.locate(ref, file);
        if (!target) continue;
        if (onStack.includes(target.file)) {
          const show = (f: string): string => (isAbsolute(f) ? relativePath(dirname(root.file), f) || f : f);
          const chain = [...onStack.slice(onStack.indexOf(target.file)), target.file].map(show).join(' -> ');
          this.report(diag('SV2011', ref.range, { file: show(target.file), chain }));
          continue;
        }
        if (byFile.has(target.file)) continue;
        visit(target.file, target.text);
      }
      onStack.pop();
      post.push(unit);
    };
    visit(root.file, root.text);
    this.units.push(...post.reverse());
  }

  private locate(ref: ExtendsRef, from: string): { file: string; text: string } | undefined {
    if (ref.target.startsWith(BUILTIN_PREFIX)) {
      const name = ref.target.slice(BUILTIN_PREFIX.length);
      const text = builtinText(name);
      if (text === undefined) {
        this.report(diag('SV2009', ref.range, { name, known: builtinNames().map((n) => BUILTIN_PREFIX + n).join(', ') }));
        return undefined;
      }
      return { file: ref.target, text };
    }
    const base = from.startsWith(BUILTIN_PREFIX) ? BUILTIN_DIR : dirname(from);
    const file = isAbsolute(ref.target) ? ref.target : resolvePath(base, ref.target);
    try {
      return { file, text: this.read(file) };
    } catch (e) {
      const reason = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : String((e as Error).message);
      this.report(diag('SV2008', ref.range, { file: ref.target, reason }));
      return undefined;
    }
  }

  resolve(): { ir?: PolicyIR; model: PolicyModel } {
    const defs = new Map<string, VarDef>();
    for (const u of this.units) for (const v of u.vars) if (!defs.has(v.name)) defs.set(v.name, v);
    this.scope = new VarScope(this.ctx, defs, this.report);

    // The order of rules (docs/policy.md, "Precedence"; front/sections.ts): the sections'
    // world rules of every file, then per file its `rules:` and its sections' allows.
    const rules: ModelRule[] = [];
    for (const u of this.units) rules.push(...expandWorld(this.sectionEnv(u)));
    for (const u of this.units) {
      for (const { spec, index } of u.rules) {
        const r = this.resolveRule(u, spec, index);
        if (r) rules.push(r);
      }
      rules.push(...expandAllows(this.sectionEnv(u)));
    }
    const environment = this.units.flatMap((u) => this.environmentLayer(u) ?? []);
    const defUnit = this.units.find((u) => u.default);
    let def: ModelDefault | undefined;
    if (defUnit?.default) def = this.resolveDefault(defUnit, defUnit.default.spec, defUnit.default.path);
    const root = this.units[0]!;
    // Security: there is no implicit default. A policy must say whether unmatched calls fail
    // (fail closed) or pass; without one there is no IR, so nothing can run under it.
    if (!defUnit && root.value && this.units.every((u) => u.value && !('default' in u.value))) {
      this.report(diag('SV3001', root.src.range([])));
    }
    // Check variables nobody used, without marking them used.
    for (const v of defs.values()) {
      if (v.used) continue;
      this.scope.expand(v.value, v.range);
      v.used = false;
    }
    const complete = !this.diagnostics.some((d) => d.severity === 'error' && d.code.startsWith('SV1'));
    const model: PolicyModel = { files: this.units.map((u) => u.file), rules, vars: [...defs.values()], context: this.ctx,
      complete };
    if (def) model.default = def;
    let index = 0;
    for (const r of rules) for (const p of r.parts) p.index = index++;
    const failed = this.diagnostics.some((d) => d.severity === 'error');
    if (failed || !def) return { model };
    const name = this.units.find((u) => u.name)?.name;
    const ir: PolicyIR = {
      ...(name !== undefined ? { name } : {}),
      files: model.files,
      default: { verdict: def.verdict, log: def.log, source: def.source },
      rules: rules.flatMap((r) => r.parts),
      ...(environment.length > 0 ? { environment } : {}),
    };
    return { ir, model };
  }

  /** A file's `environment:` section (environment.ts), its `set` values expanded; undefined without one. */
  private environmentLayer(u: Unit): EnvironmentLayer | undefined {
    if (!u.valid.has('environment') || !u.value) return undefined;
    const spec = u.value.environment as EnvironmentSpec;
    const set: Record<string, string> = {};
    for (const [name, value] of Object.entries(spec.set ?? {})) {
      const v = this.scope.expand(value, u.src.range(['environment', 'set', name]));
      if (v !== undefined) set[name] = v;
    }
    return { source: u.src.range(['environment']), set, keep: spec.keep ?? [], drop: spec.drop ?? [] };
  }

  private sectionEnv(u: Unit): SectionEnv {
    const valid = (key: string): unknown => (u.valid.has(key) && u.value ? u.value[key] : undefined);
    const env: SectionEnv = {
      file: u.file, src: u.src, report: this.report,
      pathValue: (p, op, range) => this.pathValue(p, op, range),
      hostPath: (p, range, what) => this.hostPath(p, range, u, what),
      compileClock: (spec, path) => this.compileClock(spec, path, u),
      endpoint: (text, range) => this.endpointPattern(text, range),
    };
    if (valid('filesystem') !== undefined) env.filesystem = valid('filesystem') as FilesystemSpec;
    if (valid('network') !== undefined) env.network = valid('network') as NetworkSpec;
    if (valid('identity') !== undefined) env.identity = valid('identity') as IdentitySpec;
    if (valid('time') !== undefined) env.time = valid('time') as ClockSpec;
    return env;
  }

  private resolveDefault(u: Unit, spec: unknown, path: YamlPath): ModelDefault | undefined {
    const src = u.src;
    const full = spec !== null && typeof spec === 'object' && 'action' in spec
      ? spec as { action: ActionSpec; log?: boolean; acknowledge?: string } : undefined;
    const action = full ? full.action : spec as ActionSpec;
    const verdict = this.compileAction(action, full ? [...path, 'action'] : path, u);
    if (!verdict) return undefined;
    const fits: Partial<Record<Emulation['kind'], Code>> = { uname: 'SV3009', identity: 'SV3011', time: 'SV3012',
      file: 'SV3013', bind: 'SV3014' };
    const code = verdict.kind === 'emulate' ? fits[verdict.emulate.kind] : undefined;
    if (code) {
      this.report(diag(code, src.range(path), { syscalls: 'every other call the default decides' }));
      return undefined;
    }
    if (verdict.kind === 'deny' && verdict.missing !== undefined) {
      // `missing` answers for a path a rule matched on; the default matches on nothing.
      const actionPath = full ? [...path, 'action'] : path;
      this.report(diag('SV3027', src.range([...actionPath, 'missing']), { errno: verdict.missing.errnoName }));
      return undefined;
    }
    const d: ModelDefault = { file: u.file, verdict, log: full?.log ?? false, source: src.range(path) };
    if (full?.acknowledge) d.acknowledge = { reason: full.acknowledge, range: src.range([...path, 'acknowledge']) };
    return d;
  }

  /** An errno written by name or number, or undefined after reporting an unknown one (SV2005). */
  private errnoOf(e: string | number, path: YamlPath, u: Unit): { errno: number; errnoName: string } | undefined {
    const n = typeof e === 'string' ? errnoNumber(e) : e;
    const name = typeof e === 'string' ? e : errnoName(e);
    if (n === undefined || name === undefined) { this.report(diag('SV2005', u.src.range(path), { name: String(e) })); return undefined; }
    return { errno: n, errnoName: name };
  }

  private compileAction(a: ActionSpec, path: YamlPath, u: Unit): Verdict | undefined {
    const src = u.src;
    if (a === 'allow' || a === 'kill' || a === 'trace') return { kind: a };
    if (a === 'deny') return { kind: 'deny', errno: errnoNumber('EPERM') ?? 1, errnoName: 'EPERM' };
    if ('deny' in a) {
      const deny = this.errnoOf(a.deny, [...path, 'deny'], u);
      if (a.missing === undefined) return deny === undefined ? undefined : { kind: 'deny', ...deny };
      const missing = this.errnoOf(a.missing, [...path, 'missing'], u);
      return deny === undefined || missing === undefined ? undefined : { kind: 'deny', ...deny, missing };
    }
    const em = a.emulate;
    if ('return' in em) {
      const v = em.return;
      if (typeof v === 'bigint') {
        this.report(diag('SV1003', src.range([...path, 'emulate', 'return']),
          { detail: `${describePath([...path, 'emulate', 'return'])}: ${v} is beyond what sysvm can return (±2^53)` }));
        return undefined;
      }
      return { kind: 'emulate', emulate: { kind: 'return', value: v } };
    }
    const ePath = [...path, 'emulate'];
    if ('identity' in em) return { kind: 'emulate', emulate: { kind: 'identity', identity: stripUndefined(em.identity) } };
    if ('time' in em) {
      const clock = this.compileClock(em.time, [...ePath, 'time'], u);
      return clock ? { kind: 'emulate', emulate: { kind: 'time', clock } } : undefined;
    }
    if ('file' in em) {
      if ('text' in em.file) return { kind: 'emulate', emulate: { kind: 'file', content: { text: em.file.text } } };
      const hostPath = this.hostPath(em.file.from, src.range([...ePath, 'file', 'from']), u, 'the virtual file\'s source');
      return hostPath ? { kind: 'emulate', emulate: { kind: 'file', content: { hostPath } } } : undefined;
    }
    if ('bind' in em) {
      const from = this.pathValue(em.bind.from, 'under', src.range([...ePath, 'bind', 'from']));
      const to = this.hostPath(em.bind.to, src.range([...ePath, 'bind', 'to']), u, 'the bind target');
      return from && to ? { kind: 'emulate', emulate: { kind: 'bind', from, to } } : undefined;
    }
    const fields: Partial<Record<UtsField, string>> = {};
    let ok = true;
    for (const [k, raw] of Object.entries(em.uname)) {
      if (raw === undefined) continue;
      const v = this.scope.expand(raw, src.range([...path, 'emulate', 'uname', k]));
      if (v === undefined) ok = false;
      else fields[k as UtsField] = v;
    }
    return ok ? { kind: 'emulate', emulate: { kind: 'uname', fields } } : undefined;
  }

  private resolveRule(u: Unit, spec: RuleSpec, index: number): ModelRule | undefined {
    const src = u.src;
    const base: YamlPath = ['rules', index];
    const errorsBefore = this.errorCount();
    const source = src.range(base);
    const label = spec.name !== undefined ? `rule '${spec.name}'` : `rule ${index + 1} (${shortFile(u.file)}:${source.line})`;

    // Syscalls and groups.
    const entries: [string, YamlPath][] = typeof spec.syscalls === 'string' ? [[spec.syscalls, [...base, 'syscalls']]]
      : spec.syscalls.map((s, j) => [s, [...base, 'syscalls', j]]);
    const named: string[] = [];
    const explicit = new Map<string, SourceRange>();
    const duplicates: string[] = [];
    const all = (): string[] => allSyscalls().map((s) => s.name);
    for (const [entry, path] of entries) {
      if (entry.startsWith('@')) {
        const members = expandGroup(entry, (n) => syscallByName(n) !== undefined, all);
        if (!members) {
          this.report(diag('SV2002', src.range(path), { name: entry, known: GROUP_NAMES.join(', ') },
            didYouMean(entry, GROUP_NAMES, `Known groups: ${GROUP_NAMES.join(', ')}.`)));
          continue;
        }
        for (const m of members) if (!named.includes(m)) named.push(m);
        continue;
      }
      if (!syscallByName(entry)) {
        this.report(diag('SV2001', src.range(path), { name: entry }, didYouMean(entry, all(), undefined)));
        continue;
      }
      if (explicit.has(entry)) duplicates.push(entry);
      else explicit.set(entry, src.range(path));
      if (!named.includes(entry)) named.push(entry);
    }

    // The alternatives of the match.
    const alts: { map: ConditionMapSpec; path: YamlPath }[] = spec.match === undefined ? []
      : Array.isArray(spec.match) ? spec.match.map((m, i) => ({ map: m, path: [...base, 'match', i] }))
        : [{ map: spec.match, path: [...base, 'match'] }];
    const infos = named.map((n) => syscallByName(n)!);
    // Argument names must be some argument of some syscall of the rule.
    const badKeys = new Set<string>();
    for (const alt of alts) {
      for (const key of Object.keys(alt.map)) {
        if (key === 'path' || infos.some((s) => argIndexOf(s, key) >= 0)) continue;
        if (key === 'addr' && infos.some((s) => SOCKADDR_CALLS[s.name] !== undefined)) continue;
        badKeys.add(key);
        const known = [...new Set(infos.flatMap(argNames))];
        const list = explicit.size > 0 ? [...explicit.keys()].join(', ') : 'the syscalls of this rule';
        this.report(diag('SV2003', src.keyRange(alt.path, key), { name: key, syscalls: list,
          known: known.slice(0, 24).join(', ') || '(none)' }, didYouMean(key, known, undefined)));
      }
    }

    const verdict = this.compileAction(spec.action, [...base, 'action'], u);

    // Per syscall: its compiled alternatives; syscalls with the same layout share an IR rule.
    // Syscalls whose arguments the catalogue describes alike, as far as the condition on a key
    // reads them (signatureOf), get the same conditions from compileCondition: it runs once per
    // signature, and each distinct result is serialised once (builtin:default's path rules
    // name a hundred calls each, with lists of directories).
    // A repeat would only report what the first reported (the same code at the same range:
    // `report` keeps one of those), so the diagnostics are the same.
    const conditionsBySignature = new Map<string, { conds: Condition[] | 'missing'; id: number; json?: string }>();
    // Per syscall, each alternative kept: the JSON of each of its conditions (made once per
    // compileCondition result); the layout's key is their JSON.stringify, put together.
    let altJson: string[][] = [];
    const layoutKeys = new Map<string, string>();
    const layouts = new Map<string, { syscalls: string[]; match: CompiledAlt[] | null }>();
    for (const s of infos) {
      let compiled: CompiledAlt[] | null = null;
      const ids: string[] = [];
      altJson = [];
      if (alts.length > 0) {
        compiled = [];
        for (const [altIndex, alt] of alts.entries()) {
          const conds: Condition[] = [];
          const json: string[] = [];
          let dropped = false;
          for (const [key, cspec] of Object.entries(alt.map)) {
            if (badKeys.has(key)) { dropped = true; continue; }
            const memoKey = `${altIndex}\0${key}\0${signatureOf(s, key)}`;
            let memo = conditionsBySignature.get(memoKey);
            if (memo === undefined) {
              memo = { conds: this.compileCondition(s, key, cspec, [...alt.path, key], u), id: conditionsBySignature.size };
              conditionsBySignature.set(memoKey, memo);
            }
            ids.push(String(memo.id));
            const r = memo.conds;
            if (r === 'missing') {
              dropped = true;
              const at = explicit.get(s.name);
              if (at) {
                const what = key === 'path' ? 'path argument' : key === 'addr' ? 'socket address' : `argument '${key}'`;
                this.report(diag('SV3003', at, { syscall: s.name, what,
                  known: argNames(s).join(', ') || '(no known arguments)' }));
              }
            } else {
              conds.push(...r);
              if (r.length > 0) json.push(memo.json ??= r.map((c) => JSON.stringify(c, bigintText)).join(','));
            }
          }
          if (!dropped) {
            compiled.push(conds);
            altJson.push(json);
          }
          ids.push(dropped ? 'x' : '|');
        }
        if (compiled.length === 0) continue;
      }
      // (the same conditions, alternative by alternative, serialise the same)
      const idKey = ids.join(',');
      let key = layoutKeys.get(idKey);
      if (key === undefined) {
        // = JSON.stringify(compiled, bigintText), one condition at a time
        key = compiled === null ? 'null' : `[${altJson.map((j) => `[${j.join(',')}]`).join(',')}]`;
        layoutKeys.set(idKey, key);
      }
      const layout = layouts.get(key);
      if (layout) layout.syscalls.push(s.name);
      else layouts.set(key, { syscalls: [s.name], match: compiled });
    }
    if (verdict?.kind === 'emulate') {
      this.checkEmulationFits(verdict.emulate, named, [...layouts.values()], src.range([...base, 'syscalls']));
    }
    if (this.errorCount() > errorsBefore || !verdict) return undefined;
    if (layouts.size === 0 && named.length > 0 && alts.length > 0) {
      this.report(diag('SV3008', src.range([...base, 'syscalls']), {
        syscalls: entries.map(([e]) => e).join(', '), args: [...new Set(alts.flatMap((a) => Object.keys(a.map)))].join(', '),
      }));
    }
    const log = spec.log ?? false;
    const parts: RuleIR[] = [...layouts.values()].map((l) => ({
      index: 0, ...(spec.name !== undefined ? { name: spec.name } : {}), source, syscalls: l.syscalls,
      match: l.match, verdict, log, ...(spec.quiet === true ? { quiet: true as const } : {}),
    }));
    const r: ModelRule = { file: u.file, indexInFile: index, label, source, syscallsRange: src.range([...base, 'syscalls']),
      explicit: new Set(explicit.keys()), named, duplicates, verdict, log, parts };
    if (spec.name !== undefined) r.name = spec.name;
    if (spec.acknowledge !== undefined) r.acknowledge = { reason: spec.acknowledge, range: src.range([...base, 'acknowledge']) };
    if (spec.quiet === true) r.quiet = src.range([...base, 'quiet']);
    if (verdict?.kind === 'deny' && verdict.missing !== undefined) r.missingRange = src.range([...base, 'action', 'missing']);
    return r;
  }

  /**
   * Whether an emulation fits the calls of its rule (SV3009, SV3011-SV3015). A bind must be
   * limited to paths under its `from`: on any other path the remap means nothing, and on a
   * call with two paths the other path would escape the policy's checks (the supervisor makes
   * the call), so every path argument must be under `from`.
   */
  checkEmulationFits(e: Emulation, named: readonly string[], layouts: { syscalls: string[]; match: CompiledAlt[] | null }[],
    at: SourceRange): void {
    const fits: Partial<Record<Emulation['kind'], [readonly string[], Code]>> = {
      uname: [UNAME_CALLS, 'SV3009'], identity: [IDENTITY_CALLS, 'SV3011'], time: [TIME_CALLS, 'SV3012'],
      file: [FILE_CALLS, 'SV3013'], bind: [FS_PATH_CALLS, 'SV3014'],
    };
    const fit = fits[e.kind];
    if (!fit) return;
    const others = named.filter((n) => !fit[0].includes(n));
    if (others.length > 0) {
      this.report(diag(fit[1], at, { syscalls: listNames(others) }));
      return;
    }
    if (e.kind !== 'bind') return;
    const unscoped = new Set<string>();
    let what = 'path';
    for (const l of layouts) {
      for (const name of l.syscalls) {
        const pathArgs = (syscallByName(name)?.args ?? []).flatMap((a, i) => (a.kind === 'path' ? [i] : []));
        if (pathArgs.length > 1) what = 'paths';
        const scoped = l.match !== null && l.match.every((alt) => pathArgs.every((i) => alt.some((c) => c.kind === 'path'
          && c.args.length === 1 && c.args[0] === i && (c.op === 'under' || c.op === 'equals')
          && c.values.every((v) => pathUnder(v, e.from)))));
        if (!scoped) unscoped.add(name);
      }
    }
    if (unscoped.size > 0) this.report(diag('SV3015', at, { from: e.from, syscalls: listNames([...unscoped]), what }));
  }

  private errorCount(): number {
    return this.diagnostics.filter((d) => d.severity === 'error').length;
  }

  /**
   * The conditions one `arg: {...}` entry makes for syscall `s`, or 'missing' if `s` lacks the
   * argument. What it reads of `s` (with compileAddrCondition) is what signatureOf takes, so
   * that resolveRule can compile a condition once for all syscalls of the same signature:
   * keep the two in step.
   */
  private compileCondition(s: SyscallInfo, key: string, cspec: ConditionSpec, path: YamlPath, u: Unit)
    : Condition[] | 'missing' {
    const src = u.src;
    const addr = this.compileAddrCondition(s, key, cspec, path, u);
    if (addr !== undefined) return addr;
    let pathArgs: number[] = [];
    let argIndex = -1;
    if (key === 'path') {
      pathArgs = (s.args ?? []).flatMap((a, i) => (a.kind === 'path' ? [i] : []));
      if (pathArgs.length === 0) return 'missing';
    } else {
      argIndex = argIndexOf(s, key);
      if (argIndex < 0) return 'missing';
      if (s.args![argIndex]!.kind === 'path') pathArgs = [argIndex];
    }
    const isPath = pathArgs.length > 0;
    // An fd argument takes integer operators, and also conditions on what the supervisor
    // knows of the fd: `virtual` and the path operators (the path it was opened with).
    const isFd = !isPath && s.args![argIndex]!.kind === 'fd';
    // Scalar shorthand: `eq` for integers, `equals` for paths.
    const ops: [string, unknown, YamlPath][] = typeof cspec === 'object' && typeof cspec !== 'bigint'
      ? Object.entries(cspec).filter(([, v]) => v !== undefined).map(([op, v]) => [op, v, [...path, op]])
      : [[isPath && typeof cspec === 'string' ? 'equals' : typeof cspec === 'string' && cspec.startsWith('/') ? 'equals' : 'eq', cspec, path]];
    const out: Condition[] = [];
    for (const [op, value, opPath] of ops) {
      const range = src.range(opPath);
      const argName = key === 'path' ? 'path' : key;
      if (op === 'virtual' || (isFd && PATH_OPS.has(op))) {
        if (!isFd) {
          const argKind = isPath ? 'a path' : `an integer (${s.args![argIndex]!.ctype})`;
          this.report(diag('SV3002', src.keyRange(path, op), { op, opKind: 'a file-descriptor', arg: argName, syscall: s.name,
            argKind, fix: '`virtual:` is for file-descriptor arguments (fd of read, write, fstat, mmap, ...).' }));
          continue;
        }
        if (op === 'virtual') {
          out.push({ kind: 'fd', arg: argIndex, virtual: value as boolean, source: range } satisfies FdCondition);
          continue;
        }
        const list = (Array.isArray(value) ? value : [value]) as string[];
        const values = this.pathValueList(list, op, (i) => (Array.isArray(value) ? src.range([...opPath, i]) : range));
        if (values) out.push({ kind: 'fd', arg: argIndex, op: op as FdCondition['op'] & string, values, source: range } satisfies FdCondition);
        continue;
      }
      if (isPath !== PATH_OPS.has(op)) {
        const argKind = isPath ? 'a path' : `an integer (${s.args![argIndex]!.ctype})`;
        const fix = isPath ? 'On a path use equals, under or glob.'
          : 'On an integer use eq, ne, lt, le, gt, ge, in, not-in, all, any or none; `path:` matches the path argument(s).';
        this.report(diag('SV3002', opPath !== path ? src.keyRange(path, op) : range, { op, opKind: PATH_OPS.has(op) ? 'a path' : 'an integer', arg: argName, syscall: s.name, argKind, fix }));
        continue;
      }
      if (isPath) {
        const list = (Array.isArray(value) ? value : [value]) as string[];
        const values = this.pathValueList(list, op, (i) => (Array.isArray(value) ? src.range([...opPath, i]) : range));
        if (values) {
          const c: PathCondition = { kind: 'path', args: pathArgs, op: op as PathCondition['op'], values, source: range };
          out.push(c);
        }
        continue;
      }
      const arg = s.args![argIndex]!;
      const listOp = op === 'in' || op === 'not-in';
      const bitOp = op === 'all' || op === 'any' || op === 'none';
      const raw = (Array.isArray(value) ? value : [value]) as IntValueSpec[];
      const vals: bigint[] = [];
      raw.forEach((v, i) => {
        const vr = Array.isArray(value) ? src.range([...opPath, i]) : range;
        const n = this.intValue(v, arg, key, s, vr);
        if (n !== undefined) vals.push(n);
        // An order comparison of an unsigned argument with a negative number is almost
        // always a mistake: -1 on a size_t is 0xffffffffffffffff, the largest value.
        if (n !== undefined && !arg.signed && ORDER_OPS.has(op) && typeof v !== 'string' && BigInt(v) < 0n) {
          this.report(diag('SV3010', vr, { value: String(v), arg: key, syscall: s.name, op,
            unsigned: `0x${n.toString(16)}` }));
        }
      });
      if (vals.length !== raw.length) continue;
      const values = bitOp ? [vals.reduce((a, b) => a | b, 0n)] : listOp ? vals : vals.slice(0, 1);
      const c: IntCondition = { kind: 'int', arg: argIndex, argName: arg.name, op: op as IntCondition['op'], values,
        width: arg.width, signed: arg.signed, source: range };
      out.push(c);
    }
    return out;
  }

  /**
   * `addr:` (or the kernel's name of the sockaddr argument: uservaddr, umyaddr) on a call
   * that names a socket address: a SockaddrCondition. Undefined when this is not one (an
   * integer condition on sendto's `addr` pointer stays an integer condition).
   */
  private compileAddrCondition(s: SyscallInfo, key: string, cspec: ConditionSpec, path: YamlPath, u: Unit)
    : Condition[] | 'missing' | undefined {
    const src = u.src;
    const sockArg = SOCKADDR_CALLS[s.name];
    const own = argIndexOf(s, key);
    const names = key === 'addr' || (own >= 0 && own === sockArg && s.args![own]!.kind === 'sockaddr');
    if (!names) return undefined;
    const objectSpec = typeof cspec === 'object' && typeof cspec !== 'bigint' ? cspec as Record<string, unknown> : undefined;
    const addressy = typeof cspec === 'string' || (objectSpec !== undefined
      && Object.keys(objectSpec).some((op) => ADDR_OPS.has(op) || PATH_OPS.has(op)));
    if (!addressy) {
      if (sockArg === undefined) return own >= 0 ? undefined : 'missing';
      if (own >= 0) return undefined; // sendto's `addr` pointer as an integer
      const ops = objectSpec ? Object.keys(objectSpec) : [String(cspec)];
      for (const op of ops) {
        this.report(diag('SV3002', objectSpec ? src.keyRange(path, op) : src.range(path), { op: objectSpec ? op : 'eq',
          opKind: 'an integer', arg: key, syscall: s.name, argKind: 'a socket address',
          fix: 'On a socket address use family, cidr, port, and equals, under or glob for unix socket paths; or a string like "10.0.0.0/8:443".' }));
      }
      return [];
    }
    if (sockArg === undefined) return 'missing';
    const before = this.errorCount();
    const pattern: SockaddrPattern = {};
    if (typeof cspec === 'string') {
      const range = src.range(path);
      const fam = familyName(cspec);
      if (fam !== undefined) pattern.families = [fam];
      else {
        const p = this.endpointPattern(cspec, range);
        if (!p) return [];
        Object.assign(pattern, p);
      }
    } else if (objectSpec) {
      for (const [op, value] of Object.entries(objectSpec)) {
        if (value === undefined) continue;
        const opPath = [...path, op];
        const list = (Array.isArray(value) ? value : [value]) as unknown[];
        const at = (i: number): SourceRange => src.range(Array.isArray(value) ? [...opPath, i] : opPath);
        if (op === 'family') {
          const fams = list.flatMap((f, i) => {
            const n = familyName(String(f));
            if (n === undefined) this.report(diag('SV3023', at(i), { name: String(f) }, didYouMean(String(f), [...FAMILY_NAMES], undefined)));
            return n === undefined ? [] : [n];
          });
          pattern.families = [...new Set(fams)];
        } else if (op === 'cidr') {
          pattern.cidrs = list.flatMap((c, i) => {
            const r = parseCidr(String(c));
            if (!('reason' in r)) return [r];
            this.report(r.reason.startsWith('a host name')
              ? diag('SV3018', at(i), { text: String(c) }) : diag('SV3021', at(i), { text: String(c), reason: r.reason }));
            return [];
          });
        } else if (op === 'port') {
          pattern.ports = list.flatMap((p, i) => {
            const r = parsePorts(p as number | string);
            if (!('reason' in r)) return [r];
            this.report(diag('SV3022', at(i), { text: String(p), reason: r.reason }));
            return [];
          });
        } else if (PATH_OPS.has(op)) {
          const values = list.flatMap((p, i) => {
            const text = String(p);
            // Abstract unix socket names (`@name`) are not paths: matched as written.
            if (text.startsWith('@')) return [text];
            return this.pathValue(text, op, at(i)) ?? [];
          });
          pattern.op = op as PathOp;
          pattern.values = values;
        } else {
          this.report(diag('SV3002', src.keyRange(path, op), { op, opKind: 'an integer', arg: key, syscall: s.name,
            argKind: 'a socket address', fix: 'On a socket address use family, cidr, port, and equals, under or glob for unix socket paths.' }));
        }
      }
    }
    if (this.errorCount() > before) return [];
    const fams = pattern.families;
    const ipOnly = (pattern.cidrs !== undefined || pattern.ports !== undefined);
    const reason = ipOnly && pattern.op !== undefined ? 'it asks for an IP address or port and a unix path at once'
      : ipOnly && fams && !fams.some((f) => f === 'inet' || f === 'inet6' || f === 'unspec') ? `family ${fams.join(', ')} has no IP address or port`
        : pattern.op !== undefined && fams && !fams.includes('unix') ? `a unix path, but family ${fams.join(', ')}` : undefined;
    if (reason) this.report(diag('SV3026', src.range(path), { reason }));
    const c: SockaddrCondition = { kind: 'sockaddr', arg: sockArg, patterns: [pattern], negate: false, source: src.range(path) };
    return [c];
  }

  /** The pattern of one endpoint string (`10.0.0.0/8:443`, `/run/x.sock`), reporting what is wrong. */
  endpointPattern(text: string, range: SourceRange): SockaddrPattern | undefined {
    const e = parseEndpoint(text);
    if ('reason' in e) {
      const host = /^'([^']*)': a host name/.exec(e.reason);
      this.report(host ? diag('SV3018', range, { text: host[1]! }) : diag('SV3024', range, { text, reason: e.reason }));
      return undefined;
    }
    if (e.kind === 'unix') {
      if (e.path.startsWith('@')) return { families: ['unix'], op: 'equals', values: [e.path] };
      const p = this.pathValue(e.path, 'under', range);
      return p === undefined ? undefined : { families: ['unix'], op: 'under', values: [p] };
    }
    return { ...(e.cidr ? { cidrs: [e.cidr] } : {}), ...(e.ports ? { ports: [e.ports] } : {}) };
  }

  /** `shown` is the argument's name as the policy wrote it (an alias such as `domain`, or the kernel's). */
  private intValue(v: IntValueSpec, arg: ArgInfo, shown: string, s: SyscallInfo, range: SourceRange): bigint | undefined {
    let n: bigint;
    if (typeof v === 'string') {
      const c = constant(v);
      if (c === undefined) {
        const family = arg.constPrefix ? constantsWithPrefix(arg.constPrefix).map(([k]) => k) : [];
        const fallback = family.length > 0 ? `'${shown}' of ${s.name} takes ${arg.constPrefix}* constants, e.g. ${family.slice(0, 6).join(', ')}.` : undefined;
        this.report(diag('SV2004', range, { name: v }, didYouMean(v, family, fallback)));
        return undefined;
      }
      if (arg.constPrefix && !v.startsWith(arg.constPrefix)) {
        this.report(diag('SV3006', range, { name: v, prefix: arg.constPrefix, arg: shown, syscall: s.name }));
      }
      n = c;
    } else n = BigInt(v);
    const w = BigInt(arg.width);
    const min = -(1n << (w - 1n));
    const max = (1n << w) - 1n;
    if (n < min || n > max) {
      const written = typeof v === 'string' ? v : n < 0n || n < 0x10000n ? String(n) : `0x${n.toString(16)}`;
      this.report(diag('SV3005', range, { value: written, width: arg.width, arg: shown, syscall: s.name }));
      return undefined;
    }
    return BigInt.asUintN(arg.width, n);
  }

  /** `{offset}` or `{frozen}` -> the IR's clock, reporting bad durations and timestamps. */
  compileClock(spec: ClockSpec, path: YamlPath, u: Unit): VirtualClock | undefined {
    if ('offset' in spec) {
      const range = u.src.range([...path, 'offset']);
      const ns = typeof spec.offset === 'string' ? parseDuration(spec.offset) : undefined;
      if (ns === undefined) {
        this.report(diag('SV3016', range, { text: String(spec.offset) }, typeof spec.offset === 'number'
          ? `A duration needs a unit: ${spec.offset}s, ${spec.offset}m, ${spec.offset}h, ${spec.offset}d or ${spec.offset}w.` : undefined));
        return undefined;
      }
      return { kind: 'offset', offsetNs: ns, files: spec.files ?? true };
    }
    const range = u.src.range([...path, 'frozen']);
    const r = typeof spec.frozen === 'string' ? parseTimestamp(spec.frozen) : { reason: 'it is a number, not a date and time' };
    if ('reason' in r) {
      this.report(diag('SV3017', range, { text: String(spec.frozen), reason: r.reason }));
      return undefined;
    }
    return { kind: 'frozen', epochNs: r.ns };
  }

  /**
   * A host path of the policy (a virtual file's source, a bind target): variables and `~`
   * expanded, relative to the directory of the file that names it, normalised. A path that
   * does not exist is a warning: the program will see errors until it does. Not one in
   * ${tmp}: `sysvm run` makes a new ${tmp} for each run (with builtin:default's `.shm` in
   * it), so what is there before the run (`sysvm lint`: nothing) says nothing of what the
   * run will have.
   */
  hostPath(p: string, range: SourceRange, u: Unit, what: string): string | undefined {
    const expanded = this.scope.expand(p, range);
    if (expanded === undefined) return undefined;
    const dir = u.file.startsWith(BUILTIN_PREFIX) ? BUILTIN_DIR : dirname(resolvePath(u.file));
    const abs = normalisePath(resolvePath(dir, expandTilde(expanded, this.ctx.home)));
    if (!pathUnder(abs, normalisePath(this.ctx.tmp)) && !existsSync(abs)) this.report(diag('SV3019', range, { what, path: p, dir }));
    return abs;
  }

  /**
   * The values of a rule's path condition (`equals`, `under`, `glob` on a path or an fd), or
   * undefined after reporting what is wrong. `${tty}` as a whole entry of `equals` or
   * `under` stands for every terminal of the context, which may be none.
   *
   * Security: the result may then be empty, and an empty list matches no path (pathMatches:
   * `equals` and `under` of nothing hold for no path), so the condition holds for no call: a
   * rule naming only ${tty} allows nothing when there is no terminal. It never becomes a
   * missing condition (that would match every path), nor `/`.
   */
  pathValueList(list: readonly string[], op: string, rangeOf: (i: number) => SourceRange): string[] | undefined {
    const values: string[] = [];
    let ok = true;
    list.forEach((p, i) => {
      const range = rangeOf(i);
      if (p !== TTY_REF) {
        const v = this.pathValue(p, op, range);
        if (v === undefined) ok = false;
        else values.push(v);
        return;
      }
      if (op === 'glob') {
        // A terminal's path is a literal, not a pattern.
        this.report(diag('SV2013', range, {}));
        ok = false;
        return;
      }
      for (const t of this.ctx.tty) {
        const v = this.absolutePath(t, p, op, range);
        if (v === undefined) ok = false;
        else if (!values.includes(v)) values.push(v);
      }
    });
    return ok ? values : undefined;
  }

  pathValue(p: string, op: string, range: SourceRange): string | undefined {
    const expanded = this.scope.expand(p, range);
    if (expanded === undefined) return undefined;
    return this.absolutePath(expanded, p, op, range);
  }

  /** An expanded path value, absolute and normalised (a glob checked), or undefined after reporting why not. */
  private absolutePath(expanded: string, p: string, op: string, range: SourceRange): string | undefined {
    const abs = expandTilde(expanded, this.ctx.home);
    if (!abs.startsWith('/')) {
      this.report(diag('SV3004', range, { path: p.replace(/^\.\//, '') }));
      return undefined;
    }
    if (op === 'glob') {
      const problem = globProblem(abs);
      if (problem) { this.report(diag('SV3007', range, { glob: p, reason: problem })); return undefined; }
      return normaliseGlob(abs);
    }
    return normalisePath(abs);
  }
}

const shortFile = (f: string): string => f.split('/').pop() ?? f;
const listNames = (names: readonly string[], max = 6): string =>
  names.length <= max ? names.join(', ') : `${names.slice(0, max).join(', ')} and ${names.length - max} more`;

/** A copy without the keys whose value is undefined (zod leaves absent optionals out already). */
function stripUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/**
 * Load a policy and everything it extends, and compile it to PolicyIR.
 * `source` is a file path, `builtin:NAME`, or `{file, text}`. Never throws on bad input:
 * every problem is a diagnostic, and a policy with an error has no `ir`.
 */
export function loadPolicy(source: string | PolicyText, options: LoadOptions = {}): LoadResult {
  const r = new Resolver(options);
  let root: PolicyText | undefined;
  if (typeof source !== 'string') root = source;
  else if (source.startsWith(BUILTIN_PREFIX)) {
    const text = builtinText(source.slice(BUILTIN_PREFIX.length));
    if (text !== undefined) root = { file: source, text };
    else r.report(diag('SV2009', { file: source, line: 1, column: 1, endLine: 1, endColumn: 1 },
      { name: source.slice(BUILTIN_PREFIX.length), known: builtinNames().map((n) => BUILTIN_PREFIX + n).join(', ') }));
  } else {
    try {
      root = { file: source, text: (options.readFile ?? ((p: string) => readFileSync(p, 'utf8')))(source) };
    } catch (e) {
      const reason = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : String((e as Error).message);
      r.report(diag('SV2008', { file: source, line: 1, column: 1, endLine: 1, endColumn: 1 }, { file: source, reason }));
    }
  }
  if (!root) {
    const ctx = { ...defaultContext(), ...options.context };
    return { diagnostics: r.diagnostics, sources: r.sources,
      model: { files: [], rules: [], vars: [], context: ctx, complete: false } };
  }
  r.loadAll(root);
  const { ir, model } = r.resolve();
  const result: LoadResult = { diagnostics: sortDiagnostics(r.diagnostics), sources: r.sources, model };
  if (ir) result.ir = ir;
  return result;
}

export type { Code };
