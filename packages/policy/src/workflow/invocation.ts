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
//   { k: v, ... } a struct for a pointer or sockaddr argument; strace's `k=v` too, with its
//                 helpers htons(80), inet_addr("1.2.3.4"), inet_pton(AF_INET6, "::1", &sin6_addr)
//   [a, b, ...]   an array (sendmmsg's messages, msg_iov)
// Socket addresses (connect, bind, sendto; sendmsg's msg_name; each message of sendmmsg) are
// decoded for sockaddr conditions, written as strace prints them
//   {sa_family=AF_INET, sin_port=htons(80), sin_addr=inet_addr("127.0.0.1")}
//   {sa_family=AF_INET6, sin6_port=htons(443), inet_pton(AF_INET6, "::1", &sin6_addr)}
//   {sa_family=AF_UNIX, sun_path="/run/x.sock"}      (abstract: sun_path=@"name")
//   {msg_name={sa_family=AF_INET, ...}, msg_namelen=16, ...}   (sendmsg's struct msghdr)
// or shorter: {family: AF_INET, addr: "1.2.3.4", port: 443}, or a string "inet:127.0.0.1:80",
// "inet6:[::1]:8080", "unix:/run/x.sock", "unix:@name", "unspec". NULL (or a length argument of
// 0) is no address.
// Pointers that strings and structs stand for are placeholder addresses (see FAKE_POINTER),
// which no integer condition of a sensible policy names.
import { decodePath } from '../pathtext.js';
import type { Diagnostic } from '../diagnostics.js';
import type { ArchName, Deref, Invocation, SourceRange } from '../ir.js';
import { constant, syscallByName, syscallNumber, type ArgInfo, type SyscallInfo } from '../abi/index.js';
import { SOCKADDR_CALLS } from '../front/calls.js';
import { wdiag as diag } from './codes.js';
import { normalisePath } from '../front/paths.js';
import { formatIPv6, formatSockAddr, parseIPv4, parseIPv6 } from '../compile/addrmatch.js';
import type { SockAddr } from '../ir.js';

