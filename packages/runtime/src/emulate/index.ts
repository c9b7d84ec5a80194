// The emulation modules, one per family (like gVisor's sys_*.go): `emulate` verdicts are
// carried out here. Each module's header says what it emulates, what it cannot, and why it
// is safe. The tracer calls `runEmulation` at the entry (or seccomp) stop and carries out the
// outcome: skip with a value, or pass (with argument rewrites and an exit handler).
import { lstatSync } from 'node:fs';

import type { Emulation, PolicyIR } from '../ir.js';
import { hostPathFor } from './vpath.js';
import { ENOSYS } from '../linux/consts.js';
import { emulateUname } from './uname.js';
import { emulateIdentity } from './identity.js';
import { emulateTime } from './time.js';
import { emulateFile } from './files.js';
import { bindResults, crossBind, emulateBind, PATH_RESULT_CALLS, writeRewrites } from './bind.js';
import { assemble, jeq, ld, ret, SECCOMP_DATA_ARCH, SECCOMP_DATA_NR } from '../linux/bpf.js';
import { AUDIT_ARCH_X86_64, SECCOMP_RET_ALLOW, SECCOMP_RET_TRACE } from '../linux/consts.js';
import { syscallNumber } from '../abi.js';
import type { EmuContext, EmuOutcome, ExitHandler, VmWorld } from './context.js';
import { DIRENT_CALLS, direntsExit } from './dirents.js';
import { reachDenial, REACH_CALLS } from './hidden.js';
import { VmDeref } from './fds.js';
import { openFollows, verifyBoundOpen } from './bind.js';
import type { ArgRewrite } from '../types.js';
import { PATH_ARGS } from '../tracer/paths.js';
import { ENOENT as ENOENT_NR } from '../linux/consts.js';

export type { EmuContext, EmuOutcome, ExitContext, ExitHandler, VmWorld } from './context.js';
export { EMPTY_WORLD } from './context.js';
export { FileStore } from './files.js';
export { VmDeref, fdInfo } from './fds.js';
export { hideVdso } from './time.js';
export { bindResults } from './bind.js';
export { hiddenByPolicy } from './hidden.js';
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
  // What some rule denies with ENOENT by path (filesystem.hide, or a raw rule that hides):
  // the candidates whose directory entries listings drop, if the policy's decision agrees.
  const hidden: NonNullable<VmWorld['hidden']> = [];
  for (const r of ir.rules) {
    if (r.verdict.kind !== 'deny' || r.verdict.errno !== ENOENT_NR || r.match === null) continue;
    for (const c of r.match.flat()) {
      if (c.kind !== 'path') continue;
      for (const value of c.values) if (!hidden.some((h) => h.op === c.op && h.value === value)) hidden.push({ op: c.op, value });
    }
  }
  // Virtual files at paths absent on the host: their directory's listing shows them.
  const listed: NonNullable<VmWorld['listed']> = [];
  for (const r of ir.rules) {
    if (r.verdict.kind !== 'emulate' || r.verdict.emulate.kind !== 'file' || r.match === null) continue;
    const content = r.verdict.emulate.content;
    for (const c of r.match.flat()) {
      if (c.kind !== 'path' || c.op !== 'equals') continue;
      for (const p of c.values) {
        if (!listed.some((l) => l.path === p) && lstatSync(hostPathFor(binds, p), { throwIfNoEntry: false }) === undefined) {
          listed.push({ path: p, content });
        }
      }
    }
  }
  return { time: emus.some((e) => e.kind === 'time'), binds, hidden, files: emus.some((e) => e.kind === 'file'), listed };
}

