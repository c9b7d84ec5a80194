// The implementation of `sysvm report` (its options and help are in ../report.ts): imported only
// when the command runs.
import { readFileSync } from 'node:fs';
import { renderReport, summarize } from '@sysvm/policy';
import { type CommandContext, UsageError, UserError, oneOf } from '../../command.js';

export async function report(ctx: CommandContext): Promise<number> {
  const format = oneOf('format', ctx.values.format, ['text', 'json'] as const);
  const topN = Number(ctx.values.top);
  if (!Number.isInteger(topN) || topN < 1) throw new UsageError(`--top must be a positive integer (got '${String(ctx.values.top)}')`);
  if (ctx.positionals.length === 0) throw new UsageError('no log file given');
  let empty = false;
  const json: unknown[] = [];
  for (const file of ctx.positionals) {
    let text: string;
    try {
      text = readFileSync(file === '-' ? 0 : file, 'utf8');
    } catch (e) {
      throw new UserError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}; give a log written by 'sysvm run --log FILE'`);
    }
    const r = summarize(text, topN);
    if (r.events === 0) empty = true;
    if (format === 'json') json.push({ file, ...r });
    else ctx.stdout.write(renderReport(r, file === '-' ? '(stdin)' : file) + (ctx.positionals.length > 1 ? '\n' : ''));
    if (format === 'json') for (const b of r.bad) ctx.stderr.write(`${file}:${b.line}: ${b.error}\n`);
  }
  if (format === 'json') ctx.stdout.write(`${JSON.stringify(json.length === 1 ? json[0] : json, null, 2)}\n`);
  return empty ? 1 : 0;
}
