// Errors of the back ends. Each has a stable code and, where a rule caused it, the
// place in the policy file, so the cli can print `file:line:col: CODE message`.
import type { SourceRange } from '../ir.js';

export type CompileErrorCode =
  /** An errno the kernel cannot return (outside 1..4095). */
  | 'SVB001'
  /** More rules than SECCOMP_RET_DATA (16 bits) can name. */
  | 'SVB002'
  /** The program is longer than the kernel's BPF_MAXINSNS (4096). */
  | 'SVB003'
  /** An architecture this back end does not compile for. */
  | 'SVB004'
  /** A malformed condition in the IR (argument index, width, operand count). */
  | 'SVB005';

/** One line per code, for docs and `--help`. */
export const COMPILE_ERROR_CODES: Record<CompileErrorCode, string> = {
  SVB001: 'deny with an errno the kernel cannot return (outside 1..4095)',
  SVB002: 'more rules than SECCOMP_RET_DATA (16 bits) can name (65534)',
  SVB003: 'the BPF program is longer than the kernel allows (4096 instructions)',
  SVB004: 'the BPF back end does not compile for this architecture (x86_64 only)',
  SVB005: 'a malformed condition in the IR (argument index, width, operand count)',
};

export class CompileError extends Error {
  readonly code: CompileErrorCode;
  readonly source: SourceRange | undefined;
  readonly hint: string | undefined;
  constructor(code: CompileErrorCode, message: string, source?: SourceRange, hint?: string) {
    const where = source ? `${source.file}:${source.line}:${source.column}: ` : '';
    super(`${where}${code} ${message}${hint ? ` (${hint})` : ''}`);
    this.name = 'CompileError';
    this.code = code;
    this.source = source;
    this.hint = hint;
  }
}
