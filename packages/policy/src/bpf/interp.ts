// An interpreter for seccomp's classic BPF, so tests (and `sysvm`) can run a compiled
// program without a kernel. It runs exactly the opcodes seccomp accepts, over a
// `struct seccomp_data` laid out as on x86_64 (little-endian).
import {
  type Program, BPF_LD, BPF_LDX, BPF_ST, BPF_STX, BPF_ALU, BPF_JMP, BPF_RET, BPF_MISC,
  BPF_W, BPF_ABS, BPF_IMM, BPF_MEM, BPF_LEN, BPF_X, BPF_A,
  BPF_ADD, BPF_SUB, BPF_MUL, BPF_DIV, BPF_OR, BPF_AND, BPF_LSH, BPF_RSH, BPF_NEG, BPF_XOR,
  BPF_JA, BPF_JEQ, BPF_JGT, BPF_JGE, BPF_JSET, BPF_TAX, BPF_TXA, BPF_MEMWORDS, SECCOMP_DATA,
  bpfClass, bpfOp, bpfSrc,
} from './isa.js';
import { checkProgram, BpfValidationError } from './validate.js';

/** The input of a seccomp filter (`struct seccomp_data`). */
export interface SeccompData {
  /** The syscall number as the kernel sees it (an int; -1 and 0xffffffff are the same). */
  nr: number;
  /** AUDIT_ARCH_* value. */
  arch: number;
  instructionPointer?: bigint;
  /** Up to six raw 64-bit argument registers (missing ones are 0). */
  args: readonly bigint[];
}

/** The 64 bytes of `struct seccomp_data`, as the filter reads them. */
export function packSeccompData(d: SeccompData): Uint8Array {
  const buf = new Uint8Array(SECCOMP_DATA.size);
  const view = new DataView(buf.buffer);
  view.setUint32(SECCOMP_DATA.nr, d.nr >>> 0, true);
  view.setUint32(SECCOMP_DATA.arch, d.arch >>> 0, true);
  view.setBigUint64(SECCOMP_DATA.instructionPointerLo, BigInt.asUintN(64, d.instructionPointer ?? 0n), true);
  for (let i = 0; i < 6; i++) {
    view.setBigUint64(SECCOMP_DATA.argLo(i), BigInt.asUintN(64, d.args[i] ?? 0n), true);
  }
  return buf;
}

export interface RunResult {
  /** The 32-bit value of the RET that ended the run. */
  ret: number;
  /** Index of that RET. */
  pc: number;
  /** Instructions executed. */
  steps: number;
}

/**
 * Run `prog` on `data`. The program is checked first (as the kernel does at load time);
 * an invalid program throws BpfValidationError. Pass `checked: true` to skip the check
 * for a program already validated (the differential tests run one program many times).
 */
export function runBpf(prog: Program, data: SeccompData | Uint8Array, opts: { checked?: boolean } = {}): RunResult {
  if (!opts.checked) {
    const problems = checkProgram(prog);
    if (problems.length > 0) throw new BpfValidationError(problems);
  }
  const bytes = data instanceof Uint8Array ? data : packSeccompData(data);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const mem = new Uint32Array(BPF_MEMWORDS);
  let a = 0;
  let x = 0;
  let pc = 0;
  let steps = 0;
  for (;;) {
    const ins = prog[pc];
    if (!ins) throw new Error(`BPF run fell off the end at ${pc}`);
    steps++;
    const code = ins.code;
    const k = ins.k >>> 0;
    switch (bpfClass(code)) {
      case BPF_LD:
        if (code === (BPF_LD | BPF_W | BPF_ABS)) a = view.getUint32(k, true);
        else if (code === (BPF_LD | BPF_W | BPF_LEN)) a = SECCOMP_DATA.size;
        else if (code === (BPF_LD | BPF_IMM)) a = k;
        else if (code === (BPF_LD | BPF_MEM)) a = mem[k] ?? 0;
        else throw new Error(`unsupported opcode 0x${code.toString(16)} at ${pc}`);
        pc++;
        break;
      case BPF_LDX:
        if (code === (BPF_LDX | BPF_W | BPF_LEN)) x = SECCOMP_DATA.size;
        else if (code === (BPF_LDX | BPF_IMM)) x = k;
        else if (code === (BPF_LDX | BPF_MEM)) x = mem[k] ?? 0;
        else throw new Error(`unsupported opcode 0x${code.toString(16)} at ${pc}`);
        pc++;
        break;
      case BPF_ST:
        mem[k] = a;
        pc++;
        break;
      case BPF_STX:
        mem[k] = x;
        pc++;
        break;
      case BPF_ALU: {
        const op = bpfOp(code);
        if (op === BPF_NEG) {
          a = -a >>> 0;
          pc++;
          break;
        }
        const s = bpfSrc(code) === BPF_X ? x : k;
        switch (op) {
          case BPF_ADD: a = (a + s) >>> 0; break;
          case BPF_SUB: a = (a - s) >>> 0; break;
          case BPF_MUL: a = Math.imul(a, s) >>> 0; break;
          // A division by X == 0 ends the program with 0 (the kernel's classic-BPF rule),
          // which seccomp reads as SECCOMP_RET_KILL_THREAD.
          case BPF_DIV:
            if (s === 0) return { ret: 0, pc, steps };
            a = Math.floor(a / s) >>> 0;
            break;
          case BPF_OR: a = (a | s) >>> 0; break;
          case BPF_AND: a = (a & s) >>> 0; break;
          case BPF_XOR: a = (a ^ s) >>> 0; break;
          case BPF_LSH: a = s >= 32 ? 0 : (a << s) >>> 0; break;
          case BPF_RSH: a = s >= 32 ? 0 : a >>> s; break;
          default: throw new Error(`unsupported ALU opcode 0x${code.toString(16)} at ${pc}`);
        }
        pc++;
        break;
      }
      case BPF_JMP: {
        const op = bpfOp(code);
        if (op === BPF_JA) {
          pc += 1 + k;
          break;
        }
        const s = bpfSrc(code) === BPF_X ? x : k;
        let cond: boolean;
        switch (op) {
          case BPF_JEQ: cond = a === s; break;
          case BPF_JGT: cond = a > s; break;
          case BPF_JGE: cond = a >= s; break;
          case BPF_JSET: cond = (a & s) !== 0; break;
          default: throw new Error(`unsupported JMP opcode 0x${code.toString(16)} at ${pc}`);
        }
        pc += 1 + (cond ? ins.jt : ins.jf);
        break;
      }
      case BPF_RET:
        return { ret: (code & BPF_A) === BPF_A ? a : k, pc, steps };
      case BPF_MISC:
        if (code === (BPF_MISC | BPF_TAX)) x = a;
        else if (code === (BPF_MISC | BPF_TXA)) a = x;
        else throw new Error(`unsupported opcode 0x${code.toString(16)} at ${pc}`);
        pc++;
        break;
      default:
        throw new Error(`unsupported opcode 0x${code.toString(16)} at ${pc}`);
    }
  }
}
