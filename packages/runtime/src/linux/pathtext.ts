// The exact mapping between file names (bytes) and text lives in @sysvm/policy (pathtext.ts),
// so that the policy's own tools (`sysvm test`, `explain`) read "\xHH" in a call the way the
// supervisor reads a name; the runtime uses it from here.
export { decodePath, encodePath, encodePathInto, PATH_MAX } from '@sysvm/policy/pathtext';
