// The syscall sets the emulations fit and the intent-level sections expand to. Names only;
// numbers and arguments come from the generated catalogue, and a name the catalogue does not
// have is left out.
import { allSyscalls, syscallByName } from '../abi/index.js';
import { expandGroup } from './groups.js';

const known = (names: readonly string[]): string[] => names.filter((n) => syscallByName(n) !== undefined);

/** Calls of the 64-bit ABIs (the sections expand to these; i386-only calls never reach a rule). */
export const native64 = (name: string): boolean => {
  const nr = syscallByName(name)?.nr;
  return nr?.x86_64 !== undefined || nr?.aarch64 !== undefined;
};

export const hasPathArg = (name: string): boolean => (syscallByName(name)?.args ?? []).some((a) => a.kind === 'path');

/** The calls whose result is a struct utsname (what `emulate: uname` writes). */
export const UNAME_CALLS = known(['uname', 'olduname', 'oldolduname']);

/** What `emulate: identity` answers: the id getters, and the setters as no-ops. */
export const IDENTITY_CALLS = known(['getuid', 'geteuid', 'getgid', 'getegid', 'getresuid', 'getresgid', 'getgroups',
  'setuid', 'setgid', 'setreuid', 'setregid', 'setresuid', 'setresgid', 'setgroups', 'setfsuid', 'setfsgid',
  'getuid32', 'geteuid32', 'getgid32', 'getegid32', 'getresuid32', 'getresgid32', 'getgroups32', 'setuid32',
  'setgid32', 'setreuid32', 'setregid32', 'setresuid32', 'setresgid32', 'setgroups32', 'setfsuid32', 'setfsgid32']);

/** What `emulate: time` answers (the vDSO's clocks; the runtime disables the vDSO). */
export const TIME_CALLS = known(['clock_gettime', 'clock_gettime64', 'gettimeofday', 'time']);

/** The calls that open a file by path (what `emulate: file` answers with a real fd). */
export const OPEN_CALLS = known(['open', 'openat', 'openat2']);

/**
 * What `emulate: file` fits: the opens, and the calls that only look at a path (stat,
 * access, readlink, xattrs), which the runtime answers from the prepared file so that
 * `test -e` and `stat` agree with `cat` on a virtual file that does not exist on the host.
 */
export const FILE_CALLS = known([...OPEN_CALLS, 'creat', 'stat', 'lstat', 'newfstatat', 'statx', 'access', 'faccessat',
  'faccessat2', 'readlink', 'readlinkat', 'getxattr', 'lgetxattr', 'listxattr', 'llistxattr']);

const all = (): string[] => allSyscalls().map((s) => s.name);

/**
 * The file-system calls with a path argument: @file-system and @chown members that name a
 * path, and execve/execveat (running a file reads it). What `filesystem.write` allows and
 * `emulate: bind` fits. Not chroot, mount, swapon, pivot_root and the like: they name paths
 * but change far more than a file.
 */
export const FS_PATH_CALLS = [...new Set([
  ...(expandGroup('@file-system', (n) => syscallByName(n) !== undefined, all) ?? []),
  ...(expandGroup('@chown', (n) => syscallByName(n) !== undefined, all) ?? []),
  'execve', 'execveat',
])].filter(hasPathArg);

/** Every call with a path argument (what `filesystem.hide` denies). */
export const ALL_PATH_CALLS = allSyscalls().map((s) => s.name).filter(hasPathArg);
