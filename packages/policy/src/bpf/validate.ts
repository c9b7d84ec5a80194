// The self-check of a finished program, like gVisor's `Build()` and the kernel's own
// checks (bpf_check_classic, check_load_and_stores and seccomp_check_filter in
// net/core/filter.c and kernel/seccomp.c). A program that passes is one the kernel
// accepts for SECCOMP_SET_MODE_FILTER, and one our interpreter runs to a RET.
import {
  type Insn, type Program, BPF_MAXINSNS, BPF_MEMWORDS, SECCOMP_DATA,
  BPF_LD, BPF_LDX, BPF_ST, BPF_STX, BPF_ALU, BPF_JMP, BPF_RET, BPF_MISC,
  BPF_W, BPF_ABS, BPF_IMM, BPF_MEM, BPF_LEN, BPF_K, BPF_X, BPF_A,
  BPF_ADD, BPF_SUB, BPF_MUL, BPF_DIV, BPF_OR, BPF_AND, BPF_LSH, BPF_RSH, BPF_NEG, BPF_XOR,
  BPF_JA, BPF_JEQ, BPF_JGT, BPF_JGE, BPF_JSET, BPF_TAX, BPF_TXA, bpfClass, bpfOp,
} from './isa.js';

export interface BpfProblem {
  /** Index of the offending instruction, or -1 for the program as a whole. */
  pc: number;
  message: string;
}

export class BpfValidationError extends Error {
  readonly problems: BpfProblem[];
  constructor(problems: BpfProblem[]) {
    super(`invalid BPF program: ${problems.map((p) => (p.pc >= 0 ? `[${p.pc}] ${p.message}` : p.message)).join('; ')}`);
    this.name = 'BpfValidationError';
    this.problems = problems;
  }
}

const ALU_OPS = [BPF_ADD, BPF_SUB, BPF_MUL, BPF_DIV, BPF_OR, BPF_AND, BPF_LSH, BPF_RSH, BPF_XOR];

/** The opcodes seccomp accepts (seccomp_check_filter's explicit list). */
export const SECCOMP_OPCODES: ReadonlySet<number> = new Set<number>([
  BPF_LD | BPF_W | BPF_ABS,
  BPF_LD | BPF_W | BPF_LEN,
  BPF_LDX | BPF_W | BPF_LEN,
  BPF_RET | BPF_K,
  BPF_RET | BPF_A,
  ...ALU_OPS.flatMap((op) => [BPF_ALU | op | BPF_K, BPF_ALU | op | BPF_X]),
  BPF_ALU | BPF_NEG,
  BPF_LD | BPF_IMM,
  BPF_LDX | BPF_IMM,
  BPF_MISC | BPF_TAX,
  BPF_MISC | BPF_TXA,
  BPF_LD | BPF_MEM,
  BPF_LDX | BPF_MEM,
  BPF_ST,
  BPF_STX,
  BPF_JMP | BPF_JA,
  ...[BPF_JEQ, BPF_JGE, BPF_JGT, BPF_JSET].flatMap((op) => [BPF_JMP | op | BPF_K, BPF_JMP | op | BPF_X]),
]);

function isU(n: number, bits: number): boolean {
  return Number.isInteger(n) && n >= 0 && n < 2 ** bits;
}

