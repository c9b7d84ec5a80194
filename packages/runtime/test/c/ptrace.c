#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ptrace.h>
#include <unistd.h>
int main(void) {
  long r = ptrace(PTRACE_TRACEME, 0, 0, 0);
  printf("traceme=%s ", r < 0 ? strerrorname_np(errno) : "ok");
  /* PTRACE_SEIZE does not stop its target: if the guard failed, detach at once. */
  r = ptrace(PTRACE_SEIZE, getppid(), 0, 0);
  if (r == 0) ptrace(PTRACE_DETACH, getppid(), 0, 0);
  printf("seize-parent=%s\n", r < 0 ? strerrorname_np(errno) : "ok");
  return 0;
}
