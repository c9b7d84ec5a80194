// The Linux constants the tracer needs (x86_64), taken by name from the catalogue that
// @sysvm/policy generates from the Linux sources. This is the one place the runtime names
// them; the few values the catalogue does not hold (not in the kernel's UAPI headers, or
// glibc's) are written here with where they come from.
import { abi } from '@sysvm/policy/evaluate';

const c = (name: string): number => abi.constantOf(name);
const nr = (name: string): number => {
  const n = abi.syscallNumber('x86_64', name);
  if (n === undefined) throw new Error(`no x86_64 syscall ${name} in the catalogue`);
  return n;
};

// <linux/ptrace.h>
export const PTRACE_PEEKUSER = c('PTRACE_PEEKUSR');
export const PTRACE_POKEUSER = c('PTRACE_POKEUSR');
export const PTRACE_CONT = c('PTRACE_CONT');
export const PTRACE_GETREGS = c('PTRACE_GETREGS');
export const PTRACE_SETREGS = c('PTRACE_SETREGS');
export const PTRACE_SYSCALL = c('PTRACE_SYSCALL');
export const PTRACE_SETOPTIONS = c('PTRACE_SETOPTIONS');
export const PTRACE_GETEVENTMSG = c('PTRACE_GETEVENTMSG');
export const PTRACE_GETSIGINFO = c('PTRACE_GETSIGINFO');
export const PTRACE_SEIZE = c('PTRACE_SEIZE');
export const PTRACE_INTERRUPT = c('PTRACE_INTERRUPT');
export const PTRACE_LISTEN = c('PTRACE_LISTEN');
export const PTRACE_GET_SYSCALL_INFO = c('PTRACE_GET_SYSCALL_INFO');

export const PTRACE_O_TRACESYSGOOD = c('PTRACE_O_TRACESYSGOOD');
export const PTRACE_O_TRACEFORK = c('PTRACE_O_TRACEFORK');
export const PTRACE_O_TRACEVFORK = c('PTRACE_O_TRACEVFORK');
export const PTRACE_O_TRACECLONE = c('PTRACE_O_TRACECLONE');
export const PTRACE_O_TRACEEXEC = c('PTRACE_O_TRACEEXEC');
export const PTRACE_O_TRACESECCOMP = c('PTRACE_O_TRACESECCOMP');
export const PTRACE_O_EXITKILL = c('PTRACE_O_EXITKILL');
/** The ptrace_vm option and tags of the patched kernel (kernel/ in this repo; not in stock headers). */
export const PTRACE_O_VM_TAGS = 1 << 22;
/** ptrace_vm tags, passed in `addr` of PTRACE_SYSCALL. SKIPCALL implies SKIPEXIT. */
export const PTRACE_VM_SKIPEXIT = 2;
export const PTRACE_VM_SKIPCALL = 4;

export const PTRACE_EVENT_FORK = c('PTRACE_EVENT_FORK');
export const PTRACE_EVENT_VFORK = c('PTRACE_EVENT_VFORK');
export const PTRACE_EVENT_CLONE = c('PTRACE_EVENT_CLONE');
export const PTRACE_EVENT_EXEC = c('PTRACE_EVENT_EXEC');
export const PTRACE_EVENT_VFORK_DONE = c('PTRACE_EVENT_VFORK_DONE');
export const PTRACE_EVENT_EXIT = c('PTRACE_EVENT_EXIT');
export const PTRACE_EVENT_SECCOMP = c('PTRACE_EVENT_SECCOMP');
export const PTRACE_EVENT_STOP = c('PTRACE_EVENT_STOP');

export const PTRACE_SYSCALL_INFO_NONE = c('PTRACE_SYSCALL_INFO_NONE');
export const PTRACE_SYSCALL_INFO_ENTRY = c('PTRACE_SYSCALL_INFO_ENTRY');
export const PTRACE_SYSCALL_INFO_EXIT = c('PTRACE_SYSCALL_INFO_EXIT');
export const PTRACE_SYSCALL_INFO_SECCOMP = c('PTRACE_SYSCALL_INFO_SECCOMP');

// <linux/wait.h>
export const WNOHANG = c('WNOHANG');
export const WUNTRACED = c('WUNTRACED');
export const __WNOTHREAD = c('__WNOTHREAD');
export const __WALL = c('__WALL');

