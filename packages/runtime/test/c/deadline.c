// Absolute deadlines on the wall clock, every way a program sets one: for each, the deadline
// is "now + AHEAD ms" on the clock the program reads (so, in a sandbox with virtual time, a
// virtual instant), and the program prints how long it really waited (CLOCK_MONOTONIC, ms).
//   deadline AHEAD_MS
// alarm(20) ends a program whose deadline was never translated and lies far in the future.
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <mqueue.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

static long long ahead_ns;

static long long now_ns(clockid_t c) {
  struct timespec t;
  clock_gettime(c, &t);
  return t.tv_sec * 1000000000LL + t.tv_nsec;
}

static struct timespec at(clockid_t c) {
  long long n = now_ns(c) + ahead_ns;
  struct timespec t = {n / 1000000000LL, n % 1000000000LL};
  return t;
}

static long long t0;
static void start(void) { t0 = now_ns(CLOCK_MONOTONIC); }
static void done(const char *name, int rc) {
  printf("%s=%lld:%d\n", name, (now_ns(CLOCK_MONOTONIC) - t0) / 1000000LL, rc);
  fflush(stdout);
}

static volatile sig_atomic_t ticks_seen;
static void on_tick(int sig) {
  (void)sig;
  ticks_seen++;
}

static pthread_mutex_t pi;
static pthread_barrier_t held, release;
static void *holder(void *arg) {
  (void)arg;
  pthread_mutex_lock(&pi);
  pthread_barrier_wait(&held);
  pthread_barrier_wait(&release);
  pthread_mutex_unlock(&pi);
  return NULL;
}

int main(int argc, char **argv) {
  ahead_ns = (argc > 1 ? atoll(argv[1]) : 300) * 1000000LL;
  alarm(20);

  start();
  {
    // A const deadline: the supervisor must not write it.
    static struct timespec rt;
    rt = at(CLOCK_REALTIME);
    const struct timespec *d = &rt;
    done("clock_nanosleep", clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, d, NULL));
  }

  start();
  struct timespec tai = at(CLOCK_TAI);
  done("clock_nanosleep_tai", clock_nanosleep(CLOCK_TAI, TIMER_ABSTIME, &tai, NULL));

  start();
  int tfd = timerfd_create(CLOCK_REALTIME, 0);
  struct itimerspec its = {{0, 0}, at(CLOCK_REALTIME)};
  int rc = timerfd_settime(tfd, TFD_TIMER_ABSTIME, &its, NULL);
  unsigned long long ticks = 0;
  if (rc == 0 && read(tfd, &ticks, sizeof ticks) != sizeof ticks) rc = -1;
  done("timerfd", rc);

  // POSIX timers: the supervisor finds each timer's clock (realtime: translated; monotonic: not).
  sigset_t rtsig;
  sigemptyset(&rtsig);
  sigaddset(&rtsig, SIGRTMIN);
  sigprocmask(SIG_BLOCK, &rtsig, NULL);
  clockid_t clocks[] = {CLOCK_REALTIME, CLOCK_MONOTONIC};
  const char *names[] = {"timer_realtime", "timer_monotonic"};
  for (int i = 0; i < 2; i++) {
    struct sigevent ev;
    memset(&ev, 0, sizeof ev);
    ev.sigev_notify = SIGEV_SIGNAL;
    ev.sigev_signo = SIGRTMIN;
    timer_t tm;
    start();
    rc = timer_create(clocks[i], &ev, &tm);
    struct itimerspec t = {{0, 0}, at(clocks[i])};
    if (rc == 0) rc = timer_settime(tm, TIMER_ABSTIME, &t, NULL);
    if (rc == 0) rc = sigwaitinfo(&rtsig, NULL) == SIGRTMIN ? 0 : -1;
    done(names[i], rc);
    timer_delete(tm);
  }

  // pthread_cond_timedwait on the default (realtime) clock: FUTEX_WAIT_BITSET|FUTEX_CLOCK_REALTIME.
  pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
  pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
  start();
  struct timespec cd = at(CLOCK_REALTIME);
  pthread_mutex_lock(&m);
  rc = pthread_cond_timedwait(&cv, &m, &cd);
  pthread_mutex_unlock(&m);
  done("cond_timedwait", rc == ETIMEDOUT ? 0 : rc);

  // The same while a signal handler (SA_RESTART) runs every 40 ms on this thread's stack: the
  // kernel restarts the wait, which must still end at the program's deadline.
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_tick;
  sa.sa_flags = SA_RESTART;
  sigaction(SIGUSR1, &sa, NULL);
  struct sigevent tev;
  memset(&tev, 0, sizeof tev);
  tev.sigev_notify = SIGEV_SIGNAL;
  tev.sigev_signo = SIGUSR1;
  timer_t tick;
  timer_create(CLOCK_MONOTONIC, &tev, &tick);
  struct itimerspec every = {{0, 40 * 1000 * 1000}, {0, 40 * 1000 * 1000}};
  timer_settime(tick, 0, &every, NULL);
  start();
  cd = at(CLOCK_REALTIME);
  pthread_mutex_lock(&m);
  do rc = pthread_cond_timedwait(&cv, &m, &cd); while (rc == 0);
  pthread_mutex_unlock(&m);
  timer_delete(tick);
  done("cond_timedwait_signals", rc == ETIMEDOUT && (ahead_ns <= 0 || ticks_seen > 0) ? 0 : rc);

  sem_t sem;
  sem_init(&sem, 0, 0);
  start();
  struct timespec sd = at(CLOCK_REALTIME);
  rc = sem_timedwait(&sem, &sd);
  done("sem_timedwait", rc == -1 && errno == ETIMEDOUT ? 0 : -1);

  // A priority-inheritance mutex another thread holds: FUTEX_LOCK_PI(2), realtime timeout.
  pthread_mutexattr_t ma;
  pthread_mutexattr_init(&ma);
  pthread_mutexattr_setprotocol(&ma, PTHREAD_PRIO_INHERIT);
  pthread_mutex_init(&pi, &ma);
  pthread_barrier_init(&held, NULL, 2);
  pthread_barrier_init(&release, NULL, 2);
  pthread_t th;
  pthread_create(&th, NULL, holder, NULL);
  pthread_barrier_wait(&held);
  start();
  struct timespec pd = at(CLOCK_REALTIME);
  rc = pthread_mutex_timedlock(&pi, &pd);
  done("mutex_pi_timedlock", rc == ETIMEDOUT ? 0 : rc);
  pthread_barrier_wait(&release);
  pthread_join(th, NULL);

  // A POSIX message queue with nothing in it.
  char qname[64];
  snprintf(qname, sizeof qname, "/sysvm-deadline-%d", getpid());
  struct mq_attr qa = {.mq_maxmsg = 1, .mq_msgsize = 16};
  mqd_t q = mq_open(qname, O_CREAT | O_RDWR, 0600, &qa);
  if (q == (mqd_t)-1) {
    printf("mq_timedreceive=unavailable\n");
  } else {
    mq_unlink(qname);
    char msg[16];
    start();
    struct timespec qd = at(CLOCK_REALTIME);
    rc = mq_timedreceive(q, msg, sizeof msg, NULL, &qd) == -1 && errno == ETIMEDOUT ? 0 : -1;
    done("mq_timedreceive", rc);
  }
  return 0;
}
