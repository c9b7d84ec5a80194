/* A queued real-time signal keeps its siginfo (value, code) through the tracer. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
static volatile int value = -1, queued = 0, hits = 0;
static void on_rt(int s, siginfo_t *si, void *uc) {
  (void)s; (void)uc;
  value = si->si_value.sival_int;
  queued = si->si_code == SI_QUEUE;
  hits++;
}
int main(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_rt;
  sa.sa_flags = SA_SIGINFO;
  sigaction(SIGRTMIN, &sa, 0);
  union sigval v = {.sival_int = 42};
  sigqueue(getpid(), SIGRTMIN, v);
  sigqueue(getpid(), SIGRTMIN, v);
  printf("hits=%d value=%d queued=%d\n", hits, value, queued);
  return 0;
}
