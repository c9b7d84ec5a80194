// An assembler for classic BPF with symbolic labels. Jumps name a label (or `null`
// for "the next instruction"); `assemble()` places the code, resolves every label to
// the 8-bit jt/jf offsets, and where a conditional jump's target is more than 255
// instructions away, routes that branch through an unconditional `ja` trampoline
// (32-bit offset) placed right after the jump. The result is validated before it is
// returned (gVisor's Build() self-check), so a bug here never reaches the kernel.
import {
  type Insn, BPF_LD, BPF_LDX, BPF_ALU, BPF_JMP, BPF_RET, BPF_MISC, BPF_ST, BPF_STX,
  BPF_W, BPF_ABS, BPF_IMM, BPF_MEM, BPF_K, BPF_X, BPF_A, BPF_JA, BPF_TAX, BPF_TXA, BPF_NEG, bpfClass,
} from './isa.js';
import { validateProgram } from './validate.js';

/** A jump target: a label name, or null for the next instruction. */
export type Target = string | null;

type Item =
  | { kind: 'label'; name: string }
  | { kind: 'insn'; insn: Insn; comment?: string }
  | { kind: 'jcond'; code: number; k: number; jt: Target; jf: Target; comment?: string }
  | { kind: 'ja'; target: string; comment?: string };

export interface Assembled {
  program: Insn[];
  /** Per instruction, the comment given when it was emitted (for the disassembler). */
  comments: (string | undefined)[];
  /** Addresses of the labels. */
  labels: Map<string, number>;
  /** Trampolines inserted for conditional jumps longer than 255. */
  longJumps: number;
}

export class AsmError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AsmError';
  }
}

export class Assembler {
  private readonly items: Item[] = [];
  private readonly defined = new Set<string>();
  private counter = 0;

  /** A fresh label name with the given prefix. */
  newLabel(prefix = 'L'): string {
    return `${prefix}#${this.counter++}`;
  }

  /** Place `name` at the next instruction. */
  label(name: string): this {
    if (this.defined.has(name)) throw new AsmError(`label ${name} defined twice`);
    this.defined.add(name);
    this.items.push({ kind: 'label', name });
    return this;
  }

  /** Emit a raw instruction (no label references). */
  emit(insn: Insn, comment?: string): this {
    if (bpfClass(insn.code) === BPF_JMP) throw new AsmError('emit jumps with jump()/ja() so their targets are resolved');
    this.items.push({ kind: 'insn', insn: { ...insn, k: insn.k >>> 0 }, comment });
    return this;
  }

  /** A = seccomp_data[k] (32-bit load). */
  ld(k: number, comment?: string): this {
    return this.emit({ code: BPF_LD | BPF_W | BPF_ABS, jt: 0, jf: 0, k }, comment);
  }

  ldImm(k: number, comment?: string): this {
    return this.emit({ code: BPF_LD | BPF_IMM, jt: 0, jf: 0, k }, comment);
  }

  ldxImm(k: number, comment?: string): this {
    return this.emit({ code: BPF_LDX | BPF_IMM, jt: 0, jf: 0, k }, comment);
  }

  ldMem(k: number, comment?: string): this {
    return this.emit({ code: BPF_LD | BPF_MEM, jt: 0, jf: 0, k }, comment);
  }

  st(k: number, comment?: string): this {
    return this.emit({ code: BPF_ST, jt: 0, jf: 0, k }, comment);
  }

  stx(k: number, comment?: string): this {
    return this.emit({ code: BPF_STX, jt: 0, jf: 0, k }, comment);
  }

  tax(): this {
    return this.emit({ code: BPF_MISC | BPF_TAX, jt: 0, jf: 0, k: 0 });
  }

  txa(): this {
    return this.emit({ code: BPF_MISC | BPF_TXA, jt: 0, jf: 0, k: 0 });
  }

  /** A = A <op> k, op one of BPF_ADD ... BPF_XOR (BPF_NEG ignores k). */
  alu(op: number, k = 0, comment?: string): this {
    const code = op === BPF_NEG ? BPF_ALU | BPF_NEG : BPF_ALU | op | BPF_K;
    return this.emit({ code, jt: 0, jf: 0, k }, comment);
  }

  /** A = A <op> X. */
  aluX(op: number, comment?: string): this {
    return this.emit({ code: BPF_ALU | op | BPF_X, jt: 0, jf: 0, k: 0 }, comment);
  }

  /** Conditional jump on A <op> k, op one of BPF_JEQ BPF_JGT BPF_JGE BPF_JSET. */
  jump(op: number, k: number, jt: Target, jf: Target, comment?: string): this {
    if (op === BPF_JA) throw new AsmError('use ja() for unconditional jumps');
    this.items.push({ kind: 'jcond', code: BPF_JMP | op | BPF_K, k: k >>> 0, jt, jf, comment });
    return this;
  }

