// Calls written as a person reads them — `openat(AT_FDCWD, "/etc/passwd", O_RDONLY|O_CLOEXEC)`,
// `kill(-1, SIGKILL)`, `connect(3, {family: AF_INET, addr: "1.2.3.4", port: 443}, 16)` — parsed
// into an `Invocation` (the six raw registers and a `Deref` for the path arguments), the way
// strace prints them. Used by `sysvm test` and `sysvm explain`.
//
// Values:
//   integers      42, -1, 0x41, 0o755, 0755 (a leading 0 is octal, as in C), 1_000
//                 -> two's complement in 64 bits (`-1` is 0xffffffffffffffff)
//   constants     the catalogue's names (O_RDONLY, AT_FDCWD, SIGKILL, ...), joined with `|`
//   strings       "..." with C escapes, for path and string arguments; a path is resolved
//                 against the process context (see `resolveCallPath`)
//   NULL          0 (a null pointer: a path argument given NULL is unreadable)
//   { k: v, ... } a struct for a pointer or sockaddr argument; its fields are checked for
//                 syntax but the supervisor does not read them (evaluate has no sockaddr
//                 conditions yet), so the register gets a placeholder address
// Pointers that strings and structs stand for are placeholder addresses (see FAKE_POINTER),
// which no integer condition of a sensible policy names.
import type { Diagnostic } from '../diagnostics.js';
import type { ArchName, Deref, Invocation, SourceRange } from '../ir.js';
import { constant, syscallByName, syscallNumber, type ArgInfo, type SyscallInfo } from '../abi/index.js';
import { wdiag as diag } from './codes.js';
import { normalisePath } from '../front/paths.js';

/** The process a call is made in: what relative paths and dirfds mean. */
export interface CallContext {
  /** The working directory (absolute). Relative paths with AT_FDCWD (or no dirfd) resolve here. */
  cwd: string;
  /**
   * Open descriptors: fd -> the absolute path it was opened with. Relative paths with such a
   * dirfd resolve against it; fd conditions see it as a (non-virtual) fd opened with that path.
   */
  fds?: Readonly<Record<number, string>>;
}

/** Where the call text stands, for diagnostics (1-based; `column` is that of the call's first character). */
export interface CallPosition {
  file: string;
  line: number;
  column: number;
}

/** One argument as written and as decoded. */
export interface CallArg {
  /** The kernel's argument name (or argN when the catalogue has none). */
  name: string;
  text: string;
  /** The raw register value. */
  value: bigint;
  /** For a path argument: the resolved absolute path (undefined: NULL or an integer, unreadable). */
  path?: string;
  /** The string as written, for path and string arguments. */
  string?: string;
}

export interface ParsedCall {
  syscall: SyscallInfo;
  nr: number;
  args: CallArg[];
  invocation: Invocation;
}

export type ParseCallResult = { ok: true; call: ParsedCall } | { ok: false; diagnostics: Diagnostic[] };

/** Base of the placeholder addresses strings and structs stand for (a typical stack address). */
export const FAKE_POINTER = 0x7ffc_0000_1000n;

// --- tokens -------------------------------------------------------------------------------------

type TokKind = 'ident' | 'number' | 'string' | 'punct' | 'end';
interface Tok {
  kind: TokKind;
  text: string;
  /** 0-based offsets into the call text. */
  start: number;
  end: number;
  /** For strings: the decoded value; for numbers: the value. */
  str?: string;
  num?: bigint;
}

class CallSyntaxError extends Error {
  constructor(readonly code: 'SV4004' | 'SV4003' | 'SV4005', readonly start: number, readonly end: number,
    readonly data: Record<string, string | number>, readonly hint?: string) {
    super(String(data.detail ?? data.name ?? ''));
  }
}

const ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', '0': '\0', '\\': '\\', '"': '"', "'": "'" };

