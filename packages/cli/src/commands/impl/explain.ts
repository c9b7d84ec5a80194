// The implementation of `sysvm explain` (its options and help are in ../explain.ts): imported only
// when the command runs.
import { relative } from 'node:path';
import { renderText, workflow } from '@sysvm/policy';
import { type CommandContext, UsageError, UserError, oneOf } from '../../command.js';
import { asRun } from '../as-run.js';
import { loadOrFail } from '../policy-arg.js';

const rel = (f: string): string => (f.startsWith('builtin:') ? f : relative(process.cwd(), f) || f);

export async function explain(ctx: CommandContext): Promise<number> {
  const format = oneOf('format', ctx.values.format, ['text', 'json'] as const);
  if (ctx.positionals.length !== 2) throw new UsageError("give a policy and one call: sysvm explain POLICY 'openat(AT_FDCWD, \"x\", O_RDONLY)'");
  const [file, text] = ctx.positionals as [string, string];
  const cwd = typeof ctx.values.cwd === 'string' ? ctx.values.cwd : process.cwd();
  if (!cwd.startsWith('/')) throw new UsageError(`--cwd must be an absolute path (got '${cwd}')`);
  const home = typeof ctx.values.home === 'string' ? ctx.values.home : undefined;
  if (home !== undefined && !home.startsWith('/')) throw new UsageError(`--home must be an absolute path (got '${home}')`);
  const fds: Record<number, string> = {};
  for (const spec of (ctx.values.fd as string[] | undefined) ?? []) {
    const m = /^([0-9]+)=(\/.*)$/.exec(spec);
    if (!m) throw new UsageError(`--fd takes N=/absolute/dir (got '${spec}')`);
    fds[Number(m[1])] = m[2]!;
  }
  // ${tty}: the terminals named, none for `--tty none`; by default the loader's, this
  // command's own terminals (what `sysvm run` would give a program run from here).
  const ttys = (ctx.values.tty as string[] | undefined) ?? [];
  for (const t of ttys) {
    if (t !== 'none' && !/^\/dev\/\S+$/.test(t)) throw new UsageError(`--tty takes a terminal's path under /dev, or none (got '${t}')`);
  }
  if (ttys.includes('none') && ttys.length > 1) throw new UsageError('--tty none names no terminal: give it alone');
  const tty = ttys.length === 0 ? undefined : ttys.filter((t) => t !== 'none');
  const arch = oneOf('arch', ctx.values.arch, ['x86_64', 'i386'] as const);
  const parsed = workflow.parseCall(text, { cwd, fds, ...(ctx.values.missing === true ? { missing: true } : {}) }, { arch });
  if (!parsed.ok) {
    ctx.stderr.write(renderText(parsed.diagnostics, new Map([['<call>', text]])));
    throw new UserError('the call is malformed', 2);
  }
  const ir = loadOrFail(file, ctx.stderr, { context: { cwd, ...(home !== undefined ? { home } : {}), ...(tty !== undefined ? { tty } : {}) } });
  // The verdict `sysvm run` gives: the policy as the runtime judges it, the call as the caller's.
  const run = asRun(ir);
  const e = workflow.explainCall(run.ir, { ...parsed.call, invocation: run.invocation(parsed.call.invocation) });
  if (format === 'json') ctx.stdout.write(JSON.stringify(workflow.explanationJson(e), null, 2) + '\n');
  else ctx.stdout.write(workflow.renderExplanation(e, rel));
  return 0;
}
