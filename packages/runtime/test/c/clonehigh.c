/* clone(2) with bits above the low 32 of its flags: the kernel reads only the low half
 * (kernel/fork.c: lower_32_bits(clone_flags)), so clone(SIGCHLD | 1 << 40) is a fork. A rule
 * comparing the flags must compare what the kernel reads. Prints the result of a plain
 * clone(SIGCHLD) and of the same with a high bit. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
static void try(const char *what, unsigned long flags) {
  long r = syscall(SYS_clone, flags, 0L, 0L, 0L, 0L);
  if (r == 0) _exit(0);
  if (r > 0) waitpid((pid_t)r, NULL, 0);
  printf("%s=%s\n", what, r < 0 ? strerrorname_np(errno) : "child");
}
int main(void) {
  try("plain", SIGCHLD);
  try("high", SIGCHLD | (1UL << 40));
  return 0;
}
