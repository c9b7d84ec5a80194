#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>
int main(void) {
  pid_t p = vfork();
  if (p == 0) { execl("/bin/echo", "echo", "child", (char *)0); _exit(127); }
  int st;
  waitpid(p, &st, 0);
  printf("parent %d\n", WEXITSTATUS(st));
  return 0;
}