// <asm/signal.h>
export const SIGKILL = c('SIGKILL');
export const SIGTRAP = c('SIGTRAP');
export const SIGCONT = c('SIGCONT');
export const SIGSTOP = c('SIGSTOP');
export const SIGTSTP = c('SIGTSTP');
export const SIGTTIN = c('SIGTTIN');
export const SIGTTOU = c('SIGTTOU');

// <linux/seccomp.h>, <linux/prctl.h>, <linux/audit.h>, <linux/filter.h>
export const PR_SET_DUMPABLE = c('PR_SET_DUMPABLE');
export const SECCOMP_SET_MODE_FILTER = c('SECCOMP_SET_MODE_FILTER');
export const SECCOMP_FILTER_FLAG_NEW_LISTENER = c('SECCOMP_FILTER_FLAG_NEW_LISTENER');
export const SECCOMP_RET_KILL_PROCESS = c('SECCOMP_RET_KILL_PROCESS');
export const SECCOMP_RET_ERRNO = c('SECCOMP_RET_ERRNO');
export const SECCOMP_RET_TRACE = c('SECCOMP_RET_TRACE');
export const SECCOMP_RET_ALLOW = c('SECCOMP_RET_ALLOW');
export const SECCOMP_RET_DATA = c('SECCOMP_RET_DATA');
export const PR_SET_NO_NEW_PRIVS = c('PR_SET_NO_NEW_PRIVS');
export const AUDIT_ARCH_X86_64 = c('AUDIT_ARCH_X86_64');
export const AUDIT_ARCH_I386 = c('AUDIT_ARCH_I386');
/** The x32 ABI marks its syscall numbers with this bit (__X32_SYSCALL_BIT, arch/x86/include/uapi/asm/unistd.h). */
export const X32_SYSCALL_BIT = 0x40000000;
/**
 * The highest x86_64 syscall number the catalogue knows (the kernel source it was generated
 * from). A newer kernel has calls above it that no rule can name (tracer.ts, bpf.ts).
 */
export const NR_MAX_KNOWN = Math.max(...abi.allSyscalls().map((s) => s.nr.x86_64 ?? -1));

// <fcntl.h>, <linux/fcntl.h>
export const O_WRONLY = c('O_WRONLY');
export const O_RDONLY = c('O_RDONLY');
export const O_CREAT = c('O_CREAT');
export const O_EXCL = c('O_EXCL');
export const O_TRUNC = c('O_TRUNC');
export const O_NOFOLLOW = c('O_NOFOLLOW');
export const O_CLOEXEC = c('O_CLOEXEC');
export const O_PATH = c('O_PATH');
export const AT_FDCWD = c('AT_FDCWD');
export const AT_SYMLINK_NOFOLLOW = c('AT_SYMLINK_NOFOLLOW');
export const AT_SYMLINK_FOLLOW = c('AT_SYMLINK_FOLLOW');
export const AT_EMPTY_PATH = c('AT_EMPTY_PATH');

// <spawn.h> (glibc, not the kernel)
export const POSIX_SPAWN_SETPGROUP = 0x02;
export const POSIX_SPAWN_SETSIGDEF = 0x04;
export const POSIX_SPAWN_SETSIGMASK = 0x08;

// <asm-generic/errno-base.h>, <asm-generic/errno.h>
export const EPERM = c('EPERM');
export const EACCES = c('EACCES');
export const ESRCH = c('ESRCH');
export const EIO = c('EIO');
export const EINTR = c('EINTR');
export const ECHILD = c('ECHILD');
export const EFAULT = c('EFAULT');
export const EINVAL = c('EINVAL');
export const ENOSYS = c('ENOSYS');
export const EOPNOTSUPP = c('EOPNOTSUPP');

// <linux/sched.h>
export const CLONE_UNTRACED = c('CLONE_UNTRACED');