function tokenize(text: string): Tok[] {
  const toks: Tok[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (/\s/.test(c)) { i++; continue; }
    const start = i;
    if (/[A-Za-z_]/.test(c)) {
      while (i < text.length && /[A-Za-z0-9_]/.test(text[i]!)) i++;
      toks.push({ kind: 'ident', text: text.slice(start, i), start, end: i });
      continue;
    }
    if (/[0-9]/.test(c)) {
      while (i < text.length && /[A-Za-z0-9_]/.test(text[i]!)) i++;
      const t = text.slice(start, i);
      const body = t.replace(/_/g, '');
      let n: bigint | undefined;
      try {
        if (/^0[xX][0-9a-fA-F]+$/.test(body)) n = BigInt(body);
        else if (/^0[oO][0-7]+$/.test(body)) n = BigInt(body);
        else if (/^0[bB][01]+$/.test(body)) n = BigInt(body);
        else if (/^0[0-7]+$/.test(body)) n = BigInt(`0o${body.slice(1)}`);
        else if (/^(0|[1-9][0-9]*)$/.test(body)) n = BigInt(body);
      } catch { n = undefined; }
      if (n === undefined) {
        throw new CallSyntaxError('SV4004', start, i, { detail: `malformed number '${t}'` },
          'Integers are decimal (42), hex (0x2a), octal (052 or 0o52) or binary (0b101010).');
      }
      toks.push({ kind: 'number', text: t, start, end: i, num: n });
      continue;
    }
    if (c === '"') {
      i++;
      let s = '';
      for (;;) {
        if (i >= text.length) {
          throw new CallSyntaxError('SV4004', start, text.length, { detail: 'unterminated string' }, 'Close the string with ".');
        }
        const d = text[i]!;
        if (d === '"') { i++; break; }
        if (d === '\\') {
          const e = text[i + 1];
          if (e === 'x' && /^[0-9a-fA-F]{2}$/.test(text.slice(i + 2, i + 4))) {
            s += String.fromCharCode(parseInt(text.slice(i + 2, i + 4), 16));
            i += 4;
            continue;
          }
          if (e === undefined || !(e in ESCAPES)) {
            throw new CallSyntaxError('SV4004', i, i + 2, { detail: `unknown escape '\\${e ?? ''}'` },
              'Escapes: \\n \\t \\r \\0 \\\\ \\" \\xHH.');
          }
          s += ESCAPES[e];
          i += 2;
          continue;
        }
        s += d;
        i++;
      }
      toks.push({ kind: 'string', text: text.slice(start, i), start, end: i, str: s });
      continue;
    }
    if ('(),|{}:-'.includes(c)) {
      toks.push({ kind: 'punct', text: c, start, end: i + 1 });
      i++;
      continue;
    }
    throw new CallSyntaxError('SV4004', start, start + 1, { detail: `unexpected character '${c}'` },
      "A call looks like name(arg, ...): integers, constants joined with |, \"strings\", NULL, {field: value}.");
  }
  toks.push({ kind: 'end', text: '', start: text.length, end: text.length });
  return toks;
}

// --- values -------------------------------------------------------------------------------------

/** An argument's value as written, before it is fitted to the argument. */
type Value =
  | { kind: 'int'; value: bigint; start: number; end: number }
  | { kind: 'string'; value: string; start: number; end: number }
  | { kind: 'null'; start: number; end: number }
  | { kind: 'struct'; fields: Map<string, Value>; start: number; end: number };

class Parser {
  private pos = 0;
  constructor(private readonly toks: Tok[]) {}

  peek(): Tok { return this.toks[this.pos]!; }
  next(): Tok { return this.toks[this.pos++]!; }

  expect(text: string, what: string): Tok {
    const t = this.next();
    if (t.kind === 'punct' && t.text === text) return t;
    throw new CallSyntaxError('SV4004', t.start, Math.max(t.end, t.start + 1),
      { detail: `expected ${what}, found ${t.kind === 'end' ? 'the end of the call' : `'${t.text}'`}` });
  }

