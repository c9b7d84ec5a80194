// sysvm lint FILE... : every diagnostic of every file, never only the first.
import type { Command } from '../command.js';

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
  run: async (ctx) => (await import('./impl/lint.js')).lint(ctx),
};
