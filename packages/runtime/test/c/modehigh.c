/* fchmodat(2) with bits above the low 16 of its mode: the kernel reads a umode_t, an unsigned
 * short (include/linux/types.h), so the SYSCALL_DEFINE wrapper's cast drops them and
 * fchmodat(AT_FDCWD, "f", 0x10000 | 04755) sets 04755. A rule comparing the mode must compare
 * what the kernel reads. Prints the result of a plain fchmodat(04755), of the same with a
 * high bit, and the mode the file has after both. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
static void try(const char *what, unsigned long mode) {
  long r = syscall(SYS_fchmodat, AT_FDCWD, "f", mode);
  printf("%s=%s\n", what, r < 0 ? strerrorname_np(errno) : "ok");
}
int main(void) {
  /* $TMPDIR first: in the vmtags guest /tmp can be the host's, read-only (kernel/test/init.c) */
  const char *tmp = getenv("TMPDIR");
  char dir[4096];
  snprintf(dir, sizeof dir, "%s/sysvm-modehigh-XXXXXX", tmp && *tmp ? tmp : "/tmp");
  if (!mkdtemp(dir) || chdir(dir) != 0) { perror("mkdtemp"); return 2; }
  int fd = open("f", O_CREAT | O_WRONLY, 0644);
  if (fd < 0) { perror("open"); return 2; }
  close(fd);
  if (chmod("f", 0644) != 0) { perror("chmod"); return 2; }
  try("plain", 04755);
  try("high", 0x10000UL | 04755);
  struct stat st;
  if (stat("f", &st) != 0) { perror("stat"); return 2; }
  printf("mode=%o\n", (unsigned)(st.st_mode & 07777));
  unlink("f");
  chdir("/");
  rmdir(dir);
  return 0;
}
