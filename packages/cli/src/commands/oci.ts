// sysvm import-oci / export-oci: OCI and Docker seccomp profiles in and out.
import type { Command } from '../command.js';

export const importOci: Command = {
  name: 'import-oci',
  summary: 'turn an OCI / Docker seccomp profile (JSON) into a sysvm policy (YAML)',
  usage: 'sysvm import-oci [-o POLICY.yaml] [--cap CAP]... [--kernel VERSION] [--name NAME] PROFILE.json',
  description: [
    'Reads the profile (defaultAction, defaultErrnoRet, architectures or archMap, syscalls with',
    'names, action, errnoRet and args) and writes a policy with one rule per entry, in order, with',
    'comments. Docker\'s includes/excludes are evaluated for the capabilities given with --cap',
    '(none by default) and the --kernel version (minKernel is taken as met without it).',
    'What cannot be carried over exactly is said on stderr: SCMP_ACT_TRAP and KILL_THREAD become',
    'kill, NOTIFY becomes { deny: EPERM }, syscalls sysvm does not know are left out.',
    'Exit status: 0 written, 1 the input is not a profile, 2 usage error.',
  ].join('\n'),
  options: {
    output: { type: 'string', short: 'o', value: 'FILE', help: 'write the policy to FILE (default: stdout)' },
    cap: { type: 'string', multiple: true, value: 'CAP', help: 'a capability the container has (CAP_SYS_ADMIN, ...), for includes/excludes' },
    kernel: { type: 'string', value: 'VERSION', help: 'the kernel version for includes.minKernel (e.g. 6.12)' },
    name: { type: 'string', value: 'NAME', help: 'the policy\'s name', default: 'imported-profile' },
  },
  examples: [
    ['sysvm import-oci -o docker-default.yaml docker-default.json', "Docker's default profile as a sysvm policy"],
    ['sysvm import-oci --cap CAP_SYS_ADMIN profile.json | sysvm lint /dev/stdin', 'for a container with CAP_SYS_ADMIN, then lint it'],
  ],
  run: async (ctx) => (await import('./impl/oci.js')).importOci(ctx),
};

export const exportOci: Command = {
  name: 'export-oci',
  summary: 'write the kernel-decidable part of a sysvm policy as an OCI seccomp profile (JSON)',
  usage: 'sysvm export-oci [-o PROFILE.json] POLICY',
  description: [
    'Writes a profile for x86_64 (docker run --security-opt seccomp=PROFILE.json, podman, runc)',
    'that decides in the kernel what the policy decides there: the same allow, errno and kill for',
    'every call. Rules are made disjoint (an OCI profile has no order), so the profile can have',
    'more entries than the policy has rules. What needs the sysvm supervisor (path conditions,',
    'emulate, trace, log on a deny) becomes SCMP_ACT_TRACE: without a tracer attached the kernel',
    'fails those calls with ENOSYS, never runs them (the safe direction). A rule with log: true',
    'on allow becomes SCMP_ACT_LOG. Each such change is said on stderr.',
    'Exit status: 0 written, 1 the policy has errors, 2 usage error.',
  ].join('\n'),
  options: {
    output: { type: 'string', short: 'o', value: 'FILE', help: 'write the profile to FILE (default: stdout)' },
  },
  examples: [
    ['sysvm export-oci -o no-network.json examples/no-network.yaml', 'an OCI profile from a sysvm policy'],
    ['docker run --security-opt seccomp=no-network.json debian:12 true', 'use it with Docker'],
  ],
  run: async (ctx) => (await import('./impl/oci.js')).exportOci(ctx),
};
