// The time adjtimex and clock_adjtime report (modes 0: read only), and the program's clock.
#include <stdio.h>
#include <sys/timex.h>
#include <time.h>

int main(void) {
  struct timex a = {0}, b = {0};
  int ra = adjtimex(&a);
  int rb = clock_adjtime(CLOCK_REALTIME, &b);
  // With STA_NANO the fraction is in nanoseconds, else microseconds: print whole seconds.
  printf("time=%lld adjtimex=%d:%lld clock_adjtime=%d:%lld\n", (long long)time(NULL), ra >= 0, (long long)a.time.tv_sec,
         rb >= 0, (long long)b.time.tv_sec);
  return 0;
}
