// The bridge from a compiled sysvm policy (PolicyIR) to what the tracer thread runs: the
// seccomp-BPF prefilter from @sysvm/policy's compiler and its `evaluate` as the decision
// function. The IR crosses into the worker thread by structured clone (bigints included);
// the worker imports this module and calls `createSupervisorPolicy`.
import { abi, decider, type EvaluateOptions, isDenyLike, namedSyscalls, type PolicyIR, safetyDefault } from '@sysvm/policy/evaluate';
import type { Condition, Decision, Invocation, RuleIR } from '@sysvm/policy/evaluate';
import { vmWorldFromIR } from './emulate/index.js';
import { resolveAbsolute } from './tracer/paths.js';
import type { ModulePolicy, SupervisorPolicy } from './types.js';

export interface IrPolicyOptions {
  ir: PolicyIR;
  /**
   * The seccomp-BPF prefilter of this very `ir` (struct sock_filter[], as @sysvm/policy's
   * compileBpf and bpf.toSockFilter make it), when the caller has it already: `sysvm run`
   * keeps the two together in its cache. The tracer thread then neither loads nor runs the
   * compiler. Without it the prefilter is compiled here.
   */
  filter?: Uint8Array;
}

/** The prefilter of `ir`, compiled (the compiler is loaded only when needed). */
async function compileFilter(ir: PolicyIR): Promise<Uint8Array> {
  const { bpf, compileBpf } = await import('@sysvm/policy/compile');
  return bpf.toSockFilter(compileBpf(ir, 'x86_64').program);
}

/**
 * Invariant: the prefilter and `decide` come from the same IR (a given `filter` must be the
 * compiled `ir`), and the compiler's differential tests hold them to the same decisions; so
 * a call the kernel sends to the supervisor is decided by the same rule order the prefilter
 * followed.
 */
export async function createSupervisorPolicy(options: IrPolicyOptions): Promise<SupervisorPolicy> {
  const { ir } = options;
  const filter = options.filter ?? await compileFilter(ir);
  const named = namedSyscalls(ir);
  const { judged, forCaller } = judgedPolicy(ir);
  return {
    filter,
    decide: forCaller === undefined ? decider(judged, X86_64) : callerDecider(forCaller),
    silentAllow: silentAllows(ir, named),
    allowPtrace: named.has('ptrace'),
    allowIoUring: named.has('io_uring_setup'),
    vm: vmWorldFromIR(ir),
  };
}

const X86_64: EvaluateOptions = { native: 'x86_64' };

/** `evaluate` with each caller's IR (callerSpecific), by a decider made once per IR. */
function callerDecider(forCaller: (pid: number, tid: number) => PolicyIR): SupervisorPolicy['decide'] {
  const made = new WeakMap<PolicyIR, (inv: Invocation) => Decision>();
  return (inv, ctx) => {
    const ir = forCaller(ctx.pid, ctx.tid);
    let d = made.get(ir);
    if (d === undefined) made.set(ir, d = decider(ir, X86_64));
    return d(inv);
  };
}

/**
 * The IR the supervisor decides a call with, made when a run starts: `ir` with the host names
 * of its deny rules' paths (withHostNames) and, when it names /proc/self or
 * /proc/thread-self, `forCaller`, that IR for the calling process and thread
 * (callerSpecific). `sysvm test` and `sysvm explain` decide with it too, so that they give
 * the verdict `sysvm run` gives.
 */
export function judgedPolicy(ir: PolicyIR): { judged: PolicyIR; forCaller?: (pid: number, tid: number) => PolicyIR } {
  const judged = withHostNames(ir);
  const forCaller = callerSpecific(judged);
  return forCaller === undefined ? { judged } : { judged, forCaller };
}

