// Path matching for PathConditions, shared by `evaluate` and `explain`. Paths are
// absolute and normalised by the time they get here (the front end normalises the
// policy's, the runtime resolves the tracee's).

/** `path` is `base` itself or below it: `/a/b` is under `/a`, `/ab` is not. */
export function pathUnder(path: string, base: string): boolean {
  // (by character codes, nothing allocated: the supervisor asks this at every path stop)
  let n = base.length;
  if (n > 1 && base.charCodeAt(n - 1) === 0x2f) n--; // `/a/` is `/a`
  if (n === 1 && base.charCodeAt(0) === 0x2f) return path.charCodeAt(0) === 0x2f;
  // `path` is the first n characters of `base`, or those and a `/` and more
  if (path.length < n || !path.startsWith(n === base.length ? base : base.slice(0, n))) return false;
  return path.length === n || path.charCodeAt(n) === 0x2f;
}

/** One segment against a segment pattern: `*` any run of characters, `?` one character. */
function segmentMatch(seg: string, pat: string): boolean {
  // Iterative wildcard match with backtracking to the last `*`.
  let s = 0;
  let p = 0;
  let star = -1;
  let mark = 0;
  while (s < seg.length) {
    if (p < pat.length && (pat[p] === '?' || pat[p] === seg[s])) {
      s++;
      p++;
    } else if (p < pat.length && pat[p] === '*') {
      star = p++;
      mark = s;
    } else if (star >= 0) {
      p = star + 1;
      s = ++mark;
    } else {
      return false;
    }
  }
  while (p < pat.length && pat[p] === '*') p++;
  return p === pat.length;
}

/**
 * Glob match of a whole path: `*` and `?` stay within one segment, a segment that is
 * exactly `**` matches zero or more whole segments (`/a/**` matches `/a` and everything
 * below it; `/a/**\/b` matches `/a/b` and `/a/x/y/b`). No character classes: `[` is literal.
 */
export function pathGlob(path: string, pattern: string): boolean {
  const segs = path.split('/');
  const pats = pattern.split('/');
  // memo[i][j]: segs[i..] against pats[j..]
  const memo = new Map<number, boolean>();
  const go = (i: number, j: number): boolean => {
    const key = i * (pats.length + 1) + j;
    const hit = memo.get(key);
    if (hit !== undefined) return hit;
    let r: boolean;
    if (j === pats.length) r = i === segs.length;
    else if (pats[j] === '**') r = go(i, j + 1) || (i < segs.length && go(i + 1, j));
    else r = i < segs.length && segmentMatch(segs[i] ?? '', pats[j] ?? '') && go(i + 1, j + 1);
    memo.set(key, r);
    return r;
  };
  return go(0, 0);
}

export type PathOpName = 'equals' | 'under' | 'glob';

/** Whether `path` satisfies `op` with any of `values`. */
export function pathMatches(op: PathOpName, values: readonly string[], path: string): boolean {
  switch (op) {
    case 'equals': return values.includes(path);
    case 'under':
      for (const v of values) if (pathUnder(path, v)) return true;
      return false;
    case 'glob': return values.some((v) => pathGlob(path, v));
  }
}
