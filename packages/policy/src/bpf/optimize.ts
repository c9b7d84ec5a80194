// A small optimizer for finished classic BPF programs, in the manner of gVisor's
// seccomp_optimizer: a list of passes, each with one line saying what it does, run
// in order until none changes anything. Every pass preserves the program's result for
// every input; the result is validated again, and the differential tests compare
// optimized and unoptimized programs.
import {
  type Insn, type Program, BPF_ABS, BPF_ALU, BPF_JA, BPF_JGE, BPF_JMP, BPF_JSET, BPF_LD, BPF_MISC, BPF_RET, BPF_TXA, BPF_W, BPF_X,
  bpfClass, bpfOp, bpfSrc,
} from './isa.js';
import { validateProgram } from './validate.js';

/** An instruction with absolute jump targets (indexes into the node list). */
interface Node {
  insn: Insn;
  /** Absolute target of jt (or of a ja). */
  t: number;
  /** Absolute target of jf. */
  f: number;
  comment: string | undefined;
  removed: boolean;
}

const isJa = (n: Node): boolean => n.insn.code === (BPF_JMP | BPF_JA);
const isCond = (n: Node): boolean => bpfClass(n.insn.code) === BPF_JMP && !isJa(n);
const isRet = (n: Node): boolean => bpfClass(n.insn.code) === BPF_RET;
const isLdAbs = (n: Node): boolean => n.insn.code === (BPF_LD | BPF_W | BPF_ABS);

function toNodes(prog: Program, comments: readonly (string | undefined)[]): Node[] {
  return prog.map((insn, i) => ({
    insn: { ...insn },
    t: isJaInsn(insn) ? i + 1 + insn.k : i + 1 + insn.jt,
    f: i + 1 + insn.jf,
    comment: comments[i],
    removed: false,
  }));
}
function isJaInsn(insn: Insn): boolean {
  return insn.code === (BPF_JMP | BPF_JA);
}

/** The next instruction at or after `i` that is not removed. */
function live(nodes: Node[], i: number): number {
  let j = i;
  while (nodes[j]?.removed) j++;
  return j;
}

/** Successors of node i (targets resolved past removed nodes). */
function succ(nodes: Node[], i: number): number[] {
  const n = nodes[i];
  if (!n) return [];
  if (isRet(n)) return [];
  if (isJa(n)) return [live(nodes, n.t)];
  if (isCond(n)) return [live(nodes, n.t), live(nodes, n.f)];
  return [live(nodes, i + 1)];
}

type Pass = { name: string; run: (nodes: Node[]) => boolean };

// Conditional jump offsets are 8 bits: a retarget is only done if it still fits.
// (Later removals only shorten distances, so a fit now is a fit in the final layout.)
const fits = (from: number, to: number): boolean => to - (from + 1) <= 255;

