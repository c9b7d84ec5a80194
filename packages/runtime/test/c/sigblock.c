#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>
static volatile sig_atomic_t hits;
static void on_alarm(int s) { (void)s; hits++; }
int main(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_alarm; /* no SA_RESTART: the blocking read fails with EINTR */
  sigaction(SIGALRM, &sa, 0);
  int fds[2];
  if (pipe(fds) != 0) return 1;
  struct itimerval it = {{0, 0}, {0, 100000}};
  setitimer(ITIMER_REAL, &it, 0);
  char c;
  ssize_t r = read(fds[0], &c, 1);
  printf("read=%zd errno=%s hits=%d\n", r, r < 0 ? strerrorname_np(errno) : "-", (int)hits);
  return 0;
}
