// A blocking open of a FIFO (argv[1]) interrupted by a signal whose handler scribbles over
// the stack below the stack pointer; SA_RESTART restarts the open. A child opens the FIFO
// for writing (argv[2], its path as the child should name it) after a while.
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile int hits;

static void scribble(int sig) {
  (void)sig;
  volatile char junk[16384];
  memset((char *)junk, 'X', sizeof junk);
  hits++;
}

int main(int argc, char **argv) {
  (void)argc;
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = scribble;
  sa.sa_flags = SA_RESTART;
  sigaction(SIGALRM, &sa, NULL);
  pid_t pid = fork();
  if (pid == 0) {
    usleep(400 * 1000);
    int w = open(argv[2], O_WRONLY);
    if (w >= 0) write(w, "through\n", 8);
    _exit(0);
  }
  struct itimerval it = {{0, 0}, {0, 100 * 1000}};
  setitimer(ITIMER_REAL, &it, NULL);
  int fd = open(argv[1], O_RDONLY);
  char buf[32] = {0};
  if (fd < 0) printf("open: %s hits=%d\n", strerror(errno), hits);
  else printf("read=%zd %s hits=%d\n", read(fd, buf, sizeof buf - 1), buf, hits);
  waitpid(pid, NULL, 0);
  return 0;
}
