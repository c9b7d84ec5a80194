// Classic BPF as data: the instruction format of `struct sock_filter` and the opcode
// fields. These are the stable classic BPF ISA (include/uapi/linux/bpf_common.h and
// include/uapi/linux/filter.h), not kernel-version data, so they live here; the
// seccomp return values come from the generated abi constants (see seccomp.ts).

/** One instruction, exactly the four fields of `struct sock_filter`. */
export interface Insn {
  /** 16-bit opcode: class | size | mode, or class | op | source. */
  code: number;
  /** 8-bit forward offset taken when a conditional jump's test holds. */
  jt: number;
  /** 8-bit forward offset taken when it does not. */
  jf: number;
  /** 32-bit generic field (unsigned). */
  k: number;
}

export type Program = readonly Insn[];

// Instruction classes.
export const BPF_LD = 0x00;
export const BPF_LDX = 0x01;
export const BPF_ST = 0x02;
export const BPF_STX = 0x03;
export const BPF_ALU = 0x04;
export const BPF_JMP = 0x05;
export const BPF_RET = 0x06;
export const BPF_MISC = 0x07;

// ld/ldx sizes.
export const BPF_W = 0x00;
export const BPF_H = 0x08;
export const BPF_B = 0x10;

// ld/ldx modes.
export const BPF_IMM = 0x00;
export const BPF_ABS = 0x20;
export const BPF_IND = 0x40;
export const BPF_MEM = 0x60;
export const BPF_LEN = 0x80;
export const BPF_MSH = 0xa0;

// alu/jmp operations.
export const BPF_ADD = 0x00;
export const BPF_SUB = 0x10;
export const BPF_MUL = 0x20;
export const BPF_DIV = 0x30;
export const BPF_OR = 0x40;
export const BPF_AND = 0x50;
export const BPF_LSH = 0x60;
export const BPF_RSH = 0x70;
export const BPF_NEG = 0x80;
export const BPF_MOD = 0x90;
export const BPF_XOR = 0xa0;

export const BPF_JA = 0x00;
export const BPF_JEQ = 0x10;
export const BPF_JGT = 0x20;
export const BPF_JGE = 0x30;
export const BPF_JSET = 0x40;

// Operand source.
export const BPF_K = 0x00;
export const BPF_X = 0x08;

// ret source.
export const BPF_A = 0x10;

// misc operations.
export const BPF_TAX = 0x00;
export const BPF_TXA = 0x80;

/** The kernel's limit on a filter's length (BPF_MAXINSNS). */
export const BPF_MAXINSNS = 4096;
/** Scratch memory words M[0..15] (BPF_MEMWORDS). */
export const BPF_MEMWORDS = 16;

export const bpfClass = (code: number): number => code & 0x07;
export const bpfSize = (code: number): number => code & 0x18;
export const bpfMode = (code: number): number => code & 0xe0;
export const bpfOp = (code: number): number => code & 0xf0;
export const bpfSrc = (code: number): number => code & 0x08;

/** Build one instruction; `k` is reduced to an unsigned 32-bit value. */
export function insn(code: number, k = 0, jt = 0, jf = 0): Insn {
  return { code, jt, jf, k: k >>> 0 };
}

/** `struct seccomp_data` layout (include/uapi/linux/seccomp.h), little-endian on x86_64. */
export const SECCOMP_DATA = {
  nr: 0,
  arch: 4,
  instructionPointerLo: 8,
  instructionPointerHi: 12,
  /** args[i] low 32 bits. */
  argLo: (i: number): number => 16 + 8 * i,
  /** args[i] high 32 bits. */
  argHi: (i: number): number => 20 + 8 * i,
  size: 64,
} as const;