  /** Conditional jump on A <op> X. */
  jumpX(op: number, jt: Target, jf: Target, comment?: string): this {
    this.items.push({ kind: 'jcond', code: BPF_JMP | op | BPF_X, k: 0, jt, jf, comment });
    return this;
  }

  /** Unconditional jump (nothing is emitted for a jump to the next instruction). */
  ja(target: Target, comment?: string): this {
    if (target !== null) this.items.push({ kind: 'ja', target, comment });
    return this;
  }

  ret(k: number, comment?: string): this {
    return this.emit({ code: BPF_RET | BPF_K, jt: 0, jf: 0, k }, comment);
  }

  retA(comment?: string): this {
    return this.emit({ code: BPF_RET | BPF_A, jt: 0, jf: 0, k: 0 }, comment);
  }

  /**
   * Resolve labels and long jumps, validate, and return the program. With
   * `{ validate: false }` the caller validates later (a compiler that optimizes first
   * checks the final program, which may fit the kernel's length limit when this does not).
   */
  assemble(opts: { validate?: boolean } = {}): Assembled {
    // The null target of a conditional jump is the instruction after it (and after
    // its trampolines): give each one an implicit label right after the item.
    const items: Item[] = [];
    const nextLabel = new Map<number, string>();
    // Peephole: a `ja` to a label that directly follows it (only labels between) is dropped.
    const kept = this.items.filter((it, i) => {
      if (it.kind !== 'ja') return true;
      for (let j = i + 1; j < this.items.length; j++) {
        const n = this.items[j];
        if (n?.kind !== 'label') return true;
        if (n.name === it.target) return false;
      }
      return true;
    });
    kept.forEach((it) => {
      items.push(it);
      if (it.kind === 'jcond' && (it.jt === null || it.jf === null)) {
        const name = `next#${items.length}`;
        nextLabel.set(items.length - 1, name);
        items.push({ kind: 'label', name });
      }
    });
    for (const it of items) {
      const refs = it.kind === 'jcond' ? [it.jt, it.jf] : it.kind === 'ja' ? [it.target] : [];
      for (const r of refs) {
        if (r !== null && !this.defined.has(r) && ![...nextLabel.values()].includes(r)) {
          throw new AsmError(`jump to undefined label ${r}`);
        }
      }
    }
    // far[i]: [jt needs a trampoline, jf needs a trampoline]. Only ever grows, since
    // inserting instructions only lengthens forward distances: a fixpoint is reached.
    const far = new Map<number, [boolean, boolean]>();
    for (;;) {
      const addr = new Map<string, number>();
      const at: number[] = [];
      let pc = 0;
      items.forEach((it, i) => {
        at[i] = pc;
        if (it.kind === 'label') addr.set(it.name, pc);
        else if (it.kind === 'jcond') {
          const [ft, ff] = far.get(i) ?? [false, false];
          pc += 1 + (ft ? 1 : 0) + (ff ? 1 : 0);
        } else pc += 1;
      });
      let changed = false;
      const program: Insn[] = [];
      const comments: (string | undefined)[] = [];
      let longJumps = 0;
      items.forEach((it, i) => {
        const p = at[i] ?? 0;
        const resolve = (t: Target): number => {
          const name = t ?? nextLabel.get(i);
          const a = name === undefined ? undefined : addr.get(name);
          if (a === undefined) throw new AsmError(`jump to undefined label ${String(t)}`);
          if (a <= p) throw new AsmError(`backward jump from ${p} to ${name} at ${a}: classic BPF jumps forward only`);
          return a;
        };
        if (it.kind === 'insn') {
          program.push(it.insn);
          comments.push(it.comment);
        } else if (it.kind === 'ja') {
          program.push({ code: BPF_JMP | BPF_JA, jt: 0, jf: 0, k: resolve(it.target) - (p + 1) });
          comments.push(it.comment);
        } else if (it.kind === 'jcond') {
          const [ft, ff] = far.get(i) ?? [false, false];
          const t = resolve(it.jt);
          const f = resolve(it.jf);
          const jt = ft ? 0 : t - (p + 1);
          const jf = ff ? (ft ? 1 : 0) : f - (p + 1);
          if (jt > 255 || jf > 255) {
            far.set(i, [ft || jt > 255, ff || jf > 255]);
            changed = true;
          }
          program.push({ code: it.code, jt, jf, k: it.k });
          comments.push(it.comment);
          if (ft) {
            program.push({ code: BPF_JMP | BPF_JA, jt: 0, jf: 0, k: t - (p + 2) });
            comments.push('long jump (jt)');
            longJumps++;
          }
          if (ff) {
            const q = p + 1 + (ft ? 1 : 0);
            program.push({ code: BPF_JMP | BPF_JA, jt: 0, jf: 0, k: f - (q + 1) });
            comments.push('long jump (jf)');
            longJumps++;
          }
        }
      });
      if (changed) continue;
      if (opts.validate !== false) validateProgram(program);
      const labels = new Map([...addr].filter(([n]) => !n.startsWith('next#')));
      return { program, comments, labels, longJumps };
    }
  }
}
