// The emulation modules, one per family (like gVisor's sys_*.go): `emulate` verdicts are
// carried out here. Each module's header says what it emulates, what it cannot, and why it
// is safe. The tracer calls `runEmulation` at the entry (or seccomp) stop and carries out the
// outcome: skip with a value, or pass (with argument rewrites and an exit handler).
import type { Emulation, PolicyIR } from '../ir.js';
import { ENOSYS } from '../linux/consts.js';
import { emulateUname } from './uname.js';
import { emulateIdentity } from './identity.js';
import { emulateTime } from './time.js';
import { emulateFile } from './files.js';
import { emulateBind, PATH_RESULT_CALLS } from './bind.js';
import { assemble, jeq, ld, ret, SECCOMP_DATA_ARCH, SECCOMP_DATA_NR } from '../linux/bpf.js';
import { AUDIT_ARCH_X86_64, SECCOMP_RET_ALLOW, SECCOMP_RET_TRACE } from '../linux/consts.js';
import { syscallNumber } from '../abi.js';
import type { EmuContext, EmuOutcome, VmWorld } from './context.js';

export type { EmuContext, EmuOutcome, ExitContext, ExitHandler, VmWorld } from './context.js';
export { EMPTY_WORLD } from './context.js';
export { FileStore } from './files.js';
export { VmDeref, fdInfo } from './fds.js';
export { hideVdso } from './time.js';
export { bindResults } from './bind.js';
export const EMULATION_KINDS = ['return', 'uname', 'identity', 'time', 'file', 'bind'] as const;

export function runEmulation(e: Emulation, ctx: EmuContext): EmuOutcome {
  switch (e.kind) {
    case 'return': return { skip: e.value };
    case 'uname': return { skip: emulateUname(ctx.tid, ctx.args[0]!, e.fields) };
    case 'identity': return emulateIdentity(ctx, e.identity);
    case 'time': return emulateTime(ctx, e.clock);
    case 'file': return emulateFile(ctx, e.content);
    case 'bind': return emulateBind(ctx, { from: e.from, to: e.to });
    default: return { skip: -ENOSYS };
  }
}

/**
 * What the runtime must know of a policy's virtual world beyond single verdicts: whether
 * time is emulated (then the vDSO is hidden at every exec), and every bind (results such as
 * getcwd are mapped back through all of them, whichever rule stopped the call).
 */
export function vmWorldFromIR(ir: PolicyIR): VmWorld {
  const emus = ir.rules.map((r) => r.verdict).concat(ir.default.verdict)
    .flatMap((v) => (v.kind === 'emulate' ? [v.emulate] : []));
  const binds = emus.flatMap((e) => (e.kind === 'bind' ? [{ from: e.from, to: e.to }] : []))
    .filter((b, i, all) => all.findIndex((x) => x.from === b.from && x.to === b.to) === i)
    .sort((a, b) => b.from.length - a.from.length);
  return { time: emus.some((e) => e.kind === 'time'), binds };
}

/**
 * A seccomp program the runtime adds (before the policy's) for what the world needs to see
 * beyond the policy's rules: with binds, getcwd, readlink and readlinkat stop (RET_TRACE; the
 * kernel runs the strictest action of all filters, so this never loosens the policy), so
 * that their results can show the virtual paths. null when nothing is needed.
 */
export function worldFilter(world: VmWorld): Uint8Array | null {
  if (world.binds.length === 0) return null;
  const nrs = PATH_RESULT_CALLS.map((n) => syscallNumber(n)).filter((n): n is number => n !== undefined);
  const prog = [ld(SECCOMP_DATA_ARCH), jeq(AUDIT_ARCH_X86_64, 1, 0), ret(SECCOMP_RET_ALLOW), ld(SECCOMP_DATA_NR)];
  for (const nr of nrs) prog.push(jeq(nr, 0, 1), ret(SECCOMP_RET_TRACE));
  prog.push(ret(SECCOMP_RET_ALLOW));
  return assemble(prog);
}
