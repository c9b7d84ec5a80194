// The intermediate representation of a compiled policy: the one contract between
// the front end (YAML -> IR), the back ends (IR -> seccomp-BPF, IR -> explain) and the
// decision program (`evaluate`) that the runtime's supervisor runs.
//
// Conventions (kept everywhere in the project):
//   - Source positions are 1-based lines and columns (`SourceRange`).
//   - Syscall arguments are the raw 64-bit register values as unsigned `bigint`s.
//   - Integer conditions carry the argument's width: a 32-bit C type (int, unsigned int)
//     is compared on its low 32 bits only, because that is all the kernel reads; a 16-bit
//     one (umode_t, an unsigned short) on its low 16 bits; a 64-bit type (long, size_t,
//     pointers, off_t) on both halves.
//   - Rules keep their order: the first rule (in `PolicyIR.rules` order) whose syscall
//     set contains the call and whose `match` holds decides; else `default` decides.

export type ArchName = 'x86_64' | 'i386' | 'aarch64';

/** A place in a policy file. Lines and columns are 1-based; the end is exclusive. */
export interface SourceRange {
  file: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
}

/**
 * What the runtime makes of a syscall the supervisor emulates. The partial-VM modules
 * (umview's umname, uid/gid, umtime, umfuse-like files) each add one kind; one runtime
 * module per family carries it out (packages/runtime/src/emulate/).
 */
export type Emulation =
  /** Skip the call; it returns `value` (a negative value is -errno). */
  | { kind: 'return'; value: number }
  /** Skip uname(2); the supervisor writes a utsname with these fields over the host's. */
  | { kind: 'uname'; fields: Partial<Record<UtsField, string>> }
  /**
   * The identity calls (getuid, geteuid, getgid, getegid, getresuid, getresgid,
   * getgroups, and the set* calls as no-ops that succeed when they would set the
   * virtual ids) answer from this identity; stat-like results may show it as owner.
   */
  | { kind: 'identity'; identity: VirtualIdentity }
  /**
   * clock_gettime, gettimeofday, time answer virtual time. Needs the vDSO disabled
   * for the program (the runtime zeroes AT_SYSINFO_EHDR at exec).
   */
  | { kind: 'time'; clock: VirtualClock }
  /**
   * An open of a virtual file: the program gets a real fd whose content is this (the
   * supervisor makes the kernel open a file it prepared, or a memfd, by rewriting the call).
   */
  | { kind: 'file'; content: { text: string } | { hostPath: string } }
  /**
   * A path remap like a bind mount: the call acts on `to` + the rest of the path instead
   * of `from` + rest; the program keeps seeing `from` (getcwd, readlink, /proc/self/fd).
   */
  | { kind: 'bind'; from: string; to: string };

export interface VirtualIdentity {
  uid: number;
  gid: number;
  /** Default to uid / gid. */
  euid?: number;
  egid?: number;
  suid?: number;
  sgid?: number;
  /** Supplementary groups (default: [gid]). */
  groups?: number[];
}

/**
 * Virtual time: the host's clocks shifted, or one frozen instant (nanoseconds). `files`: file
 * times are shifted by the offset too (stat results forward, utimensat arguments back), so
 * that a file written now looks written now (absent: false).
 */
export type VirtualClock = { kind: 'offset'; offsetNs: bigint; files?: boolean } | { kind: 'frozen'; epochNs: bigint };

export type UtsField = 'sysname' | 'nodename' | 'release' | 'version' | 'machine' | 'domainname';

/**
 * The verdicts. They map to the ptrace_vm tags:
 *   allow   -> PTRACE_VM_SKIPEXIT (the call runs, no exit stop)
 *   deny    -> PTRACE_VM_SKIPCALL with -errno in the return register
 *   kill    -> the whole sandboxed process is killed (SECCOMP_RET_KILL_PROCESS)
 *   emulate -> PTRACE_VM_SKIPCALL with the supervisor's result
 *   trace   -> tag 0 (the call runs and the exit is reported)
 */
export type Verdict =
  | { kind: 'allow' }
  | { kind: 'deny'; errno: number; errnoName: string; missing?: Errno }
  | { kind: 'kill' }
  | { kind: 'trace' }
  | { kind: 'emulate'; emulate: Emulation };

/**
 * A deny's answer for a path that names nothing (`{ deny: EACCES, missing: ENOENT }`): when
 * the deciding alternative of the rule has a path condition and one of its path arguments
 * names nothing (Deref.missing), the call fails with this errno instead of the deny's:
 * `evaluate` then returns a plain deny with it, the Decision marked `missing` (else the rule's
 * verdict, whose `errno` is the one given), so the runtime carries out, and the audit records,
 * the errno actually given.
 */
