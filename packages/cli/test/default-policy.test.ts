// builtin:default against everyday programs, run the way a user runs them: `sysvm run -- CMD`
// from a project directory, on both backends. Each test is a breakage a user met (the program
// failed or warned where it works outside the sandbox) and the rule that fixed it, or a refusal
// that is the sandbox doing its job, with the way around it that docs/policy.md gives.
import { spawn as spawnChild, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';

const ROOT = join(import.meta.dirname, '../../..');
const CLI = join(ROOT, 'packages/cli/dist/main.js');
const BACKENDS = ['seccomp', 'ptrace'] as const;

/** `sysvm run -q --backend B [-p POLICY] -- ...cmd` in `cwd`, with `env` added to ours. */
function run(backend: string, cwd: string, cmd: string[], opts: { policy?: string; env?: NodeJS.ProcessEnv } = {}) {
  const policy = opts.policy === undefined ? [] : ['-p', opts.policy];
  const r = spawnSync(process.execPath, [CLI, 'run', '-q', '--backend', backend, ...policy, '--', ...cmd],
    { cwd, encoding: 'utf8', env: { ...process.env, ...opts.env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const project = () => mkdtempSync(join(tmpdir(), 'sysvm-default-'));
const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
/** Whether cc can build with -fsanitize=address here (libasan installed). */
const hasAsan = () => spawnSync('sh', ['-c', 'echo "int main(void){return 0;}" | cc -fsanitize=address -x c -o "$0/a" -', project()]).status === 0;

describe('builtin:default: everyday programs', () => {
  test.for(BACKENDS)('%s: an empty path is ENOENT, as the kernel answers, not a denial by the first deny rule', (backend) => {
    // Python's venv creation calls stat(""): the path is undefined for every path rule (which
    // fail closed on that), so builtin:default answered EACCES and logged it as a read of the
    // secrets (no-home-secrets). It names nothing: the kernel fails it with ENOENT.
    const cwd = project();
    const log = join(cwd, 'audit.jsonl');
    const py = 'import os\nfor f in (os.stat, os.lstat, lambda p: os.open(p, os.O_RDONLY), os.mkdir):\n    try: f(""); print("ok")\n    except OSError as e: print(e.errno)';
    const r = spawnSync(process.execPath, [CLI, 'run', '--backend', backend, '--log', log, '--', '/usr/bin/python3', '-c', py], { cwd, encoding: 'utf8' });
    expect([r.status, r.stdout, r.stderr]).toEqual([0, '2\n2\n2\n2\n', '']);
    expect(existsSync(log) ? readFileSync(log, 'utf8') : '').toBe('');
  });

  test.for(BACKENDS)('%s: echo > /dev/stderr, /dev/stdout and /dev/fd/N reopen the program\'s own pipes, not another process\'s', (backend) => {
    // A pipe has no path: /dev/stderr resolves to /proc/PID/fd/2 itself, which the own-fds
    // rule (/proc/self/fd, the caller's) allows for the caller only. Before it, every script
    // that wrote to /dev/stderr failed when its stderr was a pipe (CI logs, subprocess).
    const cwd = project();
    // (Pipes made by sh: the test's own stdio are socket pairs, which the kernel does not reopen.)
    const r = run(backend, cwd, ['sh', '-c', '{ echo err > /dev/stderr; } 2>&1 | cat; { echo out > /dev/stdout; echo fd > /dev/fd/1; echo ts > /proc/thread-self/fd/1; } | cat']);
    expect([r.code, r.stdout, r.stderr]).toEqual([0, 'err\nout\nfd\nts\n', '']);
    // another process's pipe, by its /proc/PID/fd/N (cat's stdin): refused
    const outside = spawnChild('sh', ['-c', 'sleep 30 | cat'], { stdio: 'ignore', detached: true });
    try {
      let pid = '';
      for (let i = 0; i < 50 && pid === ''; i++) {
        spawnSync('sleep', ['0.1']);
        pid = spawnSync('pgrep', ['-P', String(outside.pid), '-x', 'cat'], { encoding: 'utf8' }).stdout.trim();
      }
      expect(pid).toMatch(/^\d+$/);
      const o = run(backend, cwd, ['sh', '-c', `echo x > /proc/${pid}/fd/0 && echo wrote || echo refused`]);
      expect(o.stdout).toBe('refused\n');
    } finally {
      process.kill(-outside.pid!, 'SIGKILL');
    }
  });

  test.for(BACKENDS)('%s: tar x, cp -a, cp -p and install -m keep owners and modes in the current directory', (backend) => {
    // tar run as root restores each file's owner (fchownat, fchown) and exits 2 when that is
    // refused; cp -a preserves owners; cp -p, cp -a and install -m set the mode through the
    // POSIX ACL xattr (fsetxattr on the new file's fd) and exit 1 on EPERM. Outside the current
    // directory and $TMPDIR, changing an owner stays refused.
    const cwd = project();
    const script = [
      'set -e',
      'mkdir -p src/a && echo x > src/a/f && chmod 640 src/a/f',
      'tar cf t.tar src && rm -rf src && tar xf t.tar',
      'cp -a src copy && cp -p src/a/f kept && install -m 750 /dev/null inst',
      'stat -c %a src/a/f copy/a/f kept inst',
      'cd "$TMPDIR" && tar xf "$OLDPWD/t.tar" && stat -c %a src/a/f',
      'chown -h "$(id -u)" /etc/hostname 2>/dev/null || echo refused',
    ].join('\n');
    const r = run(backend, cwd, ['sh', '-c', script]);
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(r.stdout).toBe('640\n640\n640\n750\n640\nrefused\n');
  });

  test.for(BACKENDS)('%s: run in the home directory, the program may change owners there but not of the secrets', (backend) => {
    // work-and-tmp-owners allows @chown in the current directory; the secret rules, tried
    // first, cover @chown too.
    const home = mkdtempSync(join(tmpdir(), 'sysvm-default-home-'));
    // (.ssh is made before the sandbox starts: inside it, creating it is refused too. Python's
    // os.chown is the call alone; chown(1) would stat the path first, which is refused anyway.)
    spawnSync('mkdir', ['-p', join(home, '.ssh')]);
    const py = [
      'import os',
      'open("mine", "w").close()',
      'for p in ["mine", ".ssh"]:',
      '    try: os.chown(p, os.getuid(), -1); print(p, "ok")',
      '    except OSError as e: print(p, e.errno)',
    ].join('\n');
    const r = run(backend, home, ['/usr/bin/python3', '-c', py], { env: { HOME: home } });
    expect([r.code, r.stdout, r.stderr]).toEqual([0, 'mine ok\n.ssh 13\n', '']);
  });

  test.for(BACKENDS)('%s: fchmod, fchown and fsetxattr on an fd: allowed on files of the current directory, refused on a system file opened for reading', (backend) => {
    // The kernel lets root (and a file's owner) change the mode of a file it opened read-only:
    // an fd is only as good as the path it was opened with. The system file's own mode is
    // written back, so nothing changes even if the call went through.
    const cwd = project();
    const py = [
      'import os',
      'def t(name, f):',
      '    try: f(); print(name, "ok")',
      '    except OSError as e: print(name, e.errno)',
      'mine = os.open("f", os.O_RDWR | os.O_CREAT, 0o644)',
      't("fchmod mine", lambda: os.fchmod(mine, 0o600))',
      't("fchown mine", lambda: os.fchown(mine, os.getuid(), os.getgid()))',
      't("fsetxattr mine", lambda: os.setxattr(mine, "user.sysvm", b"1"))',
      'sysf = os.open("/etc/hostname", os.O_RDONLY)',
      'mode = os.fstat(sysf).st_mode & 0o7777',
      't("fchmod system", lambda: os.fchmod(sysf, mode))',
      't("fchown system", lambda: os.fchown(sysf, -1, -1))',
      't("fsetxattr system", lambda: os.setxattr(sysf, "user.sysvm", b"1"))',
    ].join('\n');
    const before = statSync('/etc/hostname').mode;
    const r = run(backend, cwd, ['/usr/bin/python3', '-c', py]);
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(r.stdout).toBe('fchmod mine ok\nfchown mine ok\nfsetxattr mine ok\nfchmod system 1\nfchown system 1\nfsetxattr system 1\n');
    expect(statSync(join(cwd, 'f')).mode & 0o777).toBe(0o600);
    expect(statSync('/etc/hostname').mode).toBe(before);
  });

  test.for(BACKENDS)('%s: git works without a word on stderr: its user configuration is absent, not forbidden', (backend) => {
    // git warns on every command about ~/.config/git/attributes and ~/.config/git/ignore when
    // they fail with anything but ENOENT ("unable to access ...: Permission denied"), even
    // when they do not exist, since the sandbox refuses the path before the kernel looks.
    // They stay unreadable: the user.name below is not seen, and writing the global config
    // is refused.
    const home = mkdtempSync(join(tmpdir(), 'sysvm-default-home-'));
    writeFileSync(join(home, '.gitconfig'), '[user]\n\tname = Not Seen\n\temail = not@seen\n');
    const cwd = project();
    const env = { HOME: home, GIT_CONFIG_NOSYSTEM: '1', XDG_CONFIG_HOME: '' };
    const script = [
      'set -e',
      'git init -q .',
      'echo a > a.txt && git add a.txt',
      'git -c user.name=T -c user.email=t@e commit -qm first',
      'echo b >> a.txt && git diff --stat | tail -1',
      'git -c user.name=T -c user.email=t@e commit -qam second',
      'git log --format=%an | sort -u',
      'git status --short',
      'git config --global user.name || echo no-user-name',
      'git config --global user.name X 2>/dev/null || echo write-refused',
    ].join('\n');
    const r = run(backend, cwd, ['sh', '-c', script], { env });
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(r.stdout).toBe(' 1 file changed, 1 insertion(+)\nT\nno-user-name\nwrite-refused\n');
  });

  test.skipIf(!has('man') || !existsSync('/var/cache/man/index.db')).for(BACKENDS)('%s: man and whatis read man-db\'s cache in /var/cache/man', (backend) => {
    // man shows the formatted page cached in /var/cache/man when it is up to date ("No manual
    // entry for ls" when it may not read it); whatis and apropos read its index.db.
    const r = run(backend, project(), ['sh', '-c', 'whatis ls && man -P cat ls | grep -c "^NAME"']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^ls \(1\) +- list directory contents\n1\n$/);
  });

  test.skipIf(!has('rsync')).for(BACKENDS)('%s: rsync copies in the current directory: it opens / with O_PATH and walks down from there', (backend) => {
    // rsync >= 3.4 resolves its destination from an O_PATH fd of "/" and gives up
    // ("change_dir ... failed: Permission denied", exit 3) when that open is refused.
    const cwd = project();
    const r = run(backend, cwd, ['sh', '-c', 'mkdir -p src/d && echo 1 > src/d/f && rsync -a src/ dst/ && cat dst/d/f']);
    expect([r.code, r.stdout, r.stderr]).toEqual([0, '1\n', '']);
  });

  test.for(BACKENDS)('%s: an O_PATH fd of a file outside the allowed paths reads, writes and links nothing', (backend) => {
    // What builtin:default allows by opening anything with O_PATH: a handle. Reading it is
    // EBADF from the kernel; every way from the handle to the file's contents is judged on the
    // path it reaches: a file opened through it as a directory fd, a hard link of it into the
    // current directory (linkat AT_EMPTY_PATH, which root may do), a reopen through
    // /proc/self/fd.
    const outside = mkdtempSync(join(tmpdir(), 'sysvm-default-outside-'));
    writeFileSync(join(outside, 'f'), 'not for the sandbox\n');
    const py = [
      'import ctypes, os, sys',
      'libc = ctypes.CDLL(None, use_errno=True)',
      'def t(name, f):',
      '    try: f(); print(name, "ok")',
      '    except OSError as e: print(name, e.errno)',
      'def link(fd):',
      '    if libc.linkat(fd, b"", -100, b"hardlink", 0x1000) != 0: raise OSError(ctypes.get_errno(), "linkat")', // AT_FDCWD, AT_EMPTY_PATH
      'd = os.open(sys.argv[1], os.O_PATH)',
      'f = os.open(sys.argv[1] + "/f", os.O_PATH)',
      't("read", lambda: os.read(f, 1))',
      't("openat", lambda: os.open("f", os.O_RDONLY, dir_fd=d))',
      't("linkat", lambda: link(f))',
      't("reopen", lambda: os.open(f"/proc/self/fd/{f}", os.O_RDONLY))',
    ].join('\n');
    const cwd = project();
    const r = run(backend, cwd, ['/usr/bin/python3', '-c', py, outside]);
    expect([r.code, r.stdout, r.stderr]).toEqual([0, 'read 9\nopenat 13\nlinkat 13\nreopen 13\n', '']);
    expect(existsSync(join(cwd, 'hardlink'))).toBe(false);
  });

  test.for(BACKENDS)('%s: ls / lists the top-level directories; below them the rules decide', (backend) => {
    const r = run(backend, project(), ['sh', '-c', 'ls / | grep -qx usr && echo listed; ls /root /home >/dev/null 2>&1 || echo below-refused']);
    expect([r.code, r.stdout, r.stderr]).toEqual([0, 'listed\nbelow-refused\n', '']);
  });

  test.skipIf(!has('dpkg-query') || !existsSync('/var/lib/dpkg/status')).for(BACKENDS)('%s: dpkg-query reads the package database in /var/lib/dpkg', (backend) => {
    const r = run(backend, project(), ['dpkg-query', '-W', '-f', '${Package} ${Status}\n', 'coreutils']);
    expect([r.code, r.stdout]).toEqual([0, 'coreutils install ok installed\n']);
  });

  test.skipIf(!has('ionice')).for(BACKENDS)('%s: ionice -c3 and -c2 lower the program\'s own I/O priority; the realtime class and other processes stay refused', (backend) => {
    const script = 'ionice -c3 ionice && ionice -c2 -n7 ionice && { ionice -c1 true 2>/dev/null || echo rt-refused; } && { ionice -c3 -p 1 2>/dev/null || echo other-refused; }';
    const r = run(backend, project(), ['sh', '-c', script]);
    expect([r.code, r.stdout, r.stderr]).toEqual([0, 'idle\nbest-effort: prio 7\nrt-refused\nother-refused\n', '']);
  });

  test.for(BACKENDS)('%s: a process reads its own /proc/self/environ, no other process\'s', (backend) => {
    // The sanitizers read their options there (ASAN_OPTIONS=detect_leaks=0); the glob
    // /proc/*/environ of no-system-secrets refused the program's own too. /proc/self in a rule
    // names the caller: the shell's environment read by its child cat stays refused.
    const r = run(backend, project(), ['sh', '-c', 'cat /proc/self/environ | tr "\\0" "\\n" | grep -c "^SYSVM_T=1$"; cat /proc/thread-self/environ | tr "\\0" "\\n" | grep -c "^SYSVM_T=1$"; cat /proc/$$/environ 2>/dev/null || echo refused; cat /proc/1/environ 2>/dev/null || echo refused'],
      { env: { SYSVM_T: '1' } });
    expect([r.code, r.stdout]).toEqual([0, '1\n1\nrefused\nrefused\n']);
  });

  test.skipIf(!has('cc') || !hasAsan()).for(BACKENDS)('%s: an AddressSanitizer build takes its options from the environment', (backend) => {
    // The sanitizers read their options from /proc/self/environ (the program's own: allowed),
    // and LeakSanitizer needs ptrace (refused): with ASAN_OPTIONS=detect_leaks=0 the program
    // runs; without it, it ends with "LeakSanitizer has encountered a fatal error".
    const cwd = project();
    writeFileSync(join(cwd, 'leak.c'), 'int main(void) { char *p = __builtin_malloc(4); p[0] = 1; return p[0] - 1; }\n');
    expect(spawnSync('cc', ['-fsanitize=address', '-o', 'leak', 'leak.c'], { cwd }).status).toBe(0);
    const e = run(backend, cwd, ['./leak'], { env: { ASAN_OPTIONS: 'detect_leaks=0' } });
    expect([e.code, e.stderr]).toEqual([0, '']);
    const n = run(backend, cwd, ['./leak'], { env: { ASAN_OPTIONS: '' } });
    expect(n.stderr).toMatch(/LeakSanitizer has encountered a fatal error/);
  });

  test.for(BACKENDS)('%s: Python multiprocessing works in a /dev/shm of the program\'s own; the host\'s stays out of reach', (backend) => {
    // multiprocessing's locks, queues and pools are POSIX semaphores, files glibc creates in
    // /dev/shm, which other programs of the user share. builtin:default refused them
    // (PermissionError); now it binds /dev/shm to ${tmp}/.shm, made by `sysvm run` for each
    // run, as bubblewrap's --dev gives a private /dev/shm. A file in the host's /dev/shm is
    // not there, nothing the program makes lands there, and the run's directory is gone after.
    const cwd = project();
    const mark = `sysvm-cli-test-${backend}-${process.pid}`;
    writeFileSync(join('/dev/shm', mark), 'host\n');
    try {
      const py = [
        'import multiprocessing as mp, os, sys',
        'def sq(x): return x * x',
        'if __name__ == "__main__":',
        '    q = mp.Queue(); q.put("q"); print(q.get(), end=" ")',
        '    with mp.Lock(): print("lock", end=" ")',
        '    with mp.Pool(2) as p: print(p.map(sq, range(4)), end=" ")',
        '    with mp.get_context("spawn").Pool(2) as p: print(p.map(sq, range(3)))',
        '    print(os.path.exists("/dev/shm/" + sys.argv[1]), sys.argv[1] in os.listdir("/dev/shm"))',
        '    open("/dev/shm/" + sys.argv[1] + "-inside", "w").close()',
        '    print(os.environ["TMPDIR"])',
      ].join('\n');
      writeFileSync(join(cwd, 'mp.py'), py);
      const d = run(backend, cwd, ['/usr/bin/python3', 'mp.py', mark]);
      expect([d.code, d.stderr]).toEqual([0, '']);
      const [first, second, tmp] = d.stdout.split('\n');
      expect([first, second]).toEqual(['q lock [0, 1, 4, 9] [0, 1, 4]', 'False False']);
      expect(existsSync(join('/dev/shm', `${mark}-inside`))).toBe(false);
      expect(existsSync(tmp!)).toBe(false);
      // A policy that extends builtin:default with a bind of its own (what docs/policy.md gave
      // before) still works: its world rules come first.
      const policy = join(cwd, 'shm.yaml');
      writeFileSync(policy, 'sysvm: 1\nextends: builtin:default\nfilesystem:\n  bind: { /dev/shm: "${tmp}" }\n');
      const b = run(backend, cwd, ['/usr/bin/python3', 'mp.py', mark], { policy });
      expect([b.code, b.stdout.split('\n')[0], b.stderr]).toEqual([0, 'q lock [0, 1, 4, 9] [0, 1, 4]', '']);
    } finally {
      rmSync(join('/dev/shm', mark), { force: true });
      rmSync(join('/dev/shm', `${mark}-inside`), { force: true });
    }
  });
});
