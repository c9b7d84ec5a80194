// Whether the policy hides a path: the question directory listings ask (dirents.ts) for
// each entry that could be hidden; and the calls that would reach a hidden path through an
// ancestor (`reachDenial`). A hidden path is one whose lstat the policy denies with
// ENOENT ("as if absent", what `filesystem.hide` compiles to for every path call). Asking
// the policy's own decision, rather than matching the hide list here, keeps the rule order:
// what a rule before the hide shows (a virtual file inside a hidden directory) stays listed.
import { syscallNumber } from '../abi.js';
import type { Invocation, Verdict } from '../ir.js';
import { AT_FDCWD, AT_SYMLINK_NOFOLLOW, EBUSY, ENOENT } from '../linux/consts.js';
import { readCString } from '../linux/mem.js';
import { decodePath } from '../linux/pathtext.js';
import { PATH_ARGS } from '../tracer/paths.js';
import { under } from './bind.js';
import type { EmuContext, VmWorld } from './context.js';
import { resolveText } from './vpath.js';

const NEWFSTATAT = syscallNumber('newfstatat')!;

/** newfstatat(AT_FDCWD, path, NULL, AT_SYMLINK_NOFOLLOW), with `path` already resolved. */
export function lstatInvocation(path: string): Invocation {
  return {
    arch: 'x86_64', nr: NEWFSTATAT,
    args: [BigInt.asUintN(64, BigInt(AT_FDCWD)), 0n, 0n, BigInt(AT_SYMLINK_NOFOLLOW), 0n, 0n],
    deref: { path: (arg) => (arg === 1 ? path : undefined), fd: () => ({ virtual: false }) },
  };
}

/** `(path) => hidden?` from a decision function (the tracer's, which knows the policy). */
export function hiddenByPolicy(decide: (inv: Invocation) => Verdict): (path: string) => boolean {
  return (path) => {
    try {
      const v = decide(lstatInvocation(path));
      return v.kind === 'deny' && v.errno === ENOENT;
    } catch {
      return true; // a policy that fails denies (as the tracer does): do not show the entry
    }
  };
}

/**
 * The calls that could carry a hidden path's content to a name that is not hidden, other
 * than by naming the hidden path (which `filesystem.hide` denies): moving or bind-mounting a
 * directory that holds one. Checked by `reachDenial` whatever rule passed the call.
 */
export const REACH_CALLS = ['rename', 'renameat', 'renameat2', 'mount', 'open_tree', 'move_mount'] as const;

/**
 * The calls that name a unix socket by its path in a socket address, not in a path argument:
 * the hide rule (every call with a path argument) never sees them, so a socket in a hidden
 * directory (a gpg-agent in a hidden ~/.gnupg) was reached by its path. Checked by
 * `reachDenial` whatever rule passed the call.
 */
export const ADDRESS_CALLS = ['connect', 'bind', 'sendto', 'sendmsg', 'sendmmsg'] as const;

/** Is a hidden value strictly below `p` (so moving or mounting `p` would carry it along)? */
function holdsHidden(world: VmWorld, p: string): boolean {
  return (world.hidden ?? []).some((h) => h.op !== 'glob' && h.value !== p && under(p, h.value));
}

/**
 * Invariant (hide): no call that the policy passes may give a hidden path's content another
 * name. The hide rule denies every call that *names* a hidden path; what remains is naming
 * one of its ancestors:
 *   - rename/renameat/renameat2 of a directory that holds a hidden path (either path: with
 *     RENAME_EXCHANGE the new path moves too) would show the hidden path under the new name;
 *   - mount's source (a bind mount: `mount --bind ~ /tmp/x` in a user namespace), open_tree
 *     (a detached bind mount, OPEN_TREE_CLONE) and move_mount's source: the same through a
 *     second mount. mount's source and move_mount's path are not path arguments of the
 *     catalogue, so the hide rule never sees them: a hidden source itself is refused too.
 * Such a call fails with EBUSY (a directory that holds a hidden path behaves like one with a
 * mount point in use), or ENOENT for a hidden source itself. Returns the errno, or undefined.
 * Hidden values are `under`/`equals` paths (what `filesystem.hide` writes); a raw rule that
 * hides by `glob` is not checked for ancestors (its matches cannot be enumerated).
 */
export function reachDenial(ctx: EmuContext): number | undefined {
  const world = ctx.world;
  if ((world.hidden ?? []).length === 0) return undefined;
  if ((ADDRESS_CALLS as readonly string[]).includes(ctx.name)) return hiddenSocket(ctx);
  if (!(REACH_CALLS as readonly string[]).includes(ctx.name)) return undefined;
  const paths: string[] = [];
  if (ctx.name === 'mount' || ctx.name === 'move_mount') {
    const at = ctx.name === 'mount' ? 0 : 1;
    const ptr = ctx.args[at]!;
    const raw = ptr === 0n ? null : readCString(ctx.tid, ptr);
    const text = raw === null ? '' : decodePath(raw);
    if (text !== '') {
      const dirfd = ctx.name === 'mount' ? AT_FDCWD : Number(BigInt.asIntN(32, ctx.args[0]!));
      const p = resolveText(world.binds, ctx.pid, ctx.tid, text, dirfd);
      if (p === undefined) return ENOENT; // unreadable: refuse rather than guess
      if (ctx.hidden?.(p) === true) return ENOENT;
      paths.push(p);
    }
  } else {
    for (const spec of PATH_ARGS[ctx.name] ?? []) {
      const p = ctx.deref.path(spec.arg);
      if (p !== undefined) paths.push(p);
    }
  }
  return paths.some((p) => holdsHidden(world, p)) ? EBUSY : undefined;
}

/**
 * Invariant (hide): a hidden path is absent to socket addresses too. connect, bind, sendto,
 * sendmsg and sendmmsg to a unix socket path the policy hides (resolved as the kernel
 * resolves it: sockaddr.ts) fail with ENOENT, what the kernel answers for a socket that is
 * not there. Addresses that cannot be read fail the same way (fail closed); abstract names
 * and calls without an address are not paths.
 */
function hiddenSocket(ctx: EmuContext): number | undefined {
  const addrs = ctx.deref.sockaddrs(0);
  if (addrs === undefined) return ENOENT;
  for (const a of addrs) {
    if (a === null || a.family !== 'unix') continue;
    const p = (a as { path: string }).path;
    if (p.startsWith('/') && ctx.hidden?.(p) === true) return ENOENT;
  }
  return undefined;
}
