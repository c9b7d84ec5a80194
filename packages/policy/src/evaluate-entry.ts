// @sysvm/policy/evaluate: what it takes to run a compiled policy, and nothing of the front end.
// The IR types, `evaluate` (the supervisor's decision), the syscall catalogue, audit mode and
// the built-in policies' names and texts; no zod, no yaml, no linter, no workflow tools, and
// not the BPF compiler (@sysvm/policy/compile). The runtime (its tracer thread above all,
// which imports this once per run) and `sysvm run` import these entries, not the barrel:
// loading the front end costs more than everything else a short run does
// (docs/performance.md). The names are the barrel's own, so the entries can be mixed.
export * from './ir.js';
export * as abi from './abi/index.js';
export { namedSyscalls, safetyDefault } from './compile/safety.js';
export {
  evaluate, decider, decidedBy, prefilterRet, seccompRetForDecision, ruleForTraceData, intHolds, pathHolds, isDenyLike,
  type EvaluateOptions,
} from './evaluate.js';
export { auditPolicy, isBlocking } from './workflow/audit.js';
export { joinIPv6Groups } from './compile/addrmatch.js';
export { decodePath, encodePath } from './pathtext.js';
export { BUILTIN_PREFIX, builtinNames, builtinText } from './front/builtin.js';
export { terminalPaths } from './front/tty.js';
export { programEnvironment } from './environment.js';
