/* Ways to make a child the tracer would not follow. */
#include <errno.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
static const char *result(long r) {
  if (r == 0) _exit(0); /* the child, if the guard failed: leave at once */
  if (r < 0) return strerrorname_np(errno);
  waitpid((pid_t)r, 0, 0);
  return "created";
}
int main(void) {
  printf("clone-untraced=%s ", result(syscall(SYS_clone, CLONE_UNTRACED | SIGCHLD, 0, 0, 0, 0)));
  struct clone_args ca;
  memset(&ca, 0, sizeof ca);
  ca.exit_signal = SIGCHLD;
  printf("clone3=%s\n", result(syscall(SYS_clone3, &ca, sizeof ca)));
  return 0;
}
