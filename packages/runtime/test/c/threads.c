/* glibc >= 2.34 creates threads with clone3. */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>
static void *work(void *arg) {
  int fd = open((const char *)arg, O_RDONLY);
  char c = 0;
  if (fd >= 0) { if (read(fd, &c, 1) != 1) c = '?'; close(fd); }
  return (void *)(long)c;
}
int main(int argc, char **argv) {
  pthread_t t[4];
  for (int i = 0; i < 4; i++) pthread_create(&t[i], 0, work, argv[1]);
  int ok = 0;
  for (int i = 0; i < 4; i++) { void *r; pthread_join(t[i], &r); ok += (long)r == argv[2][0]; }
  printf("threads %d\n", ok);
  return 0;
}
