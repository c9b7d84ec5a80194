// The wall clock three ways (clock_gettime, gettimeofday, time), whether a vDSO is visible,
// and whether CLOCK_MONOTONIC still advances.
#include <stdio.h>
#include <sys/auxv.h>
#include <sys/time.h>
#include <time.h>

int main(void) {
  struct timespec rt, m0, m1, nap = {0, 20 * 1000 * 1000};
  struct timeval tv;
  clock_gettime(CLOCK_REALTIME, &rt);
  gettimeofday(&tv, NULL);
  time_t t = time(NULL);
  clock_gettime(CLOCK_MONOTONIC, &m0);
  nanosleep(&nap, NULL);
  clock_gettime(CLOCK_MONOTONIC, &m1);
  long long dm = (m1.tv_sec - m0.tv_sec) * 1000000000LL + (m1.tv_nsec - m0.tv_nsec);
  printf("realtime=%lld.%09ld gettimeofday=%lld.%06ld time=%lld monotonic-advanced=%d vdso=%s\n",
         (long long)rt.tv_sec, rt.tv_nsec, (long long)tv.tv_sec, (long)tv.tv_usec, (long long)t,
         dm >= 20 * 1000 * 1000, getauxval(AT_SYSINFO_EHDR) ? "yes" : "no");
  return 0;
}
