// The IR types the runtime speaks (the contract lives in @sysvm/policy's ir.ts).
export type {
  ArchName, Decision, Deref, Emulation, Invocation, PolicyIR, RuleIR, SourceRange, UtsField, Verdict,
} from '@sysvm/policy';
