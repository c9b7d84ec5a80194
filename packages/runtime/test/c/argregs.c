// newfstatat and openat on the path argv[1], and mkdirat on argv[2] if given (removed again),
// each by a bare `syscall` instruction, and whether the argument registers came back as they
// went in. The x86_64 system call ABI keeps every register but rax, rcx and r11, and compiled
// code relies on it (glibc's inline system calls declare the argument registers as inputs
// only): a supervisor that rewrites an argument must give the program's own value back.
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static long call4(const char *name, long nr, long a1, long a2, long a3, long a4) {
  register long rdi asm("rdi") = a1;
  register long rsi asm("rsi") = a2;
  register long rdx asm("rdx") = a3;
  register long r10 asm("r10") = a4;
  long rax = nr;
  asm volatile("syscall" : "+a"(rax), "+r"(rdi), "+r"(rsi), "+r"(rdx), "+r"(r10) : : "rcx", "r11", "memory");
  printf("%s: %s, registers %s\n", name, rax < 0 ? strerror((int)-rax) : "ok",
         rdi == a1 && rsi == a2 && rdx == a3 && r10 == a4 ? "kept" : "changed");
  return rax;
}

int main(int argc, char **argv) {
  if (argc < 2) return 2;
  struct stat st;
  call4("newfstatat", SYS_newfstatat, AT_FDCWD, (long)argv[1], (long)&st, 0);
  long fd = call4("openat", SYS_openat, AT_FDCWD, (long)argv[1], O_RDONLY, 0);
  if (fd >= 0) close((int)fd);
  if (argc > 2 && call4("mkdirat", SYS_mkdirat, AT_FDCWD, (long)argv[2], 0700, 0) == 0) rmdir(argv[2]);
  return 0;
}
