// @sysvm/policy/load: the loader alone (policy files -> PolicyIR, with its diagnostics and
// their rendering as text), for `sysvm run`. Without the package's index, which loads the
// linter, the workflow tools and the compiler's explanations too; the loader makes zod's
// schema objects only when a policy needs them (front/schema-def.ts), which a built-in
// policy parsed ahead does not (front/source.ts, preparse).
export { loadPolicy, type LoadOptions, type LoadResult, type PolicyText } from './front/load.js';
export { renderText } from './render.js';
