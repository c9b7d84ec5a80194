// getxattrat(2) (Linux 6.13, x86_64 nr 464: newer than the syscall catalogue) of argv[1]:
// prints "getxattrat=ERRNO" (ENODATA on a 6.13+ kernel for a name that is not set; ENOSYS
// where the call is unknown, or refused).
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

struct xattr_args { uint64_t value; uint32_t size; uint32_t flags; };

int main(int argc, char **argv) {
  (void)argc;
  char buf[16];
  struct xattr_args a = {.value = (uintptr_t)buf, .size = sizeof buf, .flags = 0};
  long r = syscall(464, AT_FDCWD, argv[1], 0, "user.sysvm-none", &a, sizeof a);
  printf("getxattrat=%s\n", r < 0 ? strerrorname_np(errno) : "ok");
  return 0;
}
