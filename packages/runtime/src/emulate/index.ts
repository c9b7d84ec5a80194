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
import { emulateBind } from './bind.js';
import type { EmuContext, EmuOutcome, VmWorld } from './context.js';

export type { EmuContext, EmuOutcome, ExitContext, ExitHandler, VmWorld } from './context.js';
export { EMPTY_WORLD } from './context.js';
export { FileStore } from './files.js';
export { VmDeref, fdInfo } from './fds.js';
export { hideVdso } from './time.js';
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
