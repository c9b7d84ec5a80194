// Whether the policy hides a path: the question directory listings ask (dirents.ts) for
// each entry that could be hidden. A hidden path is one whose lstat the policy denies with
// ENOENT ("as if absent", what `filesystem.hide` compiles to for every path call). Asking
// the policy's own decision, rather than matching the hide list here, keeps the rule order:
// what a rule before the hide shows (a virtual file inside a hidden directory) stays listed.
import { syscallNumber } from '../abi.js';
import type { Invocation, Verdict } from '../ir.js';
import { AT_FDCWD, AT_SYMLINK_NOFOLLOW, ENOENT } from '../linux/consts.js';

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