// The calls the runtime itself acts on.
export const NR = {
  clone: nr('clone'),
  clone3: nr('clone3'),
  uname: nr('uname'),
  execve: nr('execve'),
  execveat: nr('execveat'),
  prctl: nr('prctl'),
  ptrace: nr('ptrace'),
  seccomp: nr('seccomp'),
  openat: nr('openat'),
  close: nr('close'),
  landlock_create_ruleset: nr('landlock_create_ruleset'),
  landlock_add_rule: nr('landlock_add_rule'),
  landlock_restrict_self: nr('landlock_restrict_self'),
  io_uring_setup: nr('io_uring_setup'),
  process_vm_readv: nr('process_vm_readv'),
  process_vm_writev: nr('process_vm_writev'),
  prlimit64: nr('prlimit64'),
  pidfd_getfd: nr('pidfd_getfd'),
  chroot: nr('chroot'),
  pivot_root: nr('pivot_root'),
  setns: nr('setns'),
} as const;

// Not in the catalogue's tables: <linux/inotify.h>, <linux/fs.h>, <linux/fanotify.h>, <linux/mount.h>.
export const IN_DONT_FOLLOW = 0x02000000;
export const UMOUNT_NOFOLLOW = 0x8;
export const FAN_MARK_DONT_FOLLOW = 0x4;
export const FSPICK_SYMLINK_NOFOLLOW = 0x2;

// Not in the catalogue's tables: procfs. PROC_SUPER_MAGIC is include/uapi/linux/magic.h;
// PROC_ROOT_INO (include/linux/proc_ns.h) is the inode number of every procfs's root directory.
export const PROC_SUPER_MAGIC = 0x9fa0;
export const PROC_ROOT_INO = 1;

// The emulation modules (src/emulate/).
export const O_ACCMODE = c('O_ACCMODE');
export const O_TMPFILE = c('O_TMPFILE');
export const EROFS = c('EROFS');
export const ERANGE = c('ERANGE');
export const ENOMEM = c('ENOMEM');
export const ENOENT = c('ENOENT');
export const EBUSY = c('EBUSY');
export const EXDEV = c('EXDEV');
export const ENOTDIR = c('ENOTDIR');
export const ENAMETOOLONG = c('ENAMETOOLONG');
/** <linux/auxvec.h>: the vDSO's address in the auxiliary vector, and its end. */
export const AT_SYSINFO_EHDR = c('AT_SYSINFO_EHDR');
export const AT_NULL = c('AT_NULL');
/** <linux/time.h>: the clocks that tell the time of day (what time emulation shifts). */
export const CLOCK_REALTIME = c('CLOCK_REALTIME');
export const CLOCK_REALTIME_COARSE = c('CLOCK_REALTIME_COARSE');
export const CLOCK_REALTIME_ALARM = c('CLOCK_REALTIME_ALARM');
export const CLOCK_TAI = c('CLOCK_TAI');
/** Absolute deadlines (<linux/time.h>, <linux/timerfd.h>, <linux/futex.h>) and utimensat's specials. */
export const TIMER_ABSTIME = c('TIMER_ABSTIME');
export const TFD_TIMER_ABSTIME = c('TFD_TIMER_ABSTIME');
export const FUTEX_CMD_MASK = c('FUTEX_CMD_MASK');
export const FUTEX_CLOCK_REALTIME = c('FUTEX_CLOCK_REALTIME');
export const FUTEX_LOCK_PI = c('FUTEX_LOCK_PI');
export const FUTEX_LOCK_PI2 = c('FUTEX_LOCK_PI2');
export const FUTEX_WAIT_BITSET = c('FUTEX_WAIT_BITSET');
export const FUTEX_WAIT_REQUEUE_PI = c('FUTEX_WAIT_REQUEUE_PI');
export const FUTEX_PRIVATE_FLAG = c('FUTEX_PRIVATE_FLAG');
export const UTIME_NOW = c('UTIME_NOW');
// <linux/openat2.h>: struct open_how's resolve flags
export const RESOLVE_IN_ROOT = c('RESOLVE_IN_ROOT');
// <linux/fs_types.h> (the d_type values of <dirent.h>)
export const DT_REG = c('DT_REG');
export const UTIME_OMIT = c('UTIME_OMIT');
/** <linux/stat.h>: statx's mask bits of the times. */
export const STATX_ATIME = c('STATX_ATIME');
export const STATX_BTIME = c('STATX_BTIME');
export const STATX_CTIME = c('STATX_CTIME');
export const STATX_MTIME = c('STATX_MTIME');
