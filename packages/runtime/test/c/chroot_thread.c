/* A thread with an fs_struct of its own (unshare(CLONE_FS)) chroots to argv[1]; then the main
 * thread opens argv[2] (its root is still /), and the chrooted thread opens argv[3] (inside
 * its root). Prints "main=ok|ERRNO thread=ok|ERRNO". */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t c = PTHREAD_COND_INITIALIZER;
static int step = 0;
static char **args;
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
static const char *try_open(const char *p) {
  int fd = open(p, O_RDONLY);
  if (fd < 0) return strerrorname_np(errno);
  close(fd);
  return "ok";
}
static void *thread(void *arg) {
  (void)arg;
  if (unshare(CLONE_FS) != 0 || chroot(args[1]) != 0 || chdir("/") != 0) printf("chroot=%s ", strerrorname_np(errno));
  go(1);
  wait_for(2);
  printf("thread=%s\n", try_open(args[3]));
  return NULL;
}
int main(int argc, char **argv) {
  (void)argc;
  args = argv;
  pthread_t t;
  pthread_create(&t, NULL, thread, NULL);
  wait_for(1);
  printf("main=%s ", try_open(argv[2]));
  go(2);
  pthread_join(t, NULL);
  return 0;
}
