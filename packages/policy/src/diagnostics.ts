// Diagnostics: every error and warning the policy tools report. Modelled on
// typescript-eslint's messages (a stable code, data, 1-based ranges, a severity) and
// kafel's collected errors (never stop at the first).
import type { SourceRange } from './ir.js';

export type Severity = 'error' | 'warning' | 'info';

export interface Diagnostic {
  /** Stable code, e.g. `SV1001`. Documented in docs/lint-codes.md. */
  code: string;
  severity: Severity;
  message: string;
  range: SourceRange;
  /** What to do about it. */
  hint?: string;
}
