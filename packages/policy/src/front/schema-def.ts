// The policy file format, version 1, as a zod schema: the one definition the loader validates
// against and the JSON Schema for editors is generated from (scripts/gen-schema.mjs writes
// packages/policy/schema/sysvm-policy.schema.json; a test fails when that file is stale).
//
// The schema checks shape only. Names (syscalls, arguments, constants, errnos, variables) are
// checked by the resolver against the syscall catalogue, so that each gets its own diagnostic.
//
// Intent-level sections (`filesystem:`, `network:`, `identity:`, `time:`) are optional keys of
// `policyShape`, each with its own schema; front/sections.ts expands them to rules.
//
// The schema objects are made at the first call of `schemas()`, not when the module loads:
// building them (zod makes dozens of closures per schema object) was ≈ 20 ms of `sysvm run`'s
// start-up, and a run of a built-in policy, parsed and checked ahead (front/source.ts,
// preparse), needs none of them. front/schema.ts has them as named exports, for everything
// else (the package's index, the JSON Schema).
//
// A namespace import (zod's recommended form): a bundler (tools/bundle.mjs) then keeps only
// the parts of zod the schema uses, not every locale's messages (≈ 600 KiB less to parse).
import * as z from 'zod';

export const varName = /^[A-Za-z_][A-Za-z0-9_-]*$/;
export const RESERVED_VARS = ['cwd', 'home', 'tmp', 'tty', 'env'] as const;
export const NETWORK_MODES = ['none', 'unix', 'loopback', 'all'] as const;

