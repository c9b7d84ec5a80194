// sysvm doctor: what this machine offers the sandbox, and which backend `auto` picks.
import type { Command } from '../command.js';

export const doctor: Command = {
  name: 'doctor',
  summary: 'what this machine offers: seccomp, ptrace, the ptrace_vm patch, Landlock; the backend auto picks',
  usage: 'sysvm doctor [--format text|json]',
  description: [
    'Probes by trying, not by version numbers: a child is started, seized with PTRACE_SEIZE, and',
    'PTRACE_O_VM_TAGS and PTRACE_GET_SYSCALL_INFO are tried on it; landlock_create_ruleset() is',
    "called for the Landlock ABI; /bin/true is run under '--backend auto' to see which backend it",
    'takes. ✓ available, ✗ missing, · for information. Exit status: 0 when sysvm can run programs',
    'here, 1 when it cannot (no ptrace).',
  ].join('\n'),
  options: {
    format: { type: 'string', short: 'f', value: 'FORMAT', help: 'text or json', default: 'text' },
  },
  examples: [
    ['sysvm doctor', 'what works here, and why'],
    ['sysvm doctor --format json | jq .backend', 'the backend auto picks, for scripts'],
  ],
  run: async (ctx) => (await import('./impl/doctor.js')).doctor(ctx),
};
