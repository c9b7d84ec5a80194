// A minimal classic-BPF assembler for the runtime's own seccomp programs (the policy's
// program comes from @sysvm/policy's compiler). struct sock_filter is 8 bytes:
// u16 code, u8 jt, u8 jf, u32 k.
import {
  AUDIT_ARCH_X86_64, CLONE_UNTRACED, ENOSYS, EPERM, NR, NR_MAX_KNOWN, SECCOMP_FILTER_FLAG_NEW_LISTENER, SECCOMP_RET_ALLOW, SECCOMP_RET_ERRNO,
  SECCOMP_RET_TRACE,
} from './consts.js';

export const BPF_LD_W_ABS = 0x20;
export const BPF_JEQ_K = 0x15;
export const BPF_JGE_K = 0x35;
export const BPF_JSET_K = 0x45;
export const BPF_RET_K = 0x06;
/** Offsets in struct seccomp_data. */
export const SECCOMP_DATA_NR = 0;
export const SECCOMP_DATA_ARCH = 4;
export const seccompDataArgLo = (i: number): number => 16 + 8 * i;

export interface Insn { code: number; jt: number; jf: number; k: number }
export const ld = (off: number): Insn => ({ code: BPF_LD_W_ABS, jt: 0, jf: 0, k: off });
export const jeq = (k: number, jt: number, jf: number): Insn => ({ code: BPF_JEQ_K, jt, jf, k: k >>> 0 });
export const jge = (k: number, jt: number, jf: number): Insn => ({ code: BPF_JGE_K, jt, jf, k: k >>> 0 });
export const jset = (k: number, jt: number, jf: number): Insn => ({ code: BPF_JSET_K, jt, jf, k: k >>> 0 });
export const ret = (k: number): Insn => ({ code: BPF_RET_K, jt: 0, jf: 0, k: k >>> 0 });

export function assemble(prog: Insn[]): Uint8Array {
  const out = Buffer.alloc(prog.length * 8);
  prog.forEach((i, n) => {
    out.writeUInt16LE(i.code, n * 8);
    out.writeUInt8(i.jt, n * 8 + 2);
    out.writeUInt8(i.jf, n * 8 + 3);
    out.writeUInt32LE(i.k >>> 0, n * 8 + 4);
  });
  return new Uint8Array(out.buffer, out.byteOffset, out.length);
}

/**
 * The runtime's safety filter, installed before the policy's whatever the policy says.
 * Seccomp runs every installed filter and the strictest action wins, so these hold even
 * where the policy's own program would allow:
 *  - only the x86_64 ABI: ia32 (`int 0x80`, arch AUDIT_ARCH_I386) and x32 (nr with
 *    X32_SYSCALL_BIT) calls fail with ENOSYS;
 *  - a syscall number above the catalogue's highest (NR_MAX_KNOWN: a call of a newer
 *    kernel than the catalogue's source, such as setxattrat on 6.13+) fails with ENOSYS: no
 *    rule can name it, so a default that passes would let it around every rule on the calls
 *    it does the work of (setxattrat around a path rule on setxattr);
 *  - ptrace(2) fails with EPERM unless the policy names it (then it stops for the
 *    supervisor, which still refuses any target outside the sandbox);
 *  - io_uring_setup(2) fails with EPERM unless the policy names it: io_uring does the
 *    work of syscalls without any syscall the tracer could see;
 *  - clone(2) with CLONE_UNTRACED fails with EPERM: that flag keeps the child from being
 *    attached automatically, and it would run on untraced (and survive the sandbox);
 *  - clone3(2) fails with ENOSYS: its flags are in memory, which neither BPF nor (safely,
 *    against a sibling thread) the supervisor can check for CLONE_UNTRACED; libc then
 *    falls back to clone(2);
 *  - process_vm_readv/writev (ptrace-like access to another process's memory) always
 *    stop, so that the supervisor can refuse a pid outside the sandbox;
 *  - prlimit64 of a pid other than 0 (the caller) stops, so that the supervisor can refuse
 *    new limits for a process outside the sandbox (see the tracer's safety rules);
 *  - chroot, pivot_root and setns always stop: they change the root that the supervisor
 *    resolves paths against;
 *  - pidfd_getfd fails with EPERM: its target is named by an fd that a sibling thread can
 *    dup2 over after any check;
 *  - seccomp(2) with SECCOMP_FILTER_FLAG_NEW_LISTENER fails with EPERM: a filter of the
 *    program's own returning SECCOMP_RET_USER_NOTIF outranks the policy's SECCOMP_RET_TRACE
 *    (the strictest action wins), so the call would go to the program's own listener, which
 *    can let it run (SECCOMP_USER_NOTIF_FLAG_CONTINUE) without any stop. Other filters of
 *    the program's own are harmless: every other action that outranks TRACE (ERRNO, TRAP,
 *    KILL) keeps the call from running, and the lower ones (LOG, ALLOW) lose to TRACE;
 *  - syscall number -1 is never trapped: tracers set it to skip a call.
 */
