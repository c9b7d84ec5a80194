// Whether a bundle made by tools/bundle.mjs may run. A bundle is a copy of dist/'s modules
// (and of yaml's and zod's) in one file, for start-up; its manifest, FILE.inputs.json, holds
// the size and mtime of every file it was made from. It is used only while every one of them
// is unchanged: after an edit and a `tsc -b` (which rewrites the edited modules) the loaders
// run dist/'s modules again, so an old bundle never runs in place of newer code. Kept to
// node:fs, so that checking costs a read of the manifest and one stat per input (≈ 1 ms).
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';

/** `file` (an absolute path), if it is a bundle whose inputs are all as they were when it was made. */
export function freshBundle(file: string): string | undefined {
  let inputs: unknown;
  try {
    inputs = (JSON.parse(readFileSync(`${file}.inputs.json`, 'utf8')) as { inputs?: unknown }).inputs;
  } catch {
    return undefined;
  }
  if (!Array.isArray(inputs) || inputs.length === 0) return undefined;
  const dir = path.dirname(file);
  for (const entry of inputs as unknown[]) {
    if (!Array.isArray(entry)) return undefined;
    const [rel, size, mtimeMs] = entry as [unknown, unknown, unknown];
    if (typeof rel !== 'string') return undefined;
    const s = statSync(path.resolve(dir, rel), { throwIfNoEntry: false });
    if (s === undefined || s.size !== size || s.mtimeMs !== mtimeMs) return undefined;
  }
  return statSync(file, { throwIfNoEntry: false })?.isFile() === true ? file : undefined;
}
