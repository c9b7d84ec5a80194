// sysvm compile FILE [--explain | --bpf | --raw]: what the kernel will decide alone and
// what the supervisor will decide.
import { writeFileSync } from 'node:fs';
import { bpf, compileBpf, disassembleBpf, explainPolicy } from '@sysvm/policy';
import { type Command, UsageError } from '../command.js';
import { loadOrFail } from './policy-arg.js';

export const compile: Command = {
  name: 'compile',
  summary: 'compile a policy: the decision table (--explain) or the seccomp-BPF prefilter (--bpf)',
  usage: 'sysvm compile FILE [--explain | --bpf | --output FILE]',
  description: [
    'Without an option, prints a summary: how many syscalls the prefilter dispatches, how many',
    'decisions the kernel makes alone, and how many go to the supervisor.',
    '--explain prints, per syscall, the rules in order, each marked `kernel` (the seccomp-BPF',
    'prefilter returns the verdict, no stop) or `supervisor` (the call stops and the supervisor',
    'decides), then the default and the safety defaults. --bpf prints the BPF disassembly;',
    '--output writes the raw struct sock_filter array (8 bytes per instruction) to a file.',
  ].join('\n'),
  options: {
    explain: { type: 'boolean', short: 'e', help: 'the readable decision table per syscall' },
    bpf: { type: 'boolean', short: 'b', help: 'the seccomp-BPF program, disassembled' },
    output: { type: 'string', short: 'o', value: 'FILE', help: 'write the raw BPF program (struct sock_filter[]) to FILE' },
  },
  examples: [
    ['sysvm compile --explain examples/no-network.yaml', 'where each decision is made'],
    ['sysvm compile --explain builtin:default', 'the built-in default policy, rule by rule'],
    ['sysvm compile --bpf examples/read-only.yaml', 'the prefilter the kernel runs'],
  ],
  async run(ctx) {
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
  },
};
