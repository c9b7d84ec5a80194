// sysvm report LOG...: what an audit or run log says, as tables (or JSON).
import type { Command } from '../command.js';

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
  run: async (ctx) => (await import('./impl/report.js')).report(ctx),
};
