// A program that makes N calls of one kind, for bench/instructions.sh: each is one stop of
// sysvm's supervisor under the bench's path policy.
//   stoploop N rel    fstatat(dirfd, "stdio.h", AT_SYMLINK_NOFOLLOW)  (find's and tar's calls)
//   stoploop N empty  fstatat(fd, "", AT_EMPTY_PATH)                  (glibc's fstat)
//   stoploop N abs    fstatat(AT_FDCWD, "/usr/include/stdio.h", 0)    (three components walked)
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc < 3) return 2;
  int n = atoi(argv[1]);
  const char *mode = argv[2];
  struct stat st;
  int d = open("/usr/include", O_RDONLY | O_DIRECTORY);
  if (d < 0) return 1;
  for (int i = 0; i < n; i++) {
    if (!strcmp(mode, "abs")) fstatat(AT_FDCWD, "/usr/include/stdio.h", &st, 0);
    else if (!strcmp(mode, "rel")) fstatat(d, "stdio.h", &st, AT_SYMLINK_NOFOLLOW);
    else if (!strcmp(mode, "empty")) fstatat(d, "", &st, AT_EMPTY_PATH);
    else return 2;
  }
  return 0;
}
