// The built `sysvm` command on real files and real programs: exit codes, outputs.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';

const ROOT = join(import.meta.dirname, '../../..');
const CLI = join(ROOT, 'packages/cli/dist/main.js');

function sysvm(args: string[], opts: { cwd?: string; input?: string } = {}) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: opts.cwd ?? ROOT, encoding: 'utf8', input: opts.input ?? '' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('sysvm (no command, help, version)', () => {
  test.for([
    [[], 2, /Commands:/],
    [['--help'], 0, /Usage: sysvm COMMAND/],
    [['--version'], 0, /^sysvm \d+\.\d+\.\d+\n$/],
    [['nope'], 2, /unknown command 'nope'/],
    [['lint', '--help'], 0, /Usage: sysvm lint/],
    [['run', '--help'], 0, /Examples:/],
    [['compile', '--help'], 0, /--explain/],
    [['lint', '--bogus', 'x'], 2, /Unknown option '--bogus'/],
    [['lint'], 2, /no policy file given/],
    [['lint', '--format', 'xml', 'examples/no-network.yaml'], 2, /--format must be one of text, json, sarif/],
    [['run', '--affinity', 'most', '--', 'true'], 125, /--affinity must be one of auto, same, off \(got 'most'\)/],
  ] as const)('sysvm %j exits %i', ([args, code, re]) => {
    const r = sysvm([...args]);
    expect(r.code).toBe(code);
    expect(r.stdout + r.stderr).toMatch(re);
  });
});

describe('sysvm lint', () => {
  test('the examples and the built-ins lint without errors', () => {
    const r = sysvm(['lint', 'examples/build-sandbox.yaml', 'examples/no-network.yaml', 'examples/read-only.yaml',
      'examples/fake-identity.yaml', 'examples/project-dev.yaml', 'builtin:default', 'builtin:permissive', 'builtin:audit']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });

  test('a broken policy: every problem, with file:line:col, code, carets and hint; exit 1', () => {
    const r = sysvm(['lint', 'packages/policy/test/fixtures/broken/unknown-names.yaml']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^packages\/policy\/test\/fixtures\/broken\/unknown-names\.yaml:\d+:\d+: error SV2001: /m);
    expect(r.stdout).toMatch(/^ +\| +\^+$/m);
    expect(r.stdout).toMatch(/^ {2}hint: /m);
    expect((r.stdout.match(/: error SV\d{4}:/g) ?? []).length).toBeGreaterThan(1);
  });

  test('json and sarif carry the same diagnostics', () => {
    const file = 'packages/policy/test/fixtures/broken/unknown-names.yaml';
    const json = JSON.parse(sysvm(['lint', '--format', 'json', file]).stdout) as Array<{ code: string }>;
    const sarif = JSON.parse(sysvm(['lint', '--format', 'sarif', file]).stdout);
    expect(sarif.version).toBe('2.1.0');
    expect(sarif.runs[0].results.map((r: { ruleId: string }) => r.ruleId)).toEqual(json.map((d) => d.code));
    expect(json.length).toBeGreaterThan(0);
  });

  test('a missing file is a diagnostic, not a stack trace', () => {
    const r = sysvm(['lint', 'no/such/policy.yaml']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('no/such/policy.yaml:1:1: error SV2008');
    expect(r.stderr).not.toMatch(/at .*\.js:\d+/);
  });
});

describe('sysvm compile', () => {
  test('--explain marks kernel and supervisor decisions', () => {
    const r = sysvm(['compile', '--explain', 'builtin:default']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/-> kernel: /);
    expect(r.stdout).toMatch(/-> supervisor: /);
    expect(r.stdout).toMatch(/nr == -1 .* -> kernel: allow/);
  });

  test('--bpf disassembles; --output writes 8 bytes per instruction', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sysvm-cli-'));
    const out = join(dir, 'prog.bpf');
    const r = sysvm(['compile', '--bpf', '--output', out, 'examples/no-network.yaml']);
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n').filter((l) => /^\s*\d+:/.test(l));
    expect(lines.length).toBeGreaterThan(5);
    expect(readFileSync(out).length).toBe(lines.length * 8);
  });

  test('a policy with errors: exit 1 and the diagnostics', () => {
    const r = sysvm(['compile', 'packages/policy/test/fixtures/broken/unknown-names.yaml']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/error SV2001/);
    expect(r.stderr).toMatch(/sysvm lint/);
  });
});

describe('a reader that goes away (EPIPE)', () => {
  test('sysvm compile --explain | head -1: one line, no stack trace, status 141 as for SIGPIPE', () => {
    const r = spawnSync('bash', ['-c', 'set -o pipefail; "$0" "$1" compile --explain builtin:default | head -1', process.execPath, join(ROOT, 'packages/cli/dist/sysvm.cjs')],
      { cwd: ROOT, encoding: 'utf8' });
    expect([r.status, r.stdout, r.stderr]).toEqual([141, 'policy default for x86_64 from builtin:default\n', '']);
  });

  test('sysvm run whose stderr reader is gone: the denial lines are lost, the program runs to its end', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sysvm-cli-'));
    // (the program's own stderr is /dev/null: only sysvm's lines go to the pipe)
    const r = spawnSync('bash', ['-c', `"$0" "$1" run -v -- sh -c 'for i in 1 2 3 4 5 6; do cat /etc/shadow; done 2>/dev/null; echo ran-on > "$OUT"' 2>&1 >/dev/null | head -c 1 >/dev/null; echo "\${PIPESTATUS[0]}"`,
      process.execPath, join(ROOT, 'packages/cli/dist/sysvm.cjs')], { cwd: dir, encoding: 'utf8', env: { ...process.env, OUT: join(dir, 'out') } });
    expect(r.stdout).toBe('0\n');
    expect(readFileSync(join(dir, 'out'), 'utf8')).toBe('ran-on\n');
  });
});

