// Path values of conditions: `~` expansion, absoluteness and normalisation, glob checks.
// Paths are compared as the kernel would resolve them (the runtime resolves the tracee's path
// the same way: dirfd or cwd, `.` and `..` folded, symlinks followed as the call would), so the
// policy's side must be absolute and normalised too.

/** Fold `.`, `..` and repeated slashes of an absolute path; no trailing slash (except `/`). */
export function normalisePath(p: string): string {
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

/** Why a glob is malformed, or undefined if it is fine. */
export function globProblem(glob: string): string | undefined {
  let inClass = false;
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '\\') { i++; continue; }
    if (inClass) {
      if (c === ']' && glob[i - 1] !== '[' && !(glob[i - 1] === '!' && glob[i - 2] === '[')) inClass = false;
      else if (c === '/') return 'a [...] class cannot contain /';
    } else if (c === '[') inClass = true;
  }
  if (inClass) return 'unclosed [';
  if (glob.endsWith('\\')) return 'ends with a lone \\';
  if (/[^/]\*\*|\*\*[^/]/.test(glob)) return '** must be a whole path component (a/**/b)';
  return undefined;
}

/**
 * Normalise an absolute glob without touching its wildcards: only `.`/`..` components
 * that are literal are folded.
 */
export function normaliseGlob(glob: string): string {
  return normalisePath(glob);
}
