// Lint for the TypeScript sources. Besides the recommended rules it enforces the
// dependency direction fixed by the design card: policy <- runtime <- cli.
//   - @sysvm/policy is pure TypeScript: it imports neither koffi, nor the runtime or
//     the cli, nor Node modules that touch process state (child_process, worker_threads).
//   - @sysvm/runtime may import @sysvm/policy, never the cli.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const restrict = (patterns, message) => ({
  'no-restricted-imports': ['error', { patterns: patterns.map((group) => ({ group: [group], message })) }],
});

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', 'kernel/**', '**/*.d.ts'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
  {
    files: ['tools/**/*.mjs', 'bench/**/*.mjs', 'examples/**/*.mjs', 'eslint.config.js'],
    languageOptions: {
      globals: {
        process: 'readonly', console: 'readonly', URL: 'readonly', Buffer: 'readonly',
        setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', clearInterval: 'readonly',
      },
    },
  },
  {
    files: ['packages/policy/**/*.ts'],
    rules: restrict(
      ['koffi', '@sysvm/runtime', '@sysvm/runtime/*', '@sysvm/cli', '@sysvm/cli/*', '**/runtime/src/**', '**/cli/src/**',
        'child_process', 'node:child_process', 'worker_threads', 'node:worker_threads'],
      'packages/policy is pure TypeScript: the direction is policy <- runtime <- cli.',
    ),
  },
  {
    files: ['packages/runtime/**/*.ts'],
    rules: restrict(['@sysvm/cli', '@sysvm/cli/*', '**/cli/src/**'],
      'packages/runtime must not depend on the cli: the direction is policy <- runtime <- cli.'),
  },
);