  /** value := term ('|' term)* | string | NULL | struct */
  value(): Value {
    const t = this.peek();
    if (t.kind === 'string') { this.next(); return { kind: 'string', value: t.str!, start: t.start, end: t.end }; }
    if (t.kind === 'ident' && t.text === 'NULL') { this.next(); return { kind: 'null', start: t.start, end: t.end }; }
    if (t.kind === 'punct' && t.text === '{') return this.struct();
    const first = this.term();
    let v = first.value;
    let end = first.end;
    while (this.peek().kind === 'punct' && this.peek().text === '|') {
      this.next();
      const n = this.term();
      v |= n.value;
      end = n.end;
    }
    return { kind: 'int', value: v, start: first.start, end };
  }

  private term(): { value: bigint; start: number; end: number } {
    const t = this.next();
    if (t.kind === 'punct' && t.text === '-') {
      const n = this.next();
      if (n.kind !== 'number') {
        throw new CallSyntaxError('SV4004', n.start, Math.max(n.end, n.start + 1), { detail: "expected a number after '-'" });
      }
      return { value: -n.num!, start: t.start, end: n.end };
    }
    if (t.kind === 'number') return { value: t.num!, start: t.start, end: t.end };
    if (t.kind === 'ident') {
      const c = constant(t.text);
      if (c === undefined) throw new CallSyntaxError('SV4003', t.start, t.end, { name: t.text });
      return { value: c, start: t.start, end: t.end };
    }
    throw new CallSyntaxError('SV4004', t.start, Math.max(t.end, t.start + 1),
      { detail: `expected a value, found ${t.kind === 'end' ? 'the end of the call' : `'${t.text}'`}` });
  }

  private struct(): Value {
    const open = this.expect('{', "'{'");
    const fields = new Map<string, Value>();
    if (!(this.peek().kind === 'punct' && this.peek().text === '}')) {
      for (;;) {
        const k = this.next();
        if (k.kind !== 'ident') {
          throw new CallSyntaxError('SV4004', k.start, Math.max(k.end, k.start + 1), { detail: 'expected a field name' });
        }
        this.expect(':', "':' after the field name");
        fields.set(k.text, this.value());
        if (this.peek().kind === 'punct' && this.peek().text === ',') { this.next(); continue; }
        break;
      }
    }
    const close = this.expect('}', "',' or '}'");
    return { kind: 'struct', fields, start: open.start, end: close.end };
  }
}

// --- paths --------------------------------------------------------------------------------------

/**
 * The absolute path a path argument names, as the kernel would start resolving it: an
 * absolute path as it is; a relative one against the dirfd's directory (AT_FDCWD: the
 * cwd), `.` and `..` folded; "" names the dirfd itself (AT_EMPTY_PATH). Symlinks are NOT
 * resolved (a test describes a process, not this machine's file system), so a policy
 * that relies on the kernel following a symlink must be tested with the target path.
 */
export function resolveCallPath(path: string, dirfdPath: string): string {
  if (path.startsWith('/')) return normalisePath(path);
  return normalisePath(`${dirfdPath}/${path}`);
}

const AT_FDCWD = BigInt.asUintN(32, constant('AT_FDCWD') ?? -100n);

// --- the call -----------------------------------------------------------------------------------

/** Arguments that may be left out at the end of a call (open's and openat's mode, as in C). */
const optionalTail = (a: ArgInfo): boolean => a.kind === 'mode';

/**
 * Parse `text` (one call) into an Invocation for `arch`. Never throws on bad input: the
 * problems come back as diagnostics positioned at the bad token (`at` says where the text
 * stands in its file; default: file `<call>`, line 1, column 1).
 */
