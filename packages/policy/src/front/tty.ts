// ${tty}: the terminals this process's stdin, stdout and stderr are, found as ttyname(3)
// finds them (glibc: the /proc/self/fd/N link, checked against the fd by stat).
import { fstatSync, readlinkSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';

/**
 * node:tty's isatty, loaded when first needed: loading node:tty costs about 4 ms (it brings
 * node:net), and `sysvm run` with its stdio on pipes, files or /dev/null never needs it.
 */
let tty: typeof import('node:tty') | undefined;
const isatty = (fd: number): boolean =>
  (tty ??= createRequire(import.meta.url)('node:tty') as typeof import('node:tty')).isatty(fd);

/** The major number of a device (glibc's gnu_dev_major). */
const major = (rdev: number): number => ((rdev >>> 8) & 0xfff) | (Math.floor(rdev / 2 ** 32) & ~0xfff);

/**
 * The device paths of the terminals among fds 0, 1 and 2 of this process (/dev/pts/3,
 * /dev/tty1), each once, in fd order; empty when none is a terminal.
 *
 * Security: a path goes in only when the fd is a terminal (isatty: /dev/null is a character
 * device too, and a policy must not read it as the user's terminal) and the path names the
 * very device the fd is open on (same st_dev, st_ino and st_rdev): a terminal whose node was
 * removed, or one from another mount namespace (the link then names a path that is not it,
 * or ends in " (deleted)"), is left out rather than named by a path that is some other file.
 */
export function terminalPaths(fds: readonly number[] = [0, 1, 2]): string[] {
  const out: string[] = [];
  for (const fd of fds) {
    try {
      const a = fstatSync(fd);
      // Only a character device can be a terminal; /dev/null, /dev/zero and the other memory
      // devices (major 1) never are: answered without isatty.
      if (!a.isCharacterDevice() || major(a.rdev) === 1 || !isatty(fd)) continue;
      const path = readlinkSync(`/proc/self/fd/${fd}`);
      if (!path.startsWith('/dev/')) continue;
      const b = statSync(path);
      if (!b.isCharacterDevice() || a.dev !== b.dev || a.ino !== b.ino || a.rdev !== b.rdev) continue;
      if (!out.includes(path)) out.push(path);
    } catch {
      // a closed fd, no /proc: no terminal there
    }
  }
  return out;
}
