#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
int main(int argc, char **argv) {
  int dfd = open(argv[1], O_RDONLY | O_DIRECTORY);
  for (int i = 2; i < argc; i++) {
    int fd = openat(dfd, argv[i], O_RDONLY);
    printf("%s=%s\n", argv[i], fd < 0 ? strerrorname_np(errno) : "ok");
    if (fd >= 0) close(fd);
  }
  return 0;
}
