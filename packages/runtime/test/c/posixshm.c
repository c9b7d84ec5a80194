// POSIX shared memory and named semaphores (files in /dev/shm to glibc), across a fork.
//   posixshm NAME HOSTNAME
// prints, one line each:
//   host ERRNO-NAME|visible   shm_open("/HOSTNAME", O_RDONLY): a file the test put in the
//                             host's /dev/shm (ENOENT when the sandbox's /dev/shm is its own)
//   shm TEXT                  what a child wrote in a shm_open("/NAME") mapping, after it
//                             posted sem_open("/NAME")
//   listed N                  how many entries /dev/shm lists (not . and ..)
// and leaves /dev/shm/NAME and /dev/shm/sem.NAME in place, for the test to look for.
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

static void die(const char *what) { printf("error %s %s\n", what, strerror(errno)); exit(1); }

int main(int argc, char **argv) {
  if (argc != 3) return 2;
  char name[256], host[256];
  snprintf(name, sizeof name, "/%s", argv[1]);
  snprintf(host, sizeof host, "/%s", argv[2]);
  int h = shm_open(host, O_RDONLY, 0);
  if (h >= 0) printf("host visible\n");
  else printf("host %s\n", errno == ENOENT ? "ENOENT" : errno == EACCES ? "EACCES" : strerror(errno));
  int fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600);
  if (fd < 0) die("shm_open");
  if (ftruncate(fd, 4096) != 0) die("ftruncate");
  char *mem = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (mem == MAP_FAILED) die("mmap");
  sem_t *sem = sem_open(name, O_CREAT | O_EXCL, 0600, 0);
  if (sem == SEM_FAILED) die("sem_open");
  pid_t pid = fork();
  if (pid < 0) die("fork");
  if (pid == 0) {
    strcpy(mem, "hello from the child");
    sem_post(sem);
    _exit(0);
  }
  if (sem_wait(sem) != 0) die("sem_wait");
  printf("shm %s\n", mem);
  waitpid(pid, NULL, 0);
  DIR *d = opendir("/dev/shm");
  if (d == NULL) die("opendir");
  int n = 0;
  for (struct dirent *e; (e = readdir(d)) != NULL;) n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
  closedir(d);
  printf("listed %d\n", n);
  return 0;
}
