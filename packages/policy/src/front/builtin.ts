// The built-in policies (packages/policy/builtin/NAME.yaml), apart from the loader so that
// `sysvm run` can name and read them without loading the front end (zod, yaml).
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const BUILTIN_DIR = fileURLToPath(new URL('../../builtin/', import.meta.url));
export const BUILTIN_PREFIX = 'builtin:';

/** The names of the built-in policies (packages/policy/builtin/NAME.yaml). */
export function builtinNames(): string[] {
  try {
    return readdirSync(BUILTIN_DIR).filter((f) => f.endsWith('.yaml')).map((f) => f.slice(0, -5)).sort();
  } catch {
    return [];
  }
}

/** The text of a built-in policy, or undefined. */
export function builtinText(name: string): string | undefined {
  if (!/^[a-z0-9-]+$/.test(name)) return undefined;
  try {
    return readFileSync(`${BUILTIN_DIR}${name}.yaml`, 'utf8');
  } catch {
    return undefined;
  }
}
