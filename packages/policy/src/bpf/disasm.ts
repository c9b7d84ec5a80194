// A disassembler: one line per instruction, its index first, in the syntax of the
// kernel's bpf_dbg/bpf_asm (`ld [4]`, `jeq #0xc000003e, 3, 12`, `ret #0x7fff0000`),
// jump targets as absolute indexes, and a comment naming the seccomp_data field a load
// reads and the action a RET returns.
import {
  type Insn, type Program, BPF_LD, BPF_LDX, BPF_ST, BPF_STX, BPF_ALU, BPF_JMP, BPF_RET, BPF_MISC,
  BPF_W, BPF_ABS, BPF_IMM, BPF_MEM, BPF_LEN, BPF_X, BPF_A,
  BPF_ADD, BPF_SUB, BPF_MUL, BPF_DIV, BPF_OR, BPF_AND, BPF_LSH, BPF_RSH, BPF_NEG, BPF_MOD, BPF_XOR,
  BPF_JA, BPF_JEQ, BPF_JGT, BPF_JGE, BPF_JSET, BPF_TAX, BPF_TXA, bpfClass, bpfOp, bpfSrc,
} from './isa.js';
import { formatRet } from './seccomp.js';

const ALU_NAMES: Record<number, string> = {
  [BPF_ADD]: 'add', [BPF_SUB]: 'sub', [BPF_MUL]: 'mul', [BPF_DIV]: 'div', [BPF_OR]: 'or', [BPF_AND]: 'and',
  [BPF_LSH]: 'lsh', [BPF_RSH]: 'rsh', [BPF_NEG]: 'neg', [BPF_MOD]: 'mod', [BPF_XOR]: 'xor',
};
const JMP_NAMES: Record<number, string> = { [BPF_JA]: 'ja', [BPF_JEQ]: 'jeq', [BPF_JGT]: 'jgt', [BPF_JGE]: 'jge', [BPF_JSET]: 'jset' };

const hex = (k: number): string => `0x${(k >>> 0).toString(16)}`;
const imm = (k: number): string => (k >>> 0 < 10 ? `#${k >>> 0}` : `#${hex(k)}`);

/** The seccomp_data field at byte offset `k`. */
export function seccompField(k: number): string | undefined {
  if (k === 0) return 'nr';
  if (k === 4) return 'arch';
  if (k === 8) return 'instruction_pointer.lo';
  if (k === 12) return 'instruction_pointer.hi';
  if (k >= 16 && k < 64 && k % 4 === 0) return `args[${Math.floor((k - 16) / 8)}].${(k - 16) % 8 === 0 ? 'lo' : 'hi'}`;
  return undefined;
}

/** One instruction in bpf_asm syntax; `pc` is needed to print absolute jump targets. */
export function formatInsn(ins: Insn, pc: number): string {
  const { code, k } = ins;
  switch (bpfClass(code)) {
    case BPF_LD:
    case BPF_LDX: {
      const op = bpfClass(code) === BPF_LD ? 'ld' : 'ldx';
      if (code === (BPF_LD | BPF_W | BPF_ABS)) return `${op} [${k}]`;
      if ((code & 0xe0) === BPF_LEN) return `${op} #len`;
      if ((code & 0xe0) === BPF_IMM) return `${op} ${imm(k)}`;
      if ((code & 0xe0) === BPF_MEM) return `${op} M[${k}]`;
      return `.word ${hex(code)}, ${ins.jt}, ${ins.jf}, ${hex(k)}`;
    }
    case BPF_ST: return `st M[${k}]`;
    case BPF_STX: return `stx M[${k}]`;
    case BPF_ALU: {
      const name = ALU_NAMES[bpfOp(code)];
      if (!name) break;
      if (bpfOp(code) === BPF_NEG) return 'neg';
      return bpfSrc(code) === BPF_X ? `${name} x` : `${name} ${imm(k)}`;
    }
    case BPF_JMP: {
      const name = JMP_NAMES[bpfOp(code)];
      if (!name) break;
      if (bpfOp(code) === BPF_JA) return `ja ${pc + 1 + k}`;
      const src = bpfSrc(code) === BPF_X ? 'x' : `#${hex(k)}`;
      return `${name} ${src}, ${pc + 1 + ins.jt}, ${pc + 1 + ins.jf}`;
    }
    case BPF_RET: return (code & BPF_A) === BPF_A ? 'ret a' : `ret #${hex(k)}`;
    case BPF_MISC:
      if (code === (BPF_MISC | BPF_TAX)) return 'tax';
      if (code === (BPF_MISC | BPF_TXA)) return 'txa';
      break;
  }
  return `.word ${hex(code)}, ${ins.jt}, ${ins.jf}, ${hex(k)}`;
}

/** The automatic comment of an instruction: the field a load reads, the action a RET returns. */
function autoComment(ins: Insn): string | undefined {
  if (ins.code === (BPF_LD | BPF_W | BPF_ABS)) return seccompField(ins.k);
  if (ins.code === (BPF_RET | 0)) return formatRet(ins.k);
  return undefined;
}

/**
 * The whole program, one line per instruction: `  12: jeq #0x27, 40, 13   ; getpid`.
 * `comments` (as returned by the assembler) are added after the automatic ones.
 */
export function disassemble(prog: Program, comments: readonly (string | undefined)[] = []): string {
  const width = String(Math.max(prog.length - 1, 0)).length;
  const lines = prog.map((ins, pc) => {
    const text = `${String(pc).padStart(Math.max(width, 4))}: ${formatInsn(ins, pc)}`;
    const notes = [autoComment(ins), comments[pc]].filter((c): c is string => c !== undefined && c !== '');
    return notes.length > 0 ? `${text.padEnd(40)} ; ${notes.join('; ')}` : text;
  });
  return lines.join('\n') + '\n';
}
