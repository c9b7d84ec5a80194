// The diagnostics of the policy workflow tools (`sysvm test`, `sysvm explain`): calls written
// as text and policy test files. Their own table (the linter's, front/codes.ts, is about
// policy files and its tests require a policy example per code); the same shape, the same
// rules: codes are stable, never renumbered, only added. Documented in docs/cli.md.
//
//   SV40xx  calls written as text: openat(AT_FDCWD, "x", O_RDONLY)
//   SV41xx  policy test files
import type { Diagnostic } from '../diagnostics.js';
import type { SourceRange } from '../ir.js';
import { diagnosticFrom, type CodeInfo } from '../front/codes.js';

const table = [
  // --- SV40xx: calls written as text -----------------------------------------------------------
  { code: 'SV4001', name: 'call-unknown-syscall', severity: 'error', message: "unknown system call '{name}'",
    hint: "Names are the kernel's (SYSCALL_DEFINE), e.g. openat, newfstatat, socket." },
  { code: 'SV4002', name: 'call-argument-count', severity: 'error', message: '{syscall} takes {want} arguments, got {got}',
    hint: 'Give every argument of the call (only a trailing mode may be left out).' },
  { code: 'SV4003', name: 'call-unknown-constant', severity: 'error', message: "unknown constant '{name}'",
    hint: "Constants are the kernel headers' names (O_*, AT_*, AF_*, SOCK_*, CLONE_*, PROT_*, MAP_*, SIG*, ...) or integers." },
  { code: 'SV4004', name: 'call-syntax', severity: 'error', message: '{detail}',
    hint: 'A call looks like name(arg, ...): integers, constants joined with |, "strings", NULL, {field: value}.' },
  { code: 'SV4005', name: 'call-bad-argument', severity: 'error', message: '{detail}',
    hint: 'Paths and strings are written "...", integers as numbers or constants.' },
  { code: 'SV4006', name: 'call-unknown-fd', severity: 'error',
    message: 'dirfd {fd} is not an open directory of the context (needed to resolve "{path}")',
    hint: 'Say what it is (`fds: { {fd}: /some/dir }` in a test file, --fd {fd}=/some/dir for explain), or use AT_FDCWD.' },
  { code: 'SV4007', name: 'call-not-on-arch', severity: 'error', message: '{name} has no system call number on {arch}',
    hint: 'Use the call this architecture has (e.g. openat for open on aarch64).' },
  // --- SV41xx: policy test files ---------------------------------------------------------------
  { code: 'SV4101', name: 'test-yaml', severity: 'error', message: 'YAML: {detail}',
    hint: 'Fix the YAML syntax here; a test file is one YAML mapping with `policy:` and `cases:`.' },
  { code: 'SV4102', name: 'test-schema', severity: 'error', message: '{detail}',
    hint: 'See docs/policy-tests.md for the form of a test file.' },
  { code: 'SV4103', name: 'test-unknown-rule', severity: 'error', message: "the policy has no rule named '{name}'",
    hint: "Rules of the policy: {known}; `default` is the policy's default, `safety` a safety default or guard." },
  { code: 'SV4104', name: 'test-policy-errors', severity: 'error', message: "the policy '{policy}' has errors",
    hint: "'sysvm lint {policy}' shows every problem; the cases of this file did not run." },
  { code: 'SV4105', name: 'test-unknown-errno', severity: 'error', message: "unknown errno '{name}'",
    hint: 'Use an errno name such as EPERM, EACCES, ENOENT, or its positive number.' },
  { code: 'SV4106', name: 'test-no-cases', severity: 'warning', message: 'the test file has no cases',
    hint: 'Add `cases:` with at least one `- call: ...` and its `expect:`.' },
] as const satisfies readonly CodeInfo[];

export type WorkflowCode = (typeof table)[number]['code'];

/** Every workflow code, in table order. */
export const WORKFLOW_CODES: readonly CodeInfo[] = table;
const byCode = new Map<string, CodeInfo>(table.map((c) => [c.code, c]));

/** A diagnostic from the table; `hint` overrides the table's. */
export function wdiag(code: WorkflowCode, range: SourceRange, data: Record<string, string | number> = {},
  hint?: string): Diagnostic {
  return diagnosticFrom(byCode.get(code)!, range, data, hint);
}
