// The implementation of `sysvm test` (its options and help are in ../test.ts): imported only
// when the command runs.
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { renderJson, renderText, workflow } from '@sysvm/policy';
import { type CommandContext, UsageError, UserError, oneOf } from '../../command.js';
import { asRun } from '../as-run.js';

const rel = (f: string): string => (f.startsWith('builtin:') ? f : relative(process.cwd(), f) || f);

export async function test(ctx: CommandContext): Promise<number> {
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
  // The verdicts `sysvm run` gives: the policy as the runtime judges it, the calls as the caller's.
  const results = files.map((f) => workflow.runTestFile(f, { judge: asRun }));
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
}
