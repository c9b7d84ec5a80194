/*
 * minisup: the least a supervisor in C can do for the bench's policy, as a peer that shows
 * what the *mechanism* costs on this machine, apart from sysvm's implementation.
 *
 *   minisup ptrace  -- CMD [ARGS...]   seccomp RET_TRACE + ptrace (sysvm's seccomp backend)
 *   minisup unotify -- CMD [ARGS...]   seccomp RET_USER_NOTIF, the listener's wake-ups
 *                                      synchronous (SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP, 6.6+)
 *
 * The calls stopped are the bench's (open, openat, newfstatat, stat, lstat, statx, access,
 * faccessat2). At each stop it does the work sysvm does to resolve the path, and no policy:
 * the call's arguments (PTRACE_GET_SYSCALL_INFO, or the notification), the path string
 * (process_vm_readv, never across a page), the dirfd's or cwd's path for a relative one and
 * one readlink per component for an absolute one (symlinks not followed: the count of
 * system calls is what matters here), then the call goes on. No decision, no audit.
 *
 * A bench peer, not a sandbox: the user-notif peer lets every call continue
 * (SECCOMP_USER_NOTIF_FLAG_CONTINUE, which the kernel documents as unsafe for decisions),
 * and neither follows everything a real supervisor must. Exit status: the command's
 * (128+N for a signal N).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <linux/ptrace.h> /* after sys/ptrace.h: struct ptrace_syscall_info */
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef SECCOMP_IOCTL_NOTIF_SET_FLAGS
#define SECCOMP_IOCTL_NOTIF_SET_FLAGS SECCOMP_IOW(4, __u64)
#endif
#ifndef SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP
#define SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP 1
#endif

/* The stopped calls: number, path argument, dirfd argument (-1: the cwd). */
static const struct { int nr, path, dirfd; } CALLS[] = {
	{ __NR_open, 0, -1 }, { __NR_openat, 1, 0 }, { __NR_newfstatat, 1, 0 }, { __NR_stat, 0, -1 },
	{ __NR_lstat, 0, -1 }, { __NR_statx, 1, 0 }, { __NR_access, 0, -1 }, { __NR_faccessat2, 1, 0 },
};
#define NCALLS (sizeof CALLS / sizeof CALLS[0])

static void die(const char *what) { perror(what); exit(125); }

static int install_filter(unsigned action, unsigned flags)
{
	struct sock_filter f[5 + 2 * NCALLS];
	unsigned n = 0;
	f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch));
	f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0);
	f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr));
	for (unsigned i = 0; i < NCALLS; i++) {
		f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, CALLS[i].nr, 0, 1);
		f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, action);
	}
	f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	struct sock_fprog prog = { .len = (unsigned short)n, .filter = f };
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) die("prctl");
	return (int)syscall(__NR_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog);
}

static char pathbuf[4096], linkbuf[4096], procbuf[64];

/* The work of one stop: read the path, resolve it as sysvm's walk would (system calls only). */
static void examine(pid_t tid, int nr, const unsigned long long *args)
{
	unsigned i;
	for (i = 0; i < NCALLS && CALLS[i].nr != nr; i++) {}
	if (i == NCALLS) return;
	unsigned long long addr = args[CALLS[i].path];
	size_t room = 4096 - (addr & 4095);
	if (room > 256) room = 256;
	struct iovec l = { pathbuf, room }, r = { (void *)addr, room };
	ssize_t got = process_vm_readv(tid, &l, 1, &r, 1, 0);
	if (got <= 0) return;
	pathbuf[got < (ssize_t)sizeof pathbuf ? got : (ssize_t)sizeof pathbuf - 1] = 0;
	if (pathbuf[0] != '/') {
		int fd = CALLS[i].dirfd < 0 ? AT_FDCWD : (int)args[CALLS[i].dirfd];
		if (fd == AT_FDCWD) snprintf(procbuf, sizeof procbuf, "/proc/%d/cwd", tid);
		else snprintf(procbuf, sizeof procbuf, "/proc/%d/fd/%d", tid, fd);
		(void)!readlink(procbuf, linkbuf, sizeof linkbuf);
		return;
	}
	/* one readlink per component but the last (which sysvm looks up only when it follows it) */
	for (char *p = pathbuf + 1; (p = strchr(p, '/')) != NULL; p++) {
		*p = 0;
		ssize_t n = readlink(pathbuf, linkbuf, sizeof linkbuf);
		*p = '/';
		if (n < 0 && errno != EINVAL) break; /* ENOENT, ENOTDIR: the walk ends */
	}
}

static int status_code(int st) { return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st); }

