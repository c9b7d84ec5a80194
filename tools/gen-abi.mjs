#!/usr/bin/env node
// gen-abi: generate sysvm's syscall catalogue and constant tables from the Linux
// sources that Debian's `linux-source-6.12` package installs. Nothing in
// packages/policy/src/abi/generated/ is typed by hand.
//
//   node tools/gen-abi.mjs            write the generated files
//   node tools/gen-abi.mjs --check    exit 1 if the committed files are stale
//
// Inputs, all from the kernel tree:
//   - syscall numbers: arch/x86/entry/syscalls/syscall_64.tbl (abi common|64),
//     arch/x86/entry/syscalls/syscall_32.tbl (i386, to recognise `int 0x80`),
//     arch/arm64/tools/syscall_64.tbl (abis of arch/arm64/kernel/Makefile.syscalls);
//   - arguments: every SYSCALL_DEFINEn(name, type, arg, ...) in the tree, matched to the
//     table's entry point (sys_NAME);
//   - constants: the headers listed in HEADERS, read by a small C preprocessor that
//     knows x86_64's predefined macros and evaluates integer constant expressions.
//
// The kernel tree is found at $SYSVM_LINUX_SRC, or unpacked from
// /usr/src/linux-source-6.12.tar.xz into a cache keyed by the package version.

import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = join(ROOT, 'packages/policy/src/abi/generated');
const PACKAGE = 'linux-source-6.12';
const TARBALL = `/usr/src/${PACKAGE}.tar.xz`;

function fail(code, message, hint) {
  process.stderr.write(`gen-abi: error ${code}: ${message}\n${hint ? `  hint: ${hint}\n` : ''}`);
  process.exit(2);
}

// ---------------------------------------------------------------------------
// The kernel tree

function packageVersion() {
  try {
    return execFileSync('dpkg-query', ['-W', '-f=${Version}', PACKAGE], { encoding: 'utf8' }).trim();
  } catch {
    return '';
  }
}

function kernelTree() {
  if (process.env.SYSVM_LINUX_SRC) {
    const dir = process.env.SYSVM_LINUX_SRC;
    if (!existsSync(join(dir, 'Makefile'))) fail('GA001', `SYSVM_LINUX_SRC=${dir} is not a kernel tree`);
    return { dir, source: `${PACKAGE} (tree at $SYSVM_LINUX_SRC)` };
  }
  const version = packageVersion();
  if (!version || !existsSync(TARBALL)) {
    fail('GA002', `${TARBALL} not found`, `install it: apt-get update && apt-get install -y ${PACKAGE}`);
  }
  const cache = process.env.SYSVM_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'sysvm');
  const base = join(cache, 'abi', `${PACKAGE}_${version}`);
  const dir = join(base, PACKAGE);
  if (!existsSync(join(base, '.complete'))) {
    const tmp = `${base}.tmp-${process.pid}`;
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp, { recursive: true });
    const parts = ['include', 'arch/x86', 'arch/arm64', 'scripts', 'kernel', 'fs', 'mm', 'net', 'ipc', 'security',
      'block', 'io_uring', 'drivers/char', 'Makefile'];
    process.stderr.write(`gen-abi: unpacking ${TARBALL} into ${base}\n`);
    execFileSync('tar', ['-xJf', TARBALL, '-C', tmp, '--wildcards', ...parts.map((p) => `${PACKAGE}/${p}`)], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    writeFileSync(join(tmp, '.complete'), `${version}\n`);
    rmSync(base, { recursive: true, force: true });
    renameSync(tmp, base);
  }
  return { dir, source: `${PACKAGE} ${version}` };
}

// ---------------------------------------------------------------------------
// Syscall tables

function readTable(file, abis) {
  const rows = new Map();
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const t = line.replace(/#.*/, '').trim();
    if (!t) continue;
    const [nr, abi, name, entry] = t.split(/\s+/);
    if (!abis.includes(abi)) continue;
    if (rows.has(name)) continue;
    rows.set(name, { nr: Number(nr), entry: entry ?? null });
  }
  return rows;
}

