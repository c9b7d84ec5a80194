// The implementation of `sysvm lint` (its options and help are in ../lint.ts): imported only
// when the command runs.
import { type Diagnostic, ALL_CODES, lintPolicy, loadPolicy, renderJson, renderSarif, renderText } from '@sysvm/policy';
import { type CommandContext, UsageError, oneOf } from '../../command.js';
import { VERSION } from '../../version.js';

export async function lint(ctx: CommandContext): Promise<number> {
  const format = oneOf('format', ctx.values.format, ['text', 'json', 'sarif'] as const);
  if (ctx.positionals.length === 0) throw new UsageError('no policy file given');
  const all: Diagnostic[] = [];
  const sources = new Map<string, string>();
  for (const file of ctx.positionals) {
    const result = loadPolicy(file);
    for (const [k, v] of result.sources) sources.set(k, v);
    const diags = [...result.diagnostics, ...lintPolicy(result)];
    // one diagnostic once, even when two files extend the same base
    for (const d of diags) {
      const key = `${d.code}@${d.range.file}:${d.range.line}:${d.range.column}:${d.message}`;
      if (!all.some((x) => `${x.code}@${x.range.file}:${x.range.line}:${x.range.column}:${x.message}` === key)) {
        all.push(d);
      }
    }
  }
  const shown = ctx.values.quiet ? all.filter((d) => d.severity === 'error') : all;
  if (format === 'json') ctx.stdout.write(renderJson(shown));
  else if (format === 'sarif') {
    const rules = ALL_CODES.map((c) => ({ code: c.code, title: c.message.replace(/\{\w+\}/g, '…'), help: c.hint }));
    ctx.stdout.write(renderSarif(shown, rules, VERSION));
  } else {
    // info is advice (advisory rules, costs); text shows it on request, with a count
    const text = renderText(ctx.values.verbose ? shown : shown.filter((d) => d.severity !== 'info'), sources);
    const info = shown.filter((d) => d.severity === 'info').length;
    ctx.stdout.write(text || `${ctx.positionals.join(', ')}: no problems found\n`);
    if (info && !ctx.values.verbose) ctx.stdout.write(`(${info} info diagnostic${info === 1 ? '' : 's'} not shown: --verbose shows them)\n`);
  }
  const errors = all.some((d) => d.severity === 'error');
  const warnings = all.some((d) => d.severity === 'warning');
  return errors || (ctx.values.strict && warnings) ? 1 : 0;
}
