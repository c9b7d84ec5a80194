// The implementation of `sysvm oci` (its options and help are in ../oci.ts): imported only
// when the command runs.
import { readFileSync, writeFileSync } from 'node:fs';
import { workflow } from '@sysvm/policy';
import { type CommandContext, UsageError, UserError } from '../../command.js';
import { loadOrFail } from '../policy-arg.js';

function readInput(file: string): string {
  try {
    return readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new UserError(`cannot read '${file}': ${code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
}

function write(ctx: { stdout: NodeJS.WritableStream }, output: unknown, text: string): void {
  if (typeof output === 'string' && output !== '-') writeFileSync(output, text);
  else ctx.stdout.write(text);
}

export async function importOci(ctx: CommandContext): Promise<number> {
  if (ctx.positionals.length !== 1) throw new UsageError('give exactly one profile (JSON file, or - for stdin)');
  const file = ctx.positionals[0]!;
  let json: unknown;
  try {
    json = workflow.parseOciJson(readInput(file));
  } catch (e) {
    if (e instanceof UserError) throw e;
    throw new UserError(`${file} is not JSON: ${(e as Error).message}`);
  }
  const r = workflow.importOci(json, {
    caps: (ctx.values.cap as string[] | undefined) ?? [],
    ...(typeof ctx.values.kernel === 'string' ? { kernel: ctx.values.kernel } : {}),
    name: String(ctx.values.name),
    source: file,
  });
  if (r.error) throw new UserError(`${file}: ${r.error}`);
  for (const n of r.notes) ctx.stderr.write(`sysvm import-oci: note: ${n}\n`);
  write(ctx, ctx.values.output, r.yaml);
  return 0;
}

export async function exportOci(ctx: CommandContext): Promise<number> {
  if (ctx.positionals.length !== 1) throw new UsageError('give exactly one policy file (or builtin:NAME)');
  const ir = loadOrFail(ctx.positionals[0]!, ctx.stderr);
  const r = workflow.exportOci(ir);
  for (const n of r.notes) ctx.stderr.write(`sysvm export-oci: note: ${n}\n`);
  write(ctx, ctx.values.output, workflow.ociJson(r.profile));
  return 0;
}
