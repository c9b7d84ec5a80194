// A seccomp user-notification listener of the program's own: the main thread installs a
// filter that sends its openat calls to a listener fd (SECCOMP_RET_USER_NOTIF ranks above
// SECCOMP_RET_TRACE), a sibling thread answers every notification with CONTINUE, and the
// main thread opens and reads argv[1]. Prints "install=ERR" when the filter is refused,
// else "open=ERR" or "read=TEXT".
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

static volatile int listener = -1;

static void *answer(void *arg) {
  (void)arg;
  while (listener < 0) usleep(1000);
  for (;;) {
    struct seccomp_notif req;
    struct seccomp_notif_resp resp;
    memset(&req, 0, sizeof req);
    if (ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, &req) != 0) return NULL;
    memset(&resp, 0, sizeof resp);
    resp.id = req.id;
    resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
    ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &resp);
  }
}

int main(int argc, char **argv) {
  (void)argc;
  pthread_t th;
  pthread_create(&th, NULL, answer, NULL);
  struct sock_filter code[] = {
    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_openat, 0, 1),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
    BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  struct sock_fprog prog = {.len = sizeof code / sizeof code[0], .filter = code};
  prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
  long fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
  if (fd < 0) {
    printf("install=%s\n", strerrorname_np(errno));
    return 0;
  }
  listener = (int)fd;
  int f = open(argv[1], O_RDONLY);
  if (f < 0) {
    printf("open=%s\n", strerrorname_np(errno));
    return 0;
  }
  char buf[64] = {0};
  ssize_t n = read(f, buf, sizeof buf - 1);
  printf("read=%s", n > 0 ? buf : "\n");
  return 0;
}
