#include <pthread.h>
#include <stdio.h>
#include <unistd.h>
static void *work(void *arg) {
  (void)arg;
  execl("/bin/echo", "echo", "from-thread", (char *)0);
  return 0;
}
int main(void) {
  pthread_t t;
  pthread_create(&t, 0, work, 0);
  for (;;) pause();
}
