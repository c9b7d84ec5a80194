// zod issues -> diagnostics with the range of the YAML node they are about.
import type { z } from 'zod';
import type { Diagnostic } from '../diagnostics.js';
import { diag } from './codes.js';
import { didYouMean } from './suggest.js';
import type { SourceFile, YamlPath } from './source.js';

type Issue = z.core.$ZodIssue;

const RULE_KEYS = ['name', 'description', 'syscalls', 'match', 'action', 'log', 'quiet', 'acknowledge'];
const OPS = ['eq', 'ne', 'lt', 'le', 'gt', 'ge', 'in', 'not-in', 'all', 'any', 'none', 'equals', 'under', 'glob', 'virtual'];
const IDS = ['uid', 'gid', 'euid', 'egid', 'suid', 'sgid', 'groups'];
/**
 * The top-level keys (with the intent-level sections): the keys of the schema's policyShape
 * (schema.test.ts checks), written out so that they are known without making the schema
 * objects (front/schema-def.ts).
 */
export const TOP_KEYS: readonly string[] = ['sysvm', 'name', 'description', 'extends', 'vars', 'default', 'rules', 'filesystem',
  'network', 'identity', 'time', 'environment'];
const UNAME = ['sysname', 'nodename', 'release', 'version', 'machine', 'domainname'];

/** A readable name for a place in the document: `rules[2].match.flags`. */
export function describePath(path: YamlPath): string {
  if (path.length === 0) return 'the policy';
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}

function knownKeys(path: YamlPath): readonly string[] {
  const last = path[path.length - 1];
  if (path.length === 0) return TOP_KEYS;
  if (path[0] === 'rules' && path.length === 2) return RULE_KEYS;
  if (path.includes('match')) return OPS;
  if (last === 'uname') return UNAME;
  if (last === 'emulate') return ['return', 'uname', 'identity', 'time', 'file', 'bind'];
  if (path.length === 1 && last === 'filesystem') return ['read', 'write', 'hide', 'files', 'bind'];
  if (path.length === 1 && last === 'network') return ['allow'];
  if (path.length === 1 && last === 'environment') return ['drop', 'keep', 'set'];
  if (path.length === 1 && last === 'identity') return [...IDS, 'hostname'];
  if (last === 'identity') return IDS;
  if (last === 'time') return ['offset', 'frozen'];
  if (last === 'file') return ['text', 'from'];
  if (path[0] === 'filesystem' && path[1] === 'files') return ['from'];
  if (path[0] === 'filesystem' && path[1] === 'bind') return ['from', 'readonly'];
  if (last === 'bind') return ['from', 'to'];
  if (last === 'default') return ['action', 'log', 'acknowledge', 'deny', 'emulate'];
  if (last === 'action') return ['deny', 'emulate'];
  return [];
}

function valueAt(root: unknown, path: YamlPath): unknown {
  let v = root;
  for (const p of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string | number, unknown>)[p];
  }
  return v;
}

const maxDepth = (issues: readonly Issue[]): number => Math.max(0, ...issues.map((i) => i.path.length));

/** Turn zod issues for the value at `base` into diagnostics. `root` is the whole document's value. */
export function issuesToDiagnostics(issues: readonly Issue[], base: YamlPath, root: unknown, src: SourceFile)
  : Diagnostic[] {
  const out: Diagnostic[] = [];
  const visit = (issue: Issue, prefix: YamlPath): void => {
    const path: YamlPath = [...prefix, ...(issue.path as (string | number)[])];
    const where = describePath(path);
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        const known = knownKeys(path);
        const hint = path.length === 1 && path[0] === 'default' && (key === 'log' || key === 'acknowledge')
          ? `With \`${key}\`, write the action under \`action:\`: default: { action: { deny: EPERM }, ${key}: ... }` : undefined;
        out.push(diag('SV1002', src.keyRange(path, key), { key, where: describePath(path),
          known: known.length ? known.join(', ') : '(none)' }, hint ?? didYouMean(key, known, undefined)));
      }
      return;
    }
    if (issue.code === 'invalid_union' && issue.errors.length > 0) {
      // Report the branch that got furthest (the one the author evidently meant).
      const best = [...issue.errors].sort((a, b) => maxDepth(b) - maxDepth(a))[0] ?? [];
      if (maxDepth(best) > 0) {
        for (const sub of best) visit(sub, path);
        return;
      }
    }
    const parent = path.slice(0, -1);
    const last = path[path.length - 1];
    const parentValue = valueAt(root, parent);
    if (typeof last === 'string' && parentValue !== null && typeof parentValue === 'object'
      && !Array.isArray(parentValue) && !(last in parentValue)) {
      out.push(diag('SV1004', src.range(parent), { key: last, where: describePath(parent) }));
      return;
    }
    if (issue.code === 'invalid_key') {
      const key = String(last);
      const msg = issue.issues[0]?.message ?? issue.message;
      out.push(diag('SV1003', src.keyRange(parent, key), { detail: `${describePath(parent)}: key '${key}': ${msg}` }));
      return;
    }
    out.push(diag('SV1003', src.range(path), { detail: `${where}: ${issue.message}` }));
  };
  for (const issue of issues) visit(issue, base);
  return out;
}
