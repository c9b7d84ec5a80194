// Loading a policy for a command that needs its IR: any error is printed as the linter
// prints it, and the command stops with exit 1.
// (@sysvm/policy/load, not the package's index: `sysvm run` needs the loader only)
import { type LoadOptions, type LoadResult, loadPolicy, renderText } from '@sysvm/policy/load';
import type { PolicyIR } from '@sysvm/policy/evaluate';
import { UserError } from '../command.js';

/** `exitCode`: what the command exits with on a bad policy (run uses 125, its own failures). */
export function loadOrFail(file: string, stderr: NodeJS.WritableStream, options: LoadOptions = {}, exitCode = 1): PolicyIR {
  return loadResultOrFail(file, stderr, options, exitCode).ir;
}

/** The same, with the loader's whole result (the sources it read). */
export function loadResultOrFail(file: string, stderr: NodeJS.WritableStream, options: LoadOptions = {}, exitCode = 1)
  : LoadResult & { ir: PolicyIR } {
  const result = loadPolicy(file, options);
  const errors = result.diagnostics.filter((d) => d.severity === 'error');
  if (!result.ir || errors.length) {
    stderr.write(renderText(errors, result.sources));
    throw new UserError(`${file} has errors; 'sysvm lint ${file}' shows every problem`, exitCode);
  }
  return result as LoadResult & { ir: PolicyIR };
}