/** Every problem of the program (empty when the kernel would accept it). */
export function checkProgram(prog: Program): BpfProblem[] {
  const problems: BpfProblem[] = [];
  const len = prog.length;
  if (len === 0) return [{ pc: -1, message: 'empty program' }];
  if (len > BPF_MAXINSNS) problems.push({ pc: -1, message: `${len} instructions, more than BPF_MAXINSNS (${BPF_MAXINSNS})` });
  prog.forEach((ins: Insn, pc) => {
    const bad = (message: string): void => { problems.push({ pc, message }); };
    if (!isU(ins.code, 16) || !isU(ins.jt, 8) || !isU(ins.jf, 8) || !isU(ins.k, 32)) {
      bad('field out of range (code u16, jt/jf u8, k u32)');
      return;
    }
    if (!SECCOMP_OPCODES.has(ins.code)) { bad(`opcode 0x${ins.code.toString(16)} not allowed in a seccomp filter`); return; }
    const cls = bpfClass(ins.code);
    if (ins.code === (BPF_LD | BPF_W | BPF_ABS) && (ins.k >= SECCOMP_DATA.size || ins.k % 4 !== 0)) {
      bad(`load of seccomp_data offset ${ins.k}: must be 4-byte aligned and below ${SECCOMP_DATA.size}`);
    }
    if ((ins.code === (BPF_LD | BPF_MEM) || ins.code === (BPF_LDX | BPF_MEM) || ins.code === BPF_ST || ins.code === BPF_STX)
      && ins.k >= BPF_MEMWORDS) {
      bad(`scratch memory index ${ins.k} >= ${BPF_MEMWORDS}`);
    }
    if (cls === BPF_ALU && ins.code === (BPF_ALU | BPF_DIV | BPF_K) && ins.k === 0) bad('division by constant zero');
    if (cls === BPF_ALU && (bpfOp(ins.code) === BPF_LSH || bpfOp(ins.code) === BPF_RSH) && (ins.code & BPF_X) === 0 && ins.k >= 32) {
      bad(`shift by ${ins.k} (>= 32)`);
    }
    if (cls === BPF_JMP) {
      if (bpfOp(ins.code) === BPF_JA) {
        // Jumps are forward only (offsets are unsigned): no loops, every run ends.
        if (pc + 1 + ins.k >= len) bad(`ja +${ins.k} jumps past the end`);
      } else if (pc + 1 + ins.jt >= len || pc + 1 + ins.jf >= len) {
        bad(`jump (jt ${ins.jt}, jf ${ins.jf}) past the end`);
      }
    }
  });
  // Every path ends in RET: with forward-only, in-range jumps the only way to fall
  // off is a last instruction that is not a RET.
  const last = prog[len - 1];
  if (last && bpfClass(last.code) !== BPF_RET) problems.push({ pc: len - 1, message: 'the last instruction is not a RET: a path falls off the end' });
  if (problems.length === 0) problems.push(...checkLoadsAndStores(prog));
  return problems;
}

/** The kernel's check_load_and_stores: M[k] may only be read after a store on every path. */
function checkLoadsAndStores(prog: Program): BpfProblem[] {
  const problems: BpfProblem[] = [];
  const all = (1 << BPF_MEMWORDS) - 1;
  const masks: number[] = new Array<number>(prog.length).fill(all);
  let valid = 0;
  prog.forEach((ins, pc) => {
    valid &= masks[pc] ?? all;
    const code = ins.code;
    if (code === BPF_ST || code === BPF_STX) valid |= 1 << ins.k;
    else if ((code === (BPF_LD | BPF_MEM) || code === (BPF_LDX | BPF_MEM)) && !(valid & (1 << ins.k))) {
      problems.push({ pc, message: `M[${ins.k}] read before it is written on some path` });
    } else if (bpfClass(code) === BPF_JMP) {
      if (bpfOp(code) === BPF_JA) {
        const t = pc + 1 + ins.k;
        masks[t] = (masks[t] ?? all) & valid;
        valid = all;
      } else {
        const t = pc + 1 + ins.jt;
        const f = pc + 1 + ins.jf;
        masks[t] = (masks[t] ?? all) & valid;
        masks[f] = (masks[f] ?? all) & valid;
        valid = all;
      }
    } else if (bpfClass(code) === BPF_RET) {
      valid = all;
    }
  });
  return problems;
}

/** Throw a BpfValidationError listing every problem, or return the program. */
export function validateProgram<P extends Program>(prog: P): P {
  const problems = checkProgram(prog);
  if (problems.length > 0) throw new BpfValidationError(problems);
  return prog;
}

