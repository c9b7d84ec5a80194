// The emulation modules, one per family (like gVisor's sys_*.go): `emulate` verdicts are
// carried out here. Each module's header says what it emulates, what it cannot, and why it
// is safe. The tracer calls `runEmulation` at the entry (or seccomp) stop and carries out the
// outcome: skip with a value, or pass (with argument rewrites and an exit handler).
import { lstatSync } from 'node:fs';

import type { Emulation, PolicyIR } from '../ir.js';
import { hostPathFor } from './vpath.js';
import { emulateUname } from './uname.js';
import { emulateIdentity } from './identity.js';
import { emulateTime } from './time.js';
import { emulateFile } from './files.js';
import { bindResults, crossBind, emulateBind, openFollows, PATH_RESULT_CALLS, verifyBoundOpen, writeRewrites } from './bind.js';
import { FILE_TIME_ARG_CALLS, FILE_TIME_RESULT_CALLS, fileTimeOffset, fileTimes } from './filetimes.js';
import { DEADLINE_STOPS, timeWorld, type WorldOutcome } from './deadlines.js';
import {
  assemble, type Insn, jeq, jset, ld, ret, SECCOMP_DATA_ARCH, SECCOMP_DATA_NR, seccompDataArgLo,
} from '../linux/bpf.js';
import { AUDIT_ARCH_X86_64, EFAULT, ENOENT as ENOENT_NR, ENOSYS, SECCOMP_RET_ALLOW, SECCOMP_RET_TRACE } from '../linux/consts.js';
import { syscallNumber } from '../abi.js';
import type { EmuContext, EmuOutcome, ExitHandler, VmWorld } from './context.js';
import { DIRENT_CALLS, direntsExit } from './dirents.js';
import { ADDRESS_CALLS, reachDenial, REACH_CALLS } from './hidden.js';
import { VmDeref } from './fds.js';
import type { ArgRewrite } from '../types.js';
import { PATH_ARGS } from '../tracer/paths.js';

export type { EmuContext, EmuOutcome, ExitContext, ExitHandler, VmWorld } from './context.js';
export { EMPTY_WORLD } from './context.js';
export { FileStore } from './files.js';
export { VmDeref, fdInfo } from './fds.js';
export { hideVdso } from './time.js';
export { hiddenByPolicy } from './hidden.js';
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
  // The world's clock is the first time emulation's (the time section's, which comes first).
  const clock = emus.flatMap((e) => (e.kind === 'time' ? [e.clock] : []))[0];
  return {
    time: clock !== undefined, binds, hidden, files: emus.some((e) => e.kind === 'file'), listed,
    ...clock !== undefined ? { clock } : {},
  };
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
 *    hidden.ts `reachDenial`), so does a socket address that names a hidden path (ENOENT),
 *    and so does a rename or link across a bind (EXDEV, bind.ts
 *    `crossBind`);
 *  - a virtual clock translates absolute deadlines to the host's clock (deadlines.ts) and,
 *    with an offset, shifts file times (filetimes.ts).
 * With rewrites there is always an exit handler: that is what gives a call the kernel
 * restarts its own arguments back.
 */
export function worldPass(ctx: EmuContext): { deny?: number; rewrite?: ArgRewrite[]; atExit?: ExitHandler } {
  const reach = reachDenial(ctx) ?? crossBind(ctx);
  if (reach !== undefined) return { deny: reach };
  const vfs = vfsPass(ctx);
  if (vfs.deny !== undefined) return { deny: vfs.deny };
  const own = vfs.atExit === undefined && vfs.rewrite === undefined ? undefined
    : { atExit: vfs.atExit ?? (() => undefined), ...vfs.rewrite ? { rewrite: vfs.rewrite } : {} };
  return compose([own, timeWorld(ctx), fileTimes(ctx)]) ?? {};
}

/** The file-system part of `worldPass`: listings, path results, paths resolved in the binds. */
function vfsPass(ctx: EmuContext): { deny?: number; rewrite?: ArgRewrite[]; atExit?: ExitHandler } {
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
  // Security: the call never runs unrewritten. The policy judged the object of the virtual
  // path; the kernel's own resolution (from a cwd inside a bind target, `..` to its host
  // parent) reaches another one, which no rule judged. The host path cannot be written when
  // the program makes its call with a stack pointer below which nothing is writable (its
  // choice: one instruction), so that fails the call (EFAULT), as emulate: bind does.
  if (rewrite === null) return { deny: EFAULT };
  const follow = openFollows(ctx);
  return follow === undefined ? { rewrite } : { rewrite, atExit: verifyBoundOpen(reals[0]!.real, follow) };
}

/**
 * A seccomp program the runtime adds (before the policy's) for what the world needs to see
 * beyond the policy's rules (RET_TRACE; the kernel runs the strictest action of all filters,
 * so this never loosens the policy): with binds, getcwd, readlink and readlinkat, so that
 * their results show the virtual paths, and every path call (resolved in the virtual tree);
 * with hidden paths, getdents64 and getdents, so that listings drop them, the socket address
 * calls (a unix socket path may be hidden), and the calls that
 * could move or mount a directory holding one; with a virtual clock, the calls with an
 * absolute realtime deadline (decided on their integer arguments, so a relative sleep never
 * stops); with shifted file times, the stat and utime families. null when nothing is needed.
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
    // moves or is bind-mounted, and no socket address names a hidden path (hidden.ts).
    ...(hides ? [...DIRENT_CALLS, ...REACH_CALLS, ...ADDRESS_CALLS] : []),
    // Listings show the virtual files absent on the host (dirents.ts).
    ...((world.listed ?? []).length > 0 ? DIRENT_CALLS : []),
    ...fileTimeOffset(world) !== undefined ? [...FILE_TIME_RESULT_CALLS, ...FILE_TIME_ARG_CALLS] : [],
  ].filter((n, i, all) => all.indexOf(n) === i);
  const stops: typeof DEADLINE_STOPS = names.map((name) => ({ name, when: [] }));
  // A deadline call some name above already stops for unconditionally needs no guarded entry.
  if (world.clock !== undefined) stops.push(...DEADLINE_STOPS.filter((s) => !names.includes(s.name)));
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
