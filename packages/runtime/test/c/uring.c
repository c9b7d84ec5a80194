#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
int main(void) {
  char params[120];
  memset(params, 0, sizeof params);
  long r = syscall(__NR_io_uring_setup, 4, params);
  printf("io_uring_setup=%s\n", r < 0 ? strerrorname_np(errno) : "ok");
  return 0;
}
