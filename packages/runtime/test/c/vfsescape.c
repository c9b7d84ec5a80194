// Ways to name a file relative to a directory fd, to test that a hidden path stays hidden:
//   openat-in DIR REL        openat(open(DIR), REL), copy it to stdout
//   in-root DIR PATH         openat2(open(DIR), PATH, RESOLVE_IN_ROOT), copy it to stdout
//   beneath DIR PATH         openat2(open(DIR), PATH, RESOLVE_BENEATH), copy it to stdout
//   linkat-in DIR OLD NEW    linkat(open(DIR), OLD, open(DIR), NEW, 0)
// Errors are printed as perror does ("PATH: No such file or directory"), exit status 1.
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static int copy(int fd) {
  char buf[4096];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0) fwrite(buf, 1, (size_t)n, stdout);
  return n < 0 ? 1 : 0;
}

int main(int argc, char **argv) {
  if (argc < 4) return 2;
  int dfd = open(argv[2], O_RDONLY | O_DIRECTORY);
  if (dfd < 0) { perror(argv[2]); return 1; }
  if (strcmp(argv[1], "openat-in") == 0) {
    int fd = openat(dfd, argv[3], O_RDONLY);
    if (fd < 0) { perror(argv[3]); return 1; }
    return copy(fd);
  }
  if (strcmp(argv[1], "in-root") == 0 || strcmp(argv[1], "beneath") == 0) {
    struct open_how how = {.flags = O_RDONLY, .resolve = argv[1][0] == 'i' ? RESOLVE_IN_ROOT : RESOLVE_BENEATH};
    long fd = syscall(SYS_openat2, dfd, argv[3], &how, sizeof how);
    if (fd < 0) { perror(argv[3]); return 1; }
    return copy((int)fd);
  }
  if (strcmp(argv[1], "linkat-in") == 0 && argc == 5) {
    if (linkat(dfd, argv[3], dfd, argv[4], 0) < 0) { perror(argv[3]); return 1; }
    return 0;
  }
  return 2;
}
