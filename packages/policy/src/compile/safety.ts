// The safety defaults of the project, in one place so that the BPF prefilter
// (compile/bpf.ts), the decision program (evaluate.ts) and explain (compile/explain.ts)
// can never disagree about them.
import { AUDIT_ARCH, constantOf, errnoNumber } from '../abi/index.js';
import type { ArchName, PolicyIR, Verdict } from '../ir.js';

function errnoVerdict(name: string): Verdict {
  const errno = errnoNumber(name);
  if (errno === undefined) throw new Error(`abi errno ${name} missing: regenerate the abi (pnpm gen:abi)`);
  return { kind: 'deny', errno, errnoName: name };
}

/** AUDIT_ARCH_* of an architecture (what seccomp_data.arch holds). */
export function auditArch(arch: ArchName): number {
  return AUDIT_ARCH[arch] >>> 0;
}

/** x86_64's x32 ABI marker in the syscall number (__X32_SYSCALL_BIT, arch/x86/include/uapi/asm/unistd.h). */
export const X32_SYSCALL_BIT = constantOf('__X32_SYSCALL_BIT');

/** The syscall number -1 as seccomp_data.nr holds it (an int read as u32). */
export const NR_SKIP = 0xffffffff;

export type GuardId = 'arch' | 'nr-skip' | 'x32';

export interface Guard {
  id: GuardId;
  verdict: Verdict;
  /** Why, in one line (explain prints it). */
  reason: string;
}

const guardCache = new Map<ArchName, Guard[]>();

/** The guards the prefilter runs before it looks at the syscall number, in order. */
export function prefilterGuards(native: ArchName): readonly Guard[] {
  const cached = guardCache.get(native);
  if (cached) return cached;
  const guards: Guard[] = [
    // Security: a process can enter the kernel through another ABI than the policy's
    // (on x86_64, `int 0x80` arrives as AUDIT_ARCH_I386 with i386 numbers); its numbers
    // mean other calls, so any other architecture is refused outright.
    { id: 'arch', verdict: errnoVerdict('ENOSYS'), reason: `arch is not ${native} (AUDIT_ARCH 0x${auditArch(native).toString(16)})${native === 'x86_64' ? ', incl. ia32 int 0x80' : ''}` },
    // Security: nr -1 is never trapped. Tracers skip a call by setting nr to -1, and
    // the kernel re-runs the filter after a tracer changed the nr; a trap or an errno
    // here would overwrite the return value the tracer set. The kernel itself
    // returns -ENOSYS for nr -1, so letting it through runs nothing.
    { id: 'nr-skip', verdict: { kind: 'allow' }, reason: 'nr == -1 (a tracer skipping the call)' },
  ];
  if (native === 'x86_64') {
    // Security: x32 calls (nr | 0x40000000) share arch AUDIT_ARCH_X86_64 but use
    // other numbers: refused. (Checked after nr -1, which has every bit set.)
    guards.push({ id: 'x32', verdict: errnoVerdict('ENOSYS'), reason: `nr has the x32 bit (0x${X32_SYSCALL_BIT.toString(16)})` });
  }
  guardCache.set(native, guards);
  return guards;
}

/** The guard that decides this call before any rule, or undefined. `nr` is read as u32. */
export function prefilterGuard(native: ArchName, arch: number, nr: number): Guard | undefined {
  const guards = prefilterGuards(native);
  const u = nr >>> 0;
  if (arch >>> 0 !== auditArch(native)) return guards.find((g) => g.id === 'arch');
  if (u === NR_SKIP) return guards.find((g) => g.id === 'nr-skip');
  if (native === 'x86_64' && (u & X32_SYSCALL_BIT) !== 0) return guards.find((g) => g.id === 'x32');
  return undefined;
}

/**
 * io_uring does file and network work without system calls the tracer sees: its
 * three syscalls are denied (EPERM) unless some rule names them explicitly.
 */
export const IO_URING_SYSCALLS: readonly string[] = ['io_uring_setup', 'io_uring_enter', 'io_uring_register'];

export interface SafetyDefault {
  verdict: Verdict;
  reason: string;
}

const named = new WeakMap<PolicyIR, Set<string>>();

/** Every syscall name some rule of the policy names. */
export function namedSyscalls(ir: PolicyIR): Set<string> {
  let s = named.get(ir);
  if (!s) {
    s = new Set(ir.rules.flatMap((r) => r.syscalls));
    named.set(ir, s);
  }
  return s;
}

/** The safety default that replaces the policy's default for `name`, or undefined. */
export function safetyDefault(ir: PolicyIR, name: string): SafetyDefault | undefined {
  if (IO_URING_SYSCALLS.includes(name) && !namedSyscalls(ir).has(name)) {
    return { verdict: errnoVerdict('EPERM'), reason: 'io_uring bypasses the tracer; name it in a rule to decide otherwise' };
  }
  return undefined;
}
