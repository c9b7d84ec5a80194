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
import { FILE_TIME_ARG_CALLS, FILE_TIME_RESULT_CALLS, fileTimeOffset, fileTimes } from './filetimes.js';
import { DEADLINE_STOPS, timeWorld, type WorldOutcome } from './deadlines.js';
import {
  assemble, type Insn, jeq, jset, ld, ret, SECCOMP_DATA_ARCH, SECCOMP_DATA_NR, seccompDataArgLo,
} from '../linux/bpf.js';
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
  const out = runModule(e, ctx);
  if (!('pass' in out)) return out;
  // A call a module lets run (a bind's stat, utimensat) is still seen through the world.
  const w = fileTimes(ctx);
  if (w === undefined) return out;
  const own: WorldOutcome = { atExit: out.atExit ?? (() => undefined), ...out.rewrite ? { rewrite: out.rewrite } : {} };
  const both = compose([own, w])!;
  return { pass: true, ...both };
}

/**
 * What the policy's world does to a call that a rule passed (allow, trace), whatever the
 * rule: path results mapped back through the binds, absolute deadlines translated to the
 * host's clock, file times shifted. Always with an exit handler (with rewrites, that is what
 * gives a call the kernel restarts its own arguments back).
 */
export function worldResults(ctx: EmuContext): WorldOutcome | undefined {
  const bind = bindResults(ctx);
  return compose([bind === undefined ? undefined : { atExit: bind }, timeWorld(ctx), fileTimes(ctx)]);
}

/** Several world outcomes as one: every rewrite, every exit handler in order. */
function compose(parts: Array<WorldOutcome | undefined>): WorldOutcome | undefined {
  const some = parts.filter((p): p is WorldOutcome => p !== undefined);
  if (some.length <= 1) return some[0];
  const rewrite = some.flatMap((p) => p.rewrite ?? []);
  return { atExit: (x) => { for (const p of some) p.atExit(x); }, ...rewrite.length > 0 ? { rewrite } : {} };
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
  // The world's clock is the first time emulation's (the time section's, which comes first).
  const clock = emus.flatMap((e) => (e.kind === 'time' ? [e.clock] : []))[0];
  return { time: clock !== undefined, binds, ...clock !== undefined ? { clock } : {} };
}

/**
 * A seccomp program the runtime adds (before the policy's) for what the world needs to see
 * beyond the policy's rules (RET_TRACE; the kernel runs the strictest action of all filters,
 * so this never loosens the policy): with binds, getcwd, readlink and readlinkat, so that
 * their results show the virtual paths; with a virtual clock, the calls with an absolute
 * realtime deadline (decided on their integer arguments, so a relative sleep never stops);
 * with shifted file times, the stat and utime families. null when nothing is needed.
 */
export function worldFilter(world: VmWorld): Uint8Array | null {
  const stops: typeof DEADLINE_STOPS = [
    ...world.binds.length > 0 ? PATH_RESULT_CALLS : [],
    ...fileTimeOffset(world) !== undefined ? [...FILE_TIME_RESULT_CALLS, ...FILE_TIME_ARG_CALLS] : [],
  ].map((name) => ({ name, when: [] }));
  if (world.clock !== undefined) stops.push(...DEADLINE_STOPS);
  if (stops.length === 0) return null;
  const prog = [ld(SECCOMP_DATA_ARCH), jeq(AUDIT_ARCH_X86_64, 1, 0), ret(SECCOMP_RET_ALLOW), ld(SECCOMP_DATA_NR)];
  for (const s of stops) {
    const nr = syscallNumber(s.name);
    if (nr === undefined) continue;
    const block = guarded(s.when);
    prog.push(jeq(nr, 0, block.length), ...block);
  }
  prog.push(ret(SECCOMP_RET_ALLOW));
  return assemble(prog);
}

/**
 * RET_TRACE if every condition holds, else RET_ALLOW (each on the low 32 bits of an
 * argument: the integer arguments these conditions name are all 32-bit).
 */
function guarded(when: (typeof DEADLINE_STOPS)[number]['when']): Insn[] {
  // Each test's jump to the final RET_ALLOW is filled in once the block's length is known.
  const out: Array<Insn & { fail?: boolean }> = [];
  for (const c of when) {
    out.push(ld(seccompDataArgLo(c.arg)));
    if (c.set !== undefined) out.push({ ...jset(c.set, 0, 0), fail: true });
    const vals = c.in ?? [];
    vals.forEach((v, i) => out.push(i === vals.length - 1 ? { ...jeq(v, 0, 0), fail: true } : jeq(v, vals.length - 1 - i, 0)));
  }
  out.push(ret(SECCOMP_RET_TRACE));
  if (when.length > 0) out.push(ret(SECCOMP_RET_ALLOW));
  const allowAt = out.length - 1;
  return out.map((insn, i) => {
    if (insn.fail !== true) return insn;
    const { fail: _fail, ...plain } = insn;
    return { ...plain, jf: allowAt - i - 1 };
  });
}
