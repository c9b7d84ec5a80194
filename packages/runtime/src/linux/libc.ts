// koffi bindings to the parts of glibc the tracer uses. Every function here is synchronous:
// ptrace requests must come from the one thread that attached (see DESIGN.md), so nothing
// here may ever be called through koffi's `.async`.
import koffi from 'koffi';

const libc = koffi.load('libc.so.6');

export const errno = (): number => koffi.errno();
export const addressOf = (b: ArrayBufferView): bigint => koffi.address(b) as bigint;

/** glibc's variadic ptrace(2), declared with a fixed argument list (x86_64 ABI compatible, faster). */
export const ptrace: (req: number, pid: number, addr: number | bigint, data: number | bigint) => number =
  libc.func('long ptrace(int req, int pid, long addr, long data)');
/** ptrace with a buffer as `data` (GETREGS, SETREGS, GET_SYSCALL_INFO, GETEVENTMSG, GETSIGINFO). */
export const ptraceBuf: (req: number, pid: number, addr: number | bigint, data: ArrayBufferView) => number =
  libc.func('long ptrace(int req, int pid, long addr, void *data)');

export const waitpid: (pid: number, status: Int32Array, options: number) => number =
  libc.func('int waitpid(int pid, int *status, int options)');
export const kill: (pid: number, sig: number) => number = libc.func('int kill(int pid, int sig)');
export const tgkill: (tgid: number, tid: number, sig: number) => number =
  libc.func('int tgkill(int tgid, int tid, int sig)');
export const getpid: () => number = libc.func('int getpid(void)');
/** glibc's variadic prctl(2), declared with a fixed argument list (x86_64 ABI compatible). */
export const prctl: (option: number, a2: number, a3: number, a4: number, a5: number) => number =
  libc.func('int prctl(int option, unsigned long a2, unsigned long a3, unsigned long a4, unsigned long a5)');
export const close: (fd: number) => number = libc.func('int close(int fd)');
/** CPU placement (tracer/placement.ts): masks are byte buffers of CPU_SET_SIZE bytes. */
export const CPU_SET_SIZE = 128;
export const schedSetaffinity: (tid: number, size: number, mask: Uint8Array) => number =
  libc.func('int sched_setaffinity(int pid, size_t size, const void *mask)');
export const schedGetaffinity: (tid: number, size: number, mask: Uint8Array) => number =
  libc.func('int sched_getaffinity(int pid, size_t size, void *mask)');
export const schedGetcpu: () => number = libc.func('int sched_getcpu(void)');
export const pipe2: (fds: Int32Array, flags: number) => number = libc.func('int pipe2(int *fds, int flags)');

export const processVmReadv: (pid: number, liov: BigUint64Array, liovcnt: number, riov: BigUint64Array,
  riovcnt: number, flags: number) => number =
  libc.func('long process_vm_readv(int pid, void *liov, unsigned long liovcnt, void *riov, unsigned long riovcnt, unsigned long flags)');
export const processVmWritev: (pid: number, liov: BigUint64Array, liovcnt: number, riov: BigUint64Array,
  riovcnt: number, flags: number) => number =
  libc.func('long process_vm_writev(int pid, void *liov, unsigned long liovcnt, void *riov, unsigned long riovcnt, unsigned long flags)');

/**
 * Memory the per-stop system calls read or write, handed to C by its address, a Number
 * (x86_64 user addresses are below 2^47), through the `*At` bindings below: koffi then converts
 * an integer instead of unwrapping a typed array, about 0.2 µs less per call (there are four
 * or five calls per stop).
 *
 * Invariant (a wrong address is a write into the supervisor's own heap): the memory is an
 * ArrayBuffer of its own, made by `new ArrayBuffer`, whose backing store V8 allocates
 * outside its heap and never moves (unlike a small typed array made by length, which may
 * live on the heap, where the collector moves it); the view keeps it alive, and it is never
 * transferred or detached. The address is taken at first use, not when the module loads
 * (the CLI's main thread loads this module without koffi: tools/bundle.mjs, lazyKoffi).
 */
export class Pinned {
  readonly bytes: Buffer;
  private at = 0;
  constructor(size: number) {
    this.bytes = Buffer.from(new ArrayBuffer(size));
  }
  get addr(): number {
    return this.at !== 0 ? this.at : (this.at = Number(addressOf(this.bytes)));
  }
}

/** The per-stop calls on Pinned memory (addresses as Numbers; see Pinned). */
export const readlinkAt: (path: number, buf: number, len: number) => number =
  libc.func('long readlink(long path, long buf, size_t len)');
export const processVmReadvAt: (pid: number, liov: number, liovcnt: number, riov: number, riovcnt: number, flags: number) => number =
  libc.func('long process_vm_readv(int pid, long liov, unsigned long liovcnt, long riov, unsigned long riovcnt, unsigned long flags)');
export const waitpidAt: (pid: number, status: number, options: number) => number =
  libc.func('int waitpid(int pid, long status, int options)');

