// sysvm test FILE... : policy unit tests (docs/policy-tests.md).
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { renderJson, renderText, workflow } from '@sysvm/policy';
import { type Command, UsageError, UserError, oneOf } from '../command.js';

const rel = (f: string): string => (f.startsWith('builtin:') ? f : relative(process.cwd(), f) || f);

export const test: Command = {
  name: 'test',
  summary: 'run policy unit tests: calls written as text and the verdict each must get',
  usage: 'sysvm test [--format text|json] FILE|DIR...',
  description: [
    'Each FILE is a YAML test file (docs/policy-tests.md), a DIR stands for its *.test.yaml files.',
    'A test file names the policy it tests, the process',
    'context (cwd, home, open directory fds), and cases such as',
    "  - call: 'openat(AT_FDCWD, \"/etc/shadow\", O_RDONLY)'",
    '    expect: { deny: EACCES }',
    'Every case is decided by evaluate (the supervisor) and by the compiled seccomp-BPF prefilter',
    'in an interpreter (the kernel); where the kernel decides, both must give the expected verdict.',
    'Exit status: 0 every case passed, 1 a case failed, 2 a test file or its policy has errors',
    '(they are printed like lint diagnostics) or a usage error.',
  ].join('\n'),
  options: {
    format: { type: 'string', short: 'f', value: 'FORMAT', help: 'text or json', default: 'text' },
  },
  examples: [
    ['sysvm test examples/tests', 'run the tests of the example policies'],
    ['sysvm test --format json examples/tests/no-network.test.yaml', 'the results as JSON, for CI'],
  ],
  async run(ctx) {
    const format = oneOf('format', ctx.values.format, ['text', 'json'] as const);
    if (ctx.positionals.length === 0) throw new UsageError('no test file given');
    // A directory stands for the *.test.yaml files in it.
    const files = ctx.positionals.flatMap((f) => {
      let dir = false;
      try { dir = statSync(f).isDirectory(); } catch { /* reported by runTestFile */ }
      if (!dir) return [f];
      const found = readdirSync(f).filter((n) => n.endsWith('.test.yaml')).sort().map((n) => join(f, n));
      if (found.length === 0) throw new UserError(`no *.test.yaml files in ${f}`, 2);
      return found;
    });
    const results = files.map((f) => workflow.runTestFile(f));
    const diags = results.flatMap((r) => r.diagnostics);
    const counts = workflow.testCounts(results);
    if (format === 'json') {
      const out = {
        passed: counts.passed,
        failed: counts.failed,
        files: results.map((r) => ({
          file: r.file,
          ...(r.policy ? { policy: r.policy } : {}),
          diagnostics: JSON.parse(renderJson(r.diagnostics)) as unknown,
          cases: r.cases,
        })),
      };
      ctx.stdout.write(JSON.stringify(out, null, 2) + '\n');
    } else {
      const sources = new Map<string, string>();
      for (const r of results) for (const [k, v] of r.sources) sources.set(k, v);
      if (diags.length) ctx.stderr.write(renderText(diags, sources));
      ctx.stdout.write(workflow.renderTestText(results, rel));
    }
    if (counts.broken > 0) return 2;
    return counts.failed > 0 ? 1 : 0;
  },
};
