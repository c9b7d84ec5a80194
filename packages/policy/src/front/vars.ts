// Variables: `${name}` in path values and uname fields. Built in: ${cwd}, ${home}, ${tmp} (the
// sandbox's private temporary directory, made by the runtime), ${tty} (the terminals of the
// loading process's stdin, stdout and stderr: a list, only a whole value of a rule's path
// condition, see Resolver.pathValueList in load.ts), ${env.NAME} and
// ${env.NAME:-fallback} (the fallback may use variables too). User variables (`vars:`) may use each other; a cycle is an error. `$$`
// is a literal `$`.
import type { SourceRange } from '../ir.js';
import type { Diagnostic } from '../diagnostics.js';
import { diag } from './codes.js';

/** The environment a policy is resolved in. The runtime passes its own; tests pass literals. */
export interface PolicyContext {
  cwd: string;
  home: string;
  tmp: string;
  /**
   * ${tty}: the terminal devices (ttyname(3): /dev/pts/3, /dev/tty1) that fds 0, 1 and 2 of
   * the process that runs the program are, each once; empty when none is a terminal. The
   * loader's default is this process's (`terminalPaths`): `sysvm run` gives the program its
   * own stdin, stdout and stderr.
   */
  tty: readonly string[];
  env: Readonly<Record<string, string | undefined>>;
}

/** The one form ${tty} may take: a whole path value of a rule's condition. */
export const TTY_REF = '${tty}';

export interface VarDef {
  name: string;
  value: string;
  /** Where it is defined (the value's range). */
  range: SourceRange;
  /** The range of its key, for "unused" diagnostics. */
  keyRange: SourceRange;
  /** The file that defines it. */
  file: string;
  used: boolean;
}

type Piece = { lit: string } | { ref: string; fallback?: string };

/** Split a string into literal pieces and references; undefined if malformed. */
export function parseRefs(s: string): Piece[] | undefined {
  const out: Piece[] = [];
  let lit = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c !== '$') { lit += c; continue; }
    if (s[i + 1] === '$') { lit += '$'; i++; continue; }
    if (s[i + 1] !== '{') { lit += '$'; continue; }
    // The matching brace: a fallback may itself hold references (${env.A:-${cwd}/a}).
    let end = -1;
    for (let j = i + 2, depth = 1; j < s.length; j++) {
      if (s[j] === '$' && s[j + 1] === '{') { depth++; j++; } else if (s[j] === '}' && --depth === 0) { end = j; break; }
    }
    if (end < 0) return undefined;
    const body = s.slice(i + 2, end);
    const m = /^(env\.[A-Za-z_][A-Za-z0-9_]*|[A-Za-z_][A-Za-z0-9_-]*)(?::-(.*))?$/s.exec(body);
    if (!m || (m[2] !== undefined && (!m[1]!.startsWith('env.') || parseRefs(m[2]) === undefined))) return undefined;
    if (lit) out.push({ lit });
    lit = '';
    out.push(m[2] !== undefined ? { ref: m[1]!, fallback: m[2] } : { ref: m[1]! });
    i = end;
  }
  if (lit) out.push({ lit });
  return out;
}

/** Expands variables, reporting each problem once per source range. */
export class VarScope {
  private readonly resolved = new Map<string, string | null>();
  private readonly stack: string[] = [];

  constructor(readonly ctx: PolicyContext, readonly defs: ReadonlyMap<string, VarDef>,
    private readonly report: (d: Diagnostic) => void) {}

  /** `s` with every reference expanded, or undefined after reporting why not. */
  expand(s: string, range: SourceRange): string | undefined {
    const pieces = parseRefs(s);
    if (!pieces) {
      this.report(diag('SV2012', range, { text: JSON.stringify(s) }));
      return undefined;
    }
    let out = '';
    let ok = true;
    for (const p of pieces) {
      if ('lit' in p) { out += p.lit; continue; }
      const v = this.lookup(p.ref, p.fallback, range);
      if (v === undefined) ok = false;
      else out += v;
    }
    return ok ? out : undefined;
  }

  private lookup(name: string, fallback: string | undefined, range: SourceRange): string | undefined {
    if (name === 'cwd') return this.ctx.cwd;
    if (name === 'home') return this.ctx.home;
    if (name === 'tmp') return this.ctx.tmp;
    // A list has no string value: pasted into a string, an empty ${tty} would leave the rest
    // of it (`${tty}/..` would become `/..`, that is `/`: everything).
    if (name === 'tty') {
      this.report(diag('SV2013', range, {}));
      return undefined;
    }
    if (name.startsWith('env.')) {
      const key = name.slice(4);
      const v = this.ctx.env[key];
      if (v !== undefined) return v;
      if (fallback !== undefined) return this.expand(fallback, range);
      this.report(diag('SV2007', range, { name: key }));
      return undefined;
    }
    const def = this.defs.get(name);
    if (!def) {
      this.report(diag('SV2006', range, { name, known: [...this.defs.keys()].map((k) => '${' + k + '}').join(', ') || 'none' }));
      return undefined;
    }
    def.used = true;
    const done = this.resolved.get(name);
    if (done !== undefined) return done ?? undefined;
    if (this.stack.includes(name)) {
      const chain = [...this.stack.slice(this.stack.indexOf(name)), name].map((n) => '${' + n + '}').join(' -> ');
      this.report(diag('SV2010', def.range, { name, chain }));
      this.resolved.set(name, null);
      return undefined;
    }
    this.stack.push(name);
    const v = this.expand(def.value, def.range);
    this.stack.pop();
    if (!this.resolved.has(name)) this.resolved.set(name, v ?? null);
    return v;
  }
}
