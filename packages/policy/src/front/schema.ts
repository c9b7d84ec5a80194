// The policy file format, version 1, as zod schema objects (made in front/schema-def.ts, which
// the loader uses, when first needed): their named exports for the package's index and the
// JSON Schema for editors, which is generated from them (scripts/gen-schema.mjs writes
// packages/policy/schema/sysvm-policy.schema.json; a test fails when that file is stale).
import * as z from 'zod';
import { schemas } from './schema-def.js';

export { NETWORK_MODES, RESERVED_VARS, varName } from './schema-def.js';
export type { PolicyFile, RuleSpec, ActionSpec, DefaultSpec, ConditionSpec, ConditionMapSpec, IntValueSpec, FilesystemSpec, NetworkSpec, IdentitySpec, ClockSpec } from './schema-def.js';

const s = schemas();
export const intValue = s.intValue;
export const conditionOps = s.conditionOps;
export const condition = s.condition;
export const conditionMap = s.conditionMap;
export const match = s.match;
export const errnoValue = s.errnoValue;
export const unameFields = s.unameFields;
export const idValue = s.idValue;
export const identityFields = s.identityFields;
export const clockSpec = s.clockSpec;
export const fileContent = s.fileContent;
export const emulation = s.emulation;
export const action = s.action;
export const defaultSpec = s.defaultSpec;
export const syscallList = s.syscallList;
export const rule = s.rule;
export const vars = s.vars;
export const extendsSpec = s.extendsSpec;
export const filesystemSection = s.filesystemSection;
export const networkSection = s.networkSection;
export const identitySection = s.identitySection;
export const timeSection = s.timeSection;
export const policyShape = s.policyShape;
export const policyFile = s.policyFile;

export const SCHEMA_ID = 'https://sysvm.dev/schema/sysvm-policy.schema.json';

/** The JSON Schema (draft 2020-12) for editors, generated from `policyFile`. */
export function policyJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(policyFile, {
    target: 'draft-2020-12',
    unrepresentable: 'any',
    reused: 'ref',
    override: (ctx) => {
      // YAML integers beyond 2^53 are read as bigints; in JSON Schema they are integers.
      if ((ctx.zodSchema as { _zod?: { def?: { type?: string } } })._zod?.def?.type === 'bigint') {
        ctx.jsonSchema.type = 'integer';
      }
    },
  }) as Record<string, unknown>;
  return { $id: SCHEMA_ID, ...schema };
}