describe('sysvm run', () => {
  test.for(['seccomp', 'ptrace'])('%s: the program\'s exit status, and 128+N for a signal', (backend) => {
    expect(sysvm(['run', '-q', '--backend', backend, '--', 'sh', '-c', 'exit 7']).code).toBe(7);
    expect(sysvm(['run', '-q', '--backend', backend, '--', 'sh', '-c', 'kill -TERM $$']).code).toBe(143);
  });

  test.for(['seccomp', 'ptrace'])('%s: a denial is refused, printed once on stderr and logged as JSON Lines', (backend) => {
    const dir = mkdtempSync(join(tmpdir(), 'sysvm-cli-'));
    const log = join(dir, 'audit.jsonl');
    const r = sysvm(['run', '--backend', backend, '--log', log, '-p', 'examples/no-network.yaml', '--',
      'python3', '-c', 'import socket\ntry:\n socket.socket(socket.AF_INET)\nexcept OSError as e: print(e.errno)']);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe('97'); // EAFNOSUPPORT
    // a kernel-decided denial never stops, so it is neither printed nor logged: only
    // supervisor decisions are audited
    const events = readFileSync(log, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
    expect(events.every((e: { verdict: string }) => typeof e.verdict === 'string')).toBe(true);
  });

  test.for(['seccomp', 'ptrace'])('%s: the first 3 denials of a kind are printed, the rest counted at the end; -v prints each, -q none', (backend) => {
    // 7 refused opens of the same kind (openat by no-system-secrets), 2 of another (a write
    // below /usr), then the program's own last line.
    const sh = 'for i in 1 2 3 4 5 6 7; do cat /etc/shadow 2>/dev/null; done; (true > /usr/sysvm-x) 2>/dev/null; (true > /usr/sysvm-y) 2>/dev/null; echo done >&2';
    const dir = mkdtempSync(join(tmpdir(), 'sysvm-cli-'));
    const log = join(dir, 'audit.jsonl');
    const r = sysvm(['run', '--backend', backend, '--log', log, '--', 'sh', '-c', sh]);
    expect(r.code).toBe(0);
    const lines = r.stderr.trimEnd().split('\n');
    const shadow = /^sysvm: denied openat\(.*filename="\/etc\/shadow".* = -13 \(EACCES\) \[pid \d+\] by (\S+) at builtin:default:\d+$/;
    expect(lines.slice(0, 3).map((l) => shadow.test(l))).toEqual([true, true, true]);
    const rule = shadow.exec(lines[0]!)![1]!;
    expect(lines.slice(3, 5).map((l) => /^sysvm: denied openat\(.*filename="\/usr\/sysvm-[xy]"/.test(l))).toEqual([true, true]);
    // the summary comes after everything the program wrote
    expect(lines.slice(5)).toEqual([
      'done',
      expect.stringMatching(new RegExp(`^sysvm: 4 more denials of openat by ${rule} at builtin:default:\\d+, not shown one by one \\(sysvm run -v shows each, --log FILE records each\\)$`)),
    ]);
    // the log has every one
    const logged = readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { verdict: string; args: { filename?: string } });
    expect(logged.filter((e) => e.verdict === 'deny' && e.args.filename === '/etc/shadow')).toHaveLength(7);
    const verbose = sysvm(['run', '-v', '--backend', backend, '--', 'sh', '-c', sh]);
    expect(verbose.stderr.trimEnd().split('\n').map((l) => (shadow.test(l) ? 'shadow' : l.startsWith('sysvm: denied') ? 'usr' : l)))
      .toEqual([...Array(7).fill('shadow'), 'usr', 'usr', 'done']);
    expect(sysvm(['run', '-q', '--backend', backend, '--', 'sh', '-c', sh]).stderr).toBe('done\n');
    const both = sysvm(['run', '-q', '-v', '--', 'true']);
    expect([both.code, both.stderr]).toEqual([125, expect.stringMatching(/--quiet and --verbose exclude each other/)]);
  });

  test.for(['seccomp', 'ptrace'])('%s: a quiet rule\'s denials print nothing, and are logged as any denial', (backend) => {
    const dir = mkdtempSync(join(tmpdir(), 'sysvm-cli-'));
    const policy = join(dir, 'p.yaml');
    writeFileSync(policy, [
      'sysvm: 1',
      'default: allow',
      'rules:',
      '  - name: probe',
      '    syscalls: [openat]',
      '    match: { path: { under: /etc/sysvm-quiet-probe } }',
      '    action: { deny: ENOENT }',
      '    quiet: true',
      '  - name: loud',
      '    syscalls: [openat]',
      '    match: { path: { under: /etc/sysvm-loud-probe } }',
      '    action: { deny: EACCES }',
      '',
    ].join('\n'));
    const log = join(dir, 'audit.jsonl');
    const sh = 'cat /etc/sysvm-quiet-probe 2>/dev/null || echo absent; cat /etc/sysvm-loud-probe 2>/dev/null || echo refused';
    const r = sysvm(['run', '-v', '--backend', backend, '--log', log, '-p', policy, '--', 'sh', '-c', sh]);
    expect([r.code, r.stdout]).toEqual([0, 'absent\nrefused\n']);
    expect(r.stderr).toMatch(/^sysvm: denied openat\(.*"\/etc\/sysvm-loud-probe".* by loud at .*p\.yaml:9\n$/);
    const logged = readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { rule: string; verdict: string; result: number; quiet?: boolean });
    expect(logged.map((e) => [e.rule, e.verdict, e.result, e.quiet ?? false])).toEqual([['probe', 'deny', -2, true], ['loud', 'deny', -13, false]]);
  });

  test('builtin:default: git, id, ls -l and a probe for a missing file print no line for the refusals they go on after', () => {
    const repo = mkdtempSync(join(tmpdir(), 'sysvm-cli-quiet-'));
    expect(spawnSync('git', ['init', '-q'], { cwd: repo }).status).toBe(0);
    const log = join(repo, '..', `${repo.split('/').pop()}.jsonl`);
    const sh = 'git status --porcelain && id -un && ls -l . >/dev/null && { cat "$HOME/.sysvm-none/x" 2>/dev/null || echo absent; }';
    const r = spawnSync(process.execPath, [CLI, 'run', '--log', log, '--', 'sh', '-c', sh], { cwd: repo, encoding: 'utf8', input: '' });
    expect([r.status, r.stderr, r.stdout.endsWith('absent\n')]).toEqual([0, '', true]);
    // the missing file's ENOENT (other-paths' `missing`) is in the log, marked quiet
    const missing = readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { rule: string; detail?: string; quiet?: boolean; args: { filename?: string } })
      .filter((e) => e.args.filename?.endsWith('/.sysvm-none/x'));
    expect(missing.map((e) => [e.rule, e.detail, e.quiet])).toEqual([['other-paths', 'ENOENT', true]]);
  });

  test('builtin:default: the program gets the caller\'s environment but its credentials; a policy extending it keeps one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sysvm-cli-env-'));
    const env = {
      ...process.env, GITHUB_TOKEN: 'gh', npm_config__authToken: 'npm', AWS_SECRET_ACCESS_KEY: 'aws', OPENAI_API_KEY: 'oa',
      PGPASSWORD: 'pg', SYSVM_TEST_PLAIN: 'plain', TOKENIZERS_PARALLELISM: 'false',
    };
    const show = ['sh', '-c', 'for v in GITHUB_TOKEN npm_config__authToken AWS_SECRET_ACCESS_KEY OPENAI_API_KEY PGPASSWORD SYSVM_TEST_PLAIN TOKENIZERS_PARALLELISM CACHE; do eval "echo $v=\\${$v-unset}"; done'];
    const run = (policy: string[]) => spawnSync(process.execPath, [CLI, 'run', '-q', ...policy, '--', ...show], { cwd: dir, encoding: 'utf8', env });
    const d = run([]);
    expect([d.status, d.stdout]).toEqual([0, [
      'GITHUB_TOKEN=unset', 'npm_config__authToken=unset', 'AWS_SECRET_ACCESS_KEY=unset', 'OPENAI_API_KEY=unset', 'PGPASSWORD=unset',
      'SYSVM_TEST_PLAIN=plain', 'TOKENIZERS_PARALLELISM=false', 'CACHE=unset', ''].join('\n')]);
    writeFileSync(join(dir, 'p.yaml'), 'sysvm: 1\nextends: builtin:default\nenvironment:\n  keep: [GITHUB_TOKEN]\n  drop: [SYSVM_TEST_*]\n  set: { CACHE: "${tmp}/c" }\n');
    const k = run(['-p', join(dir, 'p.yaml')]);
    expect(k.status).toBe(0);
    expect(k.stdout.split('\n').slice(0, 7)).toEqual(['GITHUB_TOKEN=gh', 'npm_config__authToken=unset', 'AWS_SECRET_ACCESS_KEY=unset',
      'OPENAI_API_KEY=unset', 'PGPASSWORD=unset', 'SYSVM_TEST_PLAIN=unset', 'TOKENIZERS_PARALLELISM=false']);
    expect(k.stdout.split('\n')[7]).toMatch(/^CACHE=\/tmp\/sysvm-\w+\/c$/);
  });

  test('arguments that are not UTF-8 reach the program as the shell gave them', () => {
    // Node's process.argv has U+FFFD for such bytes; `sysvm run` takes them from /proc.
    // (A shell passes the bytes: a string argument to spawnSync would be UTF-8.)
    const dir = mkdtempSync(join(tmpdir(), 'sysvm-cli-'));
    writeFileSync(Buffer.from(`${dir}/caf\xe9`, 'latin1'), 'latin1 name\n');
    const r = spawnSync('sh', ['-c', `"$0" "$1" run -q -p builtin:permissive -- cat "$(printf 'caf\\351')"`, process.execPath, CLI],
      { cwd: dir, encoding: 'utf8' });
    expect([r.status, r.stdout, r.stderr]).toEqual([0, 'latin1 name\n', '']);
  });

  test('builtin:default: ~/.ssh is unreadable, $TMPDIR is private and writable', () => {
    const r = sysvm(['run', '--', 'sh', '-c', 'echo x > "$TMPDIR/f" && cat "$TMPDIR/f"; case "$TMPDIR" in /tmp/sysvm-*) echo private;; esac; cat ~/.ssh/id_rsa 2>/dev/null || echo denied']);
    expect(r.stdout).toBe('x\nprivate\ndenied\n');
    expect(r.code).toBe(0);
  });

  test('builtin:default: make builds a C project whose PATH starts outside what the policy allows', () => {
    // gcc runs `as` with execvp, which goes on after EACCES and stops at EPERM: paths the
    // policy does not allow fail with EACCES; GNU make calls setresuid(-1, euid, -1) before
    // each job (allowed: under NO_NEW_PRIVS it cannot raise privileges).
    const dir = mkdtempSync(join(tmpdir(), 'sysvm-cli-make-'));
    writeFileSync(join(dir, 'main.c'), 'int main(void) { return 0; }\n');
    writeFileSync(join(dir, 'Makefile'), 'prog: main.o\n\tcc -o $@ $^\nmain.o: main.c\n\tcc -c -o $@ $<\n');
    const r = spawnSync(process.execPath, [CLI, 'run', '-q', '--', 'make', '-s'],
      { cwd: dir, encoding: 'utf8', env: { ...process.env, PATH: `/nonexistent-sysvm-dir:${process.env.PATH ?? '/usr/bin:/bin'}` } });
    expect([r.status, r.stderr]).toEqual([0, '']);
    expect(spawnSync(join(dir, 'prog')).status).toBe(0);
  });

  test.for(['seccomp', 'ptrace'])('%s: builtin:default: a command the policy refuses to run from the first PATH entry runs from the next, as execvp would find it inside', (backend) => {
    // ~/.pyenv/shims or ~/.cargo/bin before /usr/bin: the first `tool` is outside what the
    // policy runs; the second, in the cwd, is allowed. builtin:permissive runs the first.
    const outside = mkdtempSync(join(tmpdir(), 'sysvm-cli-path-'));
    const cwd = mkdtempSync(join(tmpdir(), 'sysvm-cli-cwd-'));
    mkdirSync(join(cwd, 'bin'));
    writeFileSync(join(outside, 'sysvm-tool'), '#!/bin/sh\necho outside "$@"\n', { mode: 0o755 });
    writeFileSync(join(cwd, 'bin/sysvm-tool'), '#!/bin/sh\necho inside "$@"\n', { mode: 0o755 });
    const env = { ...process.env, PATH: `${outside}:${cwd}/bin:${process.env.PATH ?? '/usr/bin:/bin'}` };
    const run = (policy: string) => spawnSync(process.execPath, [CLI, 'run', '-q', '--backend', backend, '-p', policy, '--', 'sysvm-tool', 'a b', 'c'],
      { cwd, encoding: 'utf8', env });
    // sysvm run asks the policy which one it would let run: no refusal, no line on stderr
    const d = run('builtin:default');
    expect([d.status, d.stdout, d.stderr]).toEqual([0, 'inside a b c\n', '']);
    const p = run('builtin:permissive');
    expect([p.status, p.stdout, p.stderr]).toEqual([0, 'outside a b c\n', '']);
  });

  test.for(['seccomp', 'ptrace'])('%s: builtin:default answers access(2) as its rules answer the call: git works with a ~/.gitconfig it may not read', (backend) => {
    // git opens ~/.gitconfig when access(R_OK) says it may, and stops with a fatal error
    // when that open is then refused; with access(R_OK) refused too it goes on without it.
    const home = mkdtempSync(join(tmpdir(), 'sysvm-cli-home-'));
    writeFileSync(join(home, '.gitconfig'), '[user]\n\tname = Someone\n');
    const repo = mkdtempSync(join(tmpdir(), 'sysvm-cli-repo-'));
    const env = { ...process.env, HOME: home, GIT_CONFIG_NOSYSTEM: '1' };
    expect(spawnSync('git', ['init', '-q'], { cwd: repo, env }).status).toBe(0);
    const r = spawnSync(process.execPath, [CLI, 'run', '-q', '--backend', backend, '--', 'git', 'status', '--porcelain'], { cwd: repo, encoding: 'utf8', env });
    // (~/.config/git/{ignore,attributes}, which git opens without asking, are answered ENOENT:
    // default-policy.test.ts checks that git then warns about nothing)
    expect(r.status).toBe(0);
    expect(r.stderr).not.toMatch(/fatal/);
    const py = 'import os\nfor p, m in [("/usr/bin/ls", os.X_OK), ("/usr/bin/ls", os.W_OK), (os.environ["HOME"] + "/.gitconfig", os.R_OK), (os.environ["HOME"] + "/.gitconfig", os.F_OK), (".", os.W_OK), ("/dev/null", os.W_OK)]: print(os.access(p, m))';
    const a = spawnSync(process.execPath, [CLI, 'run', '-q', '--backend', backend, '--', '/usr/bin/python3', '-c', py], { cwd: repo, encoding: 'utf8', env });
    // /usr is read and run, never written (root's permission bits would say yes); the
    // home directory is not readable, but whether a file exists is metadata
    expect([a.status, a.stdout]).toEqual([0, 'True\nFalse\nFalse\nTrue\nTrue\nTrue\n']);
  });

  test('sysvm\'s own failures exit 125 with a message', () => {
    const r1 = sysvm(['run', '--', 'no-such-command-xyz']);
    expect(r1.code).toBe(125);
    expect(r1.stderr).toMatch(/no-such-command-xyz: command not found/);
    const r2 = sysvm(['run', '-p', 'packages/policy/test/fixtures/broken/unknown-names.yaml', '--', 'true']);
    expect(r2.code).toBe(125);
    const r3 = sysvm(['run']);
    expect(r3.code).toBe(125);
    expect(r3.stderr).toMatch(/no command given/);
  });

  test('a policy written by hand: emulate uname and getuid', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sysvm-cli-'));
    const p = join(dir, 'p.yaml');
    writeFileSync(p, [
      'sysvm: 1',
      'default: allow',
      'rules:',
      '  - syscalls: [uname]',
      '    action: { emulate: { uname: { nodename: sandbox, release: 1.2.3 } } }',
      '  - syscalls: [getuid, geteuid]',
      '    action: { emulate: { return: 0 } }',
      '',
    ].join('\n'));
    const r = sysvm(['run', '-p', p, '--', 'sh', '-c', 'uname -n -r; id -u']);
    expect(r.stdout).toBe('sandbox 1.2.3\n0\n');
  });
});
