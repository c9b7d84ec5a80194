// 300 threads alive at once, each opening an allowed and a denied name relative to a dirfd
// (the supervisor reads /proc/TID/fd/N of each thread); then one thread execs the same test
// again from a non-leader thread (the tids change hands), which checks the two names once
// more from its leader.
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define N 300
static int dfd;
static atomic_int ok, denied;
static pthread_barrier_t all;

static void check(void) {
  int a = openat(dfd, "ok.txt", O_RDONLY);
  int b = openat(dfd, "../secret/key.txt", O_RDONLY);
  if (a >= 0) { atomic_fetch_add(&ok, 1); close(a); }
  if (b < 0 && errno == EACCES) atomic_fetch_add(&denied, 1);
  if (b >= 0) close(b);
}

static void *work(void *arg) {
  (void)arg;
  check();
  pthread_barrier_wait(&all); // all alive at once
  return 0;
}

static void *again(void *arg) {
  char **argv = arg;
  char *args[] = { argv[0], argv[1], "again", 0 };
  execv(argv[0], args);
  return 0;
}

int main(int argc, char **argv) {
  dfd = open(argv[1], O_RDONLY | O_DIRECTORY);
  if (argc > 2) { // the program again, after the exec from a thread
    check();
    printf("after exec: ok=%d denied=%d\n", ok, denied);
    return 0;
  }
  pthread_t t[N];
  pthread_barrier_init(&all, 0, N);
  for (int i = 0; i < N; i++) if (pthread_create(&t[i], 0, work, 0) != 0) return 2;
  for (int i = 0; i < N; i++) pthread_join(t[i], 0);
  printf("threads: ok=%d denied=%d\n", ok, denied);
  fflush(stdout);
  check(); // the leader's own, before the exec
  pthread_t e;
  if (pthread_create(&e, 0, again, argv) != 0) return 2;
  for (;;) pause();
}
