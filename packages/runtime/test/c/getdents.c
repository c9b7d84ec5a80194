// List argv[1] with raw getdents64(2) and a buffer of argv[2] bytes: one name a line, then
// "end" at the end of the directory (a return of 0).
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

struct dirent64_head {
  unsigned long long d_ino;
  long long d_off;
  unsigned short d_reclen;
  unsigned char d_type;
  char d_name[];
};

int main(int argc, char **argv) {
  if (argc != 3) return 2;
  int fd = open(argv[1], O_RDONLY | O_DIRECTORY);
  if (fd < 0) { perror(argv[1]); return 1; }
  size_t size = (size_t)atoi(argv[2]);
  char *buf = malloc(size);
  for (;;) {
    long n = syscall(SYS_getdents64, fd, buf, size);
    if (n < 0) { perror("getdents64"); return 1; }
    if (n == 0) break;
    for (long at = 0; at < n;) {
      struct dirent64_head *d = (struct dirent64_head *)(buf + at);
      printf("%s\n", d->d_name);
      at += d->d_reclen;
    }
  }
  printf("end\n");
  return 0;
}
