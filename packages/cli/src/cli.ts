// The `sysvm` command. Exit codes: 0 success, 1 a finding or a failure of the program
// run, 2 a usage error; `sysvm run` exits with the sandboxed program's status
// (128+N when a signal N ended it).
import { type Command, UsageError, UserError, helpText, parseCommand } from './command.js';
import { COMMANDS } from './commands/index.js';
import { VERSION } from './version.js';

function topHelp(): string {
  const w = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    `sysvm ${VERSION}: run untrusted programs under a system-call policy (deny, emulate or pass each call)`,
    '',
    'Usage: sysvm COMMAND [OPTIONS] [ARGS]',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(w)}  ${c.summary}`),
    '',
    "Run 'sysvm COMMAND --help' for a command's options and examples.",
    'Docs: docs/policy.md (the policy format), docs/cli.md (the commands), docs/lint-codes.md.',
    '',
  ].join('\n');
}

/** The commands that run a program with the arguments after `--`. */
const RUNS_PROGRAMS = ['run', 'learn'];

export async function main(given: string[]): Promise<number> {
  // Their arguments as the bytes they were (argv.ts): Node's process.argv has U+FFFD for
  // bytes that are not UTF-8, and `sysvm run -- CMD ARGS` passes ARGS on unchanged.
  const argv = RUNS_PROGRAMS.includes(given[0] ?? '') ? (await import('./argv.js')).exactArgs(given) : given;
  const [name, ...args] = argv;
  if (name === undefined || name === '-h' || name === '--help' || name === 'help') {
    if (name === 'help' && args[0]) return main([args[0], '--help']);
    process.stdout.write(topHelp());
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === '-V') {
    process.stdout.write(`sysvm ${VERSION}\n`);
    return 0;
  }
  const cmd: Command | undefined = COMMANDS.find((c) => c.name === name);
  if (!cmd) {
    process.stderr.write(`sysvm: error: unknown command '${name}'\n  hint: the commands are ${COMMANDS.map((c) => c.name).join(', ')}; see 'sysvm --help'\n`);
    return 2;
  }
  try {
    const ctx = parseCommand(cmd, args);
    if (ctx === 'help') {
      process.stdout.write(helpText(cmd));
      return 0;
    }
    return await cmd.run(ctx);
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`sysvm ${cmd.name}: error: ${e.message}\n  hint: see 'sysvm ${cmd.name} --help'\n`);
      return cmd.usageExit ?? 2;
    }
    if (e instanceof UserError) {
      process.stderr.write(`sysvm ${cmd.name}: error: ${e.message}\n`);
      return e.code;
    }
    // A bug of ours: say so plainly, with the stack only on request.
    const err = e as Error;
    process.stderr.write(`sysvm ${cmd.name}: internal error: ${err.message}\n  (this is a bug in sysvm; SYSVM_DEBUG=1 shows the stack)\n`);
    if (process.env.SYSVM_DEBUG) process.stderr.write(`${err.stack}\n`);
    return 70;
  }
}