export interface Errno {
  errno: number;
  errnoName: string;
}

export type IntOp = 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge' | 'in' | 'not-in' | 'all' | 'any' | 'none';

/** A condition on one integer argument. Decidable by the kernel (seccomp-BPF). */
export interface IntCondition {
  kind: 'int';
  /** Argument index, 0..5. */
  arg: number;
  /** The kernel's name for the argument (from SYSCALL_DEFINEn). */
  argName: string;
  op: IntOp;
  /**
   * The operands, already reduced to `width` bits (two's complement for negative
   * literals). `eq ne lt le gt ge` have one operand; `in not-in` a list; `all any none`
   * one mask (the OR of the named bits).
   */
  values: bigint[];
  width: 16 | 32 | 64;
  /** Whether `lt le gt ge` compare as signed integers of `width` bits. */
  signed: boolean;
  source: SourceRange;
}

export type PathOp = 'equals' | 'under' | 'glob';

/**
 * A condition on the path argument(s) of a call. Needs the supervisor: the path is
 * read from the tracee's memory and resolved (dirfd or cwd, `.`/`..` folded, symlinks
 * as the call would follow them). Paths in `values` are absolute and normalised.
 *
 * `args` lists the path arguments the condition looks at (two for rename/link). With
 * several, a deny-like verdict (deny, kill, emulate) matches if any path matches; a
 * pass verdict (allow, trace) only if every path matches.
 */
export interface PathCondition {
  kind: 'path';
  args: number[];
  op: PathOp;
  values: string[];
  source: SourceRange;
}

/**
 * A condition on a file-descriptor argument, by what the supervisor knows of the fd
 * (it tracks, per process, which fds came from a virtual open and the path each was
 * opened with, across dup/dup2/dup3, fcntl F_DUPFD, close, close_range, exec, fork).
 * `virtual`: the fd came (or not) from an emulated open. `op`/`values`: the path the fd
 * was opened with, as for PathCondition. Needs the supervisor.
 */
export interface FdCondition {
  kind: 'fd';
  arg: number;
  virtual?: boolean;
  op?: PathOp;
  values?: string[];
  source: SourceRange;
}

/**
 * The address families a sockaddr condition names: AF_UNIX, AF_INET, AF_INET6, AF_UNSPEC
 * (connect: a disconnect), and `none`: the call names no address (a NULL pointer or a zero
 * length: the data goes to the socket's peer, which its connect was checked against).
 * An address of any other family (AF_NETLINK, AF_PACKET, ...) matches no family, CIDR or port.
 */
export type SockFamily = 'unix' | 'inet' | 'inet6' | 'unspec' | 'none';

/** An address block: `address` is the canonical text (1.2.3.0, 2001:db8::), `prefix` its length. */
export interface Cidr {
  family: 'inet' | 'inet6';
  address: string;
  prefix: number;
}

/** An inclusive port range (one port: from = to). */
export interface PortRange {
  from: number;
  to: number;
}

/**
 * One shape of socket address. Every field given must hold; each list holds if any entry does:
 *   - `families`: the address's family is one of these;
 *   - `cidrs`: an inet/inet6 address inside one of the blocks. An IPv4-mapped IPv6 address
 *     (::ffff:a.b.c.d) is also the IPv4 address it maps (the kernel sends to it over IPv4);
 *     a destination 0.0.0.0 or :: is also 127.0.0.1 or ::1 (the kernel connects there);
 *     an AF_UNSPEC address is its sin_addr as IPv4 (UDP's and raw sockets' sendto use it);
 *   - `ports`: an inet/inet6 (or AF_UNSPEC) port inside one of the ranges;
 *   - `op`/`values`: an AF_UNIX path, as for PathCondition (abstract names start with `@`).
 */
export interface SockaddrPattern {
  families?: SockFamily[];
  cidrs?: Cidr[];
  ports?: PortRange[];
  op?: PathOp;
  values?: string[];
}

/**
 * A condition on the socket address a call names: connect's and bind's sockaddr (arg 1),
 * sendto's (arg 4), sendmsg's `msg_name` inside its struct msghdr (arg 1 points at it), and
 * every `msg_name` of sendmmsg's struct mmsghdr array (arg 1). Needs the supervisor (BPF
 * cannot read user memory). An address satisfies it when it matches any of `patterns`, or,
 * with `negate`, when it matches none of them (the intent sections' "every other address").
 * With several addresses (sendmmsg), a deny-like verdict matches if any address satisfies
 * it, a pass verdict only if every one does; an address that cannot be read fails closed as
 * for paths (it satisfies a deny-like condition and no pass condition).
 */
