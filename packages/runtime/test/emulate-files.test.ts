// The file module (src/emulate/files.ts), hidden paths, the name module's host name through
// files, and fd conditions (src/emulate/fds.ts), with real programs on both backends.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';

import { irPolicy, run } from '../src/index.js';
import type { Condition, Emulation } from '../src/index.js';

import { BACKENDS, compileAll, errnoOf } from './helpers.js';
import { emulate, pathRules, vmPolicy, type RuleSpec } from './vm-helpers.js';

let bin: Record<string, string>;
let hostFile: string;
beforeAll(() => {
  bin = compileAll();
  hostFile = path.join(mkdtempSync(path.join(os.tmpdir(), 'sysvm-vfs-test-')), 'motd');
  writeFileSync(hostFile, 'from the host\n');
});

const RESOLV = 'nameserver 192.0.2.53\n';
const fileRules = (virtualPath: string, content: Extract<Emulation, { kind: 'file' }>['content']): RuleSpec[] =>
  pathRules(`file ${virtualPath}`, 'equals', virtualPath, { kind: 'file', content });
const policy = (...rules: RuleSpec[][]) => irPolicy(vmPolicy(rules.flat()));

const VIRTUAL = '/etc/sysvm-virtual.conf'; // absent on the host
const src = { file: 'vm-test.yaml', line: 9, column: 1, endLine: 9, endColumn: 10 };
const fdVirtual: Condition = { kind: 'fd', arg: 0, virtual: true, source: src };
const fdIs = (p: string): Condition => ({ kind: 'fd', arg: 0, op: 'equals', values: [p], source: src });

describe.for(BACKENDS)('%s backend', (backend) => {
  test('cat of a virtual /etc/resolv.conf, and its size through stat', async () => {
    const p = policy(fileRules('/etc/resolv.conf', { text: RESOLV }));
    const r = await run({ command: 'cat', args: ['/etc/resolv.conf'], backend, policy: p });
    expect({ out: r.stdout, code: r.code }).toEqual({ out: RESOLV, code: 0 });
    const s = await run({ command: 'stat', args: ['-c', '%s %F', '/etc/resolv.conf'], backend, policy: p });
    expect(s.stdout).toBe(`${RESOLV.length} regular file\n`);
  });

  test('a virtual file with a host file\'s content, at a path absent on the host', async () => {
    const r = await run({ command: 'cat', args: [VIRTUAL], backend, policy: policy(fileRules(VIRTUAL, { hostPath: hostFile })) });
    expect(r.stdout).toBe('from the host\n');
  });

  test('a virtual file is read-only: opening it for writing is EROFS', async () => {
    const r = await run({
      command: 'sh', args: ['-c', `echo x > ${VIRTUAL}; echo x >> ${VIRTUAL}; rm -f ${VIRTUAL}; cat ${VIRTUAL}`], backend,
      policy: policy(fileRules(VIRTUAL, { text: 'kept\n' })),
    });
    expect(r.stdout).toBe('kept\n');
    expect(r.stderr.match(/Read-only file system/g)).toHaveLength(3);
  });

  test('hide: a path denied with ENOENT is as if absent', async () => {
    const r = await run({
      command: 'sh', args: ['-c', `cat ${hostFile}; ls ${hostFile}; test -e ${hostFile} || echo absent`], backend, quiet: true,
      policy: policy(Object.entries({ openat: [1], newfstatat: [1], statx: [1], stat: [0], lstat: [0], access: [0], faccessat: [1], faccessat2: [1] })
        .map(([c, args]) => [{ name: `hide:${c}`, syscalls: [c], verdict: { kind: 'deny', errno: errnoOf('ENOENT'), errnoName: 'ENOENT' }, match: [[{ kind: 'path', op: 'equals', values: [hostFile], args, source: src }]] } as RuleSpec])
        .flat()),
    });
    expect(r.stdout).toBe('absent\n');
    expect(r.stderr.match(/No such file or directory/g)).toHaveLength(2);
  });

  test('the host name: hostname, uname -a, /proc/sys/kernel/hostname and /etc/hostname', async () => {
    const host: Emulation = { kind: 'uname', fields: { nodename: 'sandbox' } };
    const p = policy(
      [{ name: 'name', syscalls: ['uname'], verdict: emulate(host) }],
      fileRules('/proc/sys/kernel/hostname', { text: 'sandbox\n' }),
      fileRules('/etc/hostname', { text: 'sandbox\n' }),
    );
    const r = await run({ command: 'sh', args: ['-c', 'hostname; uname -n; cat /proc/sys/kernel/hostname /etc/hostname'], backend, policy: p });
    expect(r.stdout).toBe('sandbox\nsandbox\nsandbox\nsandbox\n');
    const a = await run({ command: 'uname', args: ['-a'], backend, policy: p });
    // The host's `uname -a` with the virtual node name.
    const hostUname = execFileSync('uname', ['-a'], { encoding: 'utf8' });
    expect(a.stdout).toBe(hostUname.replace(` ${os.hostname()} `, ' sandbox '));
  });

  test('an fd of a virtual file: dup, F_DUPFD_CLOEXEC, fork, read in the child, lseek, fstat, mmap, exec', async () => {
    const r = await run({ command: bin.vfd!, args: [VIRTUAL, 'exec'], backend, policy: policy(fileRules(VIRTUAL, { text: 'virtual\n' })) });
    expect(r.stdout).toBe([
      'child: 8 virtual', 'parent: size=8 offset=8 mmap=virtual', 'parent: write=Bad file descriptor',
      'exec: fd7=open fd8=closed', 'exec: write=Bad file descriptor', '',
    ].join('\n'));
  });

  test('fd conditions: write on a virtual fd is denied (EPERM) wherever the fd went; the fd\'s path is the virtual one', async () => {
    const r = await run({
      command: bin.vfd!, args: [VIRTUAL, 'exec'], backend, quiet: true,
      policy: policy(fileRules(VIRTUAL, { text: 'virtual\n' }), [
        { name: 'no-virtual-writes', syscalls: ['write'], verdict: { kind: 'deny', errno: errnoOf('EPERM'), errnoName: 'EPERM' }, match: [[fdVirtual]] },
        { name: 'no-reads-of-it', syscalls: ['read'], verdict: { kind: 'deny', errno: errnoOf('EIO'), errnoName: 'EIO' }, match: [[fdIs(VIRTUAL)]] },
      ]),
    });
    expect(r.stdout).toBe([
      // read(2) in the child is denied (EIO), so it prints an empty buffer and no newline.
      'child: -1 parent: size=8 offset=0 mmap=virtual', 'parent: write=Operation not permitted',
      'exec: fd7=open fd8=closed', 'exec: write=Operation not permitted', '',
    ].join('\n'));
  });
});
