/* Access to another process's memory, fds and resource limits. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>
static const char *peek(pid_t pid) {
  static char probe[8] = "probe";
  char buf[8];
  struct iovec local = {buf, sizeof buf}, remote = {probe, sizeof probe};
  return process_vm_readv(pid, &local, 1, &remote, 1, 0) < 0 ? strerrorname_np(errno) : "ok";
}
int main(void) {
  printf("self=%s ", peek(getpid()));
  printf("parent=%s ", peek(getppid()));
  int pidfd = (int)syscall(SYS_pidfd_open, getpid(), 0);
  long r = syscall(SYS_pidfd_getfd, pidfd, 0, 0);
  printf("pidfd_getfd=%s ", r < 0 ? strerrorname_np(errno) : "ok");
  /* New limits for the parent (the supervisor, outside): the ones it has, so that nothing
     changes when the call goes through. Reading them is allowed. */
  struct rlimit lim;
  printf("prlimit-get-parent=%s ", prlimit(getppid(), RLIMIT_CORE, NULL, &lim) < 0 ? strerrorname_np(errno) : "ok");
  printf("prlimit-set-parent=%s ", prlimit(getppid(), RLIMIT_CORE, &lim, NULL) < 0 ? strerrorname_np(errno) : "ok");
  printf("prlimit-set-self=%s\n", prlimit(getpid(), RLIMIT_CORE, &lim, NULL) < 0 ? strerrorname_np(errno) : "ok");
  return 0;
}
