// Builders for literal IR in the BPF/evaluate tests (the front end is not involved),
// and a runner that puts an invocation through the compiled program.
import { syscallNumber } from '../src/abi/index.js';
import { compileBpf, type CompiledBpf } from '../src/compile/bpf.js';
import { runBpf } from '../src/bpf/interp.js';
import { auditArch } from '../src/compile/safety.js';
import type {
  ArchName, Condition, IntCondition, IntOp, Invocation, PathCondition, PathOp, PolicyIR, RuleIR, SourceRange, Verdict,
} from '../src/ir.js';

export const src = (line = 1): SourceRange => ({ file: 'test.yaml', line, column: 1, endLine: line, endColumn: 10 });

export const ALLOW: Verdict = { kind: 'allow' };
export const KILL: Verdict = { kind: 'kill' };
export const TRACE: Verdict = { kind: 'trace' };
export const deny = (errno: number, errnoName = `E${errno}`): Verdict => ({ kind: 'deny', errno, errnoName });
export const emulateReturn = (value: number): Verdict => ({ kind: 'emulate', emulate: { kind: 'return', value } });

/** An integer condition; operands are reduced to `width` bits as the front end does. */
export function int(arg: number, op: IntOp, values: bigint | bigint[], width: 16 | 32 | 64 = 64, signed = false, argName = `a${arg}`): IntCondition {
  const vs = (Array.isArray(values) ? values : [values]).map((v) => BigInt.asUintN(width, v));
  return { kind: 'int', arg, argName, op, values: vs, width, signed, source: src() };
}

export function path(args: number[], op: PathOp, values: string[]): PathCondition {
  return { kind: 'path', args, op, values, source: src() };
}

export interface RuleSpec {
  name?: string;
  syscalls: string[];
  match?: Condition[][] | null;
  verdict: Verdict;
  log?: boolean;
}

export function policy(rules: RuleSpec[], dflt: Verdict = ALLOW, defaultLog = false): PolicyIR {
  return {
    name: 'test',
    files: ['test.yaml'],
    default: { verdict: dflt, log: defaultLog, source: src(2) },
    rules: rules.map((r, index): RuleIR => ({
      index, name: r.name, source: src(10 + index), syscalls: r.syscalls, match: r.match ?? null, verdict: r.verdict, log: r.log ?? false,
    })),
  };
}

export function nr(name: string): number {
  const n = syscallNumber('x86_64', name);
  if (n === undefined) throw new Error(`no x86_64 number for ${name}`);
  return n;
}

export function inv(name: string | number, args: bigint[] = [], arch: ArchName = 'x86_64', paths?: Record<number, string | undefined>): Invocation {
  return {
    arch,
    nr: typeof name === 'number' ? name : nr(name),
    args: [...args, 0n, 0n, 0n, 0n, 0n, 0n].slice(0, 6),
    deref: paths ? { path: (i: number) => paths[i] } : undefined,
  };
}

const cache = new WeakMap<PolicyIR, CompiledBpf>();
export function compiled(ir: PolicyIR): CompiledBpf {
  let c = cache.get(ir);
  if (!c) {
    c = compileBpf(ir, 'x86_64');
    cache.set(ir, c);
  }
  return c;
}

/** The prefilter's return value for an invocation, from the interpreter. */
export function bpfRet(ir: PolicyIR, i: Invocation): number {
  return runBpf(compiled(ir).program, { nr: i.nr, arch: auditArch(i.arch), args: i.args }, { checked: true }).ret;
}