export function safetyFilter(opts: { allowPtrace: boolean; allowIoUring: boolean }): Uint8Array {
  const ENOSYS_RET = SECCOMP_RET_ERRNO | ENOSYS;
  const EPERM_RET = SECCOMP_RET_ERRNO | EPERM;
  return assemble([
    /* 0 */ ld(SECCOMP_DATA_ARCH),
    /* 1 */ jeq(AUDIT_ARCH_X86_64, 1, 0),
    /* 2 */ ret(ENOSYS_RET),
    /* 3 */ ld(SECCOMP_DATA_NR),
    /* 4 */ jeq(0xffffffff, 27, 0), // -> 32 allow
    /* 5 */ jge(NR_MAX_KNOWN + 1, 0, 1), // also the x32 bit
    /* 6 */ ret(ENOSYS_RET),
    /* 7 */ jeq(NR.ptrace, 0, 1),
    /* 8 */ ret(opts.allowPtrace ? SECCOMP_RET_TRACE : EPERM_RET),
    /* 9 */ jeq(NR.io_uring_setup, 0, 1),
    /* 10*/ ret(opts.allowIoUring ? SECCOMP_RET_ALLOW : EPERM_RET),
    /* 11*/ jeq(NR.clone3, 0, 1),
    /* 12*/ ret(ENOSYS_RET),
    /* 13*/ jeq(NR.process_vm_readv, 4, 0), // -> 18 trace
    /* 14*/ jeq(NR.process_vm_writev, 3, 0),
    /* 15*/ jeq(NR.chroot, 2, 0),
    /* 16*/ jeq(NR.pivot_root, 1, 0),
    /* 17*/ jeq(NR.setns, 0, 1),
    /* 18*/ ret(SECCOMP_RET_TRACE),
    /* 19*/ jeq(NR.pidfd_getfd, 0, 1),
    /* 20*/ ret(EPERM_RET),
    /* 21*/ jeq(NR.seccomp, 0, 3), // -> 25
    /* 22*/ ld(seccompDataArgLo(1)),
    /* 23*/ jset(SECCOMP_FILTER_FLAG_NEW_LISTENER, 0, 8), // -> 32 allow
    /* 24*/ ret(EPERM_RET),
    /* 25*/ jeq(NR.clone, 0, 3), // -> 29
    /* 26*/ ld(seccompDataArgLo(0)),
    /* 27*/ jset(CLONE_UNTRACED, 0, 4), // -> 32 allow
    /* 28*/ ret(EPERM_RET),
    /* 29*/ jeq(NR.prlimit64, 0, 2), // -> 32 allow
    /* 30*/ ld(seccompDataArgLo(0)), // pid_t: its low half only
    /* 31*/ jeq(0, 0, 1), // -> 33 trace
    /* 32*/ ret(SECCOMP_RET_ALLOW),
    /* 33*/ ret(SECCOMP_RET_TRACE),
  ]);
}

/** For a policy without a prefilter under the seccomp backend: every call (but -1) stops. */
export function traceAllFilter(): Uint8Array {
  return assemble([ld(SECCOMP_DATA_NR), jeq(0xffffffff, 0, 1), ret(SECCOMP_RET_ALLOW), ret(SECCOMP_RET_TRACE)]);
}