/**
 * The x86_64 calls `evaluate` allows silently whatever their arguments: it decides an
 * x86_64 call (no guard applies: the tracer denies other ABIs and x32 itself) by the
 * rules naming it, then the io_uring safety default, then the policy's default. With no
 * rule and no safety default, the default decides: a silent allow when it is an unlogged
 * allow.
 */
function silentAllows(ir: PolicyIR, named: Set<string>): Uint8Array {
  const out = new Uint8Array(1024);
  if (ir.default.verdict.kind !== 'allow' || ir.default.log) return out;
  for (const s of abi.allSyscalls()) {
    const nr = s.nr.x86_64;
    if (nr === undefined || nr < 0 || nr >= out.length) continue;
    if (named.has(s.name) || safetyDefault(ir, s.name) !== undefined) continue;
    // The name evaluate() will look up for this number must be this one.
    if (abi.syscallName('x86_64', nr) !== s.name) continue;
    out[nr] = 1;
  }
  return out;
}

/**
 * A policy source for `spawn`/`run` from a compiled policy; `filter`, when given, must be the
 * compiled `ir` (see IrPolicyOptions). Its paths are as its loader expanded them: `${tty}`
 * (rule own-terminal of builtin:default) is the terminals of the loader's context, by
 * default those of the loading process's fds 0-2 (@sysvm/policy's `terminalPaths`), whatever
 * stdio the program gets here; with stdio other than 'inherit' from that terminal, load with
 * `context: { tty: [] }`.
 */
export function policyFromIR(ir: PolicyIR, filter?: Uint8Array): ModulePolicy {
  // the worker runs built JavaScript: from the TypeScript source (tests) use dist/
  const here = import.meta.url;
  const module = here.endsWith('.ts') ? new URL('../dist/policy-module.js', here) : new URL('./policy-module.js', here);
  return { module, options: { ir, ...(filter ? { filter } : {}) } satisfies IrPolicyOptions };
}

/**
 * The rule path of `value` as the supervisor's walk names that object on this host, or
 * undefined when it is the same: the longest literal prefix (up to the first component with
 * a wildcard) resolved as a following call would (symlinks in it replaced by their targets),
 * the rest appended. Not for a path under /proc: its `self` would resolve as the supervisor.
 */
function hostName(value: string): string | undefined {
  if (!value.startsWith('/') || value === '/proc' || value.startsWith('/proc/')) return undefined;
  const segs = value.split('/');
  const wild = segs.findIndex((x) => /[*?]/.test(x));
  const prefix = wild < 0 ? value : segs.slice(0, wild).join('/') || '/';
  let real: string;
  try {
    real = resolveAbsolute(prefix, true);
  } catch {
    return undefined; // unreadable: the rule keeps its own name only
  }
  if (real === prefix) return undefined;
  const rest = wild < 0 ? [] : segs.slice(wild);
  return rest.length === 0 ? real : `${real === '/' ? '' : real}/${rest.join('/')}`;
}

/** `/proc/self` and `/proc/thread-self` at the start of a rule's path value. */
const PROC_SELF = /^\/proc\/(self|thread-self)(?=\/|$)/;

/** The IR's conditions with every path value passed through `f` (which adds to a list). */
function mapValues(ir: PolicyIR, f: (values: readonly string[]) => readonly string[], only?: (r: RuleIR, c: Condition) => boolean): PolicyIR {
  let changed = false;
  const rules = ir.rules.map((r): RuleIR => {
    if (r.match === null) return r;
    let differs = false;
    const match = r.match.map((alt) => alt.map((c) => {
      if (only !== undefined && !only(r, c)) return c;
      const h = mapCondition(c, f);
      if (h !== c) differs = true;
      return h;
    }));
    if (!differs) return r;
    changed = true;
    return { ...r, match };
  });
  return changed ? { ...ir, rules } : ir;
}

