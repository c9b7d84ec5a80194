// List argv[1] with raw getdents64(2) (or the old getdents(2) with argv[3] = "old") and a
// buffer of argv[2] bytes: one name a line, then "end" at the end of the directory (a
// return of 0). With argv[3] = "twice": then rewind (lseek to 0) and list it again.
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

struct dirent_head { /* the old getdents: d_type is the record's last byte */
  unsigned long d_ino;
  unsigned long d_off;
  unsigned short d_reclen;
  char d_name[];
};

int main(int argc, char **argv) {
  if (argc != 3 && argc != 4) return 2;
  int old = argc == 4 && strcmp(argv[3], "old") == 0;
  int passes = argc == 4 && strcmp(argv[3], "twice") == 0 ? 2 : 1;
  int fd = open(argv[1], O_RDONLY | O_DIRECTORY);
  if (fd < 0) { perror(argv[1]); return 1; }
  size_t size = (size_t)atoi(argv[2]);
  char *buf = malloc(size);
  for (int pass = 0; pass < passes; pass++) {
  if (pass > 0) lseek(fd, 0, SEEK_SET);
  for (;;) {
    long n = syscall(old ? SYS_getdents : SYS_getdents64, fd, buf, size);
    if (n < 0) { perror("getdents"); return 1; }
    if (n == 0) break;
    for (long at = 0; at < n;) {
      if (old) {
        struct dirent_head *d = (struct dirent_head *)(buf + at);
        printf("%s\n", d->d_name);
        at += d->d_reclen;
      } else {
        struct dirent64_head *d = (struct dirent64_head *)(buf + at);
        printf("%s\n", d->d_name);
        at += d->d_reclen;
      }
    }
  }
  printf("end\n");
  }
  return 0;
}
