// Symbolic names of flag and enumeration values, like strace's xlat tables, built from
// the generated constants (nothing here is a hand-typed value): O_WRONLY|O_CREAT|O_CLOEXEC,
// SOCK_STREAM|SOCK_CLOEXEC, CLONE_VM|CLONE_THREAD|SIGCHLD, AF_INET, SIGKILL.
import { constantsWithPrefix } from './index.js';

interface Family {
  /** Names of the family: a prefix and a filter. */
  prefix: string;
  only?: RegExp;
  /** Enumerations: the value is one name. Bit sets: an OR of names (an enum field may come first). */
  kind: 'enum' | 'bits';
  /** For bit sets with an enumerated field: the mask of that field and the family naming its values. */
  field?: { mask: bigint; family: string };
}

const FAMILIES: Record<string, Family> = {
  O_: { prefix: 'O_', kind: 'bits', only: /^O_(?!ACCMODE$|RDONLY$|WRONLY$|RDWR$|NDELAY$)/, field: { mask: 3n, family: 'O_ACC' } },
  O_ACC: { prefix: 'O_', kind: 'enum', only: /^O_(RDONLY|WRONLY|RDWR)$/ },
  AT_: { prefix: 'AT_', kind: 'bits', only: /^AT_(?!FDCWD$)/ },
  SOCK_: { prefix: 'SOCK_', kind: 'bits', only: /^SOCK_(NONBLOCK|CLOEXEC)$/, field: { mask: 0xfn, family: 'SOCK_TYPE' } },
  SOCK_TYPE: { prefix: 'SOCK_', kind: 'enum', only: /^SOCK_(STREAM|DGRAM|RAW|RDM|SEQPACKET|DCCP|PACKET)$/ },
  CLONE_: { prefix: 'CLONE_', kind: 'bits', field: { mask: 0xffn, family: 'SIG' } },
  MAP_: { prefix: 'MAP_', kind: 'bits', only: /^MAP_(?!TYPE$|HUGE_)/, field: { mask: 0xfn, family: 'MAP_TYPE' } },
  MAP_TYPE: { prefix: 'MAP_', kind: 'enum', only: /^MAP_(SHARED|PRIVATE|SHARED_VALIDATE)$/ },
  PROT_: { prefix: 'PROT_', kind: 'bits' },
  MSG_: { prefix: 'MSG_', kind: 'bits' },
  RENAME_: { prefix: 'RENAME_', kind: 'bits' },
  MOVE_MOUNT_: { prefix: 'MOVE_MOUNT_', kind: 'bits' },
  W: { prefix: 'W', kind: 'bits', only: /^W[A-Z]+$/ },
  AF_: { prefix: 'AF_', kind: 'enum' },
  SIG: { prefix: 'SIG', kind: 'enum', only: /^SIG[A-Z]+[0-9]*$/ },
  PTRACE_: { prefix: 'PTRACE_', kind: 'enum', only: /^PTRACE_(?!O_|EVENT_|SYSCALL_INFO_)/ },
  PR_: { prefix: 'PR_', kind: 'enum', only: /^PR_(SET|GET|CAP|TASK|MCE|MPX|SCHED|PAC|SVE|SME|RISCV|PPC|FP|TSC|TIMING|ENDIAN|UNALIGN|FPEMU|SPEC|CAPBAC|MTE)_?[A-Z_]*$/ },
  SECCOMP_: { prefix: 'SECCOMP_', kind: 'enum', only: /^SECCOMP_(SET_MODE_|GET_)/ },
  F_: { prefix: 'F_', kind: 'enum', only: /^F_(DUPFD|GETFD|SETFD|GETFL|SETFL|GETLK|SETLK|SETLKW|SETOWN|GETOWN|SETSIG|GETSIG|SETOWN_EX|GETOWN_EX|OFD_GETLK|OFD_SETLK|OFD_SETLKW|SETLEASE|GETLEASE|NOTIFY|DUPFD_CLOEXEC|SETPIPE_SZ|GETPIPE_SZ|ADD_SEALS|GET_SEALS)$/ },
};

const tables = new Map<string, Array<[string, bigint]>>();
function table(family: string): Array<[string, bigint]> {
  let t = tables.get(family);
  if (!t) {
    const f = FAMILIES[family]!;
    t = constantsWithPrefix(f.prefix).filter(([n, v]) => v >= 0n && (f.only ? f.only.test(n) : true));
    if (f.kind === 'bits') {
      t = t.filter(([, v]) => v > 0n);
      // wider names first (O_SYNC before O_DSYNC, O_TMPFILE before O_DIRECTORY), then header order
      const pop = (v: bigint) => v.toString(2).replace(/0/g, '').length;
      t = t.map((e, i) => [e, i] as const).sort((a, b) => pop(b[0][1]) - pop(a[0][1]) || a[1] - b[1]).map(([e]) => e);
    }
    tables.set(family, t);
  }
  return t;
}

/** Whether a constant prefix (an argument's `constPrefix`) has a symbolic table. */
export function hasXlat(prefix: string): boolean {
  return prefix in FAMILIES;
}

/** The value as strace would print it for arguments taking constants of `prefix`. */
export function formatConstant(prefix: string, value: bigint): string {
  const f = FAMILIES[prefix];
  const v = BigInt.asUintN(64, value);
  if (!f) return `0x${v.toString(16)}`;
  if (f.kind === 'enum') {
    const hit = table(prefix).find(([, c]) => c === value || c === v);
    return hit ? hit[0] : String(value);
  }
  const parts: string[] = [];
  let rest = v;
  if (f.field) {
    const field = rest & f.field.mask;
    rest &= ~f.field.mask;
    const sub = formatConstant(f.field.family, field);
    // a zero field is named only where zero has a name (O_RDONLY, not a clone's exit signal)
    if (field !== 0n || /^[A-Z]/.test(sub)) parts.push(sub);
  }
  for (const [name, bits] of table(prefix)) {
    if (bits !== 0n && (rest & bits) === bits) {
      parts.push(name);
      rest &= ~bits;
    }
  }
  if (rest !== 0n) parts.push(`0x${rest.toString(16)}`);
  return parts.length ? parts.join('|') : '0';
}
