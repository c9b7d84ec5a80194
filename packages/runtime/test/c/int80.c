/* An ia32 system call from a 64-bit process. */
#include <asm/unistd_32.h>
#include <stdio.h>
int main(void) {
  long r;
  __asm__ volatile("int $0x80" : "=a"(r) : "a"((long)__NR_getpid) : "memory");
  printf("int80=%ld\n", r);
  return 0;
}
