// The file module (src/emulate/files.ts) and hidden paths, with real programs on both backends.
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';

import { policyFromIR, run } from '../src/index.js';
import type { Emulation } from '../src/index.js';

import { BACKENDS, compileAll, errnoOf } from './helpers.js';
import { pathRules, vmPolicy, type RuleSpec } from './vm-helpers.js';

let hostFile: string;
let bin: Record<string, string>;
beforeAll(() => {
  bin = compileAll();
  hostFile = path.join(mkdtempSync(path.join(os.tmpdir(), 'sysvm-vfs-test-')), 'motd');
  writeFileSync(hostFile, 'from the host\n');
});

const RESOLV = 'nameserver 192.0.2.53\n';
const fileRules = (virtualPath: string, content: Extract<Emulation, { kind: 'file' }>['content']): RuleSpec[] =>
  pathRules(`file ${virtualPath}`, 'equals', virtualPath, { kind: 'file', content });
const policy = (...rules: RuleSpec[][]) => policyFromIR(vmPolicy(rules.flat()));

const VIRTUAL = '/etc/sysvm-virtual.conf'; // absent on the host
const src = { file: 'vm-test.yaml', line: 9, column: 1, endLine: 9, endColumn: 10 };

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
    expect(r.stderr?.match(/Read-only file system/g)).toHaveLength(3);
  });

  test('openat2 (flags and resolve in a struct): read-only opens get the virtual file', async () => {
    const r = await run({ command: bin.openat2!, args: [VIRTUAL], backend, policy: policy(fileRules(VIRTUAL, { text: 'two\n' })) });
    expect(r.stdout).toBe('read-open: 4 two\nwrite-open: Read-only file system\n');
  });

  test('a rewritten path argument is given back: after the call the registers are the program\'s own', async () => {
    const r = await run({ command: bin.argregs!, args: [VIRTUAL], backend, policy: policy(fileRules(VIRTUAL, { text: 'x' })) });
    expect(r.stdout).toBe('newfstatat: ok, registers kept\nopenat: ok, registers kept\n');
  });

  test('hide: a path denied with ENOENT is as if absent', async () => {
    const r = await run({
      command: 'sh', args: ['-c', `cat ${hostFile}; ls ${hostFile}; test -e ${hostFile} || echo absent`], backend, quiet: true,
      policy: policy(Object.entries({ openat: [1], newfstatat: [1], statx: [1], stat: [0], lstat: [0], access: [0], faccessat: [1], faccessat2: [1] })
        .map(([c, args]) => [{ name: `hide:${c}`, syscalls: [c], verdict: { kind: 'deny', errno: errnoOf('ENOENT'), errnoName: 'ENOENT' }, match: [[{ kind: 'path', op: 'equals', values: [hostFile], args, source: src }]] } as RuleSpec])
        .flat()),
    });
    expect(r.stdout).toBe('absent\n');
    expect(r.stderr?.match(/No such file or directory/g)).toHaveLength(2);
  });

});
