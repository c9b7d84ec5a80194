// The program's environment under a policy's `environment:` sections (docs/policy.md,
// "environment"): which of the caller's variables the program gets, and which it gets set.
//
// Security: the environment is the one thing a program is handed rather than asks for by
// system call, so no rule sees it. A credential in a variable (AWS_SECRET_ACCESS_KEY,
// GITHUB_TOKEN) would reach a program that the policy keeps from the files holding the same
// credential: builtin:default drops such names, and this function is the only place the
// runtime makes the program's environment from the caller's (runtime/src/index.ts, spawn).
import type { EnvironmentLayer, PolicyIR } from './ir.js';

/** A name pattern: `*` matches any run of characters; compared without regard to case. */
function globMatches(glob: string, name: string): boolean {
  const g = glob.toUpperCase();
  const n = name.toUpperCase();
  const parts = g.split('*');
  if (parts.length === 1) return g === n;
  const first = parts[0]!;
  const last = parts[parts.length - 1]!;
  if (!n.startsWith(first) || n.length < first.length + last.length || !n.endsWith(last)) return false;
  let at = first.length;
  const end = n.length - last.length;
  for (const p of parts.slice(1, -1)) {
    const i = n.indexOf(p, at);
    if (i < 0 || i + p.length > end) return false;
    at = i + p.length;
  }
  return true;
}

/**
 * What one layer (one file's section) says of `name`: its value if the layer sets it, `keep`
 * or `drop` if a pattern of the layer matches it (keep before drop), or undefined.
 */
function layerDecides(layer: EnvironmentLayer, name: string): { set: string } | 'keep' | 'drop' | undefined {
  if (Object.hasOwn(layer.set, name)) return { set: layer.set[name]! };
  if (layer.keep.some((g) => globMatches(g, name))) return 'keep';
  if (layer.drop.some((g) => globMatches(g, name))) return 'drop';
  return undefined;
}

/**
 * The program's environment: `env` (the caller's) as the policy's environment sections
 * leave it. The extending file decides first (its `set`, then `keep`, then `drop`), then what
 * it extends, in the order of `extends`; a name no layer decides is passed as it is.
 */
export function programEnvironment(ir: Pick<PolicyIR, 'environment'>, env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const layers = ir.environment ?? [];
  const out: Record<string, string> = {};
  const names = new Set(Object.keys(env).filter((k) => env[k] !== undefined));
  for (const l of layers) for (const k of Object.keys(l.set)) names.add(k);
  for (const name of names) {
    let value = env[name];
    for (const l of layers) {
      const d = layerDecides(l, name);
      if (d === undefined) continue;
      value = d === 'drop' ? undefined : d === 'keep' ? value : d.set;
      break;
    }
    if (value !== undefined) out[name] = value;
  }
  return out;
}
