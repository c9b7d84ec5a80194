// @sysvm/policy: the policy language (pure TypeScript; runs anywhere).
export * from './ir.js';
export * from './diagnostics.js';
export * as abi from './abi/index.js';
export * from './render.js';
export { decodePath, encodePath } from './pathtext.js';
export { programEnvironment } from './environment.js';
// BPF toolkit, seccomp-BPF back end, explain, decision program (helper: bpf).
export * as bpf from './bpf/index.js';
export { compileBpf, disassembleBpf, LINEAR_DISPATCH_MAX, type BpfStats, type CompiledBpf } from './compile/bpf.js';
export { explainPolicy, formatIntCondition, formatVerdict } from './compile/explain.js';
export { CompileError, COMPILE_ERROR_CODES, type CompileErrorCode } from './compile/errors.js';
export { planPolicy, planSyscall, needsSupervisor, type PolicyPlan, type SyscallPlan } from './compile/plan.js';
export { namedSyscalls, prefilterGuard, prefilterGuards, safetyDefault, IO_URING_SYSCALLS, X32_SYSCALL_BIT, auditArch } from './compile/safety.js';
export { pathGlob, pathUnder, pathMatches } from './compile/pathmatch.js';
export {
  evaluate, decider, decidedBy, prefilterRet, seccompRetForDecision, ruleForTraceData, intHolds, pathHolds, isDenyLike,
  type EvaluateOptions,
} from './evaluate.js';
// Front end: schema, loader, linter (branch front).
export { loadPolicy, builtinNames, builtinText, defaultContext, BUILTIN_PREFIX } from './front/load.js';
export { terminalPaths } from './front/tty.js';
export type { LoadOptions, LoadResult, PolicyText, PolicyModel, ModelRule, ModelDefault, PolicyContext }
  from './front/load.js';
export { ALL_CODES, CODES, diag, docsFor } from './front/codes.js';
export type { Code, CodeInfo } from './front/codes.js';
export { GROUPS, GROUP_NAMES, expandGroup } from './front/groups.js';
export { policyFile as policyFileSchema, policyJsonSchema, SCHEMA_ID } from './front/schema.js';
export type { PolicyFile, RuleSpec, ActionSpec } from './front/schema.js';
export { lintPolicy, checkPolicy, isClean } from './lint/lint.js';
export { CHECKS, DANGEROUS, VDSO_CALLS } from './lint/checks.js';
export type { LintCheck } from './lint/checks.js';
// Policy workflow: calls as text, test files, explain a call, OCI profiles (branch workflow).
export * as workflow from './workflow/index.js';
// Policy workflow: audit mode, log reports, learning (branch workflow2).
export { auditPolicy, isBlocking } from './workflow/audit.js';
export { summarize, parseLog, renderReport, eventPaths, table, type Report, type LoggedEvent, type BadLine } from './workflow/report.js';
export { learnPolicy, generalisePaths, groupSyscalls, NSCD_SOCKETS, type LearnContext, type LearnResult, type PathSet } from './workflow/learn.js';
