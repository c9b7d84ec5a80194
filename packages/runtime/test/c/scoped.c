/* The Landlock domain of the sandbox: the memory of a process outside it (argv[1], started by
 * the test outside the sandbox), of itself and of a child (same domain), through /proc/PID/mem.
 * Prints "outside=... self=... child=...": "ok" when a word of that process's memory was read
 * (the child and this process share the address of `probe`, copied by fork). */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
static char probe[8] = "probe";
static const char *peek(pid_t pid, const char *expect) {
  char path[64], buf[sizeof probe];
  snprintf(path, sizeof path, "/proc/%d/mem", (int)pid);
  int fd = open(path, O_RDONLY);
  if (fd < 0) return strerrorname_np(errno);
  if (expect == NULL) { /* another program: opening it is the access */
    close(fd);
    return "ok";
  }
  ssize_t n = pread(fd, buf, sizeof buf, (off_t)(unsigned long)probe);
  int e = errno;
  close(fd);
  if (n < 0) return strerrorname_np(e);
  return n == sizeof buf && memcmp(buf, expect, sizeof buf) == 0 ? "ok" : "wrong";
}
int main(int argc, char **argv) {
  if (argc != 2) return 2;
  printf("outside=%s ", peek((pid_t)atoi(argv[1]), NULL));
  printf("self=%s ", peek(getpid(), probe));
  int go[2];
  if (pipe(go) != 0) return 3;
  pid_t child = fork();
  if (child == 0) {
    char c;
    close(go[1]);
    read(go[0], &c, 1); /* lives until the parent is done */
    _exit(0);
  }
  close(go[0]);
  printf("child=%s\n", peek(child, probe));
  close(go[1]);
  waitpid(child, NULL, 0);
  return 0;
}