/** The process a call is made in: what relative paths and dirfds mean. */
export interface CallContext {
  /** The working directory (absolute). Relative paths with AT_FDCWD (or no dirfd) resolve here. */
  cwd: string;
  /**
   * Open descriptors: fd -> the absolute path it was opened with. Relative paths with such a
   * dirfd resolve against it; fd conditions see it as a (non-virtual) fd opened with that path.
   */
  fds?: Readonly<Record<number, string>>;
  /**
   * The call's paths name nothing: they (or a directory on the way) do not exist, and the call
   * would not create them (Deref.missing, for `{ deny: ..., missing: ... }` rules). A call
   * describes a process, not a file system: by default every path exists.
   */
  missing?: boolean;
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
  /** For a socket address argument (or sendmsg's msghdr, sendmmsg's array): the addresses it names. */
  sockaddrs?: (SockAddr | null)[];
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
      // A string is bytes, as strace prints it: the text's characters as UTF-8 and each \xHH
      // as the byte HH; it becomes text by the supervisor's mapping (pathtext.ts), so that
      // "/home/jos\xc3\xa9" is /home/josé and "\xff" the name the supervisor shows as \udcff.
      const bytes: Buffer[] = [];
      let s = '';
      const flush = (): void => {
        if (s !== '') bytes.push(Buffer.from(s, 'utf8'));
        s = '';
      };
      for (;;) {
        if (i >= text.length) {
          throw new CallSyntaxError('SV4004', start, text.length, { detail: 'unterminated string' }, 'Close the string with ".');
        }
        const d = text[i]!;
        if (d === '"') { i++; break; }
        if (d === '\\') {
          const e = text[i + 1];
          if (e === 'x' && /^[0-9a-fA-F]{2}$/.test(text.slice(i + 2, i + 4))) {
            flush();
            bytes.push(Buffer.of(parseInt(text.slice(i + 2, i + 4), 16)));
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
      flush();
      toks.push({ kind: 'string', text: text.slice(start, i), start, end: i, str: decodePath(Buffer.concat(bytes)) });
      continue;
    }
    if ('(),|{}:-=&[]@'.includes(c)) {
      toks.push({ kind: 'punct', text: c, start, end: i + 1 });
      i++;
      continue;
    }
    throw new CallSyntaxError('SV4004', start, start + 1, { detail: `unexpected character '${c}'` },
      "A call looks like name(arg, ...): integers, constants joined with |, \"strings\", NULL, {field: value}, [a, b].");
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
  | { kind: 'struct'; fields: Map<string, Value>; start: number; end: number }
  | { kind: 'array'; items: Value[]; start: number; end: number }
  /** strace's helpers: htons(80), inet_addr("1.2.3.4"), inet_pton(AF_INET6, "::1", &sin6_addr). */
  | { kind: 'call'; name: string; args: Value[]; start: number; end: number }
  /** `&name` (inet_pton's destination). */
  | { kind: 'ref'; name: string; start: number; end: number };

class Parser {
  private pos = 0;
  constructor(private readonly toks: Tok[]) {}

  peek(): Tok { return this.toks[this.pos]!; }

  /** Values separated by ',' up to `closer` (which is left for the caller to expect); none if it comes first. */
  values(closer: string): Value[] {
    const out: Value[] = [];
    if (this.peek().kind === 'punct' && this.peek().text === closer) return out;
    for (;;) {
      out.push(this.value());
      if (this.peek().kind !== 'punct' || this.peek().text !== ',') return out;
      this.next();
    }
  }
  next(): Tok { return this.toks[this.pos++]!; }

  expect(text: string, what: string): Tok {
    const t = this.next();
    if (t.kind === 'punct' && t.text === text) return t;
    throw new CallSyntaxError('SV4004', t.start, Math.max(t.end, t.start + 1),
      { detail: `expected ${what}, found ${t.kind === 'end' ? 'the end of the call' : `'${t.text}'`}` });
  }

  /** value := term ('|' term)* | string | NULL | struct | array | name(value, ...) | &name | @string */
  value(): Value {
    const t = this.peek();
    if (t.kind === 'string') { this.next(); return { kind: 'string', value: t.str!, start: t.start, end: t.end }; }
    if (t.kind === 'ident' && t.text === 'NULL') { this.next(); return { kind: 'null', start: t.start, end: t.end }; }
    if (t.kind === 'punct' && t.text === '{') return this.struct();
    if (t.kind === 'punct' && t.text === '[') return this.array();
    if (t.kind === 'punct' && t.text === '@') {
      // strace's abstract unix socket name: sun_path=@"name"
      this.next();
      const n = this.next();
      if (n.kind !== 'string') throw new CallSyntaxError('SV4004', n.start, Math.max(n.end, n.start + 1), { detail: "expected a string after '@'" });
      return { kind: 'string', value: `@${n.str!}`, start: t.start, end: n.end };
    }
    if (t.kind === 'punct' && t.text === '&') {
      this.next();
      const n = this.next();
      if (n.kind !== 'ident') throw new CallSyntaxError('SV4004', n.start, Math.max(n.end, n.start + 1), { detail: "expected a name after '&'" });
      return { kind: 'ref', name: n.text, start: t.start, end: n.end };
    }
    if (t.kind === 'ident' && this.toks[this.pos + 1]?.kind === 'punct' && this.toks[this.pos + 1]?.text === '(') return this.helper();
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

  private helper(): Value {
    const name = this.next();
    this.expect('(', "'('");
    const args = this.values(')');
    const close = this.expect(')', "',' or ')'");
    return { kind: 'call', name: name.text, args, start: name.start, end: close.end };
  }

  private array(): Value {
    const open = this.expect('[', "'['");
    const items = this.values(']');
    const close = this.expect(']', "',' or ']'");
    return { kind: 'array', items, start: open.start, end: close.end };
  }

  private struct(): Value {
    const open = this.expect('{', "'{'");
    const fields = new Map<string, Value>();
    if (!(this.peek().kind === 'punct' && this.peek().text === '}')) {
      for (;;) {
        const k = this.peek();
        if (k.kind !== 'ident') {
          throw new CallSyntaxError('SV4004', k.start, Math.max(k.end, k.start + 1), { detail: 'expected a field name' });
        }
        const after = this.toks[this.pos + 1];
        if (after?.kind === 'punct' && after.text === '(') {
          // strace's positional helper inside a struct: inet_pton(AF_INET6, "::1", &sin6_addr)
          fields.set(k.text, this.helper());
        } else {
          this.next();
          const sep = this.next();
          if (sep.kind !== 'punct' || (sep.text !== ':' && sep.text !== '=')) {
            throw new CallSyntaxError('SV4004', sep.start, Math.max(sep.end, sep.start + 1),
              { detail: `expected ':' or '=' after the field name, found ${sep.kind === 'end' ? 'the end of the call' : `'${sep.text}'`}` });
          }
          fields.set(k.text, this.value());
        }
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
    const values = p.values(')');
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
        const w = BigInt(info?.width ?? 64);
        if (info && info.width !== 64 && (v.value < -(1n << (w - 1n)) || v.value > (1n << w) - 1n)) {
          bad(`${argText} does not fit in the ${info.width}-bit argument '${name}' of ${syscall.name}`);
          return;
        }
        if (v.value < -(1n << 63n) || v.value > 0xffff_ffff_ffff_ffffn) { bad(`${argText} does not fit in 64 bits`); return; }
        // A negative 32-bit int is sign-extended in the register, as the C ABI passes it.
        args.push({ name, text: argText, value: BigInt.asUintN(64, v.value) });
        return;
      }
      if (v.kind === 'null') { args.push({ name, text: argText, value: 0n }); return; }
      if (v.kind === 'call' && ['htons', 'htonl', 'ntohs', 'ntohl'].includes(v.name)) {
        const n = v.args.length === 1 && v.args[0]!.kind === 'int' ? v.args[0]!.value : undefined;
        if (n === undefined) { bad(`${v.name}() takes one integer`); return; }
        args.push({ name, text: argText, value: BigInt.asUintN(64, n) });
        return;
      }
      if (v.kind === 'call' || v.kind === 'ref') {
        bad(`'${argText}' is not a value here`, 'Write an integer, constants joined with |, a "string", NULL, {field: value} or [a, b].');
        return;
      }
      if (v.kind === 'string') {
        if (info && !['path', 'string', 'pointer', 'sockaddr'].includes(info.kind)) {
          bad(`'${name}' of ${syscall.name} is an integer (${info.ctype}), not a string`, 'Write an integer or constants joined with |.');
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

    // The socket addresses (connect, bind, sendto; sendmsg's msg_name; sendmmsg's messages).
    const sockArg = SOCKADDR_CALLS[syscall.name];
    if (sockArg !== undefined && values[sockArg] !== undefined) {
      const v = values[sockArg]!;
      const lenArg = infos[sockArg]?.lenArg;
      try {
        const lenZero = lenArg !== undefined && args[lenArg]?.value === 0n;
        const list = syscall.name === 'sendmmsg' ? mmsgAddrs(v, context.cwd)
          : syscall.name === 'sendmsg' ? [msghdrAddr(v, context.cwd)]
            : [lenZero ? null : sockaddrOf(v, context.cwd)];
        args[sockArg]!.sockaddrs = list;
      } catch (e) {
        if (!(e instanceof CallSyntaxError)) throw e;
        errors.push(diag(e.code, range(e.start, e.end), e.data, e.hint));
      }
    }
    if (errors.length > 0) return { ok: false, diagnostics: errors };

    const paths = new Map<number, string>();
    args.forEach((a, i) => { if (a.path !== undefined) paths.set(i, a.path); });
    // Descriptors the context names (`fds`) are known to the supervisor as opened with that
    // path (not virtual); any other fd is unknown, and fd conditions fail closed on it.
    const deref: Deref = {
      path: (i) => paths.get(i),
      missing: (i) => context.missing === true && paths.has(i),
      sockaddrs: (i) => args[i]?.sockaddrs,
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

// --- socket addresses ---------------------------------------------------------------------------

const AF: Record<number, 'unix' | 'inet' | 'inet6' | 'unspec'> = {
  [Number(constant('AF_UNSPEC') ?? 0n)]: 'unspec', [Number(constant('AF_UNIX') ?? 1n)]: 'unix',
  [Number(constant('AF_INET') ?? 2n)]: 'inet', [Number(constant('AF_INET6') ?? 10n)]: 'inet6',
};

const badAddr = (v: Value, detail: string, hint?: string): CallSyntaxError => new CallSyntaxError('SV4005', v.start, v.end, { detail },
  hint ?? 'Write {sa_family=AF_INET, sin_port=htons(80), sin_addr=inet_addr("127.0.0.1")}, {family: AF_INET6, addr: "::1", port: 80}, "inet:127.0.0.1:80" or NULL.');

/** An integer field: 80, htons(80). */
function intField(v: Value): number {
  if (v.kind === 'int') return Number(v.value);
  if (v.kind === 'call' && ['htons', 'htonl', 'ntohs', 'ntohl'].includes(v.name) && v.args.length === 1) return intField(v.args[0]!);
  throw badAddr(v, 'expected an integer or htons(N)');
}

/** An address text field: "1.2.3.4", inet_addr("1.2.3.4"). */
function textField(v: Value): string {
  if (v.kind === 'string') return v.value;
  if (v.kind === 'call' && v.name === 'inet_addr' && v.args.length === 1) return textField(v.args[0]!);
  throw badAddr(v, 'expected an address string or inet_addr("...")');
}

const unixPath = (p: string, cwd: string): string => (p === '' || p.startsWith('@') || p.startsWith('/') ? p : normalisePath(`${cwd}/${p}`));

function inetAddr(family: 'inet' | 'inet6', text: string, at: Value): string {
  if (family === 'inet') {
    if (parseIPv4(text) === undefined) throw badAddr(at, `'${text}' is not an IPv4 address`);
    return text;
  }
  const v = parseIPv6(text);
  if (v === undefined) throw badAddr(at, `'${text}' is not an IPv6 address`);
  return formatIPv6(v);
}

/** The short form: "inet:1.2.3.4:80", "inet6:[::1]:80", "unix:/path", "unix:@name", "unspec". */
function shortAddr(v: Value & { kind: 'string' }, cwd: string): SockAddr {
  const t = v.value;
  if (t === 'unspec') return { family: 'unspec' };
  if (t.startsWith('unix:')) return { family: 'unix', path: unixPath(t.slice(5), cwd) };
  const m4 = /^inet:([^:]+):(\d+)$/.exec(t);
  const m6 = /^inet6:\[([^\]]+)\]:(\d+)$/.exec(t);
  const m = m4 ?? m6;
  if (m && Number(m[2]) <= 65535) {
    const family = m4 ? 'inet' : 'inet6';
    return { family, address: inetAddr(family, m[1]!, v), port: Number(m[2]) };
  }
  throw badAddr(v, `'${t}' is not a socket address`, 'Short forms: "inet:127.0.0.1:80", "inet6:[::1]:8080", "unix:/run/x.sock", "unix:@name", "unspec".');
}

/** A struct sockaddr as written (see the top of this file); null for NULL. */
function sockaddrOf(v: Value, cwd: string): SockAddr | null {
  if (v.kind === 'null') return null;
  if (v.kind === 'string') return shortAddr(v, cwd);
  if (v.kind !== 'struct') throw badAddr(v, 'expected a struct sockaddr');
  const f = v.fields;
  const famV = f.get('sa_family') ?? f.get('family') ?? f.get('sun_family') ?? f.get('sin_family') ?? f.get('sin6_family');
  if (famV === undefined) throw badAddr(v, 'the struct has no sa_family');
  const famN = intField(famV);
  const family = AF[famN];
  if (family === undefined) return { family: famN };
  if (family === 'unix') {
    const p = f.get('sun_path') ?? f.get('path');
    return { family, path: p === undefined ? '' : unixPath(textField(p), cwd) };
  }
  const portV = f.get('sin_port') ?? f.get('sin6_port') ?? f.get('port');
  const port = portV === undefined ? 0 : intField(portV);
  if (port < 0 || port > 65535) throw badAddr(portV!, `port ${port} is not 0 to 65535`);
  const pton = f.get('inet_pton');
  const addrV = f.get('sin_addr') ?? f.get('sin6_addr') ?? f.get('addr')
    ?? (pton?.kind === 'call' && pton.args[1] ? pton.args[1] : undefined);
  if (family === 'unspec') {
    if (addrV === undefined) return { family };
    return { family, address: inetAddr('inet', textField(addrV), addrV), port };
  }
  if (addrV === undefined) throw badAddr(v, `an ${family === 'inet' ? 'AF_INET' : 'AF_INET6'} address needs its address`);
  return { family, address: inetAddr(family, textField(addrV), addrV), port };
}

/** sendmsg's struct msghdr: its msg_name (NULL or msg_namelen=0: none). */
function msghdrAddr(v: Value, cwd: string): SockAddr | null {
  if (v.kind === 'null') throw badAddr(v, 'sendmsg needs its struct msghdr');
  if (v.kind !== 'struct') throw badAddr(v, 'expected a struct msghdr: {msg_name={sa_family=AF_INET, ...}, msg_namelen=16, ...}');
  const name = v.fields.get('msg_name');
  const len = v.fields.get('msg_namelen');
  if (name === undefined || (len !== undefined && len.kind === 'int' && len.value === 0n)) return null;
  return sockaddrOf(name, cwd);
}

/** sendmmsg's array of struct mmsghdr: each message's msg_name. */
function mmsgAddrs(v: Value, cwd: string): (SockAddr | null)[] {
  if (v.kind !== 'array') throw badAddr(v, 'expected an array of struct mmsghdr: [{msg_hdr={msg_name=..., ...}}, ...]');
  return v.items.map((m) => msghdrAddr(m.kind === 'struct' && m.fields.has('msg_hdr') ? m.fields.get('msg_hdr')! : m, cwd));
}

/** The call as sysvm decoded it: `openat(dfd=-100, filename="x" -> /abs/x, flags=0x80000, mode=0)`. */
export function formatCall(call: ParsedCall): string {
  const infos = call.syscall.args ?? [];
  const parts = call.args.map((a, i) => {
    const info = infos[i];
    if (a.sockaddrs !== undefined) {
      const shown = a.sockaddrs.map(formatSockAddr).join(', ');
      return `${a.name}=${call.syscall.name === 'sendmmsg' ? `[${shown}]` : shown}`;
    }
    if (a.string !== undefined) {
      const s = JSON.stringify(a.string);
      return `${a.name}=${s}${a.path !== undefined && a.path !== a.string ? ` -> ${a.path}` : ''}`;
    }
    if (info && (info.kind === 'sockaddr' || info.kind === 'pointer') && a.value !== 0n) return `${a.name}=0x${a.value.toString(16)}`;
    if (info?.kind === 'mode') return `${a.name}=${a.value === 0n ? '0' : `0${BigInt.asUintN(info.width, a.value).toString(8)}`}`;
    const signed = info ? info.signed : false;
    const w = info?.width ?? 64;
    const x = signed ? BigInt.asIntN(w, a.value) : BigInt.asUintN(w, a.value);
    const abs = x < 0n ? -x : x;
    return `${a.name}=${info?.kind === 'flags' && x > 9n ? `0x${x.toString(16)}` : abs < 0x10000n ? x.toString() : `${x < 0n ? '-' : ''}0x${abs.toString(16)}`}`;
  });
  return `${call.syscall.name}(${parts.join(', ')})`;
}
