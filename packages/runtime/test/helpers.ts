// Test helpers: C programs compiled by the test, small hand-made policies.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { syscallNumber } from '../src/abi.js';
import { assemble, jeq, ld, ret, run, SandboxError, SECCOMP_DATA_NR } from '../src/index.js';
import type { BackendName, InlinePolicy } from '../src/index.js';
import { SECCOMP_RET_ALLOW, SECCOMP_RET_TRACE } from '../src/linux/consts.js';

export const allowAll: InlinePolicy = {
  filter: null,
  decide: () => ({ verdict: { kind: 'allow' }, rule: null, log: false }),
};

/** Does the running kernel have the ptrace_vm patch (PTRACE_O_VM_TAGS)? */
export async function kernelHasVmTags(): Promise<boolean> {
  try {
    await run({ command: 'true', backend: 'vmtags', policy: allowAll });
    return true;
  } catch (e) {
    if (e instanceof SandboxError && e.code === 'ENOVMTAGS') return false;
    throw e;
  }
}

export const VMTAGS = await kernelHasVmTags();

/**
 * Every backend this kernel offers: ptrace and seccomp on any kernel, vmtags on the
 * patched one (kernel/test/vmtags-runtime runs the suites in its guest).
 * SYSVM_TEST_BACKENDS=vmtags,... restricts the list (the guest run, to save time under TCG).
 */
export const BACKENDS: readonly BackendName[] = (['ptrace', 'seccomp', ...(VMTAGS ? ['vmtags'] as const : [])] as const)
  .filter((b) => process.env.SYSVM_TEST_BACKENDS === undefined || process.env.SYSVM_TEST_BACKENDS.split(',').includes(b));

const here = path.dirname(fileURLToPath(import.meta.url));

/**
 * Compile every test/c/*.c into a fresh temporary directory; returns name -> binary.
 * With SYSVM_TEST_CBIN=DIR the binaries are taken from DIR instead, compiled there
 * beforehand (by kernel/test/vmtags-runtime: compiling under TCG in the guest is slow).
 */
export function compileAll(): Record<string, string> {
  const pre = process.env.SYSVM_TEST_CBIN;
  const out = pre ?? mkdtempSync(path.join(os.tmpdir(), 'sysvm-rt-'));
  const bins: Record<string, string> = {};
  for (const f of readdirSync(path.join(here, 'c')).filter((x) => x.endsWith('.c'))) {
    const bin = path.join(out, f.slice(0, -2));
    if (pre === undefined) execFileSync('cc', CFLAGS.concat(['-o', bin, path.join(here, 'c', f), '-lpthread']));
    bins[f.slice(0, -2)] = bin;
  }
  return bins;
}

/** How the test programs are compiled (kernel/test/vmtags-runtime uses the same). */
export const CFLAGS = ['-D_GNU_SOURCE', '-O1', '-Wall', '-Werror'];

/** A seccomp prefilter that sends the named calls to the supervisor and allows the rest. */
export function traceOnly(names: string[]): Uint8Array {
  const nrs = names.map((n) => {
    const nr = syscallNumber(n);
    if (nr === undefined) throw new Error(`unknown syscall ${n}`);
    return nr;
  });
  const prog = [ld(SECCOMP_DATA_NR)];
  nrs.forEach((nr) => { prog.push(jeq(nr, 0, 1), ret(SECCOMP_RET_TRACE)); });
  prog.push(ret(SECCOMP_RET_ALLOW));
  return assemble(prog);
}

/** Is a process still running (a zombie or a missing /proc entry counts as gone)? */
export function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

export const errnoOf = (name: string): number => (os.constants.errno as Record<string, number>)[name]!;
