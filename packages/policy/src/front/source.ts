// One policy file as text, its YAML document, and the mapping from a value's path in the
// document to a 1-based SourceRange (yaml's node ranges are byte offsets; LineCounter turns
// them into lines and columns).
import { isMap, isNode, isPair, isScalar, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import type { SourceRange } from '../ir.js';
import type { Diagnostic } from '../diagnostics.js';
import { diag } from './codes.js';

export type YamlPath = readonly (string | number)[];

export class SourceFile {
  readonly lineCounter = new LineCounter();
  readonly doc: Document.Parsed;
  /** The document as plain JS (big integers as bigint), or undefined if it is not usable. */
  readonly value: unknown;
  readonly diagnostics: Diagnostic[] = [];
  /** True when the document could not be turned into a value (see `value`). */
  failed = false;

  constructor(readonly file: string, readonly text: string) {
    this.doc = parseDocument(text, { lineCounter: this.lineCounter, intAsBigInt: true, prettyErrors: false,
      uniqueKeys: true, strict: true });
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

  /** The range of the value at `path` (or of its nearest existing parent). */
  range(path: YamlPath): SourceRange {
    const node = this.nodeAt(path);
    const r = node?.range;
    return r ? this.offsetRange(r[0], r[1]) : this.offsetRange(0, 0);
  }

  /** The range of the key `key` in the map at `mapPath`, or of the map itself. */
  keyRange(mapPath: YamlPath, key: string): SourceRange {
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
