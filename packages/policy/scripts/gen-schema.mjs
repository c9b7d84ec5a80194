// Writes packages/policy/schema/sysvm-policy.schema.json, the JSON Schema editors use for
// sysvm policies, from the zod schema (packages/policy/src/front/schema.ts). Run after a build:
//   npx -y pnpm@10.34.9 exec tsc -b && node packages/policy/scripts/gen-schema.mjs
// With --check it writes nothing and fails when the committed file is stale (the test
// packages/policy/test/schema.test.ts checks the same without a build).
import { readFileSync, writeFileSync } from 'node:fs';
import process from 'node:process';
import { fileURLToPath, URL } from 'node:url';
import { policyJsonSchema } from '../dist/index.js';

const out = fileURLToPath(new URL('../schema/sysvm-policy.schema.json', import.meta.url));
const text = `${JSON.stringify(policyJsonSchema(), null, 2)}\n`;
if (process.argv.includes('--check')) {
  let old = '';
  try { old = readFileSync(out, 'utf8'); } catch { /* missing counts as stale */ }
  if (old !== text) {
    process.stderr.write(`${out} is stale: run node packages/policy/scripts/gen-schema.mjs\n`);
    process.exit(1);
  }
} else {
  writeFileSync(out, text);
  process.stdout.write(`wrote ${out}\n`);
}