const PASSES: Pass[] = [
  {
    // A jump to a `ja` goes straight to the ja's target (run before dead-code removal).
    name: 'thread-jumps',
    run(nodes) {
      let changed = false;
      nodes.forEach((n, i) => {
        if (n.removed || !(isJa(n) || isCond(n))) return;
        for (const key of ['t', 'f'] as const) {
          if (isJa(n) && key === 'f') continue;
          const tgt = nodes[live(nodes, n[key])];
          if (tgt && isJa(tgt)) {
            const final = live(nodes, tgt.t);
            if (isJa(n) || fits(i, final)) {
              n[key] = final;
              changed = true;
            }
          }
        }
      });
      return changed;
    },
  },
  {
    // A `ja` to a `ret` becomes that `ret`.
    name: 'ja-to-ret',
    run(nodes) {
      let changed = false;
      for (const n of nodes) {
        if (n.removed || !isJa(n)) continue;
        const tgt = nodes[live(nodes, n.t)];
        if (tgt && isRet(tgt)) {
          n.insn = { ...tgt.insn };
          n.comment = n.comment?.startsWith('long jump') ? tgt.comment : n.comment ?? tgt.comment;
          changed = true;
        }
      }
      return changed;
    },
  },
  {
    // A conditional jump whose outcome is fixed (both branches equal, `jge #0`, `jset #0`) becomes a `ja`.
    name: 'fold-constant-jumps',
    run(nodes) {
      let changed = false;
      for (const n of nodes) {
        if (n.removed || !isCond(n) || bpfSrc(n.insn.code) === BPF_X) continue;
        let to: number | undefined;
        if (live(nodes, n.t) === live(nodes, n.f)) to = n.t;
        else if (bpfOp(n.insn.code) === BPF_JGE && n.insn.k === 0) to = n.t;
        else if (bpfOp(n.insn.code) === BPF_JSET && n.insn.k === 0) to = n.f;
        if (to !== undefined) {
          n.insn = { code: BPF_JMP | BPF_JA, jt: 0, jf: 0, k: 0 };
          n.t = to;
          changed = true;
        }
      }
      return changed;
    },
  },
  {
    // A `ld [k]` when A already holds seccomp_data[k] on every path into it is dropped.
    name: 'redundant-loads',
    run(nodes) {
      // holds[i]: the offset A is known to hold on entry to i (-1 unknown, undefined: no path yet).
      const holds: (number | undefined)[] = new Array<number | undefined>(nodes.length + 1);
      holds[0] = -1;
      let changed = false;
      const meet = (i: number, v: number): void => {
        const cur = holds[i];
        holds[i] = cur === undefined ? v : cur === v ? v : -1;
      };
      nodes.forEach((n, i) => {
        if (n.removed) {
          // A removed node passes its state on to the next one.
          if (holds[i] !== undefined) meet(i + 1, holds[i] ?? -1);
          return;
        }
        const inA = holds[i];
        if (inA === undefined) return; // unreachable
        let out = inA;
        if (isLdAbs(n)) {
          if (inA === n.insn.k) {
            n.removed = true;
            changed = true;
            meet(i + 1, inA);
            return;
          }
          out = n.insn.k;
        } else if (bpfClass(n.insn.code) === BPF_LD || bpfClass(n.insn.code) === BPF_ALU || n.insn.code === (BPF_MISC | BPF_TXA)) {
          out = -1; // other loads, ALU, txa change A
        }
        for (const s of isRet(n) ? [] : isJa(n) ? [n.t] : isCond(n) ? [n.t, n.f] : [i + 1]) meet(s, out);
      });
      return changed;
    },
  },
  {
    // A jump goes to the last instruction equivalent to its target (the same instruction with
    // equivalent successors), so duplicated blocks (two syscalls with the same rules) die.
    name: 'merge-duplicates',
    run(nodes) {
      const rep: number[] = new Array<number>(nodes.length + 1).fill(-1);
      const canon = new Map<string, number>();
      for (let i = nodes.length - 1; i >= 0; i--) {
        const n = nodes[i];
        if (!n || n.removed) continue;
        const key = [n.insn.code, n.insn.k, ...succ(nodes, i).map((j) => rep[j] ?? j)].join(',');
        const seen = canon.get(key);
        if (seen === undefined) {
          canon.set(key, i);
          rep[i] = i;
        } else rep[i] = seen;
      }
      let changed = false;
      nodes.forEach((n, i) => {
        if (n.removed || !(isJa(n) || isCond(n))) return;
        for (const k of isJa(n) ? (['t'] as const) : (['t', 'f'] as const)) {
          const cur = live(nodes, n[k]);
          const r = rep[cur] ?? -1;
          if (r > cur && (isJa(n) || fits(i, r))) {
            n[k] = r;
            changed = true;
          }
        }
      });
      return changed;
    },
  },
  {
    // A load or ALU instruction followed directly by `ret #k` is dropped (A is never read).
    name: 'dead-loads',
    run(nodes) {
      let changed = false;
      nodes.forEach((n, i) => {
        if (n.removed) return;
        const cls = bpfClass(n.insn.code);
        if (cls !== BPF_LD && cls !== BPF_ALU) return;
        const next = nodes[live(nodes, i + 1)];
        if (next && next.insn.code === (BPF_RET | 0)) {
          n.removed = true;
          changed = true;
        }
      });
      return changed;
    },
  },
  {
    // Instructions no path from the first one reaches are removed.
    name: 'dead-code',
    run(nodes) {
      const seen = new Set<number>();
      const stack = [live(nodes, 0)];
      while (stack.length > 0) {
        const i = stack.pop() ?? 0;
        if (seen.has(i)) continue;
        seen.add(i);
        stack.push(...succ(nodes, i));
      }
      let changed = false;
      nodes.forEach((n, i) => {
        if (!n.removed && !seen.has(i)) {
          n.removed = true;
          changed = true;
        }
      });
      return changed;
    },
  },
  {
    // A `ja` to the next live instruction is removed.
    name: 'ja-to-next',
    run(nodes) {
      let changed = false;
      nodes.forEach((n, i) => {
        if (!n.removed && isJa(n) && live(nodes, n.t) === live(nodes, i + 1)) {
          n.removed = true;
          changed = true;
        }
      });
      return changed;
    },
  },
];

export interface Optimized {
  program: Insn[];
  comments: (string | undefined)[];
  /** How often each pass changed something. */
  passes: Record<string, number>;
}

/** Run the passes to a fixpoint and lay the program out again. */
export function optimizeProgram(
  prog: Program, comments: readonly (string | undefined)[] = [], opts: { validate?: boolean } = {},
): Optimized {
  const nodes = toNodes(prog, comments);
  const passes: Record<string, number> = {};
  for (let round = 0; round < 100; round++) {
    let any = false;
    for (const p of PASSES) {
      if (p.run(nodes)) {
        passes[p.name] = (passes[p.name] ?? 0) + 1;
        any = true;
      }
    }
    if (!any) break;
  }
  // Lay out: new index of every old one (a removed node maps to the next live one).
  const newIndex: number[] = new Array<number>(nodes.length + 1);
  let k = 0;
  nodes.forEach((n, i) => {
    newIndex[i] = k;
    if (!n.removed) k++;
  });
  newIndex[nodes.length] = k;
  const at = (i: number): number => newIndex[live(nodes, i)] ?? k;
  const program: Insn[] = [];
  const outComments: (string | undefined)[] = [];
  nodes.forEach((n) => {
    if (n.removed) return;
    const p = program.length;
    const insn = { ...n.insn };
    if (isJa(n)) insn.k = at(n.t) - (p + 1);
    else if (isCond(n)) {
      insn.jt = at(n.t) - (p + 1);
      insn.jf = at(n.f) - (p + 1);
    }
    program.push(insn);
    outComments.push(n.comment);
  });
  if (opts.validate !== false) validateProgram(program);
  return { program, comments: outComments, passes };
}
