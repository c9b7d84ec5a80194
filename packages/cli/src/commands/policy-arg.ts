// Loading a policy for a command that needs its IR: any error is printed as the linter
// prints it, and the command stops with exit 1.
import { type LoadOptions, type PolicyIR, loadPolicy, renderText } from '@sysvm/policy';
import { UserError } from '../command.js';

export function loadOrFail(file: string, stderr: NodeJS.WritableStream, options: LoadOptions = {}): PolicyIR {
  const result = loadPolicy(file, options);
  const errors = result.diagnostics.filter((d) => d.severity === 'error');
  if (!result.ir || errors.length) {
    stderr.write(renderText(errors, result.sources));
    throw new UserError(`${file} has errors; 'sysvm lint ${file}' shows every problem`);
  }
  return result.ir;
}
