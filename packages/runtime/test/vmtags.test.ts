// The vmtags backend: runs only on a kernel with the ptrace_vm patch (kernel/ in this
// repository), e.g. inside its test guest; on a stock kernel every test here is skipped.
import { beforeAll, describe, expect, test } from 'vitest';

import { run, SandboxError } from '../src/index.js';
import { allowAll, compileAll, errnoOf } from './helpers.js';

async function kernelHasVmTags(): Promise<boolean> {
  try {
    await run({ command: 'true', backend: 'vmtags', policy: allowAll });
    return true;
  } catch (e) {
    if (e instanceof SandboxError && e.code === 'ENOVMTAGS') return false;
    throw e;
  }
}

const available = await kernelHasVmTags();

let bin: Record<string, string>;
beforeAll(() => {
  if (available) bin = compileAll();
});

describe('vmtags backend', () => {
  test.skipIf(!available)('one stop per call: no exit stop unless wanted', async () => {
    const r = await run({ command: bin.getpid_loop!, args: ['1000'], backend: 'vmtags', policy: allowAll });
    expect(r.stdout).toBe('getpid 1000\n');
    expect(r.stats.syscalls.getpid).toBe(1000);
    // Only the launcher stub's few calls (before the target's execve) report exits.
    expect(r.stats.stops.syscallExit).toBeLessThan(10);
  });

  test.skipIf(!available)('SKIPCALL with the supervisor\'s return value; trace gets the exit', async () => {
    const r = await run({
      command: bin.emul!, backend: 'vmtags', quiet: true,
      policy: {
        filter: null,
        data: { EACCES: errnoOf('EACCES') },
        decide: (_inv, ctx) => {
          if (ctx.name === 'getpid') return { verdict: { kind: 'emulate', emulate: { kind: 'return', value: 4242 } }, rule: null, log: false };
          if (ctx.name === 'uname') return { verdict: { kind: 'emulate', emulate: { kind: 'uname', fields: { nodename: 'vm' } } }, rule: null, log: false };
          if (ctx.name === 'write') return { verdict: { kind: 'trace' }, rule: null, log: false };
          return { verdict: { kind: 'allow' }, rule: null, log: false };
        },
      },
    });
    expect(r.stdout).toMatch(/^getpid=4242\nuname=0 \S+ vm /);
  });

  test.skipIf(!available)('processes: pipeline, vfork, exec from a thread, EINTR', async () => {
    const pipe = await run({ command: 'sh', args: ['-c', 'printf "b\\na\\n" | sort'], backend: 'vmtags', policy: allowAll });
    expect(pipe.stdout).toBe('a\nb\n');
    expect((await run({ command: bin.vfork!, backend: 'vmtags', policy: allowAll })).stdout).toBe('child\nparent 0\n');
    expect((await run({ command: bin.exec_thread!, backend: 'vmtags', policy: allowAll })).stdout).toBe('from-thread\n');
    expect((await run({ command: bin.sigblock!, backend: 'vmtags', policy: allowAll })).stdout).toBe('read=-1 errno=EINTR hits=1\n');
  });
});
