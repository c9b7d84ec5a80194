// The linter: warnings and notes beyond the loader's hard errors.
import type { Diagnostic } from '../diagnostics.js';
import { BUILTIN_PREFIX, loadPolicy, type LoadOptions, type LoadResult, type PolicyText } from '../front/load.js';
import { sortDiagnostics } from '../render.js';
import { CHECKS } from './checks.js';

/** The lint findings for a loaded policy (not the loader's own diagnostics). */
export function lintPolicy(loaded: LoadResult): Diagnostic[] {
  const all = CHECKS.flatMap((c) => c.run(loaded.model));
  // Findings inside a built-in policy are sysvm's business (its tests keep them clean of
  // warnings), not the user's: report them only when the built-in itself is linted.
  const root = loaded.model.files[0] ?? '';
  const mine = root.startsWith(BUILTIN_PREFIX) ? all : all.filter((d) => !d.range.file.startsWith(BUILTIN_PREFIX));
  return sortDiagnostics(mine);
}

/** Load and lint: the result's `diagnostics` hold both, sorted. What `sysvm lint` runs. */
export function checkPolicy(source: string | PolicyText, options: LoadOptions = {}): LoadResult {
  const loaded = loadPolicy(source, options);
  return { ...loaded, diagnostics: sortDiagnostics([...loaded.diagnostics, ...lintPolicy(loaded)]) };
}

/** True when a policy has no errors and no warnings (notes are fine). */
export function isClean(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.every((d) => d.severity === 'info');
}
