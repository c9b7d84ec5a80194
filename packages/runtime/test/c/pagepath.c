/* open(argv[1]) with the path string (1) across a page boundary, (2) ending on the last byte
   of a page followed by an unreadable page. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
static const char *try_open(const char *p) {
  int fd = open(p, O_RDONLY);
  if (fd < 0) return strerrorname_np(errno);
  close(fd);
  return "ok";
}
int main(int argc, char **argv) {
  (void)argc;
  long pg = sysconf(_SC_PAGESIZE);
  size_t n = strlen(argv[1]) + 1;
  char *m = mmap(0, 2 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  char *cross = m + pg - n / 2;
  memcpy(cross, argv[1], n);
  printf("cross=%s ", try_open(cross));
  char *edge = m + pg - n;
  memcpy(edge, argv[1], n);
  mprotect(m + pg, pg, PROT_NONE);
  printf("edge=%s\n", try_open(edge));
  return 0;
}