function arm64Abis(tree) {
  const mk = readFileSync(join(tree, 'arch/arm64/kernel/Makefile.syscalls'), 'utf8');
  const m = /syscall_abis_64\s*\+=\s*(.*)/.exec(mk);
  return ['common', '64', ...(m ? m[1].trim().split(/\s+/) : [])];
}

// ---------------------------------------------------------------------------
// SYSCALL_DEFINEn signatures

function* walk(dir) {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    const st = statSync(p);
    if (st.isDirectory()) yield* walk(p);
    else if (name.endsWith('.c')) yield p;
  }
}

function splitTopLevel(s) {
  const out = [];
  let depth = 0;
  let cur = '';
  for (const ch of s) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      out.push(cur.trim());
      cur = '';
    } else cur += ch;
  }
  if (cur.trim()) out.push(cur.trim());
  return out;
}

// Where a name is defined more than once, architecture code for x86 wins, then
// generic code; within a group the first file in path order.
const DEFINE_DIRS = ['arch/x86', 'kernel', 'fs', 'mm', 'net', 'ipc', 'security', 'block', 'io_uring', 'drivers/char', 'arch/arm64'];

function readDefines(tree) {
  const defs = new Map();
  const re = /\bSYSCALL_DEFINE([0-6])\(\s*(\w+)/g;
  for (const d of DEFINE_DIRS) {
    for (const file of walk(join(tree, d))) {
      const text = readFileSync(file, 'utf8');
      if (!text.includes('SYSCALL_DEFINE')) continue;
      let m;
      re.lastIndex = 0;
      while ((m = re.exec(text))) {
        if (m.index > 0 && /\w/.test(text[m.index - 1])) continue; // COMPAT_SYSCALL_DEFINE and the like
        const line = text.slice(0, m.index).split('\n').length;
        // the line must start a definition, not sit in a comment or a macro body
        const lineStart = text.lastIndexOf('\n', m.index) + 1;
        if (text.slice(lineStart, m.index).trim() !== '') continue;
        let depth = 0;
        let i = m.index + m[0].length - m[2].length - 1; // the '('
        const start = i;
        for (; i < text.length; i++) {
          if (text[i] === '(') depth++;
          else if (text[i] === ')' && --depth === 0) break;
        }
        const inner = text.slice(start + 1, i).replace(/\s+/g, ' ');
        const parts = splitTopLevel(inner).slice(1);
        const n = Number(m[1]);
        if (parts.length !== 2 * n) continue;
        const args = [];
        for (let k = 0; k < n; k++) args.push({ ctype: parts[2 * k].trim(), name: parts[2 * k + 1].trim() });
        if (!defs.has(m[2])) defs.set(m[2], { args, where: `${relative(tree, file)}:${line}` });
      }
    }
  }
  return defs;
}

// ---------------------------------------------------------------------------
// Argument kinds: what the compiler and the runtime can do with an argument.

const PATH_NAMES = new Set(['filename', 'pathname', 'path', 'oldname', 'newname', 'dir_name', 'specialfile',
  'library', 'new_root', 'put_old', 'dev_name']);
// Names that take a C string that is not a path resolved by the kernel.
const STRING_ARGS = new Set(['symlink:oldname', 'symlinkat:oldname', 'mount:dev_name', 'mount:type',
  'fsmount:fs_name', 'fsopen:fs_name']);
// Symbolic constants an argument takes, by syscall:argument. Keys with a leading
// '*:' apply to any syscall with that argument name.
const CONST_PREFIX = {
  'open:flags': 'O_', 'openat:flags': 'O_', 'open_by_handle_at:flags': 'O_', 'creat:mode': 'S_',
  'pipe2:flags': 'O_', 'dup3:flags': 'O_', 'fcntl:cmd': 'F_',
  'socket:family': 'AF_', 'socketpair:family': 'AF_', 'socket:type': 'SOCK_', 'socketpair:type': 'SOCK_',
  'accept4:flags': 'SOCK_', 'sendto:flags': 'MSG_', 'recvfrom:flags': 'MSG_', 'sendmsg:flags': 'MSG_',
  'recvmsg:flags': 'MSG_', 'send:flags': 'MSG_', 'recv:flags': 'MSG_',
  'clone:clone_flags': 'CLONE_', 'unshare:unshare_flags': 'CLONE_', 'setns:flags': 'CLONE_',
  'mmap:prot': 'PROT_', 'mprotect:prot': 'PROT_', 'pkey_mprotect:prot': 'PROT_', 'mmap:flags': 'MAP_',
  'prctl:option': 'PR_', 'ptrace:request': 'PTRACE_', 'seccomp:op': 'SECCOMP_',
  'kill:sig': 'SIG', 'tkill:sig': 'SIG', 'tgkill:sig': 'SIG', 'rt_sigqueueinfo:sig': 'SIG',
  'wait4:options': 'W', 'waitid:options': 'W',
  'renameat2:flags': 'RENAME_',
  'newfstatat:flag': 'AT_', 'fstatat64:flag': 'AT_', 'unlinkat:flag': 'AT_', 'linkat:flags': 'AT_',
  'fchownat:flag': 'AT_', 'fchmodat2:flags': 'AT_', 'faccessat2:flags': 'AT_', 'utimensat:flags': 'AT_',
  'execveat:flags': 'AT_', 'statx:flags': 'AT_', 'name_to_handle_at:flag': 'AT_', 'open_tree:flags': 'AT_',
  'move_mount:flags': 'MOVE_MOUNT_', 'mount_setattr:flags': 'AT_',
  'faccessat:mode': '', 'access:mode': '',
};
// Man-page names that users know, for arguments the kernel names otherwise.
const ALIASES = { 'socket:family': ['domain'], 'socketpair:family': ['domain'] };
// Arguments declared wider than the kernel reads them. Security: a rule compares the width
// given here (in BPF and in evaluate), so an argument the kernel truncates must be declared
// at the width it keeps, or bits it ignores would make `eq`, `in`, `ne`, `lt`, `gt` miss:
// clone(2) takes `unsigned long clone_flags` and uses lower_32_bits() of it
// (kernel/fork.c, SYSCALL_DEFINE5(clone)): clone(SIGCHLD | 1 << 40) creates a child.
// The `unsigned long fd` of mmap and the vectored I/O calls goes to fget()/fdget_pos(),
// which take an unsigned int (fd 3 | 1 << 32 is fd 3); ptrace's `long pid` goes to
// find_get_task_by_vpid(pid_t). An enum (landlock_add_rule's rule_type) is an int.
const WIDTH = {
  'clone:clone_flags': 32,
  'mmap:fd': 32, 'readv:fd': 32, 'writev:fd': 32, 'preadv:fd': 32, 'pwritev:fd': 32, 'preadv2:fd': 32, 'pwritev2:fd': 32,
  'ptrace:pid': 32,
};
// C types narrower than 32 bits, compared at the width the kernel reads them. Security: the
// SYSCALL_DEFINE wrapper casts the 64-bit register to the declared type (__SC_CAST), so a
// 16-bit type keeps only the low 16 bits: fchmodat(AT_FDCWD, "f", 0x10000 | 04755) sets
// 04755, and a rule comparing the mode at 32 bits would miss it. On x86_64, umode_t is an
// unsigned short (include/linux/types.h), and so are old_uid_t and old_gid_t
// (__kernel_old_uid_t in arch/x86/include/uapi/asm/posix_types_64.h; only the i386 *16
// calls of kernel/uid16.c take them, so none is in the catalogue today). u16/__u16 and
// short/s16/__s16 are 16 bits on every architecture.
const WIDTH16 = /^(const )?(umode_t|old_uid_t|old_gid_t|unsigned short|u16|__u16|short|s16|__s16)$/;

function classify(sys, arg, index, args) {
  const ct = arg.ctype.replace(/\s+/g, ' ');
  const key = `${sys}:${arg.name}`;
  const isPtr = ct.includes('*');
  const out = { name: arg.name, ctype: ct };
  const width = WIDTH[key] ?? (isPtr ? 64 : WIDTH16.test(ct) ? 16
    : /^(const )?(int|unsigned int|unsigned|u32|__u32|s32|__s32|pid_t|uid_t|gid_t|mqd_t|clockid_t|timer_t|key_serial_t|qid_t|rwf_t|key_t|enum \w+)$/.test(ct) ? 32 : 64);
  const signed = !isPtr && /^(const )?(int|long|s32|__s32|pid_t|clockid_t|timer_t|key_serial_t|loff_t|off_t|mqd_t|rwf_t|key_t|short|s16|__s16|__kernel_old_time_t|long long|s64|__s64)$/.test(ct);
  let kind;
  if (isPtr) {
    if (/char __user \*$/.test(ct) && ct.startsWith('const') && PATH_NAMES.has(arg.name) && !STRING_ARGS.has(key)) {
      kind = 'path';
    } else if (/^const char __user \*$/.test(ct)) kind = 'string';
    else if (/struct sockaddr __user \*$/.test(ct)) kind = 'sockaddr';
    else kind = 'pointer';
  } else if (/^(int )?(dfd|olddfd|newdfd|dirfd|from_dfd|to_dfd)$/.test(arg.name)) kind = 'dirfd';
  else if (/^(fd|oldfd|newfd|fd_in|fd_out|out_fd|in_fd|epfd|ufd|fildes|pidfd|mqdes|fdin|fdout)$/.test(arg.name)) kind = 'fd';
  else if (key in CONST_PREFIX && CONST_PREFIX[key]) kind = 'flags';
  else if (/^(pid_t)$/.test(ct)) kind = 'pid';
  else if (/^(uid_t|gid_t|old_uid_t|old_gid_t)$/.test(ct)) kind = 'uid';
  else if (ct === 'umode_t') kind = 'mode';
  else if (ct === 'size_t') kind = 'size';
  else if (width !== 64) kind = signed ? 'int' : 'uint';
  else kind = signed ? 'long' : 'ulong';
  out.kind = kind;
  out.width = width;
  out.signed = signed;
  if (kind === 'flags') out.constPrefix = CONST_PREFIX[key];
  if (kind === 'path') {
    // a path is relative to the nearest dirfd argument before it
    const prefer = arg.name === 'oldname' ? 'olddfd' : arg.name === 'newname' ? 'newdfd' : null;
    let d = prefer ? args.findIndex((a) => a.name === prefer) : -1;
    if (d < 0) for (let k = index - 1; k >= 0; k--) if (/dfd|dirfd/.test(args[k].name)) { d = k; break; }
    if (d >= 0) out.dirfd = d;
  }
  if (kind === 'sockaddr') {
    const l = args.findIndex((a, k) => k > index && /len/.test(a.name));
    if (l >= 0) out.lenArg = l;
  }
  if (ALIASES[key]) out.aliases = ALIASES[key];
  return out;
}

// ---------------------------------------------------------------------------
// Constants: a small C preprocessor for the x86_64 userspace view of the headers.

// Order matters: architecture headers before the generic ones they override.
const HEADERS = [
  ['errno', 'include/uapi/asm-generic/errno-base.h', /^E[A-Z0-9]+$/],
  ['errno', 'include/uapi/asm-generic/errno.h', /^E[A-Z0-9]+$/],
  ['fcntl', 'include/uapi/asm-generic/fcntl.h', /^(O|F)_[A-Z0-9_]+$/],
  ['fcntl', 'include/uapi/linux/fcntl.h', /^(AT|F|RENAME)_[A-Z0-9_]+$/],
  ['stat', 'include/uapi/linux/stat.h', /^(S_I[A-Z]+|STATX_[ABCM]TIME)$/],
  ['sched', 'include/uapi/linux/sched.h', /^CLONE_[A-Z0-9_]+$/],
  ['mman', 'include/uapi/asm-generic/hugetlb_encode.h', null],
  ['mman', 'arch/x86/include/uapi/asm/mman.h', /^(MAP|PROT)_[A-Z0-9_]+$/],
  ['mman', 'include/uapi/asm-generic/mman-common.h', /^(MAP|PROT)_[A-Z0-9_]+$/],
  ['mman', 'include/uapi/asm-generic/mman.h', /^(MAP|PROT)_[A-Z0-9_]+$/],
  ['mman', 'include/uapi/linux/mman.h', /^(MAP|PROT)_[A-Z0-9_]+$/],
  ['socket', 'include/linux/socket.h', /^(AF|MSG)_[A-Z0-9_]+$/],
  ['socket', 'include/linux/net.h', /^SOCK_[A-Z0-9_]+$/],
  ['ptrace', 'arch/x86/include/uapi/asm/ptrace-abi.h', /^PTRACE_[A-Z0-9_]+$/],
  ['ptrace', 'include/uapi/linux/ptrace.h', /^PTRACE_[A-Z0-9_]+$/],
  ['seccomp', 'include/uapi/linux/seccomp.h', /^SECCOMP_[A-Z0-9_]+$/],
  ['audit', 'include/uapi/linux/elf-em.h', null],
  ['audit', 'include/uapi/linux/audit.h', /^AUDIT_ARCH_[A-Z0-9_]+$/],
  ['signal', 'arch/x86/include/uapi/asm/signal.h', /^SIG[A-Z0-9]+$/],
  ['signal', 'include/uapi/asm-generic/signal-defs.h', /^(SIG_[A-Z]+|SA_[A-Z]+)$/],
  ['wait', 'include/uapi/linux/wait.h', /^(W[A-Z]+|__WALL|__WCLONE|__WNOTHREAD|P_[A-Z]+)$/],
  ['prctl', 'include/uapi/linux/prctl.h', /^PR_[A-Z0-9_]+$/],
  ['unistd', 'arch/x86/include/uapi/asm/unistd.h', /^__X32_SYSCALL_BIT$/],
  ['time', 'include/uapi/linux/time.h', /^(CLOCK_[A-Z_]+|TIMER_ABSTIME)$/],
  ['time', 'include/uapi/linux/timerfd.h', /^TFD_TIMER_[A-Z_]+$/],
  ['time', 'include/linux/stat.h', /^UTIME_(NOW|OMIT)$/],
  ['futex', 'include/uapi/linux/futex.h', /^FUTEX_[A-Z0-9_]+$/],
  ['fcntl', 'include/uapi/linux/openat2.h', /^RESOLVE_[A-Z0-9_]+$/],
  ['dirent', 'include/linux/fs_types.h', /^DT_[A-Z]+$/],
  ['auxv', 'arch/x86/include/uapi/asm/auxvec.h', /^AT_SYSINFO(_EHDR)?$/],
  ['auxv', 'include/uapi/linux/auxvec.h', /^AT_(NULL|PAGESZ|ENTRY|RANDOM|HWCAP)$/],
];

// Predefined macros of an x86_64 userspace compile (gcc -E -dM, the relevant ones).
const PREDEFINED = { __x86_64__: 1n, __LP64__: 1n, __BITS_PER_LONG: 64n, __CHAR_BIT__: 8n };

function tokenize(expr) {
  const toks = [];
  const re = /\s*(0[xX][0-9a-fA-F]+|\d+)([uUlL]*)|\s*([A-Za-z_]\w*)|\s*(<<|>>|<=|>=|==|!=|&&|\|\||[-+*/%&|^~!()<>?:])/y;
  let m;
  let pos = 0;
  while (pos < expr.length) {
    if (/^\s*$/.test(expr.slice(pos))) break;
    re.lastIndex = pos;
    m = re.exec(expr);
    if (!m) return null;
    pos = re.lastIndex;
    if (m[1] !== undefined) {
      const s = m[1];
      toks.push({ t: 'num', v: /^0[0-7]+$/.test(s) ? BigInt('0o' + s.slice(1)) : BigInt(s) });
    } else if (m[3] !== undefined) toks.push({ t: 'id', v: m[3] });
    else toks.push({ t: 'op', v: m[4] });
  }
  return toks;
}

const TYPE_WORDS = new Set(['int', 'unsigned', 'long', 'short', 'char', 'signed', 'u32', 'u64', '__u32', '__u64',
  '__s32', '__s64', 'size_t', '__kernel_ulong_t']);

class Evaluator {
  constructor() {
    this.macros = new Map(Object.entries(PREDEFINED).map(([k, v]) => [k, { value: v }]));
  }
  define(name, body) {
    this.macros.set(name, { body });
  }
  value(name, seen = new Set()) {
    const m = this.macros.get(name);
    if (!m) return undefined;
    if (m.value !== undefined) return m.value;
    if (seen.has(name)) return undefined;
    seen.add(name);
    const v = this.evalExpr(m.body, seen);
    seen.delete(name);
    return v;
  }
  evalExpr(expr, seen = new Set(), forIf = false) {
    expr = expr.replace(/\/\*.*?\*\//g, '').replace(/\/\/.*$/, '').trim();
    // a few function-like helpers the uapi headers use
    expr = expr.replace(/\b_BITUL\(([^()]*)\)/g, '(1 << ($1))').replace(/\b_BITULL\(([^()]*)\)/g, '(1 << ($1))')
      .replace(/\b_AC\(([^,()]*),\s*\w+\)/g, '($1)');
    if (forIf) expr = expr.replace(/\bdefined\s*\(?\s*(\w+)\s*\)?/g, (_, n) => (this.macros.has(n) ? '1' : '0'));
    if (expr === '') return undefined;
    const toks = tokenize(expr);
    if (!toks) return undefined;
    let i = 0;
    const peek = () => toks[i];
    // the recursive-descent closures below need the evaluator; arrow functions would do, but hoisting reads better
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const self = this;
    function primary() {
      const t = toks[i++];
      if (!t) throw new Error('end');
      if (t.t === 'num') return t.v;
      if (t.t === 'id') {
        const v = self.value(t.v, seen);
        if (v === undefined) {
          if (forIf) return 0n;
          throw new Error(`unknown ${t.v}`);
        }
        return v;
      }
      if (t.v === '(') {
        // a cast: (type words)
        let j = i;
        while (toks[j] && toks[j].t === 'id' && TYPE_WORDS.has(toks[j].v)) j++;
        if (j > i && toks[j] && toks[j].v === ')') {
          i = j + 1;
          return unary();
        }
        const v = cond();
        if (toks[i++]?.v !== ')') throw new Error('paren');
        return v;
      }
      i--;
      return unary();
    }
    function unary() {
      const t = peek();
      if (t && t.t === 'op' && ['-', '+', '~', '!'].includes(t.v)) {
        i++;
        const v = unary();
        return t.v === '-' ? -v : t.v === '+' ? v : t.v === '~' ? ~v : v === 0n ? 1n : 0n;
      }
      return primary();
    }
    const levels = [['*', '/', '%'], ['+', '-'], ['<<', '>>'], ['<', '<=', '>', '>='], ['==', '!='], ['&'], ['^'],
      ['|'], ['&&'], ['||']];
    function bin(level) {
      if (level < 0) return unary();
      let v = bin(level - 1);
      for (;;) {
        const t = peek();
        if (!t || t.t !== 'op' || !levels[level].includes(t.v)) return v;
        i++;
        const r = bin(level - 1);
        switch (t.v) {
          case '*': v = v * r; break;
          case '/': v = v / r; break;
          case '%': v = v % r; break;
          case '+': v = v + r; break;
          case '-': v = v - r; break;
          case '<<': v = v << r; break;
          case '>>': v = v >> r; break;
          case '<': v = v < r ? 1n : 0n; break;
          case '<=': v = v <= r ? 1n : 0n; break;
          case '>': v = v > r ? 1n : 0n; break;
          case '>=': v = v >= r ? 1n : 0n; break;
          case '==': v = v === r ? 1n : 0n; break;
          case '!=': v = v !== r ? 1n : 0n; break;
          case '&': v = v & r; break;
          case '^': v = v ^ r; break;
          case '|': v = v | r; break;
          case '&&': v = v !== 0n && r !== 0n ? 1n : 0n; break;
          case '||': v = v !== 0n || r !== 0n ? 1n : 0n; break;
        }
      }
    }
    function cond() {
      const c = bin(levels.length - 1);
      if (peek()?.v === '?') {
        i++;
        const a = cond();
        if (toks[i++]?.v !== ':') throw new Error('ternary');
        const b = cond();
        return c !== 0n ? a : b;
      }
      return c;
    }
    try {
      const v = cond();
      return i === toks.length ? v : undefined;
    } catch {
      return undefined;
    }
  }
}

function readConstants(tree) {
  const ev = new Evaluator();
  const wanted = []; // [name, group, header]
  const seenNames = new Set();
  for (const [group, header, pattern] of HEADERS) {
    const text = readFileSync(join(tree, header), 'utf8')
      .replace(/\/\*[\s\S]*?\*\//g, (c) => c.replace(/[^\n]/g, ' '))
      .replace(/\\\n/g, ' ');
    const stack = []; // each: { active, taken }
    const active = () => stack.every((s) => s.active);
    let inEnum = false;
    let enumNext = 0n;
    for (const raw of text.split('\n')) {
      const line = raw.trim();
      let m;
      if ((m = /^#\s*(ifdef|ifndef)\s+(\w+)/.exec(line))) {
        const def = ev.macros.has(m[2]);
        const a = m[1] === 'ifdef' ? def : !def;
        stack.push({ active: a, taken: a });
      } else if ((m = /^#\s*if\s+(.*)$/.exec(line))) {
        const a = (ev.evalExpr(m[1], new Set(), true) ?? 0n) !== 0n;
        stack.push({ active: a, taken: a });
      } else if ((m = /^#\s*elif\s+(.*)$/.exec(line))) {
        const top = stack[stack.length - 1];
        const a = !top.taken && (ev.evalExpr(m[1], new Set(), true) ?? 0n) !== 0n;
        top.active = a;
        top.taken ||= a;
      } else if (/^#\s*else\b/.test(line)) {
        const top = stack[stack.length - 1];
        top.active = !top.taken;
        top.taken = true;
      } else if (/^#\s*endif\b/.test(line)) {
        stack.pop();
      } else if (!active()) {
        continue;
      } else if ((m = /^#\s*define\s+(\w+)(\(?)(.*)$/.exec(line))) {
        if (m[2] === '(') continue; // function-like
        ev.define(m[1], m[3].trim());
        if (pattern && pattern.test(m[1]) && !seenNames.has(m[1])) {
          seenNames.add(m[1]);
          wanted.push([m[1], group, header]);
        }
      } else if ((m = /^#\s*undef\s+(\w+)/.exec(line))) {
        ev.macros.delete(m[1]);
      } else if (/^enum\b[^;]*\{/.test(line)) {
        inEnum = true;
        enumNext = 0n;
      } else if (inEnum && /^\}/.test(line)) {
        inEnum = false;
      } else if (inEnum && (m = /^(\w+)\s*(?:=\s*([^,]+))?,?/.exec(line))) {
        const v = m[2] !== undefined ? ev.evalExpr(m[2]) : enumNext;
        if (v === undefined) continue;
        ev.macros.set(m[1], { value: v });
        enumNext = v + 1n;
        if (pattern && pattern.test(m[1]) && !seenNames.has(m[1])) {
          seenNames.add(m[1]);
          wanted.push([m[1], group, header]);
        }
      }
    }
  }
  const out = [];
  for (const [name, group, header] of wanted) {
    if (name.startsWith('__') && group !== 'wait' && group !== 'unistd') continue;
    const v = ev.value(name);
    if (v === undefined) continue; // not an integer constant (a string, a struct initialiser)
    out.push({ name, value: v, group, header });
  }
  return out;
}

// ---------------------------------------------------------------------------
// Output

function tsString(s) {
  return JSON.stringify(s);
}

function render(tree, source) {
  const x64 = readTable(join(tree, 'arch/x86/entry/syscalls/syscall_64.tbl'), ['common', '64']);
  const i386 = readTable(join(tree, 'arch/x86/entry/syscalls/syscall_32.tbl'), ['i386']);
  const a64 = readTable(join(tree, 'arch/arm64/tools/syscall_64.tbl'), arm64Abis(tree));
  const defs = readDefines(tree);
  const names = [...new Set([...x64.keys(), ...i386.keys(), ...a64.keys()])].sort();
  const header = (what) =>
    `// Generated by tools/gen-abi.mjs from ${source}: ${what}.\n// Do not edit: run \`pnpm gen:abi\`. \`pnpm gen:abi --check\` fails when this file is stale.\n`;
  const sysLines = [];
  const missing = [];
  for (const name of names) {
    const nr = {};
    let entry = null;
    for (const [arch, t] of [['x86_64', x64], ['i386', i386], ['aarch64', a64]]) {
      const r = t.get(name);
      if (r) {
        nr[arch] = r.nr;
        entry ??= r.entry;
      }
    }
    const defName = entry && entry.startsWith('sys_') ? entry.slice(4) : name;
    const def = defs.get(defName) ?? defs.get(name);
    let args = null;
    if (def) args = def.args.map((a, k) => classify(name, a, k, def.args));
    else missing.push(name);
    const nrs = Object.entries(nr).map(([a, n]) => `${a}: ${n}`).join(', ');
    const argText = args === null ? 'null' : `[${args.map((a) => {
      const f = [`name: ${tsString(a.name)}`, `ctype: ${tsString(a.ctype)}`, `kind: ${tsString(a.kind)}`,
        `width: ${a.width}`, `signed: ${a.signed}`];
      if (a.dirfd !== undefined) f.push(`dirfd: ${a.dirfd}`);
      if (a.lenArg !== undefined) f.push(`lenArg: ${a.lenArg}`);
      if (a.constPrefix !== undefined) f.push(`constPrefix: ${tsString(a.constPrefix)}`);
      if (a.aliases) f.push(`aliases: ${JSON.stringify(a.aliases)}`);
      return `{ ${f.join(', ')} }`;
    }).join(', ')}]`;
    sysLines.push(`  { name: ${tsString(name)}, nr: { ${nrs} }, args: ${argText}${def ? `, defined: ${tsString(def.where)}` : ''} },`);
  }
  const syscalls = `${header('syscall numbers (x86_64, i386, aarch64) and SYSCALL_DEFINEn signatures')}
import type { SyscallInfo } from '../types.js';

export const KERNEL_SOURCE = ${tsString(source)};

/** Syscalls without a SYSCALL_DEFINEn (arguments unknown): ${missing.length}. */
export const SYSCALLS: readonly SyscallInfo[] = [
${sysLines.join('\n')}
];
`;
  const consts = readConstants(tree);
  const constLines = consts.map((c) => `  [${tsString(c.name)}, ${c.value}n, ${tsString(c.group)}],`);
  const constants = `${header('integer constants of the x86_64 userspace headers')}
// Headers read, in order: ${[...new Set(HEADERS.map((h) => h[1]))].join(', ')}.
import type { ConstantRow } from '../types.js';

export const CONSTANTS: readonly ConstantRow[] = [
${constLines.join('\n')}
];
`;
  return { 'syscalls.ts': syscalls, 'constants.ts': constants, stats: { syscalls: names.length, missing, constants: consts.length } };
}

const check = process.argv.includes('--check');
const { dir, source } = kernelTree();
const out = render(dir, source);
let stale = [];
for (const file of ['syscalls.ts', 'constants.ts']) {
  const p = join(OUT, file);
  const old = existsSync(p) ? readFileSync(p, 'utf8') : null;
  if (old !== out[file]) {
    stale.push(file);
    if (!check) {
      mkdirSync(OUT, { recursive: true });
      writeFileSync(p, out[file]);
    }
  }
}
if (check) {
  if (stale.length) {
    process.stderr.write(`gen-abi: error GA010: stale generated files: ${stale.join(', ')} (in ${relative(ROOT, OUT)})\n  hint: run \`pnpm gen:abi\` and commit the result\n`);
    process.exit(1);
  }
  process.stdout.write(`gen-abi: generated files are up to date (${source})\n`);
} else {
  process.stdout.write(`gen-abi: ${out.stats.syscalls} syscalls (${out.stats.missing.length} without SYSCALL_DEFINE: ${out.stats.missing.join(' ')}), ${out.stats.constants} constants from ${source}; wrote ${stale.length ? stale.join(', ') : 'nothing (up to date)'}\n`);
}
