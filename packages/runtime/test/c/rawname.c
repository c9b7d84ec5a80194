/* Opens names given with \xNN escapes (a name that is not UTF-8 cannot pass through the
 * test's argv: Node decodes and re-encodes it), relative to the directory argv[1], and
 * reads them without any other call (no fstat: only the open is judged). Prints, per
 * name, what it read or the errno's name. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
static void unescape(const char *in, char *out) {
  while (*in) {
    if (in[0] == '\\' && in[1] == 'x' && in[2] && in[3]) {
      char hex[3] = { in[2], in[3], 0 };
      *out++ = (char)strtol(hex, NULL, 16);
      in += 4;
    } else {
      *out++ = *in++;
    }
  }
  *out = 0;
}
int main(int argc, char **argv) {
  int dfd = open(argv[1], O_RDONLY | O_DIRECTORY);
  for (int i = 2; i < argc; i++) {
    char name[4096];
    unescape(argv[i], name);
    int fd = openat(dfd, name, O_RDONLY);
    if (fd < 0) {
      printf("%s=%s\n", argv[i], strerrorname_np(errno));
      continue;
    }
    char buf[64];
    ssize_t n = read(fd, buf, sizeof buf - 1);
    buf[n < 0 ? 0 : n] = 0;
    if (n > 0 && buf[n - 1] == '\n') buf[n - 1] = 0;
    printf("%s=%s\n", argv[i], buf);
    close(fd);
  }
  return 0;
}