/**
 * For a policy with path values under /proc/self or /proc/thread-self: the IR for one
 * caller, those values also as /proc/PID and /proc/PID/task/TID (cached per caller);
 * undefined for a policy without any (the common case: no cost).
 *
 * Security: the walk resolves a procfs's `self` to the caller (tracer/paths.ts), so the
 * supervisor judges /proc/PID/environ; a rule on /proc/self/environ, compared as text,
 * never matched it: a deny rule there silently never fired (`cat /proc/self/environ` read).
 */
function callerSpecific(ir: PolicyIR): ((pid: number, tid: number) => PolicyIR) | undefined {
  let self = false;
  let thread = false;
  mapValues(ir, (values) => {
    for (const v of values) {
      const m = PROC_SELF.exec(v);
      if (m?.[1] === 'self') self = true;
      else if (m) thread = true;
    }
    return values;
  });
  if (!self && !thread) return undefined;
  const cache = new Map<string, PolicyIR>();
  return (pid, tid) => {
    const key = thread ? `${pid}/${tid}` : `${pid}`;
    let one = cache.get(key);
    if (one === undefined) {
      one = mapValues(ir, (values) => {
        const added = values.filter((v) => PROC_SELF.test(v))
          .map((v) => v.replace(PROC_SELF, (_m, which: string) => (which === 'self' ? `/proc/${pid}` : `/proc/${pid}/task/${tid}`)));
        return added.length === 0 ? values : [...values, ...added];
      });
      if (cache.size >= 4096) cache.clear(); // threads come and go: no unbounded growth
      cache.set(key, one);
    }
    return one;
  };
}

/** `values` with the host names added, or `values` itself when none differs. */
function withNames(values: readonly string[]): readonly string[] {
  const added = values.map(hostName).filter((h): h is string => h !== undefined && !values.includes(h));
  return added.length === 0 ? values : [...values, ...new Set(added)];
}

/** `c` with its path values (paths, fd paths, unix socket paths) passed through `f`; `c` itself when none changed. */
function mapCondition(c: Condition, f: (values: readonly string[]) => readonly string[]): Condition {
  if (c.kind === 'path') {
    const values = f(c.values);
    return values === c.values ? c : { ...c, values: [...values] };
  }
  if (c.kind === 'fd' && c.values !== undefined) {
    const values = f(c.values);
    return values === c.values ? c : { ...c, values: [...values] };
  }
  if (c.kind === 'sockaddr') {
    let changed = false;
    const patterns = c.patterns.map((p) => {
      if (p.values === undefined) return p;
      const values = f(p.values);
      if (values === p.values) return p;
      changed = true;
      return { ...p, values: [...values] };
    });
    return changed ? { ...c, patterns } : c;
  }
  return c;
}

/**
 * The IR the supervisor judges with: every path value of a condition (paths, fd paths, unix
 * socket paths) also under the name the walk gives that object on this host.
 *
 * Security: the supervisor judges the path a call resolves to, canonical (tracer/paths.ts:
 * every symlink replaced by its target), while the policy's paths are only normalised
 * lexically (a policy is written and linted away from the host). A rule on a path through a
 * symlink (`under: /var/run/x`, /var/run -> /run; `/home/u/proj` -> /data/proj) never met the
 * walk's /run/x: a deny rule silently never fired, even for the name it was written with.
 * The rule's own name stays too (what a call that does not follow its last symlink names).
 * Only where more names make the policy stricter: the conditions of deny-like rules (not a
 * negated address list, `deny all but X`). A passing rule keeps its written names: a symlink
 * resolved when the run starts is the host's say, possibly a planted /tmp/x -> /etc, and
 * must not widen what a rule allows (its written paths, compared as before, fail closed).
 * Resolved once, when the run starts; rule indices (SECCOMP_RET_DATA) are unchanged, and the
 * prefilter is the same (it never sees paths).
 */
export function withHostNames(ir: PolicyIR): PolicyIR {
  return mapValues(ir, withNames, (r, c) => isDenyLike(r.verdict) && !(c.kind === 'sockaddr' && c.negate));
}
