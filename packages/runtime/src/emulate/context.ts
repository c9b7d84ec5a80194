// What an emulation module gets and gives back. A module (one per family, like gVisor's
// sys_*.go) turns an `emulate` verdict into one of two outcomes at the entry stop:
//   skip  -> PTRACE_VM_SKIPCALL: the call does not run and returns the module's value;
//   pass  -> the call runs, optionally with rewritten argument registers, and, if the module
//            wants to see or change the result, with an exit handler (tag 0: one more stop).
// Modules never call ptrace themselves except through the exit context (`setReturn`), and
// write tracee memory only with process_vm_writev (src/linux/mem.ts).
import type { VirtualClock } from '../ir.js';
import type { ArgRewrite } from '../types.js';
import { PathDeref } from '../tracer/paths.js';
import type { FileContent, FileStore } from './files.js';

/** The partial virtual machine a policy describes, as the runtime needs it (see `vmWorldFromIR`). */
export interface VmWorld {
  /** Some rule emulates time: the vDSO is hidden from every program at exec. */
  time: boolean;
  /** Every bind of the policy (longest `from` first), for the reverse mapping of results. */
  binds: Array<{ from: string; to: string }>;
  /**
   * The paths some rule denies with ENOENT (`filesystem.hide`): a directory listing drops
   * the entries the policy hides (emulate/dirents.ts). `under`: the value and what is below
   * it; `equals`: the value itself; `glob`: any entry may be hidden (each is asked).
   * Optional for hand-written inline policies (none: listings are not filtered).
   */
  hidden?: Array<{ op: 'equals' | 'under' | 'glob'; value: string }>;
  /** Some rule emulates a file: readlink of /proc/PID/fd/N shows a virtual fd's virtual path. */
  files?: boolean;
  /**
   * The virtual files (`equals` paths of file rules) absent on the host when the run began:
   * listings of their directory show them (dirents.ts).
   */
  listed?: Array<{ path: string; content: FileContent }>;
  /**
   * The virtual clock of the world, if the policy emulates time: absolute deadlines of the
   * calls a rule lets run are translated to the host's clock (deadlines.ts), and with an
   * offset whose `files` is true, file times are shifted (filetimes.ts).
   */
  clock?: VirtualClock;
}

export const EMPTY_WORLD: VmWorld = { time: false, binds: [], hidden: [] };

export interface EmuContext {
  pid: number;
  tid: number;
  /** The syscall's name. */
  name: string;
  args: readonly bigint[];
  /** The caller's stack pointer at the stop (for scratch memory, see `scratch`). */
  sp: bigint;
  deref: PathDeref;
  world: VmWorld;
  files: FileStore;
  /**
   * Would the policy hide this (virtual, absolute) path: an lstat of it denied with ENOENT?
   * Given by the tracer, which can ask the policy; absent: nothing is hidden.
   */
  hidden?: (path: string) => boolean;
}

export interface ExitContext {
  pid: number;
  tid: number;
  /** The call's return value (negative: -errno). */
  rval: bigint;
  /** Replace the return value the program sees. */
  setReturn(v: bigint): void;
  /** The program misbehaved in a way that breaks the emulation's security: kill its process. */
  killProcess(reason: string): void;
  /**
   * Make the thread issue the same call again, with the same arguments, when it resumes
   * (its instruction pointer goes back over the 2-byte `syscall` instruction, rax = the
   * call's number): the call is stopped and decided afresh. The result of this run is lost.
   */
  restart(): void;
}

export type ExitHandler = (x: ExitContext) => void;

export type EmuOutcome =
  | { skip: number }
  | { pass: true; rewrite?: ArgRewrite[]; atExit?: ExitHandler };

/** The x86-64 red zone: 128 bytes below the stack pointer that leaf code may use. */
const RED_ZONE = 128n;

/**
 * Where to put data the kernel must read instead of the program's argument: below the
 * caller's red zone, on its own stack, 16-byte aligned. Returns the address of each chunk.
 *
 * Security (TOCTOU): the caller is stopped in the syscall, so it cannot change this memory;
 * another thread of the same process (or a process writing /proc/PID/mem) could, between our
 * write and the kernel's copy of the argument. What the modules do about it: opens through
 * a rewritten path are re-checked at the exit (the fd must be the prepared file or lie under
 * the bind's target, else the process is killed), and a virtual file is only ever opened
 * read-only, so a swapped string can neither create nor truncate anything. Other rewritten
 * calls (bind remaps of stat, mkdir, unlink, ...) are as advisory against a racing sibling
 * thread as any pass decided on a path (see docs/runtime.md).
 */
export function scratchLayout(sp: bigint, chunks: Uint8Array[]): bigint[] {
  let at = BigInt.asUintN(64, sp) - RED_ZONE;
  const out: bigint[] = [];
  for (const c of chunks) {
    at = (at - BigInt(c.length) - 16n) & ~15n;
    out.push(at);
  }
  return out;
}

/** A C string (NUL-terminated bytes) of a path. */
