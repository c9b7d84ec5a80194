// What `sysvm run` and `sysvm learn` share: the program's command line after the options,
// and the runtime's failures (a program that cannot be started, a tracer that cannot work
// here) as sysvm's own failure, exit status 125, never a stack trace.
import { SandboxError } from '@sysvm/runtime';
import { type CommandContext, UsageError, UserError } from '../../command.js';

/** CMD [ARGS...]: what follows `--`, or the positionals when there is no `--`. */
export function programArgv(ctx: CommandContext, usage: string): [string, ...string[]] {
  if (ctx.rest.length && ctx.positionals.length) throw new UsageError(`unexpected argument '${ctx.positionals[0]}' before '--'`);
  const argv = ctx.rest.length ? ctx.rest : ctx.positionals;
  if (argv.length === 0) throw new UsageError(`no command given: ${usage}`);
  return argv as [string, ...string[]];
}

/** `f()`, with a SandboxError turned into sysvm's exit status 125 and its message. */
export async function sandboxed<T>(f: () => T | Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    if (e instanceof SandboxError) throw new UserError(e.message, 125);
    throw e;
  }
}
