// A small command framework over node:util's parseArgs: every command has a summary,
// a usage line, options with help text, and examples that `--help` prints. Usage
// errors exit 2 with a message that says what to do; no stack trace reaches the user.
import { parseArgs, type ParseArgsConfig } from 'node:util';

export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  multiple?: boolean;
  /** Shown in --help: the value's name, e.g. FILE. */
  value?: string;
  help: string;
  default?: string | boolean;
}

export interface Command {
  name: string;
  summary: string;
  usage: string;
  description?: string;
  options: Record<string, OptionSpec>;
  examples: Array<[string, string]>;
  /** The exit status of a usage error (default 2; `run` uses 125 so as not to shadow the program's). */
  usageExit?: number;
  /** Whether arguments after `--` (a command line to run) are taken as they are. */
  passthrough?: boolean;
  run(ctx: CommandContext): Promise<number>;
}

export interface CommandContext {
  values: Record<string, string | boolean | Array<string | boolean> | undefined>;
  positionals: string[];
  /** With `passthrough`: the words after `--`. */
  rest: string[];
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

/** An error in how the command was called: exit 2. */
export class UsageError extends Error {}

/** An error the user can fix (a missing file, a bad policy): exit 1 or the given code. */
export class UserError extends Error {
  constructor(
    message: string,
    readonly code = 1,
  ) {
    super(message);
  }
}

export function helpText(c: Command): string {
  const lines = [`sysvm ${c.name}: ${c.summary}`, '', `Usage: ${c.usage}`];
  if (c.description) lines.push('', c.description);
  const opts = Object.entries(c.options);
  if (opts.length) {
    lines.push('', 'Options:');
    const rows = opts.map(([name, o]) => {
      const flag = `${o.short ? `-${o.short}, ` : '    '}--${name}${o.type === 'string' ? ` ${o.value ?? 'VALUE'}` : ''}`;
      return [flag, o.help + (o.default !== undefined && o.default !== false ? ` (default: ${o.default})` : '')];
    });
    rows.push(['-h, --help', 'show this help']);
    const w = Math.max(...rows.map((r) => r[0]!.length));
    for (const [f, h] of rows) lines.push(`  ${f!.padEnd(w)}  ${h}`);
  }
  if (c.examples.length) {
    lines.push('', 'Examples:');
    for (const [cmd, what] of c.examples) lines.push(`  # ${what}`, `  ${cmd}`);
  }
  return lines.join('\n') + '\n';
}

export function parseCommand(c: Command, argv: string[]): CommandContext | 'help' {
  let words = argv;
  let rest: string[] = [];
  if (c.passthrough) {
    const dd = argv.indexOf('--');
    if (dd >= 0) {
      words = argv.slice(0, dd);
      rest = argv.slice(dd + 1);
    }
  }
  if (words.includes('-h') || words.includes('--help')) return 'help';
  const options: ParseArgsConfig['options'] = {};
  for (const [name, o] of Object.entries(c.options)) {
    options[name] = { type: o.type, ...(o.short ? { short: o.short } : {}), ...(o.multiple ? { multiple: true } : {}) };
    if (o.default !== undefined) options[name]!.default = o.default as string & boolean;
  }
  try {
    const { values, positionals } = parseArgs({ args: words, options, allowPositionals: true, strict: true });
    return { values, positionals, rest, stdout: process.stdout, stderr: process.stderr };
  } catch (e) {
    // parseArgs' messages are good ("Unknown option '--x'"); drop its "To specify a positional..." advice
    throw new UsageError(String((e as Error).message).split('. To specify')[0] ?? 'bad arguments');
  }
}

/** One of `allowed`, or a usage error naming them. */
export function oneOf<T extends string>(name: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T;
  throw new UsageError(`--${name} must be one of ${allowed.join(', ')} (got '${String(value)}')`);
}