export interface SockaddrCondition {
  kind: 'sockaddr';
  /** The argument holding the sockaddr, or the struct msghdr / mmsghdr that points at it. */
  arg: number;
  patterns: SockaddrPattern[];
  negate: boolean;
  source: SourceRange;
}

export type Condition = IntCondition | PathCondition | FdCondition | SockaddrCondition;

/** Disjunctive normal form: the rule matches if every condition of some alternative holds. */
export type Match = Condition[][];

export interface RuleIR {
  /** Position in `PolicyIR.rules`. Also the value in SECCOMP_RET_DATA (index + 1). */
  index: number;
  name?: string;
  source: SourceRange;
  /** Syscall names this rule applies to, after group expansion. */
  syscalls: string[];
  /** `null`: no `match:` (always matches for its syscalls). */
  match: Match | null;
  verdict: Verdict;
  log: boolean;
  /**
   * `quiet: true`: a refusal the policy expects (a program probing for a file or a service it
   * does without): its denials print no line on stderr. They are audited as any denial.
   */
  quiet?: true;
}

export interface DefaultIR {
  verdict: Verdict;
  log: boolean;
  source: SourceRange;
}

export interface PolicyIR {
  name?: string;
  /** The files the policy was read from, the root first, then what it extends. */
  files: string[];
  default: DefaultIR;
  rules: RuleIR[];
  /**
   * The `environment:` sections, one per file that has one, in the order of `files`: what
   * the program's environment keeps of the caller's (environment.ts, programEnvironment).
   * Absent: the program gets the caller's environment.
   */
  environment?: EnvironmentLayer[];
}

/** One file's `environment:` section, its variables expanded. */
export interface EnvironmentLayer {
  source: SourceRange;
  /** Variables the program gets with these values, whatever the caller's. */
  set: Record<string, string>;
  /** Name patterns (`*`: any run of characters; case is ignored) passed even if a drop matches. */
  keep: string[];
  /** Name patterns the program does not get. */
  drop: string[];
}

/** Where a decision is made. */
export type DecidedBy = 'kernel' | 'supervisor';

/** Dereferenced arguments, supplied by the runtime (lazily) or by a test. */
export interface Deref {
  /** The resolved absolute path of path argument `arg`, or undefined if unreadable. */
  path(arg: number): string | undefined;
  /** What the supervisor knows of fd argument `arg`; undefined if nothing. */
  fd?(arg: number): FdInfo | undefined;
  /**
   * The socket addresses sockaddr argument `arg` names (see SockaddrCondition): one for
   * connect, bind, sendto and sendmsg, one per message for sendmmsg. An entry is null when
   * the call (or that message) names no address; the result is undefined if unreadable.
   */
  sockaddrs?(arg: number): (SockAddr | null)[] | undefined;
  /**
   * Whether path argument `arg` names nothing: resolving it as the call would fails with
   * ENOENT (the file, or a directory on the way, does not exist), and the call would not
   * create it (O_CREAT, mkdir, the new name of link/rename/symlink in an existing directory
   * are not missing). False when unknown (an unreadable path): the deny's own errno stands.
   */
  missing?(arg: number): boolean;
}

/**
 * A decoded socket address. Addresses are canonical text (127.0.0.1; IPv6 as RFC 5952:
 * ::1, ::ffff:1.2.3.4 is written ::ffff:102:304 or with the dotted tail, both accepted).
 * A unix path is as the program gave it made absolute against its cwd; an abstract name is
 * `@name`. AF_UNSPEC keeps the sin_addr and sin_port bytes when the length covers them.
 */
export type SockAddr =
  | { family: 'unix'; path: string }
  | { family: 'inet'; address: string; port: number }
  | { family: 'inet6'; address: string; port: number }
  | { family: 'unspec'; address?: string; port?: number }
  | { family: number };

export interface FdInfo {
  /** Whether the fd came from an emulated (virtual) open. */
  virtual: boolean;
  /** The path it was opened with (the virtual path for a virtual or bound file). */
  path?: string;
}

export interface Invocation {
  arch: ArchName;
  nr: number;
  /** The six raw argument registers, as unsigned 64-bit values. */
  args: readonly bigint[];
  deref?: Deref;
}

export interface Decision {
  verdict: Verdict;
  /** The rule that decided, or null for the policy's default. */
  rule: RuleIR | null;
  log: boolean;
  /** The verdict is the rule's `missing` answer: a path it looked at names nothing. */
  missing?: true;
}
