/* A thread with an fd table of its own (unshare(CLONE_FILES)): fd N there is argv[1],
 * opened for writing, while in the main thread's table N is argv[2]. The thread writes
 * "x\n" to N and prints "write=ok|ERRNO". */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t c = PTHREAD_COND_INITIALIZER;
static int step = 0, fd = -1;
static void wait_for(int s) {
  pthread_mutex_lock(&m);
  while (step < s) pthread_cond_wait(&c, &m);
  pthread_mutex_unlock(&m);
}
static void go(int s) {
  pthread_mutex_lock(&m);
  step = s;
  pthread_cond_broadcast(&c);
  pthread_mutex_unlock(&m);
}
static void *thread(void *arg) {
  (void)arg;
  if (unshare(CLONE_FILES) != 0) { printf("unshare=%s\n", strerrorname_np(errno)); go(1); return NULL; }
  go(1);
  wait_for(2);
  printf("write=%s\n", write(fd, "x\n", 2) == 2 ? "ok" : strerrorname_np(errno));
  return NULL;
}
int main(int argc, char **argv) {
  (void)argc;
  fd = open(argv[1], O_WRONLY | O_APPEND);
  if (fd < 0) { printf("open=%s\n", strerrorname_np(errno)); return 1; }
  pthread_t t;
  pthread_create(&t, NULL, thread, NULL);
  wait_for(1);
  /* In the main thread's table only: N now names argv[2]. */
  close(fd);
  int again = open(argv[2], O_WRONLY | O_APPEND);
  if (again != fd) { printf("reopen=%d\n", again); return 1; }
  go(2);
  pthread_join(t, NULL);
  fflush(stdout);
  return 0;
}
