// Path values of conditions: `~` expansion, absoluteness and normalisation, glob checks.
// Paths are compared as the kernel would resolve them (the runtime resolves the tracee's path
// the same way: dirfd or cwd, `.` and `..` folded, symlinks followed as the call would), so the
// policy's side must be absolute and normalised too.

/** What normalisePath leaves as it is: an absolute path without an empty, `.` or `..` component or a trailing slash. */
const NORMAL = /^\/(?:[^/]+\/)*[^/]*$/;
const DOT_PART = /(?:^|\/)\.\.?(?:\/|$)/;

/** Fold `.`, `..` and repeated slashes of an absolute path; no trailing slash (except `/`). */
export function normalisePath(p: string): string {
  // Most paths are normal already (the loader normalises every path value of a policy).
  if (NORMAL.test(p) && !DOT_PART.test(p) && (p.length === 1 || !p.endsWith('/'))) return p;
  const out: string[] = [];
  for (const part of p.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') out.pop();
    else out.push(part);
  }
  return '/' + out.join('/');
}

/** `~` and `~/x` become the home directory; `~user` is left alone (and is then relative). */
export function expandTilde(p: string, home: string): string {
  if (p === '~') return home;
  if (p.startsWith('~/')) return home.replace(/\/+$/, '') + p.slice(1);
  return p;
}

/**
 * Why a glob is malformed, or undefined if it is fine. The syntax is what `evaluate` matches
 * (compile/pathmatch.ts): `*` and `?` within one path component, `**` as a whole component
 * for any depth. Character classes and escapes are not part of it; they are refused rather
 * than silently matched as literal characters.
 */
export function globProblem(glob: string): string | undefined {
  if (/[[\]]/.test(glob)) return 'character classes ([...]) are not supported';
  if (glob.includes('\\')) return 'escapes (\\) are not supported';
  if (glob.split('/').some((seg) => seg.includes('**') && seg !== '**')) return '** must be a whole path component (a/**/b)';
  return undefined;
}

/**
 * Normalise an absolute glob without touching its wildcards: only `.`/`..` components
 * that are literal are folded.
 */
export function normaliseGlob(glob: string): string {
  return normalisePath(glob);
}
