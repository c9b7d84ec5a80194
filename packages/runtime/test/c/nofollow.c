// open(2) of each argv[i] with O_NOFOLLOW | O_DIRECTORY: prints "PATH=ok N" (N entries
// besides . and ..) or "PATH=ERRNO". O_NOFOLLOW is about the last component only.
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    int fd = open(argv[i], O_RDONLY | O_NOFOLLOW | O_DIRECTORY);
    if (fd < 0) {
      printf("%s=%s\n", argv[i], strerrorname_np(errno));
      continue;
    }
    DIR *d = fdopendir(fd);
    int n = 0;
    for (struct dirent *e; d != NULL && (e = readdir(d)) != NULL;) n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    printf("%s=ok %d\n", argv[i], n);
    if (d != NULL) closedir(d);
  }
  return 0;
}
