/* openat(AT_FDCWD, PATH, O_RDONLY) made with the stack pointer at the top of an inaccessible
   region, from the directory DIR: the supervisor cannot write anything below the caller's
   stack pointer (where it puts rewritten paths). Prints PATH=first line, or PATH=ERRNO.
   Usage: badsp DIR PATH... */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static long openat_at_stack(const char *path, char *top) {
  long ret;
  __asm__ volatile("mov %%rsp, %%r12\n\tmov %[top], %%rsp\n\tsyscall\n\tmov %%r12, %%rsp"
    : "=a"(ret)
    : "0"(257L), "D"((long)AT_FDCWD), "S"(path), "d"((long)O_RDONLY), [top] "r"(top)
    : "rcx", "r11", "r12", "r10", "memory");
  return ret;
}

int main(int argc, char **argv) {
  char *region = mmap(NULL, 65536, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (region == MAP_FAILED || argc < 2 || chdir(argv[1]) != 0) return 2;
  for (int i = 2; i < argc; i++) {
    long fd = openat_at_stack(argv[i], region + 65536);
    char buf[128] = {0};
    if (fd < 0) {
      printf("%s=%s\n", argv[i], strerrorname_np((int)-fd));
      continue;
    }
    if (read((int)fd, buf, sizeof buf - 1) < 0) buf[0] = 0;
    buf[strcspn(buf, "\n")] = 0;
    printf("%s=%s\n", argv[i], buf);
    close((int)fd);
  }
  return 0;
}
