// The syscall catalogue and constants, generated from the Linux sources (see
// tools/gen-abi.mjs); this module only indexes the generated tables.
import type { ArchName } from '../ir.js';
import { CONSTANTS } from './generated/constants.js';
import { KERNEL_SOURCE, SYSCALLS } from './generated/syscalls.js';
import type { SyscallInfo } from './types.js';

export type { ArgInfo, ArgKind, ConstantRow, SyscallInfo } from './types.js';
export { KERNEL_SOURCE };

const byName = new Map<string, SyscallInfo>(SYSCALLS.map((s) => [s.name, s]));
const byNr: Record<ArchName, Map<number, SyscallInfo>> = { x86_64: new Map(), i386: new Map(), aarch64: new Map() };
for (const s of SYSCALLS) {
  for (const arch of Object.keys(s.nr) as ArchName[]) {
    const n = s.nr[arch];
    if (n !== undefined && !byNr[arch].has(n)) byNr[arch].set(n, s);
  }
}
const constByName = new Map<string, bigint>(CONSTANTS.map(([n, v]) => [n, v]));
const errnoByName = new Map<string, number>();
const errnoByNr = new Map<number, string>();
for (const [n, v, g] of CONSTANTS) {
  if (g !== 'errno') continue;
  errnoByName.set(n, Number(v));
  // aliases (EWOULDBLOCK = EAGAIN, EDEADLOCK = EDEADLK): the first name is the canonical one
  if (!errnoByNr.has(Number(v))) errnoByNr.set(Number(v), n);
}

export function allSyscalls(): readonly SyscallInfo[] {
  return SYSCALLS;
}

export function syscallByName(name: string): SyscallInfo | undefined {
  return byName.get(name);
}

export function syscallByNumber(arch: ArchName, nr: number): SyscallInfo | undefined {
  return byNr[arch].get(nr);
}

export function syscallNumber(arch: ArchName, name: string): number | undefined {
  return byName.get(name)?.nr[arch];
}

export function syscallName(arch: ArchName, nr: number): string | undefined {
  return byNr[arch].get(nr)?.name;
}

/** The value of a constant by name (`O_RDONLY`, `AT_FDCWD` = -100n, `PTRACE_SEIZE`). */
export function constant(name: string): bigint | undefined {
  return constByName.get(name);
}

/** Like `constant`, but a missing name is a programming error (for the runtime's own use). */
export function constantOf(name: string): number {
  const v = constByName.get(name);
  if (v === undefined) throw new Error(`no constant ${name} in the generated tables`);
  return Number(v);
}

/** Every constant whose name starts with `prefix`, in header order (optionally of one group). */
export function constantsWithPrefix(prefix: string, group?: string): Array<[string, bigint]> {
  return CONSTANTS.filter(([n, , g]) => n.startsWith(prefix) && (group === undefined || g === group)).map(
    ([n, v]) => [n, v],
  );
}

export function errnoNumber(name: string): number | undefined {
  return errnoByName.get(name);
}

export function errnoName(nr: number): string | undefined {
  return errnoByNr.get(nr);
}

export function errnoNames(): string[] {
  return [...errnoByName.keys()];
}

/** AUDIT_ARCH_* values of the architectures sysvm knows. */
export const AUDIT_ARCH: Record<ArchName, number> = {
  x86_64: constantOf('AUDIT_ARCH_X86_64'),
  i386: constantOf('AUDIT_ARCH_I386'),
  aarch64: constantOf('AUDIT_ARCH_AARCH64'),
};

export { formatConstant, hasXlat } from './xlat.js';
