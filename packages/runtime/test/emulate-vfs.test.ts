// The files module's virtual namespace with real programs on both backends, from a real
// YAML policy's `filesystem:` section (hide, files, bind): hidden paths are absent from
// directory listings too and cannot be reached by another name; binds resolve `..`,
// symlinks and dirfds in the virtual namespace (src/emulate/{dirents,vpath,fds}.ts).
import { execFileSync, spawn as spawnChild } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { loadPolicy } from '@sysvm/policy';

import { policyFromIR, run } from '../src/index.js';
import { LANDLOCK_MIN_ABI, LANDLOCK_SCOPE_ABI, scopingAbi } from '../src/linux/landlock.js';

import { BACKENDS, compileAll } from './helpers.js';

// /dev/stdin is a symlink to /proc/self/fd/0 that udev or systemd makes; a bare devtmpfs (the
// patched kernel's test guest) has none: there the magic link itself is used.
const STDIN = existsSync('/dev/stdin') ? '/dev/stdin' : '/proc/self/fd/0';

let home: string;
let cwd: string;
let bin: Record<string, string>;
let policy: ReturnType<typeof policyFromIR>;
/** Only `filesystem.files`: no bind, nothing hidden. */
let filesOnly: ReturnType<typeof policyFromIR>;
/** The /data bind and hidden file of `policy`, and /proc bound at /myproc. */
let procBind: ReturnType<typeof policyFromIR>;
/** A plain directory bound over /proc. */
let overProc: ReturnType<typeof policyFromIR>;
/** Unprivileged user namespaces with their own mounts work here (not everywhere: a guest may lack them). */
const USERNS = (() => {
  try {
    execFileSync('unshare', ['-Urm', 'true'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

/** Compile a policy file written to `dir` (relative host paths start there) with ~ = home and ${cwd} = cwd. */
function compileYaml(dir: string, text: string): ReturnType<typeof policyFromIR> {
  const file = path.join(dir, 'vfs.yaml');
  writeFileSync(file, text);
  const r = loadPolicy(file, { context: { cwd, home } });
  if (r.ir === undefined) throw new Error(JSON.stringify(r.diagnostics));
  return policyFromIR(r.ir);
}

beforeAll(() => {
  bin = compileAll();
  const top = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'sysvm-vfs-')));
  home = path.join(top, 'home');
  cwd = path.join(top, 'work');
  for (const d of [path.join(home, '.ssh'), path.join(home, '.aws'), path.join(home, 'docs'), path.join(cwd, 'sandbox', 'data', 'sub')]) {
    mkdirSync(d, { recursive: true });
  }
  writeFileSync(path.join(home, '.ssh', 'id_rsa'), 'SECRET\n');
  writeFileSync(path.join(home, '.aws', 'credentials'), 'SECRET\n');
  writeFileSync(path.join(home, 'notes.txt'), 'notes\n');
  // Enough names to fill several getdents batches after the hidden ones (which sort first).
  for (let i = 0; i < 400; i++) writeFileSync(path.join(home, 'docs', `file-${String(i).padStart(3, '0')}-${'x'.repeat(60)}`), '');
  const data = path.join(cwd, 'sandbox', 'data');
  writeFileSync(path.join(data, 'a.txt'), 'bound\n');
  writeFileSync(path.join(data, 'secret.txt'), 'SECRET\n');
  writeFileSync(path.join(cwd, 'sandbox', 'outside.txt'), 'host parent of the bind target\n');
  symlinkSync('/data/a.txt', path.join(data, 'abs-virtual'));       // absolute, back under the virtual path
  symlinkSync('/etc/hostname', path.join(data, 'abs-elsewhere'));   // absolute, elsewhere
  symlinkSync('../outside.txt', path.join(data, 'rel-up'));         // relative, out of the bind's top
  symlinkSync(STDIN, path.join(data, 'stdin'));                     // to a magic link (a pipe in the test)
  symlinkSync(path.join(home, '.ssh', 'id_rsa'), path.join(cwd, 'to-key'));
  symlinkSync(path.join(home, '.ssh', 'id_rsa'), path.join(data, 'to-key'));
  symlinkSync(path.join(home, '.ssh'), path.join(cwd, 'to-ssh'));
  policy = compileYaml(cwd, `sysvm: 1
name: vfs-test
default: allow
filesystem:
  hide: ["~/.ssh", "~/.aws", /data/secret.txt]
  files: { "${home}/virtual.conf": "virtual\\n" }
  bind: { /data: ./sandbox/data }
`);
  procBind = compileYaml(cwd, `sysvm: 1
name: vfs-procbind
default: allow
filesystem:
  hide: [/data/secret.txt]
  bind: { /data: ./sandbox/data, /myproc: /proc }
`);
  mkdirSync(path.join(cwd, 'fakeproc', 'me'), { recursive: true });
  writeFileSync(path.join(cwd, 'fakeproc', 'me', 'status'), 'fake\n');
  symlinkSync('me', path.join(cwd, 'fakeproc', 'self'));
  overProc = compileYaml(cwd, `sysvm: 1
name: vfs-overproc
default: allow
filesystem:
  bind: { /proc: ./fakeproc }
`);
  filesOnly = compileYaml(cwd, `sysvm: 1
name: vfs-files
default: allow
filesystem:
  files: { "${home}/virtual.conf": "virtual\\n" }
`);
});

describe.for(BACKENDS)('%s backend', (backend) => {
  // The hide rule covers every call with a path argument; a socket address is not one, so a
  // socket in a hidden directory (an agent in a hidden ~/.ssh or ~/.gnupg) was reachable.
  test.skipIf(!existsSync('/usr/bin/python3'))('a unix socket in a hidden directory is absent to connect and sendto too', async () => {
    const listen = `import socket, sys, os
st = socket.socket(socket.AF_UNIX); st.bind(sys.argv[1]); st.listen(4)
ok = socket.socket(socket.AF_UNIX); ok.bind(sys.argv[2]); ok.listen(4)
dg = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); dg.bind(sys.argv[3])
print('ready', flush=True); sys.stdin.read()`;
    const agent = path.join(home, '.ssh', `agent-${backend}.sock`);
    const visible = path.join(mkdtempSync(path.join(os.tmpdir(), 'sysvm-vfs-sock-')), 'visible.sock');
    const dgram = path.join(home, '.ssh', `agent-${backend}.dgram`);
    const outside = spawnChild('/usr/bin/python3', ['-c', listen, agent, visible, dgram], { stdio: ['pipe', 'pipe', 'inherit'] });
    try {
      await new Promise((resolve, reject) => {
        outside.stdout!.once('data', resolve);
        outside.once('exit', () => reject(new Error('the listener ended')));
      });
      const probe = `import socket, sys, errno
def res(f):
    try:
        f(); return 'ok'
    except OSError as e:
        return errno.errorcode[e.errno]
for name in sys.argv[1:3]:
    print(res(lambda: socket.socket(socket.AF_UNIX).connect(name)))
print(res(lambda: socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM).sendto(b'x', sys.argv[3])))
print(res(lambda: socket.socket(socket.AF_UNIX).connect(sys.argv[4])))`;
      const r = await run({ command: '/usr/bin/python3', args: ['-c', probe, agent, path.join(cwd, 'to-ssh', path.basename(agent)), dgram, visible], backend, policy });
      expect(r.stdout).toBe('ENOENT\nENOENT\nENOENT\nok\n');
    } finally {
      outside.kill('SIGKILL');
    }
  });

  test('ls -a ~ does not list the hidden .ssh and .aws (getdents64 filtered), and lists the virtual file', async () => {
    const r = await run({ command: 'ls', args: ['-a', home], backend, policy });
    expect({ out: r.stdout, err: r.stderr, code: r.code }).toEqual({ out: '.\n..\ndocs\nnotes.txt\nvirtual.conf\n', err: '', code: 0 });
  });

  test('ls -l lists a virtual file absent on the host with its size, once, with or without hidden paths', async () => {
    for (const p of [policy, filesOnly]) {
      const r = await run({ command: 'sh', args: ['-c', `ls -l ${home} | grep -c virtual; ls -l ${home} | grep virtual | tr -s ' ' | cut -d' ' -f1,5,9`], backend, policy: p });
      expect(r.stdout).toBe('1\n-r--r--r-- 8 virtual.conf\n');
    }
  });

  test('a program that reads a listing in small batches sees every visible entry, none hidden, and the end once', async () => {
    // A 32-byte buffer holds one record at a time: the batches that hold only .ssh or .aws
    // are read on (ExitContext.restart), not mistaken for the end of the directory.
    const r = await run({ command: bin.getdents!, args: [home, '32'], backend, policy });
    expect(r.stderr).toBe('');
    const lines = (r.stdout ?? '').split('\n').filter((l) => l !== '');
    expect({ names: lines.slice(0, -1).sort(), last: lines.at(-1) }).toEqual({ names: ['.', '..', 'docs', 'notes.txt', 'virtual.conf'], last: 'end' });
    const old = await run({ command: bin.getdents!, args: [home, '32', 'old'], backend, policy });
    expect((old.stdout ?? '').split('\n').filter((l) => l !== '').sort()).toEqual(['.', '..', 'docs', 'end', 'notes.txt', 'virtual.conf']);
    // rewinddir: the second pass shows the virtual file again, once.
    const twice = await run({ command: bin.getdents!, args: [home, '4096', 'twice'], backend, policy });
    expect((twice.stdout ?? '').split('\n').filter((l) => l === 'virtual.conf' || l === 'end')).toEqual(['virtual.conf', 'end', 'virtual.conf', 'end']);
    const big = await run({ command: bin.getdents!, args: [path.join(home, 'docs'), '1024'], backend, policy });
    expect((big.stdout ?? '').split('\n').filter((l) => l.startsWith('file-'))).toHaveLength(400);
  });

  test('python os.listdir and find do not see hidden paths either', async () => {
    const r = await run({
      command: 'sh', args: ['-c', `python3 -c "import os; print(sorted(os.listdir('${home}')))"; find ${home} -maxdepth 1 -name '.*' | wc -l`],
      backend, policy,
    });
    expect({ out: r.stdout, err: r.stderr }).toEqual({ out: "['docs', 'notes.txt', 'virtual.conf']\n0\n", err: '' });
  });

  // HOME, WORK and BIN stand for the test's home, work directory and C program (made in beforeAll).
  test.for([
    ['a symlink to the hidden file', 'cat WORK/to-key'],
    ['a symlink to the hidden directory', 'cat WORK/to-ssh/id_rsa'],
    ['..', 'cat HOME/docs/../.ssh/id_rsa'],
    ['a relative path from the parent (cwd)', 'cd HOME && cat .ssh/id_rsa'],
    ['/proc/self/root', 'cat /proc/self/rootHOME/.ssh/id_rsa'],
    ['/proc/self/cwd', 'cd HOME && cat /proc/self/cwd/.ssh/id_rsa'],
    ['/proc/self/fd/N of a directory fd on its parent', 'exec 3<HOME && cat /proc/self/fd/3/.ssh/id_rsa'],
    ['a dirfd on its parent (openat)', 'BIN openat-in HOME .ssh/id_rsa'],
    ['a symlink inside a bind target', 'cat /data/to-key'],
    ['.. from inside a bind', 'cd /data && cat ..HOME/.ssh/id_rsa'],
    ['openat2 RESOLVE_IN_ROOT from its parent', 'BIN in-root HOME /.ssh/id_rsa'],
    ['openat2 RESOLVE_BENEATH from its parent', 'BIN beneath HOME .ssh/id_rsa'],
  ] as const)('a hidden path cannot be reached through %s', async ([, cmd]) => {
    const sh = cmd.replaceAll('HOME', home).replaceAll('WORK', cwd).replace('BIN', bin.vfsescape!);
    const r = await run({ command: 'sh', args: ['-c', sh], backend, policy, quiet: true });
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/No such file or directory/);
    expect(r.code).not.toBe(0);
  });

  test('a hidden file cannot be hard-linked, renamed or removed: the calls fail as if it were absent', async () => {
    const tag = `${backend}-${process.pid}`;
    const r = await run({
      command: 'sh', args: ['-c', [
        `ln ${home}/.ssh/id_rsa ${home}/key-${tag}`,
        `${bin.vfsescape} linkat-in ${home} .ssh/id_rsa key2-${tag}`,
        `mv ${home}/.ssh ${home}/ssh-${tag}`,
        `mv ${home}/notes.txt ${home}/.ssh/notes-${tag}`,
        `rm ${home}/.aws/credentials`,
      ].join('; ')], backend, policy, quiet: true,
    });
    expect(r.stdout).toBe('');
    expect(r.stderr?.match(/No such file or directory/g)).toHaveLength(5);
    expect([`key-${tag}`, `key2-${tag}`, `ssh-${tag}`].filter((n) => existsSync(path.join(home, n)))).toEqual([]);
    expect(readFileSync(path.join(home, '.aws', 'credentials'), 'utf8')).toBe('SECRET\n');
    expect(existsSync(path.join(home, 'notes.txt'))).toBe(true);
  });

  test('a directory that holds a hidden path cannot be moved away (EBUSY), and its hidden part stays put', async () => {
    const tag = `${backend}-${process.pid}`;
    const r = await run({
      command: 'sh', args: ['-c', `mv ${home} ${home}-${tag}; mv ${path.dirname(home)} ${path.dirname(home)}-${tag}; cat ${home}-${tag}/.ssh/id_rsa`],
      backend, policy, quiet: true,
    });
    expect(r.stdout).toBe('');
    expect(r.stderr?.match(/Device or resource busy/g)).toHaveLength(2);
    expect([existsSync(home), existsSync(`${home}-${tag}`)]).toEqual([true, false]);
  });

  test.skipIf(!USERNS)('no bind mount of a hidden path or of a directory that holds one (in a user namespace)', async () => {
    const r = await run({
      command: 'unshare', args: ['-Urm', 'sh', '-c', [
        `mount --bind ${home} ${cwd}/sandbox && cat ${cwd}/sandbox/.ssh/id_rsa`,
        `mount --bind ${home}/.ssh ${cwd}/sandbox && cat ${cwd}/sandbox/id_rsa`,
        `mount --bind ${path.dirname(home)} ${cwd}/sandbox && cat ${cwd}/sandbox/home/.ssh/id_rsa`,
        'echo done',
      ].join('; ')], backend, policy, quiet: true,
    });
    expect(r.stderr).not.toMatch(/SECRET/);
    const abi = scopingAbi() ?? 0;
    if (abi >= LANDLOCK_MIN_ABI && abi < LANDLOCK_SCOPE_ABI) {
      // Landlock ABI 2-5: the sandbox's domain refuses every mount (landlock.test.ts), so
      // unshare -m fails before the shell runs.
      expect(r.stdout).toBe('');
      return;
    }
    expect(r.stdout).toBe('done\n');
    // EBUSY twice ("already mounted or mount point busy"), ENOENT once ("does not exist"):
    // util-linux words them by version, so only the three failures are counted.
    expect((r.stderr ?? '').split('\n').filter((l) => l.startsWith('mount:'))).toHaveLength(3);
  });

  test('a virtual file next to hidden ones opens and stats', async () => {
    const r = await run({ command: 'sh', args: ['-c', `cat ${home}/virtual.conf; stat -c %s ${home}/virtual.conf`], backend, policy });
    expect(r.stdout).toBe('virtual\n8\n');
  });

  test('readlink /proc/self/fd/N of a virtual file shows its virtual path (with and without binds)', async () => {
    const sh = `exec 3<${home}/virtual.conf; readlink /proc/self/fd/3; ls -l /proc/self/fd/3 | sed "s/.* -> //"`;
    const want = `${home}/virtual.conf\n${home}/virtual.conf\n`;
    expect((await run({ command: 'sh', args: ['-c', sh], backend, policy })).stdout).toBe(want);
    expect((await run({ command: 'sh', args: ['-c', sh], backend, policy: filesOnly })).stdout).toBe(want);
  });

  test.for([
    ['.. above the bind\'s top is the virtual parent', 'cd /data && cat ../etc/hostname', 'HOSTNAME'],
    ['.. above the bind\'s top from a subdirectory', 'cd /data/sub && cat ../../etc/hostname', 'HOSTNAME'],
    ['.. on an absolute path', 'cat /data/../etc/hostname', 'HOSTNAME'],
    ['a relative path inside the bind', 'cd /data/sub && cat ../a.txt', 'bound\n'],
    ['an absolute symlink back under the virtual path', 'cat /data/abs-virtual', 'bound\n'],
    ['an absolute symlink elsewhere', 'cat /data/abs-elsewhere', 'HOSTNAME'],
    ['/proc/self/cwd/.. from the bind\'s top', 'cd /data && cat /proc/self/cwd/../etc/hostname', 'HOSTNAME'],
    ['a dirfd inside the bind (openat)', 'BIN openat-in /data/sub ../a.txt', 'bound\n'],
    ['a dirfd on the bind\'s top, ..', 'BIN openat-in /data ../etc/hostname', 'HOSTNAME'],
    ['/dev/stdin, a pipe (/proc/self/fd/0 names an object, not a path)', `cd /data && echo piped | cat ${STDIN}`, 'piped\n'],
    ['a symlink in the bind to /dev/stdin (a pipe)', 'echo piped | cat /data/stdin', 'piped\n'],
    ['/proc/self/fd/N of a dirfd inside the bind', 'exec 3</data/sub && cat /proc/self/fd/3/../a.txt', 'bound\n'],
  ] as const)('bind: %s', async ([, cmd, want]) => {
    const r = await run({ command: 'sh', args: ['-c', cmd.replace('BIN', bin.vfsescape!)], backend, policy });
    expect({ out: r.stdout, err: r.stderr }).toEqual({ out: want === 'HOSTNAME' ? readFileSync('/etc/hostname', 'utf8') : want, err: '' });
  });

  test('bind: a relative symlink out of the bind\'s top is followed in the virtual namespace', async () => {
    // /data/rel-up -> ../outside.txt is /outside.txt in the virtual tree (absent), not the
    // host parent of the bind target.
    const r = await run({ command: 'cat', args: ['/data/rel-up'], backend, policy, quiet: true });
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/No such file or directory/);
  });

  // With an unwritable stack the host path could not be written for the kernel, and the call
  // ran unrewritten: `../../outside.txt` from /data/sub was judged as /outside.txt (absent) and
  // the kernel opened the host parent's outside.txt, which no rule judged.
  test('bind: a call whose host path cannot be written below its stack fails (EFAULT), never runs unrewritten', async () => {
    // Named as it is (a path that needs no rewrite), the same file opens with that stack.
    const host = path.join(cwd, 'sandbox', 'outside.txt');
    const r = await run({ command: bin.badsp!, args: ['/data/sub', '../../outside.txt', host], backend, policy, quiet: true });
    expect(r.stdout).toBe(`../../outside.txt=EFAULT\n${host}=host parent of the bind target\n`);
  });

  test('bind: a path below a regular file fails with ENOTDIR, inside the bind and out of it, as on the host', async () => {
    // The virtual walk used Node's lstat, which throws ENOTDIR: the call was denied with
    // EPERM (sysvm:policy-error) instead of failing as the kernel fails it.
    const r = await run({
      command: 'sh', args: ['-c', `cat /data/a.txt/x; cd /data && cat a.txt/x; cat /etc/hostname/x; ${bin.vfsescape} openat-in /data/sub ../a.txt/x`],
      backend, policy, quiet: true,
    });
    expect(r.stdout).toBe('');
    expect(r.stderr?.match(/Not a directory/g)).toHaveLength(4);
    expect(r.stderr).not.toMatch(/not permitted/);
  });

  test('bind: /proc bound elsewhere still names the tracee in self and thread-self, never the supervisor', async () => {
    // The walk told /proc/self by the virtual path (/proc/self): /myproc/self was read on
    // the host as the supervisor's own link, and the kernel was given /proc/SUPERVISOR/...
    const r = await run({
      command: 'sh', args: ['-c', 'head -1 /myproc/self/status; cat /myproc/thread-self/comm; cd /data && cat /myproc/self/cwd/a.txt; cat /myproc/self/cwd/secret.txt'],
      backend, policy: procBind, quiet: true,
    });
    expect(r.stdout).toBe('Name:\thead\ncat\nbound\n');
    expect(r.stderr?.match(/No such file or directory/g)).toHaveLength(1);
    // A plain directory bound over /proc has no magic links: its `self` is its own symlink.
    const over = await run({ command: 'cat', args: ['/proc/self/status'], backend, policy: overProc, quiet: true });
    expect({ out: over.stdout, err: over.stderr }).toEqual({ out: 'fake\n', err: '' });
  });

  test('bind: a path hidden inside a bind is absent from the bound directory and its listing', async () => {
    const r = await run({ command: 'sh', args: ['-c', 'ls /data; cd /data && cat secret.txt; cat /data/sub/../secret.txt'], backend, policy, quiet: true });
    expect(r.stdout).toBe('a.txt\nabs-elsewhere\nabs-virtual\nrel-up\nstdin\nsub\nto-key\n');
    expect(r.stderr?.match(/No such file or directory/g)).toHaveLength(2);
  });

  test('bind: a rename or hard link between the bind and elsewhere fails with EXDEV, as across mounts (mv copies instead)', async () => {
    const tag = `${backend}-${process.pid}`;
    const r = await run({
      command: 'sh', args: ['-c', `ln /data/a.txt ${cwd}/ln-${tag}; echo moved > /data/m-${tag}; mv /data/m-${tag} ${cwd}/m-${tag} && cat ${cwd}/m-${tag}; ls /data | grep -c m-${tag}`],
      backend, policy, quiet: true,
    });
    expect(r.stderr).toMatch(/Invalid cross-device link/);
    expect(r.stdout).toBe('moved\n0\n');
    expect(existsSync(path.join(cwd, `ln-${tag}`))).toBe(false);
  });

  test('bind: getcwd, /proc/self/cwd and /proc/self/fd/N show the virtual path', async () => {
    const r = await run({
      command: 'sh', args: ['-c', 'cd /data/sub && /bin/pwd && readlink /proc/self/cwd && exec 3</data/a.txt && readlink /proc/self/fd/3'],
      backend, policy,
    });
    expect({ out: r.stdout, err: r.stderr }).toEqual({ out: '/data/sub\n/data/sub\n/data/a.txt\n', err: '' });
  });
});
