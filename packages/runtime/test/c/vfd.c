// A virtual file through an fd's whole life: open, dup, fcntl(F_DUPFD_CLOEXEC), fork and read
// in the child, lseek, fstat, mmap, write attempt, close, and an exec that keeps one fd.
// argv: PATH [exec]
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc > 2 && strcmp(argv[2], "--child-exec") == 0) {
    // After exec: fd 7 was kept (no O_CLOEXEC), fd 8 closed (F_DUPFD_CLOEXEC).
    char buf[64] = {0};
    ssize_t n = pread(7, buf, sizeof buf - 1, 0);
    printf("exec: fd7=%s fd8=%s\n", n > 0 ? "open" : "closed", fcntl(8, F_GETFD) < 0 ? "closed" : "open");
    errno = 0;
    printf("exec: write=%s\n", write(7, "x", 1) < 0 ? strerror(errno) : "ok");
    return 0;
  }
  int fd = open(argv[1], O_RDONLY);
  if (fd < 0) { printf("open: %s\n", strerror(errno)); return 1; }
  int d = dup(fd);
  int c = fcntl(fd, F_DUPFD_CLOEXEC, 8);
  close(fd);
  struct stat st;
  fstat(d, &st);
  char buf[256] = {0};
  pid_t pid = fork();
  if (pid == 0) {
    ssize_t n = read(d, buf, sizeof buf - 1);
    printf("child: %zd %s", n, buf);
    fflush(stdout);
    _exit(0);
  }
  waitpid(pid, NULL, 0);
  off_t off = lseek(d, 0, SEEK_CUR);  // the child's read moved the shared offset
  char *m = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, c, 0);
  printf("parent: size=%lld offset=%lld mmap=%.*s", (long long)st.st_size, (long long)off, (int)st.st_size, m);
  errno = 0;
  printf("parent: write=%s\n", write(d, "x", 1) < 0 ? strerror(errno) : "ok");
  fflush(stdout);
  if (argc > 2) {
    dup2(d, 7);
    execl(argv[0], argv[0], argv[1], "--child-exec", (char *)NULL);
  }
  return 0;
}