export function parseCall(text: string, context: CallContext, opts: { arch?: ArchName; at?: CallPosition } = {})
  : ParseCallResult {
  const arch = opts.arch ?? 'x86_64';
  const at = opts.at ?? { file: '<call>', line: 1, column: 1 };
  const range = (start: number, end: number): SourceRange => ({
    file: at.file, line: at.line, column: at.column + start, endLine: at.line, endColumn: at.column + Math.max(end, start + 1),
  });
  try {
    const toks = tokenize(text);
    const p = new Parser(toks);
    const nameTok = p.next();
    if (nameTok.kind !== 'ident') {
      throw new CallSyntaxError('SV4004', nameTok.start, Math.max(nameTok.end, nameTok.start + 1),
        { detail: 'a call starts with the name of a system call' }, 'Write it as name(arg, ...), e.g. openat(AT_FDCWD, "x", O_RDONLY).');
    }
    const syscall = syscallByName(nameTok.text);
    if (!syscall) return { ok: false, diagnostics: [diag('SV4001', range(nameTok.start, nameTok.end), { name: nameTok.text })] };
    const nr = syscallNumber(arch, syscall.name);
    if (nr === undefined) {
      return { ok: false, diagnostics: [diag('SV4007', range(nameTok.start, nameTok.end), { name: syscall.name, arch })] };
    }
    const open = p.expect('(', "'(' after the syscall name");
    const values: Value[] = [];
    if (!(p.peek().kind === 'punct' && p.peek().text === ')')) {
      for (;;) {
        values.push(p.value());
        if (p.peek().kind === 'punct' && p.peek().text === ',') { p.next(); continue; }
        break;
      }
    }
    const close = p.expect(')', "',' or ')'");
    const trailing = p.next();
    if (trailing.kind !== 'end') {
      throw new CallSyntaxError('SV4004', trailing.start, text.length, { detail: 'text after the call' }, 'One call per string.');
    }
    const infos: (ArgInfo | undefined)[] = syscall.args ?? [];
    const max = syscall.args ? syscall.args.length : 6;
    let min = max;
    if (syscall.args) while (min > 0 && optionalTail(syscall.args[min - 1]!)) min--;
    else min = 0;
    if (values.length < min || values.length > max) {
      const where = values.length > max ? range(values[max]!.start, values[values.length - 1]!.end) : range(open.start, close.end);
      const names = syscall.args ? syscall.args.map((a) => a.name).join(', ') : '';
      return { ok: false, diagnostics: [diag('SV4002', where, {
        syscall: syscall.name, want: min === max ? String(max) : `${min} to ${max}`, got: values.length,
      }, syscall.args ? `${syscall.name}(${names})` : undefined)] };
    }
    const errors: Diagnostic[] = [];
    const args: CallArg[] = [];
    let pointer = FAKE_POINTER;
    values.forEach((v, i) => {
      const info = infos[i];
      const name = info?.name ?? `arg${i}`;
      const argText = text.slice(v.start, v.end);
      const bad = (detail: string, hint?: string): void => { errors.push(diag('SV4005', range(v.start, v.end), { detail }, hint)); };
      if (v.kind === 'int') {
        // Security of the test, not the sandbox: a value that does not fit the argument
        // would be read differently by the kernel, so refuse it instead of truncating.
        if (info && info.width === 32 && (v.value < -(1n << 31n) || v.value > 0xffff_ffffn)) {
          bad(`${argText} does not fit in the 32-bit argument '${name}' of ${syscall.name}`);
          return;
        }
        if (v.value < -(1n << 63n) || v.value > 0xffff_ffff_ffff_ffffn) { bad(`${argText} does not fit in 64 bits`); return; }
        // A negative 32-bit int is sign-extended in the register, as the C ABI passes it.
        args.push({ name, text: argText, value: BigInt.asUintN(64, v.value) });
        return;
      }
      if (v.kind === 'null') { args.push({ name, text: argText, value: 0n }); return; }
      if (v.kind === 'string') {
        if (info && !['path', 'string', 'pointer'].includes(info.kind)) {
          bad(`'${name}' of ${syscall.name} is ${info.kind === 'sockaddr' ? 'a struct sockaddr' : `an integer (${info.ctype})`}, not a string`,
            info.kind === 'sockaddr' ? 'Write a struct: {family: AF_INET, addr: "1.2.3.4", port: 443}.' : 'Write an integer or constants joined with |.');
          return;
        }
        const arg: CallArg = { name, text: argText, value: pointer, string: v.value };
        pointer += 0x100n;
        args.push(arg);
        return;
      }
      if (info && !['sockaddr', 'pointer'].includes(info.kind)) {
        bad(`'${name}' of ${syscall.name} is ${info.kind === 'path' ? 'a path' : `an integer (${info.ctype})`}, not a struct`);
        return;
      }
      args.push({ name, text: argText, value: pointer });
      pointer += 0x100n;
    });
    if (errors.length > 0) return { ok: false, diagnostics: errors };
    // Omitted trailing arguments (open's mode) are 0.
    while (args.length < Math.min(max, 6)) args.push({ name: infos[args.length]?.name ?? `arg${args.length}`, text: '', value: 0n });

    // Resolve the path arguments against the context.
    for (const [i, info] of infos.entries()) {
      if (info?.kind !== 'path') continue;
      const arg = args[i]!;
      if (arg.string === undefined) continue;
      let base = context.cwd;
      if (info.dirfd !== undefined) {
        const fd = BigInt.asUintN(32, args[info.dirfd]!.value);
        if (fd !== AT_FDCWD && !(arg.string.startsWith('/'))) {
          const n = Number(BigInt.asIntN(32, fd));
          const dir = context.fds?.[n];
          if (dir === undefined) {
            const v = values[info.dirfd]!;
            errors.push(diag('SV4006', range(v.start, v.end), { fd: n, path: arg.string }));
            continue;
          }
          base = dir;
        }
      }
      if (!arg.string.startsWith('/') && !base.startsWith('/')) {
        const v = values[i]!;
        errors.push(diag('SV4005', range(v.start, v.end), { detail: `relative path "${arg.string}" needs an absolute cwd (got '${base}')` },
          'Give the context an absolute cwd.'));
        continue;
      }
      arg.path = resolveCallPath(arg.string, base);
    }
    if (errors.length > 0) return { ok: false, diagnostics: errors };

    const paths = new Map<number, string>();
    args.forEach((a, i) => { if (a.path !== undefined) paths.set(i, a.path); });
    // Descriptors the context names (`fds`) are known to the supervisor as opened with that
    // path (not virtual); any other fd is unknown, and fd conditions fail closed on it.
    const deref: Deref = {
      path: (i) => paths.get(i),
      fd: (i) => {
        const info = infos[i];
        if (!info || (info.kind !== 'fd' && info.kind !== 'dirfd')) return undefined;
        const dir = context.fds?.[Number(BigInt.asIntN(32, args[i]?.value ?? 0n))];
        return dir === undefined ? undefined : { virtual: false, path: dir };
      },
    };
    const invocation: Invocation = { arch, nr, args: args.slice(0, 6).map((a) => a.value), deref };
    return { ok: true, call: { syscall, nr, args, invocation } };
  } catch (e) {
    if (!(e instanceof CallSyntaxError)) throw e;
    return { ok: false, diagnostics: [diag(e.code, range(e.start, e.end), e.data, e.hint)] };
  }
}

