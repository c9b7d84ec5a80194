// The implementation of `sysvm run` (its options and help are in ../run.ts): imported only
// when the command runs.
import { realpathSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { abi, auditPolicy, evaluate, isBlocking, terminalPaths, type PolicyIR } from '@sysvm/policy/evaluate';
import { AFFINITY_MODES, commandCandidates, judgedPolicy, makeRunTmp, policyFromIR, spawn, startTracer } from '@sysvm/runtime';
import { type CommandContext, oneOf, UsageError } from '../../command.js';
import { programArgv, sandboxed } from './sandboxed.js';
import { loadCached } from '../../policy-cache.js';

export async function run(ctx: CommandContext): Promise<number> {
  const backend = oneOf('backend', ctx.values.backend, ['auto', 'seccomp', 'ptrace', 'vmtags'] as const);
  const affinity = oneOf('affinity', ctx.values.affinity, AFFINITY_MODES);
  const argv = programArgv(ctx, 'sysvm run [OPTIONS] -- CMD [ARGS...]');
  if (ctx.values.quiet === true && ctx.values.verbose === true) throw new UsageError('--quiet and --verbose exclude each other');
  // The tracer thread starts now, while this thread loads the policy (two cores: about the
  // time of the shorter of the two is saved).
  const tracer = await sandboxed(() => startTracer());
  // The sandbox's private temporary directory: ${tmp} in policies, $TMPDIR for the program,
  // with the program's own /dev/shm in it (builtin:default binds /dev/shm there).
  const tmp = makeRunTmp();
  try {
    // The whole context, as the loader would complete it (front/load.ts, defaultContext), so
    // that the cache can see which of its values the policy uses. ${tty} is the terminals
    // among sysvm's stdin, stdout and stderr, which the program gets as its own (stdio
    // 'inherit' below).
    const context = { cwd: process.cwd(), home: homedir(), tmp, tty: terminalPaths(), env: process.env };
    const loaded = await loadCached(String(ctx.values.policy), ctx.stderr, context, 125);
    const audit = ctx.values.audit === true;
    // Audit mode: every deny/kill is sent to the supervisor, which logs it and lets it run
    // (another IR, so the tracer thread compiles its prefilter).
    const ir = audit ? auditPolicy(loaded.ir) : loaded.ir;
    const command = audit ? argv[0]! : await sandboxed(() => runnableCommand(argv[0]!, loaded.ir));
    const child = await sandboxed(() => spawn({
      command,
      args: argv.slice(1),
      env: { ...process.env, TMPDIR: tmp },
      stdio: 'inherit',
      backend,
      affinity,
      policy: audit ? policyFromIR(ir) : policyFromIR(ir, loaded.filter),
      ...(typeof ctx.values.log === 'string' ? { log: ctx.values.log } : {}),
      quiet: ctx.values.quiet === true,
      ...(ctx.values.verbose === true ? { denialLines: Infinity } : {}),
      audit,
      tracer,
      ...(ctx.values['no-prefilter'] === true ? { prefilter: false } : {}),
    }));
    // Signals to sysvm go to the program. A terminal's Ctrl-C already reaches the whole
    // foreground process group, the program included: do not deliver it twice.
    const forward = (sig: NodeJS.Signals) => () => {
      if (sig === 'SIGINT' && process.stdin.isTTY) return;
      child.kill(sig);
    };
    const handlers = (['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'] as const).map((s) => [s, forward(s)] as const);
    for (const [s, h] of handlers) process.on(s, h);
    let result;
    try {
      result = await sandboxed(() => child.exited);
    } finally {
      for (const [s, h] of handlers) process.off(s, h);
    }
    if (ctx.values.stats) {
      const s = result.stats;
      ctx.stderr.write(
        `sysvm: backend ${result.backend}; stops: ${s.stops.total} (syscall entry ${s.stops.syscallEntry}, exit ${s.stops.syscallExit}, seccomp ${s.stops.seccomp}, signal ${s.stops.signal}, group ${s.stops.group}, event ${s.stops.event}); ${s.tracees} tracees`
        + `${s.placement && s.placement.mode !== 'off' ? `; affinity ${s.placement.mode}: pinned ${s.placement.pins}, freed ${s.placement.frees}` : ''}\n`,
      );
    }
    if (result.code !== null) return result.code;
    return 128 + (result.signalNumber ?? 0);
  } finally {
    tracer.close();
    if (!ctx.values['keep-tmp']) rmSync(tmp, { recursive: true, force: true });
  }
}

/**
 * The program `sysvm run` starts for CMD: a name without a slash is looked up in PATH as
 * execvp(3) would, and the first executable of that name whose execve the policy lets run
 * is taken (as the policy judges it in the sandbox: the runtime's judgedPolicy), so that a
 * policy refusing ~/.pyenv/shims/python3 runs /usr/bin/python3, as a shell inside the
 * sandbox, or bubblewrap, would find it. When the policy refuses them all, the first, whose
 * execve then fails as the policy says. Audit mode (nothing refused) keeps PATH's first.
 */
function runnableCommand(name: string, ir: PolicyIR): string {
  if (name.includes('/')) return name;
  const candidates = commandCandidates(name, process.cwd(), process.env.PATH);
  if (candidates.length === 1) return candidates[0]!;
  const { judged } = judgedPolicy(ir);
  const nr = abi.syscallNumber('x86_64', 'execve')!;
  for (const file of candidates) {
    let path: string;
    try {
      path = realpathSync(file); // what the supervisor's walk resolves an existing file to
    } catch {
      continue;
    }
    const d = evaluate(judged, { arch: 'x86_64', nr, args: [0n, 0n, 0n, 0n, 0n, 0n], deref: { path: (arg) => (arg === 0 ? path : undefined) } });
    if (!isBlocking(d.verdict)) return file;
  }
  return candidates[0]!;
}
