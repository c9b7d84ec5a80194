// The Landlock domain every sandbox is put in (tracer.ts: LANDLOCK_SCOPED_CALLS on ABI >= 6,
// LANDLOCK_REFER_CALLS on ABI 2-5), on every backend the kernel offers, with real programs.
// A file of its own so that kernel/test/vmtags-runtime runs it in the patched guest (Linux
// 6.12, Landlock ABI 6) under the vmtags backend too: the install sequence is the same for
// every backend, and this is where that is seen. On a kernel without Landlock (ABI < 2)
// only the SYSVM_LANDLOCK_ABI_MAX=0 case runs.
import { spawn as spawnChild, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';

import { run } from '../src/index.js';

import { LANDLOCK_SCOPE_ABI, scopingAbi } from '../src/linux/landlock.js';
import { allowAll, BACKENDS, compileAll } from './helpers.js';

let bin: Record<string, string>;

beforeAll(() => {
  bin = compileAll();
});

describe.for(BACKENDS)('%s backend', (backend) => {
  // The Landlock domain (tracer.ts, landlockCalls): where the kernel has ABI >= 2, no
  // PTRACE_MODE_ATTACH access (/proc/PID/mem) to a process outside the sandbox, even one of
  // the same user that the runtime's own checks (ptrace, process_vm_*) never see.
  const scoped = scopingAbi() !== null;
  test.skipIf(!scoped)('Landlock: no /proc/PID/mem of a process outside the sandbox; its own and its child\'s still', async () => {
    const outside = spawnChild('sleep', ['60'], { stdio: 'ignore' });
    try {
      const control = spawnSync(bin.scoped!, [String(outside.pid)], { encoding: 'utf8' });
      expect(control.stdout).toBe('outside=ok self=ok child=ok\n');
      const r = await run({ command: bin.scoped!, args: [String(outside.pid)], backend, policy: allowAll });
      expect(r.stdout).toBe('outside=EACCES self=ok child=ok\n');
    } finally {
      outside.kill('SIGKILL');
    }
  });

  // Root's CAP_SYS_PTRACE passes the dumpable check, not Landlock's.
  test.skipIf(!scoped || process.getuid?.() !== 0)('Landlock: a root program cannot open the supervisor\'s /proc/PID/mem', async () => {
    const r = await run({ command: bin.supermem!, backend, policy: allowAll });
    expect(r.stdout).toMatch(/^mem=EACCES /);
  });

  test.skipIf(!scoped)('Landlock: renames and links across directories still work (the domain allows REFER)', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sysvm-rt-refer-'));
    const script = 'mkdir a b a/d && echo x > a/f && mv a/f b/f && ln b/f a/g && mv a/d b/d && ls a b';
    const r = await run({ command: 'sh', args: ['-c', `cd '${dir}' && ${script}`], backend, policy: allowAll });
    expect({ stdout: r.stdout, code: r.code }).toEqual({ stdout: 'a:\ng\n\nb:\nd\nf\n', code: 0 });
  });

  // ABI 6+: the domain's ruleset is the signal scope (tracer.ts, LANDLOCK_SCOPED_CALLS).
  test.skipIf((scopingAbi() ?? 0) < LANDLOCK_SCOPE_ABI)('Landlock: no signal to a process outside the sandbox; inside, yes', async () => {
    const outside = spawnChild('sleep', ['60'], { stdio: 'ignore' });
    try {
      const script = `kill -0 ${outside.pid} 2>/dev/null; echo outside=$?; sleep 60 & kill $!; wait $!; echo inside=$?`;
      expect(spawnSync('sh', ['-c', script], { encoding: 'utf8' }).stdout).toBe('outside=0\ninside=143\n');
      const r = await run({ command: 'sh', args: ['-c', script], backend, policy: allowAll });
      expect(r.stdout).toBe('outside=1\ninside=143\n');
    } finally {
      outside.kill('SIGKILL');
    }
  });

  // ...and mounts in a user namespace still work there (a handled file right would refuse them).
  const userns = spawnSync('unshare', ['-Urm', 'true']).status === 0;
  test.skipIf((scopingAbi() ?? 0) < LANDLOCK_SCOPE_ABI || !userns)('Landlock: a bind mount in a user namespace still works (ABI 6+)', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sysvm-rt-mnt-'));
    mkdirSync(path.join(dir, 'a'));
    mkdirSync(path.join(dir, 'b'));
    writeFileSync(path.join(dir, 'a', 'f'), 'bound\n');
    const r = await run({ command: 'unshare', args: ['-Urm', 'sh', '-c', `mount --bind '${dir}/a' '${dir}/b' && cat '${dir}/b/f'`], backend, policy: allowAll });
    expect(r.stdout).toBe('bound\n');
  });

  // ABI 2 to 5 (Debian 12's 6.1 is ABI 2): the domain's ruleset handles REFER, allowed below
  // /. Run here by capping the ABI (SYSVM_LANDLOCK_ABI_MAX, read by the tracer thread). That
  // the REFER ruleset was the one installed shows where user namespaces are missing too (the
  // vmtags guest): it has no signal scope, so a signal out of the sandbox is delivered.
  test.skipIf(!scoped)('Landlock on ABI 2-5: outside /proc/PID/mem refused, signals out not scoped, renames across directories kept, mounts refused', async () => {
    const saved = process.env.SYSVM_LANDLOCK_ABI_MAX;
    process.env.SYSVM_LANDLOCK_ABI_MAX = '5';
    const outside = spawnChild('sleep', ['60'], { stdio: 'ignore' });
    try {
      const mem = await run({ command: bin.scoped!, args: [String(outside.pid)], backend, policy: allowAll });
      expect(mem.stdout).toBe('outside=EACCES self=ok child=ok\n');
      const sig = await run({ command: 'sh', args: ['-c', `kill -0 ${outside.pid}; echo outside=$?`], backend, policy: allowAll });
      expect(sig.stdout).toBe('outside=0\n');
      const dir = mkdtempSync(path.join(os.tmpdir(), 'sysvm-rt-refer5-'));
      const mv = await run({ command: 'sh', args: ['-c', `cd '${dir}' && mkdir a b a/d && echo x > a/f && mv a/f b/f && ln b/f a/g && mv a/d b/d && ls a b`], backend, policy: allowAll });
      expect({ stdout: mv.stdout, code: mv.code }).toEqual({ stdout: 'a:\ng\n\nb:\nd\nf\n', code: 0 });
      if (userns) {
        const mnt = await run({ command: 'unshare', args: ['-Urm', 'sh', '-c', 'echo inside'], backend, policy: allowAll, quiet: true });
        expect({ stdout: mnt.stdout, refused: mnt.code !== 0 }).toEqual({ stdout: '', refused: true });
      }
    } finally {
      outside.kill('SIGKILL');
      if (saved === undefined) delete process.env.SYSVM_LANDLOCK_ABI_MAX;
      else process.env.SYSVM_LANDLOCK_ABI_MAX = saved;
    }
  });

  test('SYSVM_LANDLOCK_ABI_MAX=0: no Landlock domain (the outside process\'s memory is the kernel\'s other checks\' to guard)', async () => {
    const saved = process.env.SYSVM_LANDLOCK_ABI_MAX;
    process.env.SYSVM_LANDLOCK_ABI_MAX = '0';
    const outside = spawnChild('sleep', ['60'], { stdio: 'ignore' });
    try {
      const control = spawnSync(bin.scoped!, [String(outside.pid)], { encoding: 'utf8' });
      const r = await run({ command: bin.scoped!, args: [String(outside.pid)], backend, policy: allowAll });
      expect(r.stdout).toBe(control.stdout);
    } finally {
      outside.kill('SIGKILL');
      if (saved === undefined) delete process.env.SYSVM_LANDLOCK_ABI_MAX;
      else process.env.SYSVM_LANDLOCK_ABI_MAX = saved;
    }
  });

  // Kernels that expose the domain in /proc/PID/status; 6.18 does not.
  const statusShowsLandlock = /^Landlock/m.test(readFileSync('/proc/self/status', 'utf8'));
  test.skipIf(!scoped || !statusShowsLandlock)('Landlock: /proc/self/status shows the domain', async () => {
    const r = await run({ command: 'grep', args: ['-E', '^Landlock', '/proc/self/status'], backend, policy: allowAll });
    expect(r.stdout).not.toBe('');
    expect(r.stdout).not.toBe(readFileSync('/proc/self/status', 'utf8').match(/^Landlock.*$/gm)!.join('\n') + '\n');
  });
});
