// The workflow commands of the BUILT cli (run `tsc -b` first): test, explain, import-oci,
// export-oci, completion, on the real files of examples/ and the fixtures.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const fixtures = 'packages/policy/test/fixtures';

function sysvm(args: string[], input?: string): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [join(root, 'packages/cli/dist/main.js'), ...args],
    { cwd: root, encoding: 'utf8', env: { ...process.env, HOME: '/home/user' }, ...(input !== undefined ? { input } : {}) });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('sysvm test', () => {
  test('the example tests pass: exit 0, the count alone on the last line', () => {
    const r = sysvm(['test', 'examples/tests']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout.trimEnd().split('\n').pop()).toBe('54 passed, 0 failed');
    expect(r.stdout).toContain("  ok    socket(AF_INET, SOCK_STREAM, 0) -> deny EAFNOSUPPORT [kernel, rule 'no-inet-sockets']\n");
  });

  test('failing cases: exit 1, what decided each and where', () => {
    const r = sysvm(['test', `${fixtures}/workflow/failing.test.yaml`]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe(`${fixtures}/workflow/failing.test.yaml (policy examples/no-network.yaml)
  FAIL  socket(AF_INET, SOCK_STREAM, 0)  (${fixtures}/workflow/failing.test.yaml:5)
        expected allow, got deny EAFNOSUPPORT
        the kernel (BPF prefilter) returns ERRNO(97), not allow
        decided by rule 'no-inet-sockets' at examples/no-network.yaml:10, in the kernel (prefilter returns ERRNO(97))
  FAIL  io_uring_setup(8, NULL)  (${fixtures}/workflow/failing.test.yaml:7)
        expected rule 'no-escape' to decide, but rule 'no-io-uring' did
        decided by rule 'no-io-uring' at examples/no-network.yaml:16, in the kernel (prefilter returns ERRNO(38))
  FAIL  getpid()  (${fixtures}/workflow/failing.test.yaml:10)
        expected the supervisor to decide, but the kernel does (prefilter returns ALLOW)
        decided by the default at builtin:permissive:8, in the kernel (prefilter returns ALLOW)
  ok    socket(AF_UNIX, SOCK_STREAM, 0) -> allow [kernel, the default]
1 passed, 3 failed
`);
  });

  test('a broken test file: exit 2, diagnostics with file:line:col and carets', () => {
    const r = sysvm(['test', `${fixtures}/workflow/bad-call.test.yaml`]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${fixtures}/workflow/bad-call.test.yaml:5:28: error SV4003: unknown constant 'SOCK_STRAEM'
  5 |   - call: 'socket(AF_INET, SOCK_STRAEM, 0)'
    |                            ^^^^^^^^^^^`);
    expect(r.stdout.trimEnd().split('\n').pop()).toBe('0 passed, 2 failed');
  });

  test('--format json', () => {
    const r = sysvm(['test', '--format', 'json', 'examples/tests/no-network.test.yaml']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout) as { passed: number; failed: number; files: { cases: { result: { where: string } }[] }[] };
    expect([j.passed, j.failed, j.files[0]!.cases[0]!.result.where]).toEqual([9, 0, 'kernel']);
  });

  test('usage: no file is exit 2', () => {
    expect(sysvm(['test']).code).toBe(2);
  });
});

describe('sysvm explain', () => {
  test('each rule, the condition and the value', () => {
    const r = sysvm(['explain', '--cwd', '/home/user/project', 'examples/read-only.yaml', 'openat(AT_FDCWD, "../.ssh/id_rsa", O_RDONLY)']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`openat(dfd=-100, filename="../.ssh/id_rsa" -> /home/user/.ssh/id_rsa, flags=0, mode=0)  [x86_64 syscall 257]
verdict: deny EACCES
decided by: rule 'no-secrets' (examples/read-only.yaml:10)
where: the supervisor; the prefilter returns TRACE(2), the call stops and the supervisor decides

rules naming openat, in order (the first that matches decides):
  rule 'no-secrets' (examples/read-only.yaml:10) -> deny EACCES: MATCHES
      yes  path under /home/user/.ssh, /home/user/.gnupg, /home/user/.aws, /etc/shadow, /etc/gshadow  (path /home/user/.ssh/id_rsa)
  (3 later rules naming openat not tried)
`);
  });

  test('decided by the kernel, as JSON', () => {
    const r = sysvm(['explain', '--format', 'json', 'examples/no-network.yaml', 'socket(AF_INET6, SOCK_DGRAM, 0)']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout) as Record<string, unknown>;
    expect([j.verdict, j.where, j.prefilterReturns]).toEqual(['deny EAFNOSUPPORT', 'kernel', 'ERRNO(97)']);
  });

  test('an int 0x80 call: the architecture guard decides', () => {
    const r = sysvm(['explain', '--arch', 'i386', 'builtin:default', 'getpid()']);
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n').slice(0, 3)).toEqual(['getpid()  [i386 syscall 20]', 'verdict: deny ENOSYS',
      'decided by: guard (arch is not x86_64 (AUDIT_ARCH 0xc000003e), incl. ia32 int 0x80)']);
  });

  test.for([
    [[], 'deny EACCES (ENOENT when a path names nothing)'],
    [['--missing'], 'deny ENOENT'],
  ] as [string[], string][])('%j: builtin:default\'s other-paths, for a path that exists and for one that names nothing', ([opts, verdict]) => {
    const r = sysvm(['explain', ...opts, '--home', '/home/user', 'builtin:default', 'openat(AT_FDCWD, "/home/user/.config/app/x", O_RDONLY)']);
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n').slice(1, 3)).toEqual([`verdict: ${verdict}`, expect.stringMatching(/^decided by: rule 'other-paths' \(builtin:default:\d+\)$/)]);
    // A secret stays EACCES either way.
    const s = sysvm(['explain', ...opts, '--home', '/home/user', 'builtin:default', 'openat(AT_FDCWD, "/home/user/.ssh/none", O_RDONLY)']);
    expect(s.stdout.split('\n')[1]).toBe('verdict: deny EACCES, logged');
  });

  test('a malformed call: exit 2 with the column', () => {
    const r = sysvm(['explain', 'builtin:default', 'socket(AF_INET, SOCK_STRAEM, 0)']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("<call>:1:17: error SV4003: unknown constant 'SOCK_STRAEM'");
  });
});

describe('sysvm import-oci and export-oci', () => {
  test('import the Docker profile excerpt, lint it clean of errors, export it again', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sysvm-oci-'));
    const r = sysvm(['import-oci', '-o', `${dir}/p.yaml`, `${fixtures}/oci/docker-default-excerpt.json`]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('sysvm import-oci: note: syscalls[7] (bpf, clone, clone3, mount, ...) left out: it is for containers with CAP_SYS_ADMIN (--cap to include)');
    expect(readFileSync(`${dir}/p.yaml`, 'utf8')).toContain('  - name: entry-10\n    syscalls: [clone3]\n    action: { deny: ENOSYS }\n');
    expect(sysvm(['lint', '--quiet', `${dir}/p.yaml`]).code).toBe(0);
    const e = sysvm(['export-oci', `${dir}/p.yaml`]);
    expect(e.code).toBe(0);
    const profile = JSON.parse(e.stdout) as { defaultAction: string; defaultErrnoRet: number };
    expect([profile.defaultAction, profile.defaultErrnoRet]).toEqual(['SCMP_ACT_ERRNO', 1]);
  });

  test('export says what needs the supervisor', () => {
    const r = sysvm(['export-oci', 'examples/fake-identity.yaml']);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("sysvm export-oci: note: rule 'root' (emulate) became SCMP_ACT_TRACE: getuid, getgid, geteuid, getegid\n");
  });

  test.for([
    [['import-oci', 'no-such.json'], 1, "sysvm import-oci: error: cannot read 'no-such.json': no such file\n"],
    [['import-oci', 'examples/no-network.yaml'], 1, 'sysvm import-oci: error: examples/no-network.yaml is not JSON'],
    [['export-oci'], 2, "sysvm export-oci: error: give exactly one policy file (or builtin:NAME)\n"],
  ] as const)('%j exits %i', ([args, code, stderr]) => {
    const r = sysvm([...args]);
    expect(r.code).toBe(code);
    expect(r.stderr).toContain(stderr);
  });
});

describe('sysvm completion', () => {
  test('bash accepts the script and registers the completion', () => {
    const script = sysvm(['completion', 'bash']).stdout;
    const file = join(mkdtempSync(join(tmpdir(), 'sysvm-completion-')), 'sysvm.bash');
    writeFileSync(file, script);
    expect(spawnSync('bash', ['-n', file]).status).toBe(0);
    const check = spawnSync('bash', ['-c', `source ${file}; complete -p sysvm; COMP_WORDS=(sysvm lint --format ""); COMP_CWORD=3; _sysvm; echo "\${COMPREPLY[@]}"`],
      { encoding: 'utf8' });
    expect(check.stderr).toBe('');
    expect(check.stdout).toBe('complete -o filenames -F _sysvm sysvm\ntext json sarif\n');
  });

  const zsh = spawnSync('zsh', ['--version']).status === 0;
  test.skipIf(!zsh)('zsh accepts the script and registers _sysvm', () => {
    const script = sysvm(['completion', 'zsh']).stdout;
    const file = join(mkdtempSync(join(tmpdir(), 'sysvm-completion-')), '_sysvm');
    writeFileSync(file, script);
    expect(spawnSync('zsh', ['-n', file]).status).toBe(0);
    const check = spawnSync('zsh', ['-c', `autoload -U compinit; compinit -u -d ${file}.dump; source ${file}; echo \${_comps[sysvm]}`],
      { encoding: 'utf8' });
    expect(check.stdout).toBe('_sysvm\n');
  });

  test('every command has --help with examples', () => {
    for (const c of ['test', 'explain', 'import-oci', 'export-oci', 'completion']) {
      const r = sysvm([c, '--help']);
      expect([c, r.code]).toEqual([c, 0]);
      expect(r.stdout).toContain('Examples:\n');
    }
  });
});
