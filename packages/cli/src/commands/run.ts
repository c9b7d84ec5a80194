// sysvm run [-p POLICY] -- CMD [ARGS...]: run a program under a policy.
import type { Command } from '../command.js';

export const DEFAULT_POLICY = 'builtin:default';

export const run: Command = {
  name: 'run',
  summary: 'run a program in the sandbox: every system call gets the policy\'s verdict',
  usage: 'sysvm run [-p POLICY] [--backend auto|seccomp|ptrace|vmtags] [--audit] [--log FILE] [--quiet|--verbose] -- CMD [ARGS...]',
  description: [
    `Without -p the policy is ${DEFAULT_POLICY}: read the system, read and write the current`,
    'directory and a private temporary directory ($TMPDIR), no network but unix sockets in those',
    'two, the dangerous calls denied, ~/.ssh, ~/.gnupg, ~/.aws and the like unreadable',
    `('sysvm compile --explain ${DEFAULT_POLICY}' lists it).`,
    'Denials print a line each on stderr, the first 3 of each kind (system call and rule), then',
    'one line at the end with how many more there were; --verbose prints every one, --quiet none.',
    '--log appends every audited decision (denials, and rules with `log: true`) to FILE as JSON Lines.',
    'The exit status is the program\'s, 128+N when signal N ended it; 125 when sysvm itself failed',
    '(a usage error, a policy with errors, a program that cannot be started).',
    'NO_NEW_PRIVS is set in the sandbox: setuid and file capabilities do not take effect.',
    '--audit decides every call as the policy says but blocks none: each call the policy would',
    'deny or kill runs, and is logged ("sysvm: audit: would deny ..." on stderr, `audit: true` in',
    "the --log file). For rolling a policy out on a trusted program; 'sysvm report' summarises the",
    'log. It is not a sandbox; the runtime\'s own safety rules (ptrace, io_uring, clone3) still hold.',
    'SYSVM_POLICY_CACHE=1 caches the compiled policy in $XDG_CACHE_HOME/sysvm (~/.cache/sysvm), used only',
    'while every file it was read from has the same content and every ${var} the same value. It',
    'saves start-up time, but whoever can write there picks later runs\' policies: turn it on only',
    'where no policy you run lets a program write in ~/.cache (see docs/cli.md).',
  ].join('\n'),
  passthrough: true,
  usageExit: 125,
  options: {
    policy: { type: 'string', short: 'p', value: 'FILE', help: `the policy (a file or builtin:NAME)`, default: DEFAULT_POLICY },
    backend: { type: 'string', short: 'b', value: 'NAME', help: 'auto, seccomp, ptrace or vmtags', default: 'auto' },
    affinity: {
      type: 'string', value: 'MODE', default: 'auto',
      help: "the program's CPUs: auto (the supervisor's CPU while it stops often), same (always) or off",
    },
    log: { type: 'string', short: 'l', value: 'FILE', help: 'append audited decisions to FILE (JSON Lines)' },
    quiet: { type: 'boolean', short: 'q', help: 'no message on stderr per denial' },
    verbose: { type: 'boolean', short: 'v', help: 'a message on stderr for every denial, not only the first 3 of a kind' },
    audit: { type: 'boolean', help: 'block nothing: log every call the policy would deny or kill' },
    stats: { type: 'boolean', help: 'print the stop counts on stderr at the end' },
    'no-prefilter': { type: 'boolean', help: 'vmtags: no seccomp prefilter, every call stops once (for measuring)' },
    'keep-tmp': { type: 'boolean', help: 'keep the private temporary directory' },
  },
  examples: [
    ['sysvm run -- ls -l', `run ls under ${DEFAULT_POLICY}`],
    ['sysvm run -p examples/no-network.yaml -- curl https://example.org', 'no network: connect fails with EAFNOSUPPORT'],
    ['sysvm run --log audit.jsonl -p policy.yaml -- make', 'keep an audit trail of every denial'],
    ['sysvm run --backend ptrace --stats -- true', 'the reference backend, with stop counts'],
    ['sysvm run --audit --log audit.jsonl -p policy.yaml -- make && sysvm report audit.jsonl', 'try a policy out without enforcing it'],
  ],
  run: async (ctx) => (await import('./impl/run.js')).run(ctx),
};
