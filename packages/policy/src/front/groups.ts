// Syscall groups, named after systemd's SystemCallFilter= sets.
//
// Source: systemd, src/shared/seccomp-util.c, `syscall_filter_sets[]` (systemd v246), documented in
// systemd.exec(5) under SystemCallFilter=, plus what later systemd releases added for newer kernels:
// @sandbox, close_range (@basic-io), epoll_pwait2 (@io-event), mount_setattr (@mount), fchmodat2
// (@file-system). The lists are copied as data (names only). A name that is not a syscall of any
// architecture sysvm knows (x86_64, i386, aarch64) was left out (recv, send, sync_file_range2, and
// the powerpc, s390 and arm ones): the test `groups are made of catalogue syscalls` checks every
// name here against the generated syscall catalogue. `@known` is not listed: it is every syscall
// of the catalogue. A member starting with `@` includes that group, as in systemd.
//
// Differences from systemd, on purpose: none in membership. Note that @file-system contains
// fd-based calls (close, fstat, mmap, ...) as well as path-based ones; a rule that matches on
// `path` applies only to the members that have a path argument (see docs/policy.md).

export interface GroupInfo {
  readonly help: string;
  readonly members: readonly string[];
}

export const GROUPS: Readonly<Record<string, GroupInfo>> = {
  '@default': { help: 'System calls that are always permitted', members: [
    'clock_getres', 'clock_getres_time64', 'clock_gettime', 'clock_gettime64', 'clock_nanosleep',
    'clock_nanosleep_time64', 'execve', 'exit', 'exit_group', 'futex', 'futex_time64', 'get_robust_list',
    'get_thread_area', 'getegid', 'getegid32', 'geteuid', 'geteuid32', 'getgid', 'getgid32', 'getgroups',
    'getgroups32', 'getpgid', 'getpgrp', 'getpid', 'getppid', 'getresgid', 'getresgid32', 'getresuid',
    'getresuid32', 'getrlimit', 'getsid', 'gettid', 'gettimeofday', 'getuid', 'getuid32', 'membarrier',
    'nanosleep', 'pause', 'prlimit64', 'restart_syscall', 'rseq', 'rt_sigreturn', 'sched_yield',
    'set_robust_list', 'set_thread_area', 'set_tid_address', 'sigreturn', 'time', 'ugetrlimit'] },
  '@aio': { help: 'Asynchronous IO', members: [
    'io_cancel', 'io_destroy', 'io_getevents', 'io_pgetevents', 'io_pgetevents_time64', 'io_setup', 'io_submit',
    'io_uring_enter', 'io_uring_register', 'io_uring_setup'] },
  '@basic-io': { help: 'Basic IO', members: [
    '_llseek', 'close', 'close_range', 'dup', 'dup2', 'dup3', 'lseek', 'pread64', 'preadv', 'preadv2', 'pwrite64', 'pwritev',
    'pwritev2', 'read', 'readv', 'write', 'writev'] },
  '@chown': { help: 'Change ownership of files and directories', members: [
    'chown', 'chown32', 'fchown', 'fchown32', 'fchownat', 'lchown', 'lchown32'] },
  '@clock': { help: 'Change the system time', members: [
    'adjtimex', 'clock_adjtime', 'clock_adjtime64', 'clock_settime', 'clock_settime64', 'settimeofday', 'stime'] },
  '@cpu-emulation': { help: 'System calls for CPU emulation functionality', members: [
    'modify_ldt', 'vm86', 'vm86old'] },
  '@debug': { help: 'Debugging, performance monitoring and tracing functionality', members: [
    'lookup_dcookie', 'perf_event_open', 'pidfd_getfd', 'ptrace'] },
  '@file-system': { help: 'File system operations', members: [
    'access', 'chdir', 'chmod', 'close', 'creat', 'faccessat', 'faccessat2', 'fallocate', 'fchdir', 'fchmod',
    'fchmodat', 'fchmodat2', 'fcntl', 'fcntl64', 'fgetxattr', 'flistxattr', 'fremovexattr', 'fsetxattr', 'fstat', 'fstat64',
    'fstatat64', 'fstatfs', 'fstatfs64', 'ftruncate', 'ftruncate64', 'futimesat', 'getcwd', 'getdents',
    'getdents64', 'getxattr', 'inotify_add_watch', 'inotify_init', 'inotify_init1', 'inotify_rm_watch',
    'lgetxattr', 'link', 'linkat', 'listxattr', 'llistxattr', 'lremovexattr', 'lsetxattr', 'lstat', 'lstat64',
    'mkdir', 'mkdirat', 'mknod', 'mknodat', 'mmap', 'mmap2', 'munmap', 'newfstatat', 'oldfstat', 'oldlstat',
    'oldstat', 'open', 'openat', 'openat2', 'readlink', 'readlinkat', 'removexattr', 'rename', 'renameat',
    'renameat2', 'rmdir', 'setxattr', 'stat', 'stat64', 'statfs', 'statfs64', 'statx', 'symlink', 'symlinkat',
    'truncate', 'truncate64', 'unlink', 'unlinkat', 'utime', 'utimensat', 'utimensat_time64', 'utimes'] },
  '@io-event': { help: 'Event loop system calls', members: [
    '_newselect', 'epoll_create', 'epoll_create1', 'epoll_ctl', 'epoll_ctl_old', 'epoll_pwait', 'epoll_pwait2', 'epoll_wait',
    'epoll_wait_old', 'eventfd', 'eventfd2', 'poll', 'ppoll', 'ppoll_time64', 'pselect6', 'pselect6_time64',
    'select'] },
  '@ipc': { help: 'SysV IPC, POSIX Message Queues or other IPC', members: [
    'ipc', 'memfd_create', 'mq_getsetattr', 'mq_notify', 'mq_open', 'mq_timedreceive', 'mq_timedreceive_time64',
    'mq_timedsend', 'mq_timedsend_time64', 'mq_unlink', 'msgctl', 'msgget', 'msgrcv', 'msgsnd', 'pipe', 'pipe2',
    'process_vm_readv', 'process_vm_writev', 'semctl', 'semget', 'semop', 'semtimedop', 'semtimedop_time64',
    'shmat', 'shmctl', 'shmdt', 'shmget'] },
  '@keyring': { help: 'Kernel keyring access', members: ['add_key', 'keyctl', 'request_key'] },
  '@memlock': { help: 'Memory locking control', members: ['mlock', 'mlock2', 'mlockall', 'munlock', 'munlockall'] },
  '@module': { help: 'Loading and unloading of kernel modules', members: ['delete_module', 'finit_module', 'init_module'] },
  '@mount': { help: 'Mounting and unmounting of file systems', members: [
    'chroot', 'fsconfig', 'fsmount', 'fsopen', 'fspick', 'mount', 'mount_setattr', 'move_mount', 'open_tree', 'pivot_root', 'umount',
    'umount2'] },
  '@network-io': { help: 'Network or Unix socket IO, should not be needed if not network facing', members: [
    'accept', 'accept4', 'bind', 'connect', 'getpeername', 'getsockname', 'getsockopt', 'listen',
    'recvfrom', 'recvmmsg', 'recvmmsg_time64', 'recvmsg', 'sendmmsg', 'sendmsg', 'sendto', 'setsockopt',
    'shutdown', 'socket', 'socketcall', 'socketpair'] },
  '@obsolete': { help: 'Unusual, obsolete or unimplemented system calls', members: [
    '_sysctl', 'afs_syscall', 'bdflush', 'break', 'create_module', 'ftime', 'get_kernel_syms', 'getpmsg', 'gtty',
    'idle', 'lock', 'mpx', 'prof', 'profil', 'putpmsg', 'query_module', 'security', 'sgetmask', 'ssetmask', 'stty',
    'sysfs', 'tuxcall', 'ulimit', 'uselib', 'ustat', 'vserver'] },
  '@pkey': { help: 'System calls used for memory protection keys', members: ['pkey_alloc', 'pkey_free', 'pkey_mprotect'] },
  '@privileged': { help: 'All system calls which need super-user capabilities', members: [
    '@chown', '@clock', '@module', '@raw-io', '@reboot', '@swap', '_sysctl', 'acct', 'bpf', 'capset', 'chroot',
    'fanotify_init', 'fanotify_mark', 'nfsservctl', 'open_by_handle_at', 'pivot_root', 'quotactl', 'setdomainname',
    'setfsuid', 'setfsuid32', 'setgroups', 'setgroups32', 'sethostname', 'setresuid', 'setresuid32', 'setreuid',
    'setreuid32', 'setuid', 'setuid32', 'vhangup'] },
  '@process': { help: 'Process control, execution, namespacing operations', members: [
    'arch_prctl', 'capget', 'clone', 'clone3', 'execveat', 'fork', 'getrusage', 'kill', 'pidfd_open',
    'pidfd_send_signal', 'prctl', 'rt_sigqueueinfo', 'rt_tgsigqueueinfo', 'setns', 'tgkill', 'times', 'tkill',
    'unshare', 'vfork', 'wait4', 'waitid', 'waitpid'] },
  '@raw-io': { help: 'Raw I/O port access', members: ['ioperm', 'iopl'] },
  '@reboot': { help: 'Reboot and reboot preparation/kexec', members: ['kexec_file_load', 'kexec_load', 'reboot'] },
  '@resources': { help: 'Alter resource settings', members: [
    'ioprio_set', 'mbind', 'migrate_pages', 'move_pages', 'nice', 'sched_setaffinity', 'sched_setattr',
    'sched_setparam', 'sched_setscheduler', 'set_mempolicy', 'setpriority', 'setrlimit'] },
  '@sandbox': { help: 'Sandbox functionality (Landlock, seccomp)', members: [
    'landlock_add_rule', 'landlock_create_ruleset', 'landlock_restrict_self', 'seccomp'] },
  '@setuid': { help: 'Operations for changing user/group credentials', members: [
    'setgid', 'setgid32', 'setgroups', 'setgroups32', 'setregid', 'setregid32', 'setresgid', 'setresgid32',
    'setresuid', 'setresuid32', 'setreuid', 'setreuid32', 'setuid', 'setuid32'] },
  '@signal': { help: 'Process signal handling', members: [
    'rt_sigaction', 'rt_sigpending', 'rt_sigprocmask', 'rt_sigsuspend', 'rt_sigtimedwait', 'rt_sigtimedwait_time64',
    'sigaction', 'sigaltstack', 'signal', 'signalfd', 'signalfd4', 'sigpending', 'sigprocmask', 'sigsuspend'] },
  '@swap': { help: 'Enable/disable swap devices', members: ['swapoff', 'swapon'] },
  '@sync': { help: 'Synchronize files and memory to storage', members: [
    'fdatasync', 'fsync', 'msync', 'sync', 'sync_file_range', 'syncfs'] },
  '@system-service': { help: 'General system service operations', members: [
    '@aio', '@basic-io', '@chown', '@default', '@file-system', '@io-event', '@ipc', '@keyring', '@memlock',
    '@network-io', '@process', '@resources', '@setuid', '@signal', '@sync', '@timer', 'brk', 'capget', 'capset',
    'copy_file_range', 'fadvise64', 'fadvise64_64', 'flock', 'get_mempolicy', 'getcpu', 'getpriority', 'getrandom',
    'ioctl', 'ioprio_get', 'kcmp', 'madvise', 'mprotect', 'mremap', 'name_to_handle_at', 'oldolduname', 'olduname',
    'personality', 'readahead', 'readdir', 'remap_file_pages', 'sched_get_priority_max', 'sched_get_priority_min',
    'sched_getaffinity', 'sched_getattr', 'sched_getparam', 'sched_getscheduler', 'sched_rr_get_interval',
    'sched_rr_get_interval_time64', 'sched_yield', 'sendfile', 'sendfile64', 'setfsgid', 'setfsgid32', 'setfsuid',
    'setfsuid32', 'setpgid', 'setsid', 'splice', 'sysinfo', 'tee', 'umask', 'uname', 'userfaultfd', 'vmsplice'] },
  '@timer': { help: 'Schedule operations by time', members: [
    'alarm', 'getitimer', 'setitimer', 'timer_create', 'timer_delete', 'timer_getoverrun', 'timer_gettime',
    'timer_gettime64', 'timer_settime', 'timer_settime64', 'timerfd_create', 'timerfd_gettime', 'timerfd_gettime64',
    'timerfd_settime', 'timerfd_settime64', 'times'] },
};

/** The group names, including `@known` (every syscall of the catalogue). */
export const GROUP_NAMES: readonly string[] = [...Object.keys(GROUPS), '@known'].sort();

/**
 * The members of a group, nested groups expanded, in first-seen order; undefined for an
 * unknown group. `known` supplies `@known` and filters members the catalogue does not have.
 */
export function expandGroup(name: string, known: (syscall: string) => boolean, all: () => readonly string[])
  : string[] | undefined {
  if (name === '@known') return [...all()];
  if (!(name in GROUPS)) return undefined;
  const out = new Set<string>();
  const visit = (g: string): void => {
    for (const m of GROUPS[g]?.members ?? []) {
      if (m.startsWith('@')) visit(m);
      else if (known(m)) out.add(m);
    }
  };
  visit(name);
  return [...out];
}
