// sysvm learn -o POLICY -- CMD [ARGS...]: run CMD with every call traced and allowed, then
// write the minimal policy that allows what it did.
import type { Command } from '../command.js';

/** The recording policy: every call stops, runs, and is reported with its decoded arguments. */
export const RECORDING_POLICY = 'builtin:audit';

export const learn: Command = {
  name: 'learn',
  summary: 'run a program, record what it does, and write the minimal policy that allows exactly that',
  usage: 'sysvm learn -o POLICY [--force] [--progress] [--backend NAME] -- CMD [ARGS...]',
  description: [
    `CMD runs under ${RECORDING_POLICY}: nothing is denied (but a connect to nscd's socket: glibc`,
    'then looks names up itself), every call stops in the supervisor and is recorded with its',
    'resolved paths and decoded arguments. Then POLICY is written: the files read (paths',
    'generalised: ${cwd}, ${tmp}, ~, many files below one system directory as that directory,',
    '/proc/PID as /proc/*), the files written (only ${cwd}, ${tmp} and exact paths), the socket',
    'families used, the endpoints connected, sent to and bound (exactly; DNS as *:53; any other',
    'refused with ECONNREFUSED or EADDRNOTAVAIL), the other syscalls by name or systemd group,',
    "each rule with a comment; `default: { deny: EPERM }`. The policy passes 'sysvm lint', and",
    "CMD runs again under it ('sysvm run -p POLICY -- CMD'). Review it: one run shows what a",
    'program did once.',
    'A progress line is shown on stderr when it is a terminal (or with --progress).',
    'Exit status: 0 when the policy was written (the program\'s own status is reported), 1 when',
    'not, 125 when the program could not be started.',
  ].join('\n'),
  passthrough: true,
  options: {
    output: { type: 'string', short: 'o', value: 'FILE', help: 'where to write the policy (required)' },
    force: { type: 'boolean', help: 'overwrite FILE if it exists' },
    progress: { type: 'boolean', help: 'show the progress line even when stderr is not a terminal' },
    backend: { type: 'string', short: 'b', value: 'NAME', help: 'auto, seccomp, ptrace or vmtags', default: 'auto' },
  },
  examples: [
    ['sysvm learn -o ls.yaml -- ls -l /usr/share && sysvm run -p ls.yaml -- ls -l /usr/share', 'learn, then run under what was learnt'],
    ['sysvm learn -o build.yaml -- make', 'a first policy for a build, to review'],
  ],
  run: async (ctx) => (await import('./impl/learn.js')).learn(ctx),
};