function define() {
  /** Integers come from YAML as numbers, or as bigints when beyond 2^53. */
  const integer = z.union([z.number().int(), z.bigint()]);

  const constantName = z.string().min(1).meta({ description: 'A kernel constant such as O_WRONLY, AF_INET, CLONE_NEWUSER' });

  /** An integer operand: a number (negative allowed) or a constant's name. */
  const intValue = z.union([integer, constantName], { error: 'expected an integer or a constant name' }).meta({
    description: 'An integer (decimal, 0x hex, 0o octal, negative) or a constant name such as O_WRONLY',
  });
  const intList = z.array(intValue);
  const bitsValue = z.union([intValue, intList], { error: 'expected a value or a list of values (OR-ed)' }).meta({
    description: 'A bit mask: one value, or a list whose values are OR-ed together',
  });
  const pathValue = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)],
    { error: 'expected a path or a non-empty list of paths' }).meta({
    description: 'A path or a list of paths (any one matches); ~ and ${vars} are expanded; absolute after expansion',
  });

  const conditionOps = z.strictObject({
    eq: intValue.optional().meta({ description: 'equal to' }),
    ne: intValue.optional().meta({ description: 'not equal to' }),
    lt: intValue.optional().meta({ description: 'less than (signed if the C type is signed)' }),
    le: intValue.optional().meta({ description: 'less than or equal to' }),
    gt: intValue.optional().meta({ description: 'greater than' }),
    ge: intValue.optional().meta({ description: 'greater than or equal to' }),
    in: intList.optional().meta({ description: 'one of these values' }),
    'not-in': intList.optional().meta({ description: 'none of these values' }),
    all: bitsValue.optional().meta({ description: 'every one of these bits is set' }),
    any: bitsValue.optional().meta({ description: 'at least one of these bits is set' }),
    none: bitsValue.optional().meta({ description: 'none of these bits is set' }),
    equals: pathValue.optional().meta({ description: 'the resolved path is exactly one of these' }),
    under: pathValue.optional().meta({ description: 'the resolved path is one of these or inside one' }),
    glob: pathValue.optional().meta({ description: 'the resolved path matches one of these globs (*, **, ?, [..])' }),
    family: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)],
      { error: 'expected an address family or a list of them' }).optional().meta({
      description: 'on a socket address (`addr`): its family is one of unix, inet, inet6, unspec, none (no address)',
    }),
    cidr: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)],
      { error: 'expected an address block (10.0.0.0/8, ::1/128) or a list of them' }).optional().meta({
      description: 'on a socket address (`addr`): an IPv4 or IPv6 address inside one of these blocks',
    }),
    port: z.union([z.number().int(), z.string().min(1), z.array(z.union([z.number().int(), z.string().min(1)])).min(1)],
      { error: 'expected a port, a range "8000-8999", or a list of them' }).optional().meta({
      description: 'on a socket address (`addr`): the port is one of these (ports or ranges like "8000-8999")',
    }),
    virtual: z.boolean().optional().meta({
      description: 'on a file descriptor argument: whether the fd came from a virtual (emulated) open',
    }),
  }).refine((o) => Object.values(o).some((v) => v !== undefined), { message: 'a condition needs at least one operator' });

  /** A condition: operators (all must hold), or a scalar shorthand (`eq` for integers, `equals` for paths). */
  const condition = z.union([integer, z.string().min(1), conditionOps],
    { error: 'expected a condition: {op: value, ...} or a bare value' }).meta({
    description: 'Operators that must all hold, or a bare value: eq for an integer argument, equals for a path',
  });

  /** Every condition of the map holds. Keys are the kernel's argument names, `path`, or `addr`. */
  const conditionMap = z.record(z.string().regex(/^[a-z_][a-z0-9_]*$/, 'an argument name'), condition).meta({
    description: 'Keys are the kernel argument names (flags, domain, fd, ...), `path`, or `addr` (the socket address); every condition must hold',
  });

  const match = z.union([conditionMap, z.array(conditionMap).min(1)],
    { error: 'expected a map of conditions or a non-empty list of such maps' }).meta({
    description: 'A map (every condition holds) or a list of maps (any one of them holds)',
  });

  const errnoValue = z.union([z.string().regex(/^E[A-Z0-9]+$/, 'an errno name like EPERM'),
    z.number().int().positive()], { error: 'expected an errno name (EPERM) or a positive number' });

  const unameFields = z.strictObject({
    sysname: z.string().max(64).optional(),
    nodename: z.string().max(64).optional(),
    release: z.string().max(64).optional(),
    version: z.string().max(64).optional(),
    machine: z.string().max(64).optional(),
    domainname: z.string().max(64).optional(),
  });

  /** A user or group id: uid_t is 32 bits and (uid_t)-1 means "no change" to the set* calls. */
  const idValue = z.number({ error: 'expected a user or group id (0 to 4294967294)' }).int()
    .min(0, 'a user or group id is at least 0').max(4294967294, 'a user or group id is at most 4294967294');

  const identityIds = {
    uid: idValue.meta({ description: 'the real user id the program sees' }),
    gid: idValue.meta({ description: 'the real group id the program sees' }),
    euid: idValue.optional().meta({ description: 'the effective user id (default: uid)' }),
    egid: idValue.optional().meta({ description: 'the effective group id (default: gid)' }),
    suid: idValue.optional().meta({ description: 'the saved user id (default: uid)' }),
    sgid: idValue.optional().meta({ description: 'the saved group id (default: gid)' }),
    groups: z.array(idValue).max(65536).optional().meta({ description: 'supplementary groups (default: [gid])' }),
  };

  const identityFields = z.strictObject(identityIds);

  /** A signed duration: numbers with units s, m, h, d, w (`-365d`, `+1h30m`); checked by the resolver. */
  const duration = z.union([z.string(), z.number()]).meta({
    description: 'A duration with a sign and units s, m, h, d, w: -365d, +1h30m, 90s',
  });
  /** An RFC 3339 timestamp (`2000-01-01T00:00:00Z`); checked by the resolver. */
  const timestamp = z.union([z.string(), z.number()]).meta({
    description: 'An RFC 3339 timestamp: 2000-01-01T00:00:00Z, 2024-02-29T12:00:00.5+01:00',
  });

  const clockSpec = z.union([
    z.strictObject({
      offset: duration.meta({ description: 'shift the host clock by this much' }),
      files: z.boolean().optional().meta({
        description: 'file times (stat results, utimensat arguments) shifted by the offset too (default: true)',
      }),
    }),
    z.strictObject({ frozen: timestamp.meta({ description: 'the clock always reads this instant' }) }),
  ], { error: 'expected { offset: DURATION, files?: BOOLEAN } or { frozen: TIMESTAMP }' });

  const hostPath = z.string().min(1).meta({
    description: 'A host path: relative to the policy file\'s directory, or absolute; ~ and ${vars} are expanded',
  });

  const fileContent = z.union([
    z.strictObject({ text: z.string().meta({ description: 'the file\'s content' }) }),
    z.strictObject({ from: hostPath.meta({ description: 'a host file whose content the virtual file has' }) }),
  ], { error: 'expected { text: CONTENT } or { from: HOST-PATH }' });

  const emulation = z.union([
    z.strictObject({ return: integer.meta({ description: 'the value the call returns (negative: -errno)' }) }),
    z.strictObject({ uname: unameFields.meta({ description: 'utsname fields to show instead of the host\'s' }) }),
    z.strictObject({ identity: identityFields.meta({ description: 'the identity calls answer these ids (getuid ... setgroups)' }) }),
    z.strictObject({ time: clockSpec.meta({ description: 'clock_gettime, gettimeofday and time answer virtual time' }) }),
    z.strictObject({ file: fileContent.meta({ description: 'an open gets a real fd with this content' }) }),
    z.strictObject({ bind: z.strictObject({
      from: z.string().min(1).meta({ description: 'the path the program sees (absolute)' }),
      to: hostPath.meta({ description: 'the host path the calls act on' }),
    }).meta({ description: 'the call acts on `to` instead of `from`, like a bind mount' }) }),
  ]);

  const action = z.union([
    z.enum(['allow', 'deny', 'kill', 'trace']).meta({
      description: 'allow: pass through; deny: fail with EPERM; kill: kill the sandbox; trace: pass through and report the result',
    }),
    z.strictObject({
      deny: errnoValue.meta({ description: 'fail the call with this errno' }),
      missing: errnoValue.optional().meta({
        description: 'fail with this errno instead when a path the rule matches on names nothing (does not exist, and the call would not create it): ENOENT, as the kernel would answer',
      }),
    }),
    z.strictObject({ emulate: emulation.meta({ description: 'skip the call; the supervisor makes the result' }) }),
  ], { error: 'expected an action: allow, deny, kill, trace, {deny: ERRNO}, {deny: ERRNO, missing: ERRNO} or {emulate: {return|uname|identity|time|file|bind: ...}}' });

  const acknowledge = z.string().min(1).meta({
    description: 'Why passing a dangerous syscall is fine here (silences the dangerous-pass lint)',
  });

  const defaultSpec = z.union([
    action,
    z.strictObject({ action, log: z.boolean().optional(), acknowledge: acknowledge.optional() }),
  ]).meta({ description: 'The verdict for invocations no rule matches: an action, or {action, log, acknowledge}' });

  const syscallList = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)],
    { error: 'expected a syscall name or a non-empty list of names and @groups' }).meta({
    description: 'Syscall names (openat) and groups (@file-system)',
  });

  const rule = z.strictObject({
    name: z.string().min(1).optional().meta({ description: 'A name for logs and diagnostics' }),
    description: z.string().optional(),
    syscalls: syscallList,
    match: match.optional(),
    action,
    log: z.boolean().optional().meta({ description: 'Write each decision of this rule to the audit log' }),
    quiet: z.boolean().optional().meta({ description: 'Its denials print no line on stderr (a refusal the program copes with); still audited' }),
    acknowledge: acknowledge.optional(),
  });


  const vars = z.record(
    z.string().regex(varName, 'a variable name (letters, digits, _ and -)')
      .refine((k) => !(RESERVED_VARS as readonly string[]).includes(k), 'a name that is not built in (cwd, home, tmp, tty, env)'),
    z.string(),
  ).meta({ description: 'Variables for paths: ${name}; built in: ${cwd}, ${home}, ${tmp}, ${env.NAME}' });

  const extendsSpec = z.union([z.string().min(1), z.array(z.string().min(1))],
    { error: 'expected a policy (./file.yaml or builtin:NAME) or a list of them' }).meta({
    description: 'Policies this one builds on: relative paths or builtin:NAME. Their rules come after this file\'s.',
  });

  // --- intent-level sections (docs/policy.md, "Intent-level sections"; expanded by front/sections.ts) ---

  const pathOrList = z.union([z.string().min(1), z.array(z.string().min(1))],
    { error: 'expected a path or a list of paths' }).meta({
    description: 'A path or a list of paths; ~ and ${vars} are expanded; absolute after expansion',
  });

  const filesystemSection = z.strictObject({
    read: pathOrList.optional().meta({ description: 'Open without write intent, stat, readlink, access, exec, chdir under these' }),
    write: pathOrList.optional().meta({ description: 'Every file-system call under these (create, rename and link within, unlink, mkdir, chmod, ...)' }),
    hide: pathOrList.optional().meta({ description: 'As if absent: every call naming a path under these fails with ENOENT' }),
    files: z.record(z.string().min(1), z.union([z.string(), z.strictObject({ from: hostPath })],
      { error: 'expected the content as a string, or { from: HOST-PATH }' })).optional().meta({
      description: 'Virtual files: path -> content (a string) or { from: host-path }',
    }),
    bind: z.record(z.string().min(1), z.union([hostPath, z.strictObject({
      from: hostPath,
      readonly: z.boolean().optional().meta({ description: 'writes under the bind fail with EROFS' }),
    })], { error: 'expected a host path, or { from: HOST-PATH, readonly: true }' })).optional().meta({
      description: 'Like bind mounts: the path the program sees -> the host directory (relative to the policy file), or { from, readonly }',
    }),
  }).meta({ description: 'What the program may read and write, what it cannot see, and virtual files and binds' });

  const networkMode = z.enum(NETWORK_MODES).meta({
    description: 'none: no sockets; unix: AF_UNIX only; loopback: AF_UNIX and the loopback addresses; all: every socket',
  });
  const networkSection = z.union([networkMode, z.strictObject({
    allow: networkMode.optional().meta({ description: 'the base (default none): what the program reaches besides `connect`' }),
    connect: z.array(z.string().min(1)).optional().meta({
      description: 'Also reachable: 10.0.0.0/8:443, 1.2.3.4:8000-8999, [::1]:8080, [2001:db8::/32], *:53, /run/x.sock, @abstract',
    }),
  })], { error: 'expected none, unix, loopback, all, or { allow: ..., connect: [...] }' }).meta({ description: 'Which sockets and addresses the program may use' });

  const identitySection = z.strictObject({
    uid: idValue.optional(),
    gid: idValue.optional(),
    euid: idValue.optional(),
    egid: idValue.optional(),
    suid: idValue.optional(),
    sgid: idValue.optional(),
    groups: z.array(idValue).max(65536).optional(),
    hostname: z.string().min(1).max(64).optional().meta({ description: 'the host name uname and /etc/hostname show' }),
  }).refine((o) => (o.uid === undefined) === (o.gid === undefined), {
    message: 'uid and gid go together', path: ['gid'],
  }).refine((o) => o.uid !== undefined || ['euid', 'egid', 'suid', 'sgid', 'groups'].every((k) => !(k in o)), {
    message: 'euid, egid, suid, sgid and groups need uid and gid', path: ['uid'],
  }).meta({ description: 'Who the program believes it is: uid, gid (and euid, egid, suid, sgid, groups), hostname' });

  const envGlob = z.string().regex(/^[^=\s]+$/, 'a variable name, or a pattern of names with * (no = or spaces)');
  const environmentSection = z.strictObject({
    drop: z.array(envGlob).optional().meta({ description: 'Variables the program does not get: names or patterns (AWS_*, *_TOKEN); case is ignored' }),
    keep: z.array(envGlob).optional().meta({ description: 'Variables passed even where a drop (here or in an extended policy) matches them' }),
    set: z.record(z.string().regex(/^[^=\s*]+$/, 'a variable name (no =, * or spaces)'), z.string())
      .optional().meta({ description: 'Variables the program gets with these values (policy variables allowed: ${tmp})' }),
  }).meta({ description: "What the program gets of the caller's environment" });

  const timeSection = clockSpec.meta({ description: 'Virtual time: { offset: -365d } or { frozen: 2000-01-01T00:00:00Z }' });

  /** The top-level keys, each validated on its own so that one bad key does not hide the others' errors. */
  const policyShape = {
    sysvm: z.literal(1).meta({ description: 'Policy format version' }),
    name: z.string().min(1).optional(),
    description: z.string().optional(),
    extends: extendsSpec.optional(),
    vars: vars.optional(),
    default: defaultSpec.optional(),
    rules: z.array(rule).optional().meta({ description: 'Rules in order; the first that matches decides' }),
    filesystem: filesystemSection.optional(),
    network: networkSection.optional(),
    identity: identitySection.optional(),
    time: timeSection.optional(),
    environment: environmentSection.optional(),
  };

  const policyFile = z.strictObject(policyShape).meta({
    title: 'sysvm policy',
    description: 'A sysvm sandbox policy (format version 1). See docs/policy.md.',
  });

  return { intValue, conditionOps, condition, conditionMap, match, errnoValue, unameFields, idValue, identityFields, clockSpec, fileContent, emulation, action, defaultSpec, syscallList, rule, vars, extendsSpec, filesystemSection, networkSection, identitySection, timeSection, environmentSection, policyShape, policyFile };
}

/** Every schema object of the policy format (see the top). */
export type Schemas = ReturnType<typeof define>;

let defined: Schemas | undefined;

/** The schema objects, made at the first call. */
export function schemas(): Schemas {
  return (defined ??= define());
}

/** Whether `schemas()` has made them (for tests of what a load needs). */
export function schemasDefined(): boolean {
  return defined !== undefined;
}

export type PolicyFile = z.infer<Schemas['policyFile']>;
export type RuleSpec = z.infer<Schemas['rule']>;
export type ActionSpec = z.infer<Schemas['action']>;
export type DefaultSpec = z.infer<Schemas['defaultSpec']>;
export type ConditionSpec = z.infer<Schemas['condition']>;
export type ConditionMapSpec = z.infer<Schemas['conditionMap']>;
export type IntValueSpec = z.infer<Schemas['intValue']>;
export type FilesystemSpec = z.infer<Schemas['filesystemSection']>;
export type EnvironmentSpec = z.infer<Schemas['environmentSection']>;
export type NetworkSpec = z.infer<Schemas['networkSection']>;
export type IdentitySpec = z.infer<Schemas['identitySection']>;
export type ClockSpec = z.infer<Schemas['clockSpec']>;

