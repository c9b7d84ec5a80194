// sysvm explain POLICY 'CALL': which rule decides a call, where, and why the earlier rules
// did not match.
import { relative } from 'node:path';
import { renderText, workflow } from '@sysvm/policy';
import { type Command, UsageError, UserError, oneOf } from '../command.js';
import { loadOrFail } from './policy-arg.js';

const rel = (f: string): string => (f.startsWith('builtin:') ? f : relative(process.cwd(), f) || f);

export const explain: Command = {
  name: 'explain',
  summary: 'explain the decision of one call: the rule, kernel or supervisor, why earlier rules missed',
  usage: "sysvm explain [--cwd DIR] [--home DIR] [--fd N=DIR]... [--arch x86_64|i386] [--format text|json] POLICY 'CALL'",
  description: [
    'CALL is written as strace prints it: openat(AT_FDCWD, "/etc/passwd", O_RDONLY|O_CLOEXEC),',
    'socket(AF_INET, SOCK_STREAM, 0), kill(-1, SIGKILL). Integers (42, -1, 0x1ff, 0755), the',
    'kernel\'s constants joined with |, "strings" for paths, NULL. Relative paths resolve against',
    '--cwd (default: the current directory), or against the directory a dirfd names (--fd 3=/etc);',
    '`.` and `..` are folded, symlinks are not followed. --cwd and --home are also ${cwd} and',
    '${home} in the policy. Prints the verdict, what decided it, whether the kernel (the',
    'seccomp-BPF prefilter) or the supervisor decides, and for each rule naming the syscall each',
    'condition with the value it was checked against.',
    'Exit status: 0 explained, 2 the call or the options are malformed, 1 the policy has errors.',
  ].join('\n'),
  options: {
    cwd: { type: 'string', value: 'DIR', help: 'the working directory of the calling process (default: the current one)' },
    home: { type: 'string', value: 'DIR', help: 'the home directory for ~ and ${home} in the policy (default: yours)' },
    fd: { type: 'string', multiple: true, value: 'N=DIR', help: 'an open directory descriptor, for dirfd arguments' },
    arch: { type: 'string', value: 'ARCH', help: 'x86_64, or i386 for an int 0x80 call of a 64-bit process', default: 'x86_64' },
    format: { type: 'string', short: 'f', value: 'FORMAT', help: 'text or json', default: 'text' },
  },
  examples: [
    ["sysvm explain examples/read-only.yaml 'openat(AT_FDCWD, \"/etc/passwd\", O_RDONLY)'", 'why reading /etc/passwd is allowed'],
    ["sysvm explain builtin:default 'socket(AF_INET, SOCK_STREAM, 0)'", 'decided by the kernel alone'],
    ["sysvm explain --fd 3=/home/me/.ssh builtin:default 'openat(3, \"id_rsa\", O_RDONLY)'", 'a path relative to a dirfd'],
    ["sysvm explain --format json examples/no-network.yaml 'socket(AF_INET6, SOCK_DGRAM, 0)'", 'as JSON'],
  ],
  async run(ctx) {
    const format = oneOf('format', ctx.values.format, ['text', 'json'] as const);
    if (ctx.positionals.length !== 2) throw new UsageError("give a policy and one call: sysvm explain POLICY 'openat(AT_FDCWD, \"x\", O_RDONLY)'");
    const [file, text] = ctx.positionals as [string, string];
    const cwd = typeof ctx.values.cwd === 'string' ? ctx.values.cwd : process.cwd();
    if (!cwd.startsWith('/')) throw new UsageError(`--cwd must be an absolute path (got '${cwd}')`);
    const home = typeof ctx.values.home === 'string' ? ctx.values.home : undefined;
    if (home !== undefined && !home.startsWith('/')) throw new UsageError(`--home must be an absolute path (got '${home}')`);
    const fds: Record<number, string> = {};
    for (const spec of (ctx.values.fd as string[] | undefined) ?? []) {
      const m = /^([0-9]+)=(\/.*)$/.exec(spec);
      if (!m) throw new UsageError(`--fd takes N=/absolute/dir (got '${spec}')`);
      fds[Number(m[1])] = m[2]!;
    }
    const arch = oneOf('arch', ctx.values.arch, ['x86_64', 'i386'] as const);
    const parsed = workflow.parseCall(text, { cwd, fds }, { arch });
    if (!parsed.ok) {
      ctx.stderr.write(renderText(parsed.diagnostics, new Map([['<call>', text]])));
      throw new UserError('the call is malformed', 2);
    }
    const ir = loadOrFail(file, ctx.stderr, { context: { cwd, ...(home !== undefined ? { home } : {}) } });
    const e = workflow.explainCall(ir, parsed.call);
    if (format === 'json') ctx.stdout.write(JSON.stringify(workflow.explanationJson(e), null, 2) + '\n');
    else ctx.stdout.write(workflow.renderExplanation(e, rel));
    return 0;
  },
};
