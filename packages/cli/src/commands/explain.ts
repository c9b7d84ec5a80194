// sysvm explain POLICY 'CALL': which rule decides a call, where, and why the earlier rules
// did not match.
import type { Command } from '../command.js';

export const explain: Command = {
  name: 'explain',
  summary: 'explain the decision of one call: the rule, kernel or supervisor, why earlier rules missed',
  usage: "sysvm explain [--cwd DIR] [--home DIR] [--tty PATH|none]... [--fd N=DIR]... [--missing] [--arch x86_64|i386] [--format text|json] POLICY 'CALL'",
  description: [
    'CALL is written as strace prints it: openat(AT_FDCWD, "/etc/passwd", O_RDONLY|O_CLOEXEC),',
    'socket(AF_INET, SOCK_STREAM, 0), kill(-1, SIGKILL). Integers (42, -1, 0x1ff, 0755), the',
    'kernel\'s constants joined with |, "strings" for paths, NULL. Relative paths resolve against',
    '--cwd (default: the current directory), or against the directory a dirfd names (--fd 3=/etc);',
    '`.` and `..` are folded, symlinks are not followed. --cwd and --home are also ${cwd} and',
    '${home} in the policy; --tty gives ${tty}, the program\'s own terminals (default: those among',
    'this command\'s stdin, stdout and stderr, as `sysvm run` from here would give them). Prints the verdict, what decided it, whether the kernel (the',
    'seccomp-BPF prefilter) or the supervisor decides, and for each rule naming the syscall each',
    'condition with the value it was checked against. The verdict is the one `sysvm run` gives: a',
    'deny rule\'s paths hold under their host names too (symlinks resolved on this machine), and',
    '/proc/self is the caller\'s, a process of its own (pid 4194304; docs/cli.md). Paths exist unless',
    '--missing says they name nothing (for rules with `missing:`: { deny: EACCES, missing: ENOENT }).',
    'Exit status: 0 explained, 2 the call or the options are malformed, 1 the policy has errors.',
  ].join('\n'),
  options: {
    cwd: { type: 'string', value: 'DIR', help: 'the working directory of the calling process (default: the current one)' },
    home: { type: 'string', value: 'DIR', help: 'the home directory for ~ and ${home} in the policy (default: yours)' },
    tty: { type: 'string', multiple: true, value: 'PATH', help: 'a terminal that is ${tty} (repeatable), or none' },
    fd: { type: 'string', multiple: true, value: 'N=DIR', help: 'an open directory descriptor, for dirfd arguments' },
    missing: { type: 'boolean', help: 'the call\'s paths name nothing (they, or a directory on the way, do not exist)' },
    arch: { type: 'string', value: 'ARCH', help: 'x86_64, or i386 for an int 0x80 call of a 64-bit process', default: 'x86_64' },
    format: { type: 'string', short: 'f', value: 'FORMAT', help: 'text or json', default: 'text' },
  },
  examples: [
    ["sysvm explain examples/read-only.yaml 'openat(AT_FDCWD, \"/etc/passwd\", O_RDONLY)'", 'why reading /etc/passwd is allowed'],
    ["sysvm explain builtin:default 'socket(AF_INET, SOCK_STREAM, 0)'", 'decided by the kernel alone'],
    ["sysvm explain --fd 3=/home/me/.ssh builtin:default 'openat(3, \"id_rsa\", O_RDONLY)'", 'a path relative to a dirfd'],
    ["sysvm explain --format json examples/no-network.yaml 'socket(AF_INET6, SOCK_DGRAM, 0)'", 'as JSON'],
  ],
  run: async (ctx) => (await import('./impl/explain.js')).explain(ctx),
};
