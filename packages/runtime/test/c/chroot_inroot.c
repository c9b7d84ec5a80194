/* Open the directory argv[2], chroot(argv[1]), then openat2(2) with RESOLVE_IN_ROOT of
 * argv[3..] from that directory: the dirfd is the lookup's root, not the chroot. */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
int main(int argc, char **argv) {
  int dfd = open(argv[2], O_RDONLY | O_DIRECTORY);
  if (chroot(argv[1]) != 0 || chdir("/") != 0) { printf("chroot=%s\n", strerrorname_np(errno)); return 1; }
  for (int i = 3; i < argc; i++) {
    struct open_how how = {.flags = O_RDONLY, .resolve = RESOLVE_IN_ROOT};
    long fd = syscall(SYS_openat2, dfd, argv[i], &how, sizeof how);
    printf("%s=%s\n", argv[i], fd < 0 ? strerrorname_np(errno) : "ok");
    if (fd >= 0) close((int)fd);
  }
  return 0;
}
