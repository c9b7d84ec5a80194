// The table of every diagnostic the policy front end and linter report. Codes are stable:
// never renumber one, only add. Each is documented with a bad and a good example in
// docs/lint-codes.md (a test checks that every code here has its section there).
//
//   SV1xxx  syntax and schema: the file is not a well-formed policy document
//   SV2xxx  names: syscalls, groups, arguments, constants, errnos, variables, files
//   SV30xx  semantics: the policy is well-formed but means nothing sensible (errors)
//   SV31xx  lint: the policy works but probably not as its author thinks (warnings, info)
import type { Diagnostic, Severity } from '../diagnostics.js';
import type { SourceRange } from '../ir.js';

export interface CodeInfo {
  code: string;
  /** Short kebab-case name, for humans and SARIF `rule.name`. */
  name: string;
  severity: Severity;
  /** Message template; `{key}` is replaced by `data[key]`. */
  message: string;
  /** Hint template (same placeholders); may be overridden per diagnostic. */
  hint: string;
}

/** Where a code is explained: its section of docs/lint-codes.md. */
export function docsFor(code: CodeInfo): string {
  return `docs/lint-codes.md#${code.code.toLowerCase()}-${code.name}`;
}

const table = [
  // --- SV1xxx: syntax and schema -------------------------------------------------------------
  { code: 'SV1001', name: 'yaml-syntax', severity: 'error', message: 'YAML: {detail}',
    hint: 'Fix the YAML syntax here; a policy is one YAML document holding a mapping.' },
  { code: 'SV1002', name: 'unknown-key', severity: 'error', message: "unknown key '{key}' in {where}",
    hint: 'Known keys here: {known}.' },
  { code: 'SV1003', name: 'invalid-value', severity: 'error', message: '{detail}',
    hint: 'See docs/policy.md for the form this value takes.' },
  { code: 'SV1004', name: 'missing-key', severity: 'error', message: "'{key}' is required in {where}",
    hint: 'Add `{key}:` here.' },
  { code: 'SV1005', name: 'unsupported-version', severity: 'error',
    message: 'unsupported policy format version {version}', hint: 'This sysvm reads `sysvm: 1`.' },
  { code: 'SV1006', name: 'yaml-warning', severity: 'warning', message: 'YAML: {detail}',
    hint: 'The YAML parser accepted this but it is probably not what was meant.' },
  // --- SV2xxx: names -------------------------------------------------------------------------
  { code: 'SV2001', name: 'unknown-syscall', severity: 'error', message: "unknown system call '{name}'",
    hint: 'Names are the kernel\'s (SYSCALL_DEFINE), e.g. openat, newfstatat.' },
  { code: 'SV2002', name: 'unknown-group', severity: 'error', message: "unknown syscall group '{name}'",
    hint: 'Known groups: {known}.' },
  { code: 'SV2003', name: 'unknown-argument', severity: 'error',
    message: "'{name}' is not an argument of {syscalls}", hint: 'Arguments: {known}; or `path` for the path argument(s).' },
  { code: 'SV2004', name: 'unknown-constant', severity: 'error', message: "unknown constant '{name}'",
    hint: 'Constants are the kernel headers\' names (O_*, AT_*, AF_*, SOCK_*, CLONE_*, PROT_*, MAP_*, ...) or integers.' },
  { code: 'SV2005', name: 'unknown-errno', severity: 'error', message: "unknown errno '{name}'",
    hint: 'Use an errno name such as EPERM, EACCES, ENOENT, or its positive number.' },
  { code: 'SV2006', name: 'unknown-variable', severity: 'error', message: "unknown variable '${{name}}'",
    hint: 'Built in: ${cwd}, ${home}, ${tmp}, ${tty}, ${env.NAME}; define others under `vars:`. Defined: {known}.' },
  { code: 'SV2007', name: 'env-unset', severity: 'error', message: "environment variable '{name}' is not set",
    hint: 'Set it, or give a fallback: ${env.{name}:-/some/default}.' },
  { code: 'SV2008', name: 'extends-unreadable', severity: 'error', message: "cannot read '{file}': {reason}",
    hint: 'Check the name: a policy file given to a command is read from the current directory, a path in `extends` relative to the file that names it; built-ins are written builtin:NAME.' },
  { code: 'SV2009', name: 'unknown-builtin', severity: 'error', message: "no built-in policy '{name}'",
    hint: 'Built-in policies: {known}.' },
  { code: 'SV2010', name: 'variable-cycle', severity: 'error', message: "variable '{name}' refers to itself: {chain}",
    hint: 'Break the cycle: one of these variables must not use the others.' },
  { code: 'SV2011', name: 'extends-cycle', severity: 'error', message: "'{file}' extends itself: {chain}",
    hint: 'Remove one `extends` entry of the cycle.' },
  { code: 'SV2012', name: 'bad-variable-syntax', severity: 'error', message: 'malformed variable reference in {text}',
    hint: 'Write ${name}, ${env.NAME}, ${env.NAME:-fallback}; a literal dollar is $$.' },
  { code: 'SV2013', name: 'tty-not-a-path-list', severity: 'error',
    message: '${tty} is a list of terminal paths: it can only be a whole value of equals or under in a rule\'s match',
    hint: 'Write `path: { equals: "${tty}" }` (or in a list: `equals: [/dev/tty, "${tty}"]`); not inside another string, in vars, uname fields, globs or the intent sections.' },
  // --- SV30xx: semantic errors -------------------------------------------------------------
  { code: 'SV3001', name: 'missing-default', severity: 'error',
    message: 'the policy has no `default` (the verdict when no rule matches)',
    hint: 'Add e.g. `default: { deny: EPERM }`, or extend a policy that has one.' },
  { code: 'SV3002', name: 'wrong-condition-kind', severity: 'error',
    message: "'{op}' is {opKind} condition but '{arg}' of {syscall} is {argKind}", hint: '{fix}' },
  { code: 'SV3003', name: 'missing-argument', severity: 'error', message: '{syscall} has no {what}',
    hint: 'Move {syscall} to a rule of its own, or match an argument it has: {known}.' },
  { code: 'SV3004', name: 'relative-path', severity: 'error', message: "path '{path}' is not absolute",
    hint: 'Paths in conditions are absolute: write ${cwd}/{path}, ~/{path} or /{path}.' },
  { code: 'SV3005', name: 'value-out-of-range', severity: 'error',
    message: "{value} does not fit in the {width}-bit argument '{arg}' of {syscall}",
    hint: 'The kernel compares only the low {width} bits of this argument.' },
  { code: 'SV3006', name: 'constant-family', severity: 'warning',
    message: "{name} is not one of the {prefix}* constants that '{arg}' of {syscall} takes",
    hint: 'Check the constant: {arg} takes {prefix}* values.' },
  { code: 'SV3007', name: 'bad-glob', severity: 'error', message: "malformed glob '{glob}': {reason}",
    hint: 'Globs have * and ? (within one path component) and ** (a whole component: any depth).' },
  { code: 'SV3008', name: 'rule-applies-to-nothing', severity: 'warning',
    message: 'no syscall of {syscalls} has the argument(s) this rule matches on ({args}): the rule never applies',
    hint: 'Name syscalls that have these arguments, or remove the rule.' },
  { code: 'SV3009', name: 'uname-emulation-elsewhere', severity: 'error',
    message: '`emulate: uname` only fits uname(2), not {syscalls}',
    hint: 'Put uname (and olduname) in a rule of their own; emulate other calls with `return`.' },
  { code: 'SV3010', name: 'negative-unsigned', severity: 'warning',
    message: "'{op}: {value}' on the unsigned argument '{arg}' of {syscall} compares with {unsigned}",
    hint: "'{arg}' is unsigned: negative numbers are huge values. Write the bound you mean (e.g. ge: 0x80000000 for what a signed view calls negative)." },
  { code: 'SV3011', name: 'identity-emulation-elsewhere', severity: 'error',
    message: '`emulate: identity` only fits the identity calls (getuid ... setgroups), not {syscalls}',
    hint: 'Put the identity calls (getuid, geteuid, getgid, getegid, getresuid, getresgid, getgroups and their set* calls) in a rule of their own, or use the `identity:` section.' },
  { code: 'SV3012', name: 'time-emulation-elsewhere', severity: 'error',
    message: '`emulate: time` only fits clock_gettime, gettimeofday and time, not {syscalls}',
    hint: 'Put clock_gettime, gettimeofday and time in a rule of their own, or use the `time:` section.' },
  { code: 'SV3013', name: 'file-emulation-elsewhere', severity: 'error',
    message: '`emulate: file` only fits calls that open a file or look at its path (open, openat, openat2, creat, stat, access, readlink, xattrs), not {syscalls}',
    hint: 'Emulate the opens of the path (with `match: { path: ... }`), or use `filesystem: { files: ... }`.' },
  { code: 'SV3014', name: 'bind-emulation-elsewhere', severity: 'error',
    message: '`emulate: bind` only fits file-system calls with a path argument, not {syscalls}',
    hint: 'Name the file-system calls (e.g. "@file-system", execve), or use `filesystem: { bind: ... }`.' },
  { code: 'SV3015', name: 'bind-unscoped', severity: 'error',
    message: '`emulate: bind` from {from} applies to {syscalls} calls whose {what} need not be under {from}',
    hint: 'Limit the rule to paths under {from}: `match: { path: { under: {from} } }`; on calls with two paths (rename, link) name each: `oldname: { under: ... }, newname: { under: ... }`.' },
  { code: 'SV3016', name: 'bad-duration', severity: 'error', message: "'{text}' is not a duration",
    hint: 'A duration is an optional sign and numbers with units s, m, h, d, w: -365d, +1h30m, 90s.' },
  { code: 'SV3017', name: 'bad-timestamp', severity: 'error', message: "'{text}' is not an RFC 3339 timestamp: {reason}",
    hint: 'Write a date, a time and a zone: 2000-01-01T00:00:00Z, 2024-02-29T12:30:00.25+01:00.' },
  { code: 'SV3018', name: 'network-needs-addresses', severity: 'error',
    message: "'{text}' is a host name: network rules match socket addresses, and sysvm does not resolve names",
    hint: 'Write the addresses or blocks the name stands for (93.184.215.0/24, [2606:2800::/32]:443); a name can resolve differently at run time.' },
  { code: 'SV3019', name: 'host-path-missing', severity: 'warning', message: "{what} '{path}' does not exist",
    hint: 'Relative host paths are relative to the policy file\'s directory ({dir}); the sandboxed program will get errors until it exists.' },
  { code: 'SV3020', name: 'host-path-hidden', severity: 'warning',
    message: "{what} '{path}' is under the hidden path {hidden}: the program reaches it through {through}",
    hint: 'The supervisor reads host paths for the program, and `hide` is about the paths the program names: use another host path, or stop hiding this one.' },
  { code: 'SV3021', name: 'bad-cidr', severity: 'error', message: "'{text}' is not an address block: {reason}",
    hint: 'Write an IPv4 or IPv6 address, with an optional prefix length: 10.0.0.0/8, 127.0.0.1, ::1/128, 2001:db8::/32.' },
  { code: 'SV3022', name: 'bad-port', severity: 'error', message: "'{text}' is not a port: {reason}",
    hint: 'A port is 0 to 65535; a range is written as a string, "8000-8999".' },
  { code: 'SV3023', name: 'unknown-address-family', severity: 'error', message: "'{name}' is not an address family sysvm matches",
    hint: 'Families: unix, inet, inet6, unspec (AF_UNSPEC: connect uses it to disconnect), none (no address: the socket\'s peer); or AF_UNIX, AF_INET, AF_INET6, AF_UNSPEC.' },
  { code: 'SV3024', name: 'bad-endpoint', severity: 'error', message: "'{text}' is not an endpoint: {reason}",
    hint: 'Endpoints: 10.0.0.0/8:443, 1.2.3.4:8000-8999, [::1]:8080, [2001:db8::/32], ::1, *:53, /run/app.sock, @abstract-name.' },
  { code: 'SV3025', name: 'network-connect-with-all', severity: 'warning',
    message: '`network.connect` adds nothing to `allow: all`: every address is reachable',
    hint: 'Drop `connect:`, or set `allow:` to none, unix or loopback so that only these endpoints are reachable besides it.' },
  { code: 'SV3026', name: 'address-condition-never-matches', severity: 'warning',
    message: 'this address condition can never match: {reason}',
    hint: 'CIDRs and ports are for inet and inet6 addresses (and AF_UNSPEC on sendto); path operators for unix sockets.' },
  { code: 'SV3027', name: 'missing-on-default', severity: 'error',
    message: '`missing: {errno}` on the default: it answers for a path a rule matches on, and the default matches on nothing',
    hint: 'Put it on the rule that denies those paths (`match: { path: { under: / } }`, `action: { deny: EACCES, missing: ENOENT }`), and give the default a plain `deny`.' },
  // --- SV31xx: lint ------------------------------------------------------------------------
  { code: 'SV3101', name: 'shadowed-rule', severity: 'warning',
    message: '{rule} never decides anything: {by} already decides every call it could match',
    hint: 'Remove it, or move it before {by}. The first matching rule wins.' },
  { code: 'SV3102', name: 'partly-shadowed-rule', severity: 'info',
    message: '{rule} never decides {syscalls}: {by} already does', hint: 'The first matching rule wins; drop these syscalls from one of the rules.' },
  { code: 'SV3103', name: 'never-matches', severity: 'warning',
    message: '{rule} can never match: {reason}', hint: 'Fix the conditions, or remove the rule.' },
  { code: 'SV3104', name: 'dangerous-pass', severity: 'warning',
    message: '{rule} lets {syscalls} through ({why})',
    hint: 'Deny it, or say why it is safe here with `acknowledge: <reason>` on the rule.' },
  { code: 'SV3105', name: 'needless-acknowledge', severity: 'info',
    message: '{rule} acknowledges a danger it does not pass', hint: 'Remove `acknowledge:` from this rule.' },
  { code: 'SV3106', name: 'vdso-emulation', severity: 'warning',
    message: '{syscalls}: the vDSO answers these without a system call, so emulating them only works with the vDSO disabled',
    hint: 'sysvm disables the vDSO at exec when a policy emulates them; programs that bypass libc (Go, static binaries with their own vDSO parser) may still read the real value.' },
  { code: 'SV3107', name: 'advisory-path-pass', severity: 'info',
    message: '{rule} passes calls through on a path read from the tracee\'s memory: advisory only',
    hint: 'Another thread of the sandboxed program can change the path after the check (TOCTOU). Treat it as a guard rail, not a boundary; deny what must never happen.' },
  { code: 'SV3108', name: 'advisory-path-deny', severity: 'info',
    message: '{rule} denies by path, but {syscalls} can still pass through {by}: a racing thread can get around this deny',
    hint: 'Another thread can swap the path after the check (TOCTOU). Make the call fail by default and allow only what is needed.' },
  { code: 'SV3109', name: 'log-forces-stop', severity: 'info',
    message: '{rule} could be decided in the kernel, but `log: true` makes every matching call stop in the supervisor',
    hint: 'Drop `log: true` if the audit line is not needed: each stop costs microseconds.' },
  { code: 'SV3110', name: 'unused-variable', severity: 'warning', message: "variable '{name}' is never used",
    hint: 'Remove it, or use it as ${{name}}.' },
  { code: 'SV3111', name: 'duplicate-syscall', severity: 'info', message: '{syscalls} listed more than once in {rule}',
    hint: 'Each syscall needs to be named once (groups may overlap with names).' },
  { code: 'SV3112', name: 'mount-namespace-paths', severity: 'warning',
    message: '{how}: the supervisor resolves paths in its own mount namespace, so there the path rules ({paths}) decide on names that need not mean what they say',
    hint: 'Deny the namespace (unshare and clone with CLONE_NEWNS: `match: { unshare_flags: { none: CLONE_NEWNS } }`; setns) or deny mounting (the @mount group), as builtin:default does.' },
  { code: 'SV3113', name: 'missing-without-path', severity: 'warning',
    message: '`missing: {errno}` on {rule} never applies: no alternative of its match has a path condition, so it always answers {deny}',
    hint: 'Give the rule a path condition (`path: { under: ... }`), or drop `missing:`.' },
  { code: 'SV3114', name: 'quiet-not-deny', severity: 'warning',
    message: '`quiet: true` on {rule} does nothing: it quiets denials, and the rule {verdict}',
    hint: 'Drop `quiet:`; a kill is always printed, and other verdicts print nothing on stderr.' },
] as const satisfies readonly CodeInfo[];

export type Code = (typeof table)[number]['code'];

export const CODES: ReadonlyMap<Code, CodeInfo> = new Map(table.map((c) => [c.code, c]));

/** All codes, in table order (for docs, tests, SARIF rule lists). */
export const ALL_CODES: readonly CodeInfo[] = table;

const fill = (template: string, data: Record<string, string | number>): string =>
  template.replace(/\{(\w+)\}/g, (m, key: string) => (key in data ? String(data[key]) : m));

/** A diagnostic from a code's table entry (this table's or another, such as workflow/codes.ts). */
export function diagnosticFrom(info: CodeInfo, range: SourceRange, data: Record<string, string | number> = {},
  hint?: string): Diagnostic {
  return { code: info.code, severity: info.severity, message: fill(info.message, data), range,
    hint: hint ?? fill(info.hint, data) };
}

/** Make a diagnostic from the table. `hint` overrides the table's hint template. */
export function diag(code: Code, range: SourceRange, data: Record<string, string | number> = {},
  hint?: string): Diagnostic {
  const info = CODES.get(code);
  if (!info) throw new Error(`no diagnostic code ${code}`);
  return diagnosticFrom(info, range, data, hint);
}
