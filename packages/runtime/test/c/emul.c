#include <stdio.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>
int main(void) {
  printf("getpid=%ld\n", syscall(SYS_getpid));
  struct utsname u;
  int r = uname(&u);
  printf("uname=%d %s %s %s\n", r, u.sysname, u.nodename, u.release);
  return 0;
}
