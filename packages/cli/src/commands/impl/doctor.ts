// The implementation of `sysvm doctor` (its options and help are in ../doctor.ts): imported only
// when the command runs.
import { fileURLToPath } from 'node:url';
import { AUTO_BACKEND, type Check, probeMachine, run as runSandbox, startupBundles } from '@sysvm/runtime';
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

/**
 * The start-up bundles: the CLI's (dist/main.bundle.cjs, beside this module's dist/ tree)
 * and the tracer thread's. Not a reason to fail: without them the same code runs, slower to
 * start.
 */
function bundlesCheck(): Check {
  const cli = fileURLToPath(new URL('../../main.bundle.cjs', import.meta.url));
  const all = startupBundles(cli);
  const off = process.env.SYSVM_BUNDLE === '0';
  const stale = all.filter((b) => !b.fresh);
  const how = all.some((b) => b.installed) ? 'checked by content (an installed package)' : 'checked by size and mtime (a workspace)';
  return {
    id: 'bundles', title: 'start-up bundles', ok: off ? null : stale.length === 0,
    value: off ? 'off (SYSVM_BUNDLE=0)' : stale.length === 0 ? `in use, ${how}` : `stale or missing: ${stale.map((b) => b.file).join(', ')}`,
    why: off || stale.length > 0
      ? "dist/'s modules run instead: the same code, ≈ 0.1 s slower to start (rebuild them: node tools/bundle.mjs)"
      : 'sysvm run starts from one file per thread compiled from V8\'s code cache',
  };
}

export async function doctor(ctx: CommandContext): Promise<number> {
  const format = oneOf('format', ctx.values.format, ['text', 'json'] as const);
  const checks = [...probeMachine(), bundlesCheck()];
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
