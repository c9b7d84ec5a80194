// The implementation of `sysvm doctor` (its options and help are in ../doctor.ts): imported only
// when the command runs.
import { AUTO_BACKEND, type Check, probeMachine, run as runSandbox } from '@sysvm/runtime';
import { type CommandContext, oneOf } from '../../command.js';

interface BackendChoice {
  /** What `--backend auto` ran with on this machine (a real run of /bin/true). */
  auto: string | null;
  why: string;
  error?: string;
}

async function tryAuto(checks: Check[]): Promise<BackendChoice> {
  try {
    const r = await runSandbox({
      command: '/bin/true', backend: 'auto', stdio: 'ignore',
      policy: { filter: null, decide: () => ({ verdict: { kind: 'allow' }, rule: null, log: false }) },
    });
    const vmtags = checks.find((c) => c.id === 'vmtags')?.ok === true;
    const why = r.backend === AUTO_BACKEND.tags
      ? `auto picks ${AUTO_BACKEND.tags}: this kernel accepts PTRACE_O_VM_TAGS (the ptrace_vm patch), one stop per decided call`
      : r.backend === AUTO_BACKEND.first
        ? `auto starts with ${AUTO_BACKEND.first}, and its filters installed here: ${AUTO_BACKEND.why}`
        : `auto starts with ${AUTO_BACKEND.first}, but the seccomp filters could not be installed here, so it fell back to ${r.backend}`;
    return { auto: r.backend, why: why + (vmtags && r.backend !== AUTO_BACKEND.tags ? '; this kernel has the ptrace_vm patch: --backend vmtags uses it' : '') };
  } catch (e) {
    return { auto: null, why: 'no backend can run a program here', error: e instanceof Error ? e.message : String(e) };
  }
}

export async function doctor(ctx: CommandContext): Promise<number> {
  const format = oneOf('format', ctx.values.format, ['text', 'json'] as const);
  const checks = probeMachine();
  const backend = await tryAuto(checks);
  if (format === 'json') {
    ctx.stdout.write(`${JSON.stringify({ checks, backend }, null, 2)}\n`);
  } else {
    const w = Math.max(...checks.map((c) => c.title.length));
    const lines = checks.flatMap((c) => [
      `${c.ok === true ? '✓' : c.ok === false ? '✗' : '·'} ${c.title.padEnd(w)}  ${c.value}`,
      `  ${' '.repeat(w)}  ${c.why}`,
    ]);
    lines.push('', backend.auto ? `--backend auto picks: ${backend.auto}` : '--backend auto: nothing can run here',
      `  ${backend.why}`, ...(backend.error ? [`  error: ${backend.error}`] : []));
    ctx.stdout.write(`${lines.join('\n')}\n`);
  }
  return backend.auto ? 0 : 1;
}
