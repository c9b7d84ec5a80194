// sysvm report LOG...: what an audit or run log says, as tables (or JSON).
import { readFileSync } from 'node:fs';
import { renderReport, summarize } from '@sysvm/policy';
import { type Command, UsageError, UserError, oneOf } from '../command.js';

export const report: Command = {
  name: 'report',
  summary: 'summarise an audit or run log: denials by rule, path, syscall and process',
  usage: 'sysvm report [--format text|json] [--top N] LOG...',
  description: [
    "LOG is a JSON Lines file written by 'sysvm run --log' (with or without --audit); '-' reads",
    'stdin. Prints the totals by verdict (audit-mode denials apart, as "deny (audit)"), then the',
    'top denials by rule (with its file:line), by path (the resolved path arguments), by syscall,',
    'and per process. Lines that are not audit events are reported with their line numbers and',
    'skipped. Exit status: 0, or 1 when a log cannot be read or holds no event at all.',
  ].join('\n'),
  options: {
    format: { type: 'string', short: 'f', value: 'FORMAT', help: 'text or json', default: 'text' },
    top: { type: 'string', short: 'n', value: 'N', help: 'rows per table', default: '10' },
  },
  examples: [
    ['sysvm run --audit --log audit.jsonl -p policy.yaml -- make; sysvm report audit.jsonl', 'what a policy would deny'],
    ['sysvm report --format json --top 5 audit.jsonl', 'the same as JSON, five rows per table'],
  ],
  async run(ctx) {
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
  },
};
