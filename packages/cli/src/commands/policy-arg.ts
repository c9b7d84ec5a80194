// Loading a policy for a command that needs its IR: any error is printed as the linter
// prints it, and the command stops with exit 1.
import { type LoadOptions, type PolicyIR, loadPolicy, renderText } from '@sysvm/policy';
import { UserError } from '../command.js';

/** `exitCode`: what the command exits with on a bad policy (run uses 125, its own failures). */
export function loadOrFail(file: string, stderr: NodeJS.WritableStream, options: LoadOptions = {}, exitCode = 1): PolicyIR {
  const result = loadPolicy(file, options);
  const errors = result.diagnostics.filter((d) => d.severity === 'error');
  if (!result.ir || errors.length) {
    stderr.write(renderText(errors, result.sources));
    throw new UserError(`${file} has errors; 'sysvm lint ${file}' shows every problem`, exitCode);
  }
  return result.ir;
}
