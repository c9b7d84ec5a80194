// The implementation of `sysvm learn` (its options and help are in ../learn.ts): imported only
// when the command runs.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { type LoggedEvent, NSCD_SOCKETS, learnPolicy, lintPolicy, loadPolicy, renderText } from '@sysvm/policy';
import { type AuditEvent, policyFromIR, spawn } from '@sysvm/runtime';
import { type CommandContext, UsageError, UserError, oneOf } from '../../command.js';
import { RECORDING_POLICY } from '../learn.js';
import { programArgv, sandboxed } from './sandboxed.js';

/**
 * What the recording runs under: RECORDING_POLICY, but nscd's socket is refused, as the
 * learned policy refuses it (see learnPolicy): glibc then looks names up itself, so the
 * files and DNS servers it needs are in the recording, and the policy works on machines
 * with nscd and without.
 */
export const RECORDING_TEXT = [
  'sysvm: 1',
  'name: sysvm learn recording',
  `extends: ${RECORDING_POLICY}`,
  'rules:',
  '  - name: learn.no-nscd',
  '    syscalls: connect',
  `    match: { addr: { equals: [${NSCD_SOCKETS.join(', ')}] } }`,
  '    action: { deny: ECONNREFUSED }',
  '',
].join('\n');

/** The ports the kernel picks for a bind to port 0 on this machine (undefined: Linux's default). */
function localPortRange(): [number, number] | undefined {
  try {
    const m = /^\s*(\d+)\s+(\d+)\s*$/.exec(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8'));
    return m && Number(m[1]) <= Number(m[2]) ? [Number(m[1]), Number(m[2])] : undefined;
  } catch {
    return undefined;
  }
}

export async function learn(ctx: CommandContext): Promise<number> {
  const backend = oneOf('backend', ctx.values.backend, ['auto', 'seccomp', 'ptrace', 'vmtags'] as const);
  const argv = programArgv(ctx, 'sysvm learn -o POLICY -- CMD [ARGS...]');
  if (typeof ctx.values.output !== 'string') throw new UsageError('give the policy file to write: -o POLICY');
  const out = ctx.values.output;
  if (existsSync(out) && !ctx.values.force) throw new UserError(`${out} exists; give --force to overwrite it`);

  const tmp = mkdtempSync(join(tmpdir(), 'sysvm-'));
  const events: LoggedEvent[] = [];
  const names = new Set<string>();
  const stderr = ctx.stderr as NodeJS.WriteStream;
  const showProgress = ctx.values.progress === true || stderr.isTTY === true;
  let lastDraw = 0;
  // On a terminal one line redrawn in place; elsewhere (--progress into a file) a line a second.
  const tty = stderr.isTTY === true;
  const draw = (final = false): void => {
    const now = Date.now();
    if (!showProgress || (!final && now - lastDraw < (tty ? 100 : 1000))) return;
    lastDraw = now;
    const line = `sysvm learn: recording ${argv[0]}: ${events.length} calls, ${names.size} syscalls`;
    stderr.write(tty ? `\r\x1b[K${line}${final ? '\n' : ''}` : `${line}\n`);
  };
  try {
    const rec = loadPolicy({ file: '<sysvm learn recording>', text: RECORDING_TEXT }, { context: { tmp } });
    const recErrors = rec.diagnostics.filter((d) => d.severity === 'error');
    if (!rec.ir || recErrors.length) {
      // A bug, not the user's: the recording policy is built in.
      throw new UserError(`the recording policy does not load (report this):\n${renderText(recErrors, rec.sources)}`);
    }
    const ir = rec.ir;
    const child = await sandboxed(() => spawn({
      command: argv[0], args: argv.slice(1), env: { ...process.env, TMPDIR: tmp }, stdio: 'inherit', backend,
      policy: policyFromIR(ir), quiet: true, forwardSignals: ['SIGTERM', 'SIGHUP'],
    }));
    child.on('decision', (e: AuditEvent) => {
      events.push(e);
      names.add(e.syscall);
      draw();
    });
    const result = await sandboxed(() => child.exited);
    draw(true);
    const ephemeralPorts = localPortRange();
    const learned = learnPolicy(events, {
      cwd: process.cwd(), home: homedir(), tmp, command: argv, date: new Date().toISOString().slice(0, 10),
      ...(ephemeralPorts ? { ephemeralPorts } : {}),
    });
    writeFileSync(out, learned.yaml);
    // The policy must stand on its own: lint it as `sysvm lint` would.
    const loaded = loadPolicy(out);
    const diags = [...loaded.diagnostics, ...lintPolicy(loaded)].filter((d) => d.severity !== 'info');
    const status = result.code !== null ? `exit status ${result.code}` : `killed by ${result.signal ?? `signal ${result.signalNumber}`}`;
    ctx.stderr.write(
      `sysvm learn: ${argv[0]} ended with ${status}; recorded ${events.length} calls: ${learned.syscalls} syscalls, ${learned.paths} paths, ${learned.endpoints} socket address${learned.endpoints === 1 ? '' : 'es'}\n`
      + `sysvm learn: wrote ${learned.rules} rules to ${out}`
      + (diags.length ? `; 'sysvm lint' finds ${diags.length} problem(s):\n${renderText(diags, loaded.sources)}` : "; 'sysvm lint' finds no problems\n"),
    );
    if (learned.dangerous.length) {
      ctx.stderr.write(`sysvm learn: the program called ${learned.dangerous.join(', ')}, which can weaken any sandbox: the policy allows them with an acknowledge; check that it must\n`);
    }
    if (result.code !== 0) ctx.stderr.write(`sysvm learn: the program did not succeed: the policy has what this run did, which may not be what a good run does\n`);
    return diags.some((d) => d.severity === 'error') ? 1 : 0;
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