static int run_ptrace(char **argv)
{
	pid_t child = fork();
	if (child < 0) die("fork");
	if (child == 0) {
		if (install_filter(SECCOMP_RET_TRACE, 0) != 0) die("seccomp");
		raise(SIGSTOP);
		execvp(argv[0], argv);
		die("execvp");
	}
	int st;
	if (waitpid(child, &st, WUNTRACED) != child || !WIFSTOPPED(st)) die("waitpid");
	long opts = PTRACE_O_TRACESECCOMP | PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK | PTRACE_O_TRACECLONE |
		PTRACE_O_TRACEEXEC | PTRACE_O_EXITKILL;
	if (ptrace(PTRACE_SEIZE, child, 0, opts) != 0) die("PTRACE_SEIZE");
	kill(child, SIGCONT);
	int code = 0;
	struct ptrace_syscall_info si;
	for (;;) {
		pid_t tid = waitpid(-1, &st, __WALL);
		if (tid < 0) {
			if (errno == EINTR) continue;
			break; /* ECHILD: everything is gone */
		}
		if (WIFEXITED(st) || WIFSIGNALED(st)) {
			if (tid == child) code = status_code(st);
			continue;
		}
		int sig = WSTOPSIG(st), event = (unsigned)st >> 16;
		if (event == PTRACE_EVENT_SECCOMP) {
			if (ptrace(PTRACE_GET_SYSCALL_INFO, tid, sizeof si, &si) > 0 && si.op == PTRACE_SYSCALL_INFO_SECCOMP)
				examine(tid, (int)si.seccomp.nr, si.seccomp.args);
			ptrace(PTRACE_CONT, tid, 0, 0);
		} else if (event == PTRACE_EVENT_STOP) {
			if (sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU) ptrace(PTRACE_LISTEN, tid, 0, 0);
			else ptrace(PTRACE_CONT, tid, 0, 0);
		} else if (event != 0) {
			ptrace(PTRACE_CONT, tid, 0, 0);
		} else {
			ptrace(PTRACE_CONT, tid, 0, sig); /* a signal: delivered as it came */
		}
	}
	return code;
}

static int run_unotify(char **argv)
{
	int up[2], down[2]; /* child to supervisor: the listener's number; back: go */
	if (pipe(up) != 0 || pipe(down) != 0) die("pipe");
	pid_t child = fork();
	if (child < 0) die("fork");
	if (child == 0) {
		int fd = install_filter(SECCOMP_RET_USER_NOTIF, SECCOMP_FILTER_FLAG_NEW_LISTENER);
		if (fd < 0) die("seccomp");
		/* the supervisor takes the listener with pidfd_getfd, then lets the command start */
		if (write(up[1], &fd, sizeof fd) != sizeof fd) die("write");
		char go;
		if (read(down[0], &go, 1) != 1) die("read");
		close(fd);
		close(up[0]); close(up[1]); close(down[0]); close(down[1]);
		execvp(argv[0], argv);
		die("execvp");
	}
	int childfd;
	close(up[1]);
	close(down[0]);
	if (read(up[0], &childfd, sizeof childfd) != sizeof childfd) die("read");
	int pidfd = (int)syscall(SYS_pidfd_open, child, 0);
	if (pidfd < 0) die("pidfd_open");
	int listener = (int)syscall(SYS_pidfd_getfd, pidfd, childfd, 0);
	if (listener < 0) die("pidfd_getfd");
	if (ioctl(listener, SECCOMP_IOCTL_NOTIF_SET_FLAGS, SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP, 0) != 0)
		perror("minisup: SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (asynchronous wake-ups)");
	if (write(down[1], "g", 1) != 1) die("write");
	close(up[0]);
	close(down[1]);
	struct seccomp_notif req;
	struct seccomp_notif_resp resp;
	for (;;) {
		/* until the command has exited (its pidfd becomes readable) */
		struct pollfd p[2] = { { listener, POLLIN, 0 }, { pidfd, POLLIN, 0 } };
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR) continue;
			die("poll");
		}
		if (!(p[0].revents & POLLIN)) {
			if (p[1].revents & POLLIN) break;
			if (p[0].revents & (POLLHUP | POLLERR)) break;
			continue;
		}
		memset(&req, 0, sizeof req);
		if (ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, &req) != 0) continue; /* ENOENT: the caller died */
		examine((pid_t)req.pid, req.data.nr, req.data.args);
		/* as a real supervisor must after reading the caller's memory: the caller is still the caller */
		if (ioctl(listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &req.id) != 0) continue;
		memset(&resp, 0, sizeof resp);
		resp.id = req.id;
		resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
		ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &resp);
	}
	int st;
	if (waitpid(child, &st, 0) != child) die("waitpid");
	return status_code(st);
}

int main(int argc, char **argv)
{
	if (argc < 4 || strcmp(argv[2], "--") != 0) {
		fprintf(stderr, "usage: minisup ptrace|unotify -- CMD [ARGS...]\n");
		return 125;
	}
	if (strcmp(argv[1], "ptrace") == 0) return run_ptrace(argv + 3);
	if (strcmp(argv[1], "unotify") == 0) return run_unotify(argv + 3);
	fprintf(stderr, "minisup: unknown mechanism %s\n", argv[1]);
	return 125;
}
