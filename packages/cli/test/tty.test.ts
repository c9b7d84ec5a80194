// `sysvm run` in a terminal, under builtin:default: the program reopens its own terminal by
// name (/dev/stderr, /dev/stdout, /dev/stdin, /dev/fd/N resolve to its /dev/pts/N: ${tty},
// rule own-terminal) and no other terminal. A real pseudo-terminal is made for each run
// (fixtures/pty-run.py: os.openpty), with a second one the program is not given.
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';

const ROOT = join(import.meta.dirname, '../../..');
const CLI = join(ROOT, 'packages/cli/dist/main.js');
const PTY_RUN = join(import.meta.dirname, 'fixtures/pty-run.py');
const BACKENDS = ['seccomp', 'ptrace'] as const;

interface PtyRun { status: number; output: string; tty: string; other: string }

/** `sysvm run -q --backend B -- ...cmd` with a new terminal as its stdin, stdout and stderr. */
function inTerminal(backend: string, cmd: string[]): PtyRun {
  const cwd = mkdtempSync(join(tmpdir(), 'sysvm-tty-'));
  const r = spawnSync('python3', [PTY_RUN, process.execPath, CLI, 'run', '-q', '--backend', backend, '--', ...cmd],
    { cwd, encoding: 'utf8', timeout: 90_000 });
  expect(r.stderr).toBe('');
  return JSON.parse(r.stdout) as PtyRun;
}

describe('${tty} is the terminals among fds 0-2 (terminalPaths, as ttyname(3) finds them)', () => {
  const policyEntry = join(ROOT, 'packages/policy/dist/index.js');
  const show = `import(${JSON.stringify(policyEntry)}).then((m) => console.log(JSON.stringify(m.terminalPaths())))`;
  test.for([
    // [shell command around `node -e SHOW`, which of the made terminals it must name]
    ['"$@"', ['tty']],
    ['"$@" | cat', ['tty']], // stdout a pipe: stdin and stderr still name it, once
    ['"$@" < /dev/null 2>/dev/null | cat', []], // /dev/null is a character device, no terminal
    ['"$@" < "$OTHER_TTY" | cat', ['other', 'tty']], // in fd order: stdin, then stderr
  ] as [string, string[]][])('%s -> %j', ([shell, which]) => {
    const r = spawnSync('python3', [PTY_RUN, 'sh', '-c', shell, 'sh', process.execPath, '-e', show], { encoding: 'utf8', timeout: 60_000 });
    const out = JSON.parse(r.stdout) as PtyRun;
    expect(out.status).toBe(0);
    expect(JSON.parse(out.output)).toEqual(which.map((w) => (w === 'tty' ? out.tty : out.other)));
  });
});

describe('sysvm run in a terminal (builtin:default)', () => {
  test.for(BACKENDS)('%s: echo > /dev/stderr, /dev/stdout and /dev/tty, and exec 3< /dev/stdin, reach the program\'s own terminal', (backend) => {
    const r = inTerminal(backend, ['sh', '-c', [
      'echo err > /dev/stderr',
      'echo out > /dev/stdout',
      'echo fd > /dev/fd/2',
      'echo tty > /dev/tty',
      'exec 3< /dev/stdin && echo stdin',
      'echo tee | tee /dev/stderr > /dev/null',
    ].join(' && ')]);
    expect(r.tty).toMatch(/^\/dev\/pts\/\d+$/);
    expect([r.status, r.output]).toEqual([0, 'err\nout\nfd\ntty\nstdin\ntee\n']);
  });

  test.for(BACKENDS)('%s: another terminal, one the program was not given, stays EACCES for reading and writing', (backend) => {
    const py = [
      'import os',
      'for p, f in (("/dev/stderr", os.O_WRONLY), ("/dev/stdout", os.O_WRONLY | os.O_TRUNC), ("/dev/stdin", os.O_RDONLY), ("/dev/fd/0", os.O_RDWR)):',
      '    os.close(os.open(p, f)); print(p, "opened")',
      'for f in (os.O_RDONLY, os.O_WRONLY, os.O_RDWR):',
      '    try: os.close(os.open(os.environ["OTHER_TTY"], f | os.O_NOCTTY)); print("other opened")',
      '    except OSError as e: print("other", e.errno)',
      'try: os.close(os.open(os.ttyname(0), os.O_WRONLY)); print("own by name opened")',
      'except OSError as e: print("own by name", e.errno)',
    ].join('\n');
    const r = inTerminal(backend, ['/usr/bin/python3', '-c', py]);
    expect(r.other).not.toBe(r.tty);
    expect([r.status, r.output]).toEqual([0, [
      '/dev/stderr opened', '/dev/stdout opened', '/dev/stdin opened', '/dev/fd/0 opened',
      'other 13', 'other 13', 'other 13',
      'own by name opened', ''].join('\n')]);
  });

  test.for(BACKENDS)('%s: with stdio not a terminal, no terminal is the program\'s own by name', (backend) => {
    // sysvm's fds 0-2 are /dev/null and a pipe: ${tty} is empty. The terminal made here is
    // still the program's controlling terminal, which it reaches as /dev/tty (rule devices),
    // but its /dev/pts/N name, like any other terminal's, is refused.
    const py = [
      'import os',
      'for p in ("/dev/tty", os.environ["SELF_TTY"], os.environ["OTHER_TTY"]):',
      '    try: os.close(os.open(p, os.O_WRONLY | os.O_NOCTTY)); print("opened")',
      '    except OSError as e: print(e.errno)',
    ].join('\n');
    const cwd = mkdtempSync(join(tmpdir(), 'sysvm-tty-'));
    const r = spawnSync('python3', [PTY_RUN, 'sh', '-c', '"$0" "$@" < /dev/null 2>&1 | cat',
      process.execPath, CLI, 'run', '-q', '--backend', backend, '--', '/usr/bin/python3', '-c', py],
    { cwd, encoding: 'utf8', timeout: 90_000 });
    const out = JSON.parse(r.stdout) as PtyRun;
    expect([out.status, out.output]).toEqual([0, 'opened\n13\n13\n']);
  });
});

