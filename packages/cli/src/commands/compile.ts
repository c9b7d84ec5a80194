// sysvm compile FILE [--explain | --bpf | --raw]: what the kernel will decide alone and
// what the supervisor will decide.
import type { Command } from '../command.js';

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
  run: async (ctx) => (await import('./impl/compile.js')).compile(ctx),
};
