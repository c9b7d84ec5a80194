// CPU placement (tracer/placement.ts): a script of steps given as arguments.
//   count      print "count=N" (CPUs in this thread's affinity mask)
//   burst N    N getppid calls (the test's prefilter sends getppid to the supervisor)
//   sleep MS   sleep without a stop
//   other      place this thread on one CPU other than the one it runs on
//   fork       a child prints its count, the parent waits
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void count(const char *who) {
  cpu_set_t s;
  if (sched_getaffinity(0, sizeof s, &s) != 0) { perror("sched_getaffinity"); exit(2); }
  printf("%scount=%d\n", who, CPU_COUNT(&s));
  fflush(stdout);
}

int main(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "count")) count("");
    else if (!strcmp(argv[i], "burst")) {
      long n = atol(argv[++i]);
      for (long k = 0; k < n; k++) syscall(SYS_getppid);
    } else if (!strcmp(argv[i], "sleep")) {
      long ms = atol(argv[++i]);
      struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
      while (nanosleep(&ts, &ts) != 0) {}
    } else if (!strcmp(argv[i], "other")) {
      int here = sched_getcpu(), n = (int)sysconf(_SC_NPROCESSORS_ONLN);
      cpu_set_t s;
      CPU_ZERO(&s);
      CPU_SET(here == 0 ? 1 : 0, &s);
      if (n < 2 || sched_setaffinity(0, sizeof s, &s) != 0) { perror("sched_setaffinity"); exit(2); }
    } else if (!strcmp(argv[i], "fork")) {
      pid_t p = fork();
      if (p == 0) { count("child "); _exit(0); }
      int st;
      waitpid(p, &st, 0);
    } else { fprintf(stderr, "unknown step %s\n", argv[i]); return 2; }
  }
  return 0;
}
