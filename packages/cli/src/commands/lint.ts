// sysvm lint FILE... : every diagnostic of every file, never only the first.
import { type Diagnostic, ALL_CODES, lintPolicy, loadPolicy, renderJson, renderSarif, renderText } from '@sysvm/policy';
import { type Command, UsageError, oneOf } from '../command.js';
import { VERSION } from '../version.js';

export const lint: Command = {
  name: 'lint',
  summary: 'check policy files: YAML and schema errors, unknown names, shadowed rules, dangerous passes',
  usage: 'sysvm lint [--format text|json|sarif] FILE...',
  description: [
    'Reads each policy (and what it extends), reports every problem with a stable code, its',
    'file:line:col, and a hint. FILE may be builtin:NAME. The codes are listed in docs/lint-codes.md.',
    'Exit status: 0 no errors (warnings allowed unless --strict), 1 errors found, 2 usage error.',
  ].join('\n'),
  options: {
    format: { type: 'string', short: 'f', value: 'FORMAT', help: 'text, json or sarif', default: 'text' },
    strict: { type: 'boolean', help: 'exit 1 on warnings too' },
    quiet: { type: 'boolean', short: 'q', help: 'errors only' },
    verbose: { type: 'boolean', short: 'v', help: 'show info diagnostics in text output too (json and sarif always have them)' },
  },
  examples: [
    ['sysvm lint examples/*.yaml', 'lint the example policies'],
    ['sysvm lint --format sarif policy.yaml > lint.sarif', 'SARIF for a code-scanning upload in CI'],
    ['sysvm lint builtin:default', 'lint a built-in policy'],
  ],
  async run(ctx) {
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
  },
};
