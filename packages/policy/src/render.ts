// Renderers of diagnostics: text (the source line with carets, as minijail and
// yaml's prettifyError print them), JSON, and SARIF 2.1.0 for code-scanning UIs.
import type { Diagnostic, Severity } from './diagnostics.js';

/** The text of each file a diagnostic may point into, by the name used in `range.file`. */
export type SourceTexts = ReadonlyMap<string, string>;

const ORDER: Record<Severity, number> = { error: 0, warning: 1, info: 2 };

/** Diagnostics in reading order: by file, line, column, then severity. */
export function sortDiagnostics(diags: readonly Diagnostic[]): Diagnostic[] {
  return [...diags].sort(
    (a, b) =>
      a.range.file.localeCompare(b.range.file) ||
      a.range.line - b.range.line ||
      a.range.column - b.range.column ||
      ORDER[a.severity] - ORDER[b.severity] ||
      a.code.localeCompare(b.code),
  );
}

function excerpt(d: Diagnostic, text: string | undefined): string[] {
  if (text === undefined) return [];
  const lines = text.split(/\r?\n/);
  const src = lines[d.range.line - 1];
  if (src === undefined) return [];
  const num = String(d.range.line);
  const pad = ' '.repeat(num.length);
  const start = Math.max(1, d.range.column);
  // carets to the end of the range on this line (at least one)
  const end = d.range.endLine === d.range.line ? Math.max(d.range.endColumn, start + 1) : src.length + 1;
  const width = Math.max(1, Math.min(end, src.length + 1) - start);
  return [`  ${num} | ${src}`, `  ${pad} | ${' '.repeat(start - 1)}${'^'.repeat(width)}`];
}

/** `file:line:col: severity CODE: message`, the source line, carets, and the hint. */
export function renderText(diags: readonly Diagnostic[], sources: SourceTexts): string {
  const out: string[] = [];
  for (const d of sortDiagnostics(diags)) {
    out.push(`${d.range.file}:${d.range.line}:${d.range.column}: ${d.severity} ${d.code}: ${d.message}`);
    out.push(...excerpt(d, sources.get(d.range.file)));
    if (d.hint) out.push(`  hint: ${d.hint}`);
  }
  const counts = summary(diags);
  if (diags.length) out.push('', counts);
  return out.join('\n') + (out.length ? '\n' : '');
}

export function summary(diags: readonly Diagnostic[]): string {
  const n = (s: Severity) => diags.filter((d) => d.severity === s).length;
  const plural = (k: number, w: string) => `${k} ${w}${k === 1 ? '' : 's'}`;
  return `${plural(n('error'), 'error')}, ${plural(n('warning'), 'warning')}, ${n('info')} info`;
}

export function renderJson(diags: readonly Diagnostic[]): string {
  return JSON.stringify(sortDiagnostics(diags), null, 2) + '\n';
}

/** What SARIF needs to know about each code (its one-line description and help). */
export interface RuleDoc {
  code: string;
  title: string;
  help?: string;
}

export function renderSarif(diags: readonly Diagnostic[], rules: readonly RuleDoc[], version: string): string {
  const level = (s: Severity) => (s === 'info' ? 'note' : s);
  const used = new Set(diags.map((d) => d.code));
  const ruleList = rules.filter((r) => used.has(r.code));
  const index = new Map(ruleList.map((r, i) => [r.code, i]));
  const sarif = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'sysvm',
            version,
            informationUri: 'docs/lint-codes.md',
            rules: ruleList.map((r) => ({
              id: r.code,
              shortDescription: { text: r.title },
              ...(r.help ? { help: { text: r.help } } : {}),
            })),
          },
        },
        results: sortDiagnostics(diags).map((d) => ({
          ruleId: d.code,
          ...(index.has(d.code) ? { ruleIndex: index.get(d.code) } : {}),
          level: level(d.severity),
          message: { text: d.hint ? `${d.message} (${d.hint})` : d.message },
          locations: [
            {
              physicalLocation: {
                artifactLocation: { uri: d.range.file },
                region: {
                  startLine: d.range.line,
                  startColumn: d.range.column,
                  endLine: d.range.endLine,
                  endColumn: d.range.endColumn,
                },
              },
            },
          ],
        })),
      },
    ],
  };
  return JSON.stringify(sarif, null, 2) + '\n';
}
