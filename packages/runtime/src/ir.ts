// The IR types the runtime speaks (the contract lives in @sysvm/policy's ir.ts).
export type {
  ArchName, Decision, Deref, Emulation, FdInfo, Invocation, PolicyIR, RuleIR, SourceRange, UtsField, Verdict,
  VirtualClock, VirtualIdentity,
} from '@sysvm/policy/evaluate';
