// The implementation of `sysvm compile` (its options and help are in ../compile.ts): imported only
// when the command runs.
import { writeFileSync } from 'node:fs';
import { bpf, compileBpf, disassembleBpf, explainPolicy } from '@sysvm/policy';
import { type CommandContext, UsageError } from '../../command.js';
import { loadOrFail } from '../policy-arg.js';

export async function compile(ctx: CommandContext): Promise<number> {
  if (ctx.positionals.length !== 1) throw new UsageError('give exactly one policy file (or builtin:NAME)');
  if (ctx.values.explain && ctx.values.bpf) throw new UsageError('--explain and --bpf are exclusive');
  const file = ctx.positionals[0]!;
  const ir = loadOrFail(file, ctx.stderr);
  if (ctx.values.explain) {
    ctx.stdout.write(explainPolicy(ir, 'x86_64'));
    return 0;
  }
  const compiled = compileBpf(ir, 'x86_64');
  if (typeof ctx.values.output === 'string') {
    writeFileSync(ctx.values.output, bpf.toSockFilter(compiled.program));
  }
  if (ctx.values.bpf) {
    ctx.stdout.write(disassembleBpf(compiled));
    return 0;
  }
  const s = compiled.stats;
  ctx.stdout.write(
    [
      `${file}: ${s.instructions} BPF instructions (${s.unoptimizedInstructions} before optimizing), ${s.dispatch} dispatch over ${s.syscallsDispatched} syscalls`,
      `  syscalls decided in the kernel alone: ${s.syscalls.kernel}; by the supervisor: ${s.syscalls.supervisor}; depending on arguments: ${s.syscalls.mixed}`,
      `  decision points: ${s.decisions.kernel} in the kernel, ${s.decisions.supervisor} in the supervisor`,
      ...(s.unknownSyscalls.length ? [`  not on x86_64 (ignored there): ${s.unknownSyscalls.join(', ')}`] : []),
      "  'sysvm compile --explain' shows the table; '--bpf' the program",
    ].join('\n') + '\n',
  );
  return 0;
}
