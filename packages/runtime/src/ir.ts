// The IR types the runtime speaks (the contract lives in @sysvm/policy's ir.ts).
// TODO(merge): import these from '@sysvm/policy' once its index re-exports ir.ts; the
// type-only relative import below is erased at build time and resolves to policy's d.ts.
export type {
  ArchName, Decision, Deref, Emulation, Invocation, PolicyIR, RuleIR, SourceRange, UtsField, Verdict,
} from '../../policy/src/ir.js';