/** The call as sysvm decoded it: `openat(dfd=-100, filename="x" -> /abs/x, flags=0x80000, mode=0)`. */
export function formatCall(call: ParsedCall): string {
  const infos = call.syscall.args ?? [];
  const parts = call.args.map((a, i) => {
    const info = infos[i];
    if (a.string !== undefined) {
      const s = JSON.stringify(a.string);
      return `${a.name}=${s}${a.path !== undefined && a.path !== a.string ? ` -> ${a.path}` : ''}`;
    }
    if (info && (info.kind === 'sockaddr' || info.kind === 'pointer') && a.value !== 0n) return `${a.name}=0x${a.value.toString(16)}`;
    if (info?.kind === 'mode') return `${a.name}=${a.value === 0n ? '0' : `0${BigInt.asUintN(32, a.value).toString(8)}`}`;
    const signed = info ? info.signed : false;
    const w = info?.width ?? 64;
    const x = signed ? BigInt.asIntN(w, a.value) : BigInt.asUintN(w, a.value);
    const abs = x < 0n ? -x : x;
    return `${a.name}=${info?.kind === 'flags' && x > 9n ? `0x${x.toString(16)}` : abs < 0x10000n ? x.toString() : `${x < 0n ? '-' : ''}0x${abs.toString(16)}`}`;
  });
  return `${call.syscall.name}(${parts.join(', ')})`;
}