describe('the API in a terminal: loadPolicy from a file, then spawn with stdio inherit', () => {
  // No CLI: @sysvm/policy's loader takes ${tty} from this process's fds 0-2, which the
  // program inherits, so the API behaves as `sysvm run` does.
  const policyEntry = join(ROOT, 'packages/policy/dist/index.js');
  const runtimeEntry = join(ROOT, 'packages/runtime/dist/index.js');
  test.for(BACKENDS)('%s', (backend) => {
    const script = [
      `import { loadPolicy } from ${JSON.stringify(policyEntry)};`,
      `import { policyFromIR, spawn } from ${JSON.stringify(runtimeEntry)};`,
      "const { ir } = loadPolicy('builtin:default');",
      'const p = spawn({ command: "sh", args: ["-c", "echo err > /dev/stderr && { true < \\"$OTHER_TTY\\"; } 2>/dev/null || echo refused"],',
      `  stdio: "inherit", backend: ${JSON.stringify(backend)}, quiet: true, policy: policyFromIR(ir) });`,
      'const r = await p.exited;',
      'console.log(`exit ${r.code}`);',
    ].join('\n');
    const cwd = mkdtempSync(join(tmpdir(), 'sysvm-tty-'));
    const r = spawnSync('python3', [PTY_RUN, process.execPath, '--input-type=module', '-e', script], { cwd, encoding: 'utf8', timeout: 90_000 });
    const out = JSON.parse(r.stdout) as PtyRun;
    expect([out.status, out.output]).toEqual([0, 'err\nrefused\nexit 0\n']);
  });
});

describe('sysvm explain and ${tty}', () => {
  // other-paths: EACCES, or ENOENT for a path that names nothing (the terminals exist)
  const REFUSED = 'verdict: deny EACCES (ENOENT when a path names nothing)';
  // The verdict on opening a terminal: by default explain's own terminals are ${tty}, as
  // `sysvm run` from the same place would give them; --tty names them; --tty none, no terminal.
  const verdictLine = (args: string[]) => {
    const cmd = 'for t in "$SELF_TTY" "$OTHER_TTY"; do "$@" "openat(AT_FDCWD, \\"$t\\", O_RDWR)" | sed -n 2p; done';
    const r = spawnSync('python3', [PTY_RUN, 'sh', '-c', cmd, 'sh', process.execPath, CLI, 'explain', ...args, 'builtin:default'],
      { encoding: 'utf8', timeout: 60_000 });
    const out = JSON.parse(r.stdout) as PtyRun;
    expect(out.status).toBe(0);
    return { verdicts: out.output.replaceAll('\r', '').trimEnd().split('\n'), tty: out.tty, other: out.other };
  };
  test('by default the terminal explain runs in is the program\'s own; another is not', () => {
    expect(verdictLine([]).verdicts).toEqual(['verdict: allow', REFUSED]);
  });
  test('--tty none: no terminal is', () => {
    expect(verdictLine(['--tty', 'none']).verdicts).toEqual([REFUSED, REFUSED]);
  });
  test('--tty PATH: that terminal is, whatever explain runs in', () => {
    // run with no terminal at all (stdio pipes): only --tty makes it the program's
    const probe = verdictLine([]);
    const r = spawnSync(process.execPath, [CLI, 'explain', '--tty', probe.other, 'builtin:default', `openat(AT_FDCWD, "${probe.other}", O_RDWR)`],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    expect([r.status, r.stdout.split('\n')[1]]).toEqual([0, 'verdict: allow']);
  });
  test.for([
    [['--tty', 'pts/3'], /--tty takes a terminal's path under \/dev, or none \(got 'pts\/3'\)/],
    [['--tty', 'none', '--tty', '/dev/pts/3'], /--tty none names no terminal: give it alone/],
  ] as const)('%j is a usage error', ([args, message]) => {
    const r = spawnSync(process.execPath, [CLI, 'explain', ...args, 'builtin:default', 'getpid()'], { encoding: 'utf8' });
    expect([r.status, r.stderr]).toEqual([2, expect.stringMatching(message)]);
  });
});
