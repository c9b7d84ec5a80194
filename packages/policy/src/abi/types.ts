// Types of the generated syscall catalogue (see tools/gen-abi.mjs).
import type { ArchName } from '../ir.js';

/**
 * What the compiler and the runtime can do with an argument:
 *   int/uint/long/ulong  plain integers (signed or not, 16, 32 or 64 bits)
 *   size                 a size_t
 *   fd / dirfd           a file descriptor; a dirfd is what a path argument is relative to
 *   path                 a C string the kernel resolves as a path (`dirfd` names its dirfd argument)
 *   flags                a bit set or enumeration named by constants with `constPrefix`
 *   mode                 a umode_t
 *   pid / uid            pid_t; uid_t or gid_t
 *   sockaddr             a struct sockaddr pointer (`lenArg` names its length argument)
 *   string               a C string that is not a path (an xattr name, a symlink target)
 *   pointer              any other pointer
 */
export type ArgKind = 'int' | 'uint' | 'long' | 'ulong' | 'size' | 'fd' | 'dirfd' | 'path' | 'flags' | 'mode'
  | 'pid' | 'uid' | 'sockaddr' | 'string' | 'pointer';

export interface ArgInfo {
  /** The kernel's name for it (SYSCALL_DEFINEn). */
  name: string;
  /** The C type as written in the kernel. */
  ctype: string;
  kind: ArgKind;
  /** 32 or 16: the kernel reads only the low 32 or 16 bits of the register (int; umode_t). */
  width: 16 | 32 | 64;
  signed: boolean;
  /** For a path: the index of the dirfd argument it is relative to. */
  dirfd?: number;
  /** For a sockaddr: the index of its length argument. */
  lenArg?: number;
  /** For flags: the prefix of the constants it takes (`O_`, `AT_`, `CLONE_`, ...). */
  constPrefix?: string;
  /** Other names users know it by (the man page's). */
  aliases?: string[];
}

export interface SyscallInfo {
  name: string;
  nr: Partial<Record<ArchName, number>>;
  /** null when the kernel has no SYSCALL_DEFINEn for it (arguments unknown). */
  args: ArgInfo[] | null;
  /** Where the SYSCALL_DEFINEn stands in the kernel tree. */
  defined?: string;
}

/** [name, value, group]; group is the header family (errno, fcntl, socket, ptrace, ...). */
export type ConstantRow = readonly [string, bigint, string];
