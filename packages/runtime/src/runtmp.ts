// The private temporary directory of one run: ${tmp} in policies, $TMPDIR for the program.
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The directory in ${tmp} that builtin:default binds /dev/shm to (its last rule). */
export const SHM_DIR = '.shm';

/**
 * Make a new private temporary directory for one run (mode 0700, in `parent`, by default the
 * system's), with the program's own /dev/shm in it, empty: builtin:default binds /dev/shm to
 * `${tmp}/.shm` (POSIX semaphores and shared memory, as bubblewrap's --dev gives a private
 * tmpfs there). Returns its path; the caller removes it after the run.
 */
export function makeRunTmp(parent = tmpdir()): string {
  const tmp = mkdtempSync(join(parent, 'sysvm-'));
  mkdirSync(join(tmp, SHM_DIR), { mode: 0o700 });
  return tmp;
}
