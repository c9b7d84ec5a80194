// ${tty}: the terminals this process's stdin, stdout and stderr are, found as ttyname(3)
// finds them (glibc: the /proc/self/fd/N link, checked against the fd by stat).
import { fstatSync, readlinkSync, statSync } from 'node:fs';
import { isatty } from 'node:tty';

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
      if (!isatty(fd)) continue;
      const path = readlinkSync(`/proc/self/fd/${fd}`);
      if (!path.startsWith('/dev/')) continue;
      const a = fstatSync(fd);
      const b = statSync(path);
      if (!b.isCharacterDevice() || a.dev !== b.dev || a.ino !== b.ino || a.rdev !== b.rdev) continue;
      if (!out.includes(path)) out.push(path);
    } catch {
      // a closed fd, no /proc: no terminal there
    }
  }
  return out;
}