/**
 * readlink(2) (readlinkAt above) and realpath(3) for path resolution at every stop: they
 * return -1 and set errno instead of throwing (Node's fs throws an Error, with a stack, for
 * every ENOENT), and write into a caller's buffer. Paths are passed as bytes (a
 * NUL-terminated Buffer, linux/pathtext.ts), never as JS strings: koffi would encode a string
 * as UTF-8, which is not the name a tracee gave when that name is not UTF-8.
 */
/** realpath(3) into `resolved` (PATH_MAX bytes at least): the address of `resolved`, or 0 when it fails. */
export const realpathInto: (path: Buffer, resolved: Buffer) => number | bigint =
  libc.func('long realpath(const void *path, void *resolved)');
/**
 * statfs(2) into `buf` (a struct statfs: 120 bytes on x86_64, its first field f_type a long),
 * read from the Buffer: no koffi struct (see DESIGN.md on struct out-parameters). The path as
 * bytes, like readlink's.
 */
export const statfsInto: (path: Buffer, buf: Buffer) => number =
  libc.func('int statfs(const void *path, void *buf)');
/** stat(2) into `buf` (a struct stat: 144 bytes on x86_64, st_ino the u64 at offset 8). glibc ≥ 2.33 exports it. */
export const statInto: (path: Buffer, buf: Buffer) => number =
  libc.func('int stat(const void *path, void *buf)');

// posix_spawn and its helpers. The opaque glibc types are allocated as Buffers larger than
// glibc's (80 and 336 bytes on x86_64).
export const SPAWN_FILE_ACTIONS_SIZE = 256;
export const SPAWNATTR_SIZE = 512;
export const SIGSET_SIZE = 128;
/** argv and envp are NULL-terminated arrays of the addresses of NUL-terminated byte strings (bytes, not JS strings: see readlinkAt). */
export const posixSpawnp: (pid: Int32Array, file: string, fa: Buffer, attr: Buffer, argv: BigUint64Array,
  envp: BigUint64Array) => number =
  libc.func('int posix_spawnp(int *pid, const char *file, void *fa, void *attr, void *argv, void *envp)');
export const fileActionsInit: (fa: Buffer) => number = libc.func('int posix_spawn_file_actions_init(void *fa)');
export const fileActionsDestroy: (fa: Buffer) => number = libc.func('int posix_spawn_file_actions_destroy(void *fa)');
export const fileActionsAddDup2: (fa: Buffer, fd: number, newfd: number) => number =
  libc.func('int posix_spawn_file_actions_adddup2(void *fa, int fd, int newfd)');
/** Paths as NUL-terminated bytes (see posixSpawnp). */
export const fileActionsAddOpen: (fa: Buffer, fd: number, path: Buffer, oflag: number, mode: number) => number =
  libc.func('int posix_spawn_file_actions_addopen(void *fa, int fd, const void *path, int oflag, unsigned int mode)');
/** glibc 2.34+ (Debian 12 has 2.36): close every fd from `from` up in the child; null on an older glibc. */
export const fileActionsAddClosefrom: ((fa: Buffer, from: number) => number) | null = (() => {
  try {
    return libc.func('int posix_spawn_file_actions_addclosefrom_np(void *fa, int from)') as (fa: Buffer, from: number) => number;
  } catch {
    return null;
  }
})();
export const fileActionsAddClose: (fa: Buffer, fd: number) => number =
  libc.func('int posix_spawn_file_actions_addclose(void *fa, int fd)');
export const fileActionsAddChdir: (fa: Buffer, path: Buffer) => number =
  libc.func('int posix_spawn_file_actions_addchdir_np(void *fa, const void *path)');
export const spawnattrInit: (attr: Buffer) => number = libc.func('int posix_spawnattr_init(void *attr)');
export const spawnattrDestroy: (attr: Buffer) => number = libc.func('int posix_spawnattr_destroy(void *attr)');
export const spawnattrSetflags: (attr: Buffer, flags: number) => number =
  libc.func('int posix_spawnattr_setflags(void *attr, short flags)');
export const spawnattrSetpgroup: (attr: Buffer, pgroup: number) => number =
  libc.func('int posix_spawnattr_setpgroup(void *attr, int pgroup)');
export const spawnattrSetsigdefault: (attr: Buffer, set: Buffer) => number =
  libc.func('int posix_spawnattr_setsigdefault(void *attr, const void *set)');
export const spawnattrSetsigmask: (attr: Buffer, set: Buffer) => number =
  libc.func('int posix_spawnattr_setsigmask(void *attr, const void *set)');
export const sigemptyset: (set: Buffer) => number = libc.func('int sigemptyset(void *set)');
export const sigfillset: (set: Buffer) => number = libc.func('int sigfillset(void *set)');
export const sigdelset: (set: Buffer, sig: number) => number = libc.func('int sigdelset(void *set, int sig)');
export const strerror: (e: number) => string = libc.func('const char *strerror(int e)');

/** The supervisor's own clocks (the emulated time is the host's, shifted or frozen). */
export const clockGettime: (clk: number, ts: BigInt64Array) => number =
  libc.func('int clock_gettime(int clk, void *ts)');
