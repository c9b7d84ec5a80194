// x86_64 register access for a stopped tracee: the strace way, one small file per
// architecture. `struct user_regs_struct` is read with PTRACE_GETREGS into a Buffer viewed as
// a BigInt64Array (a koffi struct out-parameter costs ~3 µs a call, the Buffer ~0.4 µs);
// single registers are written with PTRACE_POKEUSER (`struct user` starts with the regs).
import { PTRACE_GET_SYSCALL_INFO, PTRACE_GETREGS, PTRACE_POKEUSER, PTRACE_SETREGS } from './consts.js';
import { errno, Pinned, ptrace, ptraceBuf } from './libc.js';

/** Indices of `struct user_regs_struct` (arch/x86/include/asm/user_64.h), in 8-byte words. */
export const REG = {
  r15: 0, r14: 1, r13: 2, r12: 3, rbp: 4, rbx: 5, r11: 6, r10: 7, r9: 8, r8: 9, rax: 10, rcx: 11,
  rdx: 12, rsi: 13, rdi: 14, orig_rax: 15, rip: 16, cs: 17, eflags: 18, rsp: 19, ss: 20,
} as const;
export const USER_REGS_SIZE = 27 * 8;
/** The x86_64 syscall argument registers, in argument order. */
export const ARG_REGS_X86_64 = [REG.rdi, REG.rsi, REG.rdx, REG.r10, REG.r8, REG.r9] as const;
/** The i386 (`int 0x80`) argument registers, in argument order. */
export const ARG_REGS_I386 = [REG.rbx, REG.rcx, REG.rdx, REG.rsi, REG.rdi, REG.rbp] as const;

export class PtraceError extends Error {
  constructor(readonly request: string, readonly tid: number, readonly errno: number) {
    super(`${request}(${tid}) failed: errno ${errno}`);
  }
}

export class Regs {
  readonly buf = Buffer.alloc(USER_REGS_SIZE);
  readonly r = new BigInt64Array(this.buf.buffer, this.buf.byteOffset, 27);
  get(tid: number): this {
    if (ptraceBuf(PTRACE_GETREGS, tid, 0, this.buf) < 0) throw new PtraceError('PTRACE_GETREGS', tid, errno());
    return this;
  }
  set(tid: number): void {
    if (ptraceBuf(PTRACE_SETREGS, tid, 0, this.buf) < 0) throw new PtraceError('PTRACE_SETREGS', tid, errno());
  }
}

/** Write one register of a stopped tracee. Returns false if the tracee is gone. */
export function pokeReg(tid: number, reg: number, value: bigint): boolean {
  return ptrace(PTRACE_POKEUSER, tid, reg * 8, BigInt.asIntN(64, value)) >= 0;
}

/**
 * struct ptrace_syscall_info (Linux 5.3+):
 *   u8 op; u8 pad[3]; u32 arch; u64 instruction_pointer; u64 stack_pointer;
 *   union { entry { u64 nr; u64 args[6] } ; exit { s64 rval; u8 is_error }
 *           seccomp { u64 nr; u64 args[6]; u32 ret_data } }
 */
export class SyscallInfo {
  /** Passed to ptrace by its address (a stop's calls: libc.ts, Pinned). */
  private readonly mem = new Pinned(96);
  readonly buf = this.mem.bytes;
  private readonly u64 = new BigUint64Array(this.buf.buffer, this.buf.byteOffset, 12);
  /** The same bytes as 32-bit words (x86_64 is little-endian: the low half of u64[i] is word 2i). */
  private readonly i32 = new Int32Array(this.buf.buffer, this.buf.byteOffset, 24);
  /** Fetch it; returns the op (PTRACE_SYSCALL_INFO_*), or -1 if the tracee is gone. */
  get(tid: number): number {
    if (ptrace(PTRACE_GET_SYSCALL_INFO, tid, 96, this.mem.addr) < 0) return -1;
    return this.buf[0]!;
  }
  get op(): number { return this.buf[0]!; }
  get arch(): number { return this.i32[1]! >>> 0; }
  get ip(): bigint { return this.u64[1]!; }
  get sp(): bigint { return this.u64[2]!; }
  /** Syscall number at entry or seccomp stops (a signed 64-bit value: -1 means skipped). */
  get nr(): number {
    const lo = this.i32[6]!;
    // Every real number (and -1) is a sign-extended 32-bit value: no BigInt needed.
    return this.i32[7] === lo >> 31 ? lo : Number(BigInt.asIntN(64, this.u64[3]!));
  }
  arg(i: number): bigint { return this.u64[4 + i]!; }
  args(): bigint[] { return [this.arg(0), this.arg(1), this.arg(2), this.arg(3), this.arg(4), this.arg(5)]; }
  /** Return value at exit stops. */
  get rval(): bigint { return BigInt.asIntN(64, this.u64[3]!); }
  get isError(): boolean { return this.buf[32] !== 0; }
  /** SECCOMP_RET_DATA at seccomp stops. */
  get retData(): number { return this.i32[20]! >>> 0; }
}
