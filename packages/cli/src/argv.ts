// The command line as bytes. Node decodes its arguments as UTF-8 and puts U+FFFD in place of
// bytes that are not, so `sysvm run -- cat $'caf\xe9'` would open another name than the
// shell gave. /proc/self/cmdline holds the bytes: the last arguments there are process.argv's
// after the script (Node's own options come before the script), decoded by the runtime's
// exact mapping (@sysvm/policy's decodePath; the launcher encodes them back to the same bytes).
import { readFileSync } from 'node:fs';
import { decodePath } from '@sysvm/policy/pathtext';

/** `given` (process.argv after the script) with each argument as its exact bytes, when /proc tells them. */
export function exactArgs(given: readonly string[]): string[] {
  let raw: Buffer;
  try {
    raw = readFileSync('/proc/self/cmdline');
  } catch {
    return [...given];
  }
  const parts: Buffer[] = [];
  for (let at = 0; at < raw.length;) {
    const end = raw.indexOf(0, at);
    parts.push(raw.subarray(at, end < 0 ? raw.length : end));
    at = end < 0 ? raw.length : end + 1;
  }
  if (parts.length < given.length) return [...given];
  const tail = parts.slice(parts.length - given.length).map((b) => decodePath(b));
  // The same arguments wherever Node could decode them: else this is not our command line
  // (a caller of main() with its own array), and `given` is what there is.
  for (let i = 0; i < given.length; i++) {
    if (tail[i] !== given[i] && !given[i]!.includes('\ufffd')) return [...given];
  }
  return tail;
}