/**
 * What the virtual world adds to a call the policy passes (allow, trace), whatever rule
 * decided it (the world is the same for every rule):
 *  - path arguments the kernel would resolve to another object than the virtual path the
 *    policy judged (a relative path or `..` from inside a bind target, a symlink whose text
 *    names a bound path) are rewritten to that object's absolute host path (see vpath.ts);
 *  - results that show paths (getcwd, readlink of /proc links) are mapped back through
 *    the binds at the exit;
 *  - directory listings drop the entries the policy hides (dirents.ts);
 *  - moving or bind-mounting a directory that holds a hidden path fails (`deny`, an errno;
 *    hidden.ts `reachDenial`), and so does a rename or link across a bind (EXDEV, bind.ts
 *    `crossBind`).
 */
export function worldPass(ctx: EmuContext): { deny?: number; rewrite?: ArgRewrite[]; atExit?: ExitHandler } {
  const reach = reachDenial(ctx) ?? crossBind(ctx);
  if (reach !== undefined) return { deny: reach };
  if ((DIRENT_CALLS as readonly string[]).includes(ctx.name)) {
    const atExit = direntsExit(ctx);
    return atExit === undefined ? {} : { atExit };
  }
  const results = bindResults(ctx);
  if (results !== undefined) return { atExit: results };
  if (ctx.world.binds.length === 0) return {};
  if (!(ctx.deref instanceof VmDeref)) return {};
  const deref = ctx.deref;
  const reals = (PATH_ARGS[ctx.name] ?? []).flatMap((spec) => {
    if (spec.follow === 'raw') return [];
    const real = deref.hostRewrite(spec.arg);
    return real === undefined ? [] : [{ arg: spec.arg, real }];
  });
  if (reals.length === 0) return {};
  const rewrite = writeRewrites(ctx, reals);
  if (rewrite === null) return {};
  const follow = openFollows(ctx);
  return follow === undefined ? { rewrite } : { rewrite, atExit: verifyBoundOpen(reals[0]!.real, follow) };
}

/**
 * A seccomp program the runtime adds (before the policy's) for what the world needs to see
 * beyond the policy's rules: with binds, getcwd, readlink and readlinkat stop (RET_TRACE; the
 * kernel runs the strictest action of all filters, so this never loosens the policy), so
 * that their results can show the virtual paths, and every path call (resolved in the
 * virtual tree); with hidden paths, getdents64 and getdents, so that listings drop them, and
 * the calls that could move or mount a directory holding one. null when nothing is needed.
 */
export function worldFilter(world: VmWorld): Uint8Array | null {
  const hides = (world.hidden ?? []).length > 0;
  const names = [
    ...(world.binds.length > 0 ? PATH_RESULT_CALLS : []),
    // readlink of /proc/PID/fd/N of a virtual file shows its virtual path.
    ...(world.files === true ? ['readlink', 'readlinkat'] : []),
    // With binds every path call is resolved in the virtual tree (its argument rewritten
    // when the kernel would resolve it elsewhere: `..` above a bind), whatever rule passes it.
    ...(world.binds.length > 0 ? Object.keys(PATH_ARGS) : []),
    // Listings drop hidden entries at the exit (dirents.ts); no ancestor of a hidden path
    // moves or is bind-mounted (hidden.ts).
    ...(hides ? [...DIRENT_CALLS, ...REACH_CALLS] : []),
    // Listings show the virtual files absent on the host (dirents.ts).
    ...((world.listed ?? []).length > 0 ? DIRENT_CALLS : []),
  ].filter((n, i, all) => all.indexOf(n) === i);
  if (names.length === 0) return null;
  const nrs = names.map((n) => syscallNumber(n)).filter((n): n is number => n !== undefined);
  const prog = [ld(SECCOMP_DATA_ARCH), jeq(AUDIT_ARCH_X86_64, 1, 0), ret(SECCOMP_RET_ALLOW), ld(SECCOMP_DATA_NR)];
  for (const nr of nrs) prog.push(jeq(nr, 0, 1), ret(SECCOMP_RET_TRACE));
  prog.push(ret(SECCOMP_RET_ALLOW));
  return assemble(prog);
}
