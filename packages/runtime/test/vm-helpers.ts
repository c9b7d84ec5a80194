// Building compiled policies (PolicyIR) literally for the emulation modules' tests, the way
// the front end's intent-level sections compile them.
import type { Condition } from '@sysvm/policy';
import type { Emulation, PolicyIR, RuleIR, SourceRange, Verdict } from '../src/index.js';

const at = (line: number): SourceRange => ({ file: 'vm-test.yaml', line, column: 1, endLine: line, endColumn: 10 });

export interface RuleSpec {
  name: string;
  syscalls: string[];
  verdict: Verdict;
  match?: Condition[][];
}

export const emulate = (e: Emulation): Verdict => ({ kind: 'emulate', emulate: e });

/** A policy: these rules in order, then allow everything else. */
export function vmPolicy(rules: RuleSpec[]): PolicyIR {
  return {
    name: 'vm-test',
    files: ['vm-test.yaml'],
    default: { verdict: { kind: 'allow' }, log: false, source: at(1) },
    rules: rules.map((r, index): RuleIR => ({
      index, name: r.name, source: at(index + 2), syscalls: r.syscalls, match: r.match ?? null, verdict: r.verdict, log: false,
    })),
  };
}

/** A path condition on the path argument(s) `args`. */
export const pathIs = (op: 'equals' | 'under', values: string[], args: number[]): Condition =>
  ({ kind: 'path', op, values, args, source: at(99) });

/** The path-taking calls a file or bind rule names (each with its path argument indices). */
export const PATH_CALLS: Record<string, number[]> = {
  open: [0], openat: [1], openat2: [1], stat: [0], lstat: [0], newfstatat: [1], statx: [1], access: [0], faccessat: [1],
  faccessat2: [1], readlink: [0], readlinkat: [1], chdir: [0], execve: [0], getxattr: [0], lgetxattr: [0], listxattr: [0],
  llistxattr: [0], mkdir: [0], mkdirat: [1], unlink: [0], unlinkat: [1], rename: [0, 1], renameat2: [1, 3], truncate: [0],
  chmod: [0], fchmodat: [1],
};

/** One rule per path call: `emulation` when a path argument is (under) `path`. */
export function pathRules(name: string, op: 'equals' | 'under', path: string, e: Emulation, calls = Object.keys(PATH_CALLS)): RuleSpec[] {
  return calls.map((c) => ({ name: `${name}:${c}`, syscalls: [c], verdict: emulate(e), match: [[pathIs(op, [path], PATH_CALLS[c]!)]] }));
}
