// SPDX-License-Identifier: GPL-2.0
/*
 * /init for the sysvm test guests (x86_64 under QEMU, User-Mode Linux).
 *
 * Default: run /ptrace_vm_tags (the selftests) and print its exit status.
 * With sysvm.cmd=PATH on the kernel command line: take a shell command line
 * from the file PATH of the host's root (virtio-9p, or hostfs under UML),
 * run it with /bin/sh -c in the host's root (read-only, tmpfs on /tmp), in
 * directory sysvm.cwd=DIR, and print its exit status.
 *
 * The status line, "SYSVM-EXIT <n>", is what the scripts read from the
 * console. The guest then reboots, which ends QEMU (-no-reboot), or with
 * sysvm.off=poweroff (UML) powers off.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/wait.h>

static char *param(const char *cmdline, const char *key)
{
	static char buf[4096];
	const char *p = cmdline;
	size_t klen = strlen(key);

	while ((p = strstr(p, key))) {
		if ((p == cmdline || p[-1] == ' ') && p[klen] == '=') {
			size_t n = strcspn(p + klen + 1, " \n");

			if (n >= sizeof(buf))
				return NULL;
			memcpy(buf, p + klen + 1, n);
			buf[n] = 0;
			return strdup(buf);
		}
		p += klen;
	}
	return NULL;
}

static char *slurp(const char *path)
{
	static char buf[65536];
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return NULL;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		return NULL;
	buf[n] = 0;
	return strdup(buf);
}

static int poweroff;

static void finish(int status)
{
	printf("\nSYSVM-EXIT %d\n", status);
	fflush(stdout);
	sync();
	/* QEMU ends on reboot (-no-reboot); UML would restart, so halt it. */
	reboot(poweroff ? RB_POWER_OFF : RB_AUTOBOOT);
	for (;;)
		pause();
}

static int run(char *const argv[], const char *root, const char *cwd)
{
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		if (root && (chroot(root) || chdir("/"))) {
			perror("chroot");
			_exit(126);
		}
		if (cwd && chdir(cwd))
			perror(cwd);
		execv(argv[0], argv);
		perror(argv[0]);
		_exit(127);
	}
	if (pid < 0)
		return 125;
	while (waitpid(pid, &status, 0) != pid)
		if (errno != EINTR)
			return 125;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/*
 * The guest's writable scratch directory: a tmpfs on /tmp, unless the command
 * runs in a directory under the host's /tmp (a CI clone there), which a tmpfs
 * on /tmp would hide; then the tmpfs goes on /var/tmp and TMPDIR says so.
 */
static const char *scratch_dir(const char *cwd)
{
	if (cwd && (strcmp(cwd, "/tmp") == 0 || strncmp(cwd, "/tmp/", 5) == 0))
		return "/var/tmp";
	return "/tmp";
}

static void mount_common(const char *root, const char *scratch)
{
	char p[256];

	snprintf(p, sizeof(p), "%s/proc", root);
	mount("proc", p, "proc", 0, NULL);
	snprintf(p, sizeof(p), "%s/dev", root);
	mount("devtmpfs", p, "devtmpfs", 0, NULL);
	snprintf(p, sizeof(p), "%s%s", root, scratch);
	mount("tmpfs", p, "tmpfs", 0, "mode=1777");
}

int main(void)
{
	char *cmdline, *cmdfile, *cmd, *cwd, *root = NULL;
	int fd;

	mkdir("/proc", 0555);
	mount("proc", "/proc", "proc", 0, NULL);
	mkdir("/dev", 0755);
	mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
	fd = open("/dev/console", O_RDWR);
	if (fd >= 0) {
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
		if (fd > 2)
			close(fd);
	}
	setvbuf(stdout, NULL, _IONBF, 0);
	cmdline = slurp("/proc/cmdline");
	poweroff = cmdline && strstr(cmdline, "sysvm.off=poweroff");
	cmdfile = cmdline ? param(cmdline, "sysvm.cmd") : NULL;
	if (!cmdfile) {
		char *argv[] = { "/ptrace_vm_tags", NULL };

		finish(run(argv, NULL, NULL));
	}

	/* The host's root: already / under UML (hostfs), else virtio-9p. */
	if (access("/newroot", F_OK) == 0) {
		if (mount("hostroot", "/newroot", "9p", MS_RDONLY,
			  "trans=virtio,version=9p2000.L,cache=loose")) {
			perror("mount 9p");
			finish(125);
		}
		root = "/newroot";
	}
	{
		char path[512];

		snprintf(path, sizeof(path), "%s%s", root ? root : "", cmdfile);
		cmd = slurp(path);
	}
	if (!cmd) {
		fprintf(stderr, "sysvm init: cannot read %s\n", cmdfile);
		finish(125);
	}
	cwd = param(cmdline, "sysvm.cwd");
	if (root)
		mount_common(root, scratch_dir(cwd));
	else
		mount("tmpfs", scratch_dir(cwd), "tmpfs", 0, "mode=1777");
	setenv("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", 1);
	setenv("HOME", scratch_dir(cwd), 1);
	setenv("TMPDIR", scratch_dir(cwd), 1);
	setenv("TERM", "dumb", 1);
	{
		char *argv[] = { "/bin/sh", "-c", cmd, NULL };

		printf("\nSYSVM-START\n");
		finish(run(argv, root, cwd));
	}
	return 0;
}
