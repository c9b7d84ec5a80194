// One policy file as text, its YAML document, and the mapping from a value's path in the
// document to a 1-based SourceRange (yaml's node ranges are byte offsets; LineCounter turns
// them into lines and columns).
//
// A file can also come parsed ahead (`preparse`, front/preparsed.ts): the built-in policies,
// parsed when sysvm is built (tools/bundle.mjs), since parsing builtin:default's 20 KB of YAML
// was most of the time `sysvm run` took to load it (docs/performance.md, "Start-up"). The
// document is then parsed only if something asks for `doc` itself.
import { isAlias, isMap, isNode, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import { isDeepStrictEqual } from 'node:util';
import type { SourceRange } from '../ir.js';
import type { Diagnostic } from '../diagnostics.js';
import { diag } from './codes.js';
import { PREPARSED } from './preparsed.js';

export type YamlPath = readonly (string | number)[];

/**
 * A node of a document parsed ahead, with what `range` and `keyRange` need of it: its range
 * (yaml's `node.range[0..1]`, offsets), and for a map its pairs (key, the key's range, the
 * value's node, or null when the value is no node), for a sequence its items (null for an item
 * that is no node). A scalar or an alias is a leaf: getIn never goes through either.
 */
type PreNode =
  | [start: number, end: number]
  | [start: number, end: number, kind: 'm', pairs: [key: string, keyStart: number, keyEnd: number, value: PreNode | null][]]
  | [start: number, end: number, kind: 's', items: (PreNode | null)[]];

/** A document parsed ahead: everything a SourceFile computes from `text`, as JSON. */
interface Preparsed {
  /** The text it was parsed from: used only for exactly this text. */
  text: string;
  /** `value`, as JSON (parsed again for every SourceFile: the loader's value is its own). */
  value: string;
  /** The LineCounter's line starts. */
  lineStarts: number[];
  /** The document's contents. */
  root: PreNode | null;
  /** What `preparse`'s `check` made of the value (SourceFile.checked). */
  checked?: string;
}

/** Why `nodeAt` cannot answer from a parsed-ahead tree: the document itself must. */
const ASK_YAML = Symbol('ask yaml');

/** Each entry of PREPARSED as parsed, by its JSON text (null: not JSON). */
const parsedAhead = new Map<string, Preparsed | null>();

/**
 * The document `text` of `file` as parsed ahead (front/preparsed.ts), or undefined.
 *
 * Security: used only when its text is exactly `text` (compared whole, not by a hash or a
 * date), so a changed file is always parsed; what it holds was computed from that text by
 * `preparse`, with this module and the yaml package that the build bundled with it.
 */
function preparsedFor(file: string, text: string): Preparsed | undefined {
  if (!Object.hasOwn(PREPARSED, file)) return undefined;
  const json = PREPARSED[file]!;
  let p = parsedAhead.get(json);
  if (p === undefined) {
    try {
      p = JSON.parse(json) as Preparsed;
    } catch {
      p = null;
    }
    parsedAhead.set(json, p);
  }
  return p !== null && p.text === text ? p : undefined;
}

const parse = (text: string, lineCounter: LineCounter): Document.Parsed =>
  parseDocument(text, { lineCounter, intAsBigInt: true, prettyErrors: false, uniqueKeys: true, strict: true });

export class SourceFile {
  readonly lineCounter = new LineCounter();
  private parsed: Document.Parsed | undefined;
  /** The tree `range` and `keyRange` read when the file was parsed ahead. */
  private readonly tree: PreNode | null | undefined;
  /** The document as plain JS (big integers as bigint), or undefined if it is not usable. */
  readonly value: unknown;
  readonly diagnostics: Diagnostic[] = [];
  /** True when the document could not be turned into a value (see `value`). */
  failed = false;
  /**
   * When the file was parsed ahead, what the `check` given to `preparse` made of its value
   * (the loader's: its schemas' output, front/load.ts `schemaChecked`).
   */
  readonly checked: string | undefined;

  constructor(readonly file: string, readonly text: string) {
    const pre = preparsedFor(file, text);
    if (pre !== undefined) {
      // (`preparse` makes none of a document with diagnostics or that failed)
      for (const s of pre.lineStarts) this.lineCounter.addNewLine(s);
      this.tree = pre.root;
      this.value = JSON.parse(pre.value) as unknown;
      this.checked = pre.checked;
      return;
    }
    this.parsed = parse(text, this.lineCounter);
    for (const e of this.doc.errors) {
      this.diagnostics.push(diag('SV1001', this.offsetRange(e.pos[0], e.pos[1]), { detail: firstLine(e.message) }));
    }
    for (const w of this.doc.warnings) {
      this.diagnostics.push(diag('SV1006', this.offsetRange(w.pos[0], w.pos[1]), { detail: firstLine(w.message) }));
    }
    let value: unknown;
    if (this.doc.errors.length === 0) {
      try {
        value = normaliseInts(this.doc.toJS({ maxAliasCount: 100 }));
      } catch (e) {
        // toJS throws on what the parser lets through (an alias without its anchor, an alias
        // bomb): report it like a syntax error instead of a stack trace.
        const at = (e as { source?: { range?: [number, number] } }).source?.range;
        this.diagnostics.push(diag('SV1001', this.offsetRange(at?.[0] ?? 0, at?.[1] ?? 0), { detail: firstLine(String((e as Error).message)) }));
        this.failed = true;
      }
    }
    this.value = value;
  }

  /** The YAML document (parsed now if the file was parsed ahead). */
  get doc(): Document.Parsed {
    return (this.parsed ??= parse(this.text, new LineCounter()));
  }

  /** True when the YAML document had errors (then `value` is undefined). */
  get hasErrors(): boolean {
    return this.parsed !== undefined && this.parsed.errors.length > 0;
  }

  /** The range of the text between two offsets. */
  offsetRange(start: number, end: number): SourceRange {
    // A block node's range runs to the start of the next line: end at its last character.
    while (end > start && /\s/.test(this.text[end - 1] ?? '')) end--;
    const s = this.lineCounter.linePos(start);
    const e = this.lineCounter.linePos(Math.max(end, start));
    return { file: this.file, line: s.line, column: s.col, endLine: e.line, endColumn: e.col };
  }

  /** The node at `path`, or the deepest existing node on the way there. */
  private nodeAt(path: YamlPath): Node | undefined {
    for (let n = path.length; n >= 0; n--) {
      const node = n === 0 ? this.doc.contents : this.doc.getIn(path.slice(0, n), true);
      if (isNode(node)) return node;
    }
    return undefined;
  }

  /**
   * What `this.doc.getIn(path, true)` gives (the document's contents for []), from the tree
   * parsed ahead: the node, undefined where getIn gives no node, or ASK_YAML for a path that
   * getIn reads in a way the tree does not record (a number as a map's key, anything but an
   * index for a sequence's item).
   */
  private preNode(tree: PreNode | null, path: YamlPath): PreNode | undefined | typeof ASK_YAML {
    let node: PreNode | null | undefined = tree;
    for (const key of path) {
      if (!node || node.length === 2) return undefined; // (a scalar or an alias: getIn stops)
      if (node[2] === 'm') {
        if (typeof key !== 'string') return ASK_YAML;
        // yaml's findPair: the first pair whose key is a scalar with this value (`preparse`
        // records only documents whose keys are all strings).
        node = node[3].find((p) => p[0] === key)?.[3];
      } else {
        if (typeof key !== 'number' || !Number.isInteger(key) || key < 0) return ASK_YAML;
        node = node[3][key];
      }
    }
    return node ?? undefined;
  }

  /** The range of the value at `path` (or of its nearest existing parent). */
  range(path: YamlPath): SourceRange {
    if (this.tree !== undefined) {
      for (let n = path.length; n >= 0; n--) {
        const node = this.preNode(this.tree, path.slice(0, n));
        if (node === ASK_YAML) break;
        if (node !== undefined) return this.offsetRange(node[0], node[1]);
        if (n === 0) return this.offsetRange(0, 0);
      }
    }
    const node = this.nodeAt(path);
    const r = node?.range;
    return r ? this.offsetRange(r[0], r[1]) : this.offsetRange(0, 0);
  }

  /** The range of the key `key` in the map at `mapPath`, or of the map itself. */
  keyRange(mapPath: YamlPath, key: string): SourceRange {
    if (this.tree !== undefined) {
      const map = this.preNode(this.tree, mapPath);
      if (map !== ASK_YAML) {
        const pair = map !== undefined && map.length === 4 && map[2] === 'm' ? map[3].find((p) => p[0] === key) : undefined;
        return pair ? this.offsetRange(pair[1], pair[2]) : this.range(mapPath);
      }
    }
    const map = mapPath.length === 0 ? this.doc.contents : this.doc.getIn(mapPath, true);
    if (isMap(map)) {
      for (const item of map.items) {
        if (isPair(item) && isScalar(item.key) && String(item.key.value) === key && item.key.range) {
          return this.offsetRange(item.key.range[0], item.key.range[1]);
        }
      }
    }
    return this.range(mapPath);
  }

  /** The source line `line` (1-based), without its newline. */
  line(line: number): string {
    return this.text.split('\n')[line - 1] ?? '';
  }
}

const firstLine = (s: string): string => s.split('\n')[0] ?? s;

/** bigint -> number where it is exact, so that only huge integers stay bigints. */
function normaliseInts(v: unknown): unknown {
  if (typeof v === 'bigint') return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  if (Array.isArray(v)) return v.map(normaliseInts);
  if (v !== null && typeof v === 'object') {
    if (v instanceof Map) return v;
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = normaliseInts(x);
    return out;
  }
  return v;
}

/**
 * The document `text` parsed ahead, as JSON for front/preparsed.ts (tools/bundle.mjs makes
 * that module of the built-in policies), or undefined for a document that a SourceFile must
 * parse itself: one with any diagnostic, a key that is not a string scalar, or a value that
 * JSON does not hold exactly (a bigint, NaN, -0, a Map). `check(value)`, when given, is
 * recorded as `checked` (the loader's schema check, front/load.ts `schemaChecked`).
 */
export function preparse(file: string, text: string, check?: (value: unknown) => string | undefined): string | undefined {
  const src = new SourceFile(file, text);
  if (src.diagnostics.length > 0 || src.failed || src.hasErrors) return undefined;
  let json: string | undefined;
  try {
    json = JSON.stringify(src.value);
  } catch {
    return undefined; // (a bigint)
  }
  if (json === undefined || !isDeepStrictEqual(JSON.parse(json), src.value)) return undefined;
  let ok = true;
  const tree = (node: unknown): PreNode | null => {
    if (!isNode(node)) return null;
    // (a node without a range would be found by getIn and give the range 1:1: not recorded)
    if (!node.range) { ok = false; return null; }
    const [start, end] = node.range;
    if (isMap(node)) {
      const pairs: [string, number, number, PreNode | null][] = [];
      for (const item of node.items) {
        if (!isPair(item) || !isScalar(item.key) || typeof item.key.value !== 'string' || !item.key.range) { ok = false; return null; }
        pairs.push([item.key.value, item.key.range[0], item.key.range[1], tree(item.value)]);
      }
      return [start, end, 'm', pairs];
    }
    if (isSeq(node)) return [start, end, 's', node.items.map(tree)];
    if (!isScalar(node) && !isAlias(node)) ok = false;
    return [start, end];
  };
  const root = src.doc.contents === null ? null : tree(src.doc.contents);
  if (!ok || (src.doc.contents !== null && root === null)) return undefined;
  const checked = check?.(JSON.parse(json));
  const pre: Preparsed = { text, value: json, lineStarts: [...src.lineCounter.lineStarts], root,
    ...(checked !== undefined ? { checked } : {}) };
  return JSON.stringify(pre);
}
