// The exact mapping between file names (bytes) and text lives in @sysvm/policy (pathtext.ts),
// so that the policy's own tools (`sysvm test`, `explain`) read "\xHH" in a call the way the
// supervisor reads a name; the runtime uses it from here.
import { encodePath } from '@sysvm/policy/pathtext';

export { decodePath, encodePath, encodePathInto, latin1, PATH_MAX } from '@sysvm/policy/pathtext';

/** A name as the NUL-terminated bytes it stands for, for a system call or a tracee's memory. */
export const cString = (s: string): Buffer => Buffer.concat([encodePath(s), Buffer.alloc(1)]);

