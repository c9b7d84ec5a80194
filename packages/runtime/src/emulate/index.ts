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
import { bindResults, emulateBind, PATH_RESULT_CALLS } from './bind.js';
import { FILE_TIME_ARG_CALLS, FILE_TIME_RESULT_CALLS, fileTimes } from './filetimes.js';
import { assemble, jeq, ld, ret, SECCOMP_DATA_ARCH, SECCOMP_DATA_NR } from '../linux/bpf.js';
import { AUDIT_ARCH_X86_64, SECCOMP_RET_ALLOW, SECCOMP_RET_TRACE } from '../linux/consts.js';
import { syscallNumber } from '../abi.js';
import type { ArgRewrite } from '../types.js';
import type { EmuContext, EmuOutcome, ExitHandler, VmWorld } from './context.js';

export type { EmuContext, EmuOutcome, ExitContext, ExitHandler, VmWorld } from './context.js';
export { EMPTY_WORLD } from './context.js';
export { FileStore } from './files.js';
export { VmDeref, fdInfo } from './fds.js';
export { hideVdso } from './time.js';
export { bindResults } from './bind.js';
export const EMULATION_KINDS = ['return', 'uname', 'identity', 'time', 'file', 'bind'] as const;

export function runEmulation(e: Emulation, ctx: EmuContext): EmuOutcome {
  const out = runModule(e, ctx);
  if (!('pass' in out)) return out;
  // A call a module lets run (a bind's stat, utimensat) is still seen through the world.
  const w = fileTimes(ctx);
  if (w === undefined) return out;
  const first = out.atExit;
  return {
    pass: true,
    rewrite: [...out.rewrite ?? [], ...w.rewrite ?? []],
    atExit: (x) => { first?.(x); w.atExit(x); },
  };
}

/**
 * What the policy's world does to a call that a rule passed (allow, trace), whatever the
 * rule: path results mapped back through the binds, file times shifted. Always with an exit
 * handler (with rewrites, that is what gives a restarted call its own arguments back).
 */
export function worldResults(ctx: EmuContext): { atExit: ExitHandler; rewrite?: ArgRewrite[] } | undefined {
  const bind = bindResults(ctx);
  if (bind !== undefined) return { atExit: bind };
  return fileTimes(ctx);
}

function runModule(e: Emulation, ctx: EmuContext): EmuOutcome {
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
  // File times follow the first offset clock that asks for it (the time section's, which
  // comes first); a frozen clock leaves them real.
  const shifted = emus.flatMap((e) => (e.kind === 'time' && e.clock.kind === 'offset' && e.clock.files === true ? [e.clock.offsetNs] : []));
  return { time: emus.some((e) => e.kind === 'time'), binds, ...shifted.length > 0 ? { fileTimeOffsetNs: shifted[0]! } : {} };
}

/**
 * A seccomp program the runtime adds (before the policy's) for what the world needs to see
 * beyond the policy's rules: with binds, getcwd, readlink and readlinkat stop; with shifted
 * file times, the stat and utime families (RET_TRACE; the
 * kernel runs the strictest action of all filters, so this never loosens the policy), so
 * that their results can show the virtual paths. null when nothing is needed.
 */
export function worldFilter(world: VmWorld): Uint8Array | null {
  const names: string[] = [
    ...world.binds.length > 0 ? PATH_RESULT_CALLS : [],
    ...world.fileTimeOffsetNs !== undefined ? [...FILE_TIME_RESULT_CALLS, ...FILE_TIME_ARG_CALLS] : [],
  ];
  if (names.length === 0) return null;
  const nrs = names.map((n) => syscallNumber(n)).filter((n): n is number => n !== undefined);
  const prog = [ld(SECCOMP_DATA_ARCH), jeq(AUDIT_ARCH_X86_64, 1, 0), ret(SECCOMP_RET_ALLOW), ld(SECCOMP_DATA_NR)];
  for (const nr of nrs) prog.push(jeq(nr, 0, 1), ret(SECCOMP_RET_TRACE));
  prog.push(ret(SECCOMP_RET_ALLOW));
  return assemble(prog);
}
