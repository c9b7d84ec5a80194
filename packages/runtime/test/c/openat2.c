// openat2(2) of argv[1]: read-only with RESOLVE_NO_SYMLINKS, then for writing.
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static long open2(const char *p, int flags) {
  struct open_how how = {.flags = (unsigned long long)flags, .resolve = RESOLVE_NO_SYMLINKS};
  return syscall(SYS_openat2, AT_FDCWD, p, &how, sizeof how);
}

int main(int argc, char **argv) {
  (void)argc;
  char buf[64] = {0};
  long fd = open2(argv[1], O_RDONLY | O_CLOEXEC);
  if (fd < 0) printf("read-open: %s\n", strerror(errno));
  else printf("read-open: %zd %s", read((int)fd, buf, sizeof buf - 1), buf);
  long w = open2(argv[1], O_RDWR);
  printf("write-open: %s\n", w < 0 ? strerror(errno) : "ok");
  return 0;
}
