// @sysvm/policy: the policy language (pure TypeScript; runs anywhere).
export * from './ir.js';
export * from './diagnostics.js';
export * as abi from './abi/index.js';
export * from './render.js';
