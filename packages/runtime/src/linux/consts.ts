// The few Linux constants the tracer needs (x86_64, Linux UAPI headers).
//
// TODO(abi): switch every value here to the generated catalogue of @sysvm/policy
// (`constant('PTRACE_SEIZE')`, `syscallNumber('x86_64', 'execve')`, ...) once it lands on
// main. Until then this is the ONE place where such numbers are written; nothing else in
// the runtime may spell a constant or a syscall number.

// <linux/ptrace.h>
export const PTRACE_PEEKUSER = 3;
export const PTRACE_POKEUSER = 6;
export const PTRACE_CONT = 7;
export const PTRACE_GETREGS = 12;
export const PTRACE_SETREGS = 13;
export const PTRACE_SYSCALL = 24;
export const PTRACE_SETOPTIONS = 0x4200;
export const PTRACE_GETEVENTMSG = 0x4201;
export const PTRACE_GETSIGINFO = 0x4202;
export const PTRACE_SEIZE = 0x4206;
export const PTRACE_INTERRUPT = 0x4207;
export const PTRACE_LISTEN = 0x4208;
export const PTRACE_GET_SYSCALL_INFO = 0x420e;

export const PTRACE_O_TRACESYSGOOD = 0x1;
export const PTRACE_O_TRACEFORK = 0x2;
export const PTRACE_O_TRACEVFORK = 0x4;
export const PTRACE_O_TRACECLONE = 0x8;
export const PTRACE_O_TRACEEXEC = 0x10;
export const PTRACE_O_TRACESECCOMP = 0x80;
export const PTRACE_O_EXITKILL = 0x100000;
/** The ptrace_vm option of the patched kernel (kernel/ in this repo); EINVAL on stock kernels. */
export const PTRACE_O_VM_TAGS = 1 << 22;
/** ptrace_vm tags, passed in `addr` of PTRACE_SYSCALL. SKIPCALL implies SKIPEXIT. */
export const PTRACE_VM_SKIPEXIT = 2;
export const PTRACE_VM_SKIPCALL = 4;

export const PTRACE_EVENT_FORK = 1;
export const PTRACE_EVENT_VFORK = 2;
export const PTRACE_EVENT_CLONE = 3;
export const PTRACE_EVENT_EXEC = 4;
export const PTRACE_EVENT_VFORK_DONE = 5;
export const PTRACE_EVENT_EXIT = 6;
export const PTRACE_EVENT_SECCOMP = 7;
export const PTRACE_EVENT_STOP = 128;

export const PTRACE_SYSCALL_INFO_NONE = 0;
export const PTRACE_SYSCALL_INFO_ENTRY = 1;
export const PTRACE_SYSCALL_INFO_EXIT = 2;
export const PTRACE_SYSCALL_INFO_SECCOMP = 3;

// <linux/wait.h>
export const WNOHANG = 1;
export const WUNTRACED = 2;
export const __WNOTHREAD = 0x20000000;
export const __WALL = 0x40000000;

// <asm/signal.h>
export const SIGKILL = 9;
export const SIGTRAP = 5;
export const SIGCONT = 18;
export const SIGSTOP = 19;
export const SIGTSTP = 20;
export const SIGTTIN = 21;
export const SIGTTOU = 22;

// <linux/seccomp.h>, <linux/prctl.h>, <linux/audit.h>, <linux/filter.h>
export const SECCOMP_SET_MODE_FILTER = 1;
export const SECCOMP_RET_KILL_PROCESS = 0x80000000;
export const SECCOMP_RET_ERRNO = 0x00050000;
export const SECCOMP_RET_TRACE = 0x7ff00000;
export const SECCOMP_RET_ALLOW = 0x7fff0000;
export const SECCOMP_RET_DATA = 0x0000ffff;
export const PR_SET_NO_NEW_PRIVS = 38;
export const AUDIT_ARCH_X86_64 = 0xc000003e;
export const AUDIT_ARCH_I386 = 0x40000003;
/** The x32 ABI marks its syscall numbers with this bit. */
export const X32_SYSCALL_BIT = 0x40000000;

// <fcntl.h>, <linux/fcntl.h>
export const O_WRONLY = 0o1;
export const O_RDONLY = 0;
export const O_CREAT = 0o100;
export const O_EXCL = 0o200;
export const O_TRUNC = 0o1000;
export const O_NOFOLLOW = 0o400000;
export const O_CLOEXEC = 0o2000000;
export const AT_FDCWD = -100;
export const AT_SYMLINK_NOFOLLOW = 0x100;
export const AT_SYMLINK_FOLLOW = 0x400;
export const AT_EMPTY_PATH = 0x1000;

// <spawn.h> (glibc)
export const POSIX_SPAWN_SETSIGDEF = 0x04;
export const POSIX_SPAWN_SETSIGMASK = 0x08;

// <asm-generic/errno-base.h>, <asm-generic/errno.h>
export const EPERM = 1;
export const ESRCH = 3;
export const EIO = 5;
export const EINTR = 4;
export const ECHILD = 10;
export const EFAULT = 14;
export const EINVAL = 22;
export const ENOSYS = 38;

// arch/x86/entry/syscalls/syscall_64.tbl: only the calls the runtime itself acts on.
export const NR = {
  uname: 63,
  execve: 59,
  execveat: 322,
  prctl: 157,
  ptrace: 101,
  seccomp: 317,
  io_uring_setup: 425,
} as const;
