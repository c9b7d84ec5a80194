// File times through every stat and utime call (the raw syscalls, so that each number is
// exercised, not only the one glibc prefers):
//   filetimes PATH SET   creates PATH, prints the clock's time and the file's mtime by stat,
//                        lstat, fstat, newfstatat and statx, then sets times to SET, SET+1,
//                        ... with utimensat (atime UTIME_OMIT), utimes, futimens, utime and
//                        futimesat, printing the mtime (and the atime) each one leaves.
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include <utime.h>

static const char *path;

static long long mtime_of(const char *how, int fd) {
  struct stat st;
  struct statx sx;
  long r = -1;
  if (how[0] == 's' && how[1] == 't' && how[4] == 'x') {
    r = syscall(SYS_statx, AT_FDCWD, path, 0, STATX_MTIME | STATX_ATIME, &sx);
    return r == 0 ? (long long)sx.stx_mtime.tv_sec : -1;
  }
  switch (how[0]) {
    case 's': r = syscall(SYS_stat, path, &st); break;
    case 'l': r = syscall(SYS_lstat, path, &st); break;
    case 'f': r = syscall(SYS_fstat, fd, &st); break;
    case 'n': r = syscall(SYS_newfstatat, AT_FDCWD, path, &st, 0); break;
  }
  return r == 0 ? (long long)st.st_mtim.tv_sec : -1;
}

static long long atime_of(void) {
  struct statx sx;
  return syscall(SYS_statx, AT_FDCWD, path, 0, STATX_ATIME, &sx) == 0 ? (long long)sx.stx_atime.tv_sec : -1;
}

int main(int argc, char **argv) {
  if (argc < 3) return 2;
  path = argv[1];
  long long set = atoll(argv[2]);
  int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0644);
  if (fd < 0) return 1;
  printf("now=%lld\n", (long long)time(NULL));
  const char *hows[] = {"stat", "lstat", "fstat", "newfstatat", "statx"};
  for (int i = 0; i < 5; i++) printf("%s=%lld\n", hows[i], mtime_of(hows[i], fd));

  // (Each call before its printf: the order C evaluates arguments in is unspecified.)
  long long atime0 = atime_of();
  struct timespec ts[2] = {{0, UTIME_OMIT}, {set, 0}};
  long r = syscall(SYS_utimensat, AT_FDCWD, path, ts, 0);
  printf("utimensat=%ld %lld atime-kept=%d\n", r, mtime_of("statx", fd), atime_of() == atime0);
  struct timeval tv[2] = {{set + 1, 0}, {set + 1, 500000}};
  r = syscall(SYS_utimes, path, tv);
  printf("utimes=%ld %lld\n", r, mtime_of("stat", fd));
  struct timespec ts2[2] = {{set + 2, 0}, {set + 2, 0}};
  r = syscall(SYS_utimensat, fd, NULL, ts2, 0);
  printf("futimens=%ld %lld\n", r, mtime_of("fstat", fd));
  struct utimbuf ub = {set + 3, set + 3};
  r = syscall(SYS_utime, path, &ub);
  printf("utime=%ld %lld\n", r, mtime_of("newfstatat", fd));
  struct timeval tv2[2] = {{set + 4, 0}, {set + 4, 0}};
  r = syscall(SYS_futimesat, AT_FDCWD, path, tv2);
  printf("futimesat=%ld %lld\n", r, mtime_of("lstat", fd));
  return 0;
}
