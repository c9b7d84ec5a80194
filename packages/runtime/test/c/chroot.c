/* chroot(argv[1]), then open absolute paths inside the new root: argv[2..]. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
int main(int argc, char **argv) {
  if (chroot(argv[1]) != 0 || chdir("/") != 0) { printf("chroot=%s\n", strerrorname_np(errno)); return 1; }
  for (int i = 2; i < argc; i++) {
    int fd = open(argv[i], O_RDONLY);
    printf("%s=%s\n", argv[i], fd < 0 ? strerrorname_np(errno) : "ok");
    if (fd >= 0) close(fd);
  }
  return 0;
}
