// SPDX-License-Identifier: GPL-2.0
/*
 * vmtags-probe: does this kernel accept PTRACE_O_VM_TAGS? The detection rule
 * a tracer uses: PTRACE_SETOPTIONS with the option on a stopped tracee;
 * EINVAL means an unpatched kernel. Prints one line; exits 0 if accepted,
 * 1 if refused, 2 on any other error.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/ptrace.h>
#include <sys/wait.h>

#ifndef PTRACE_O_VM_TAGS
#define PTRACE_O_VM_TAGS	(1 << 22)
#endif

int main(void)
{
	int status, rc, err;
	pid_t pid = fork();

	if (pid < 0)
		return perror("fork"), 2;
	if (pid == 0) {
		ptrace(PTRACE_TRACEME, 0, 0, 0);
		raise(SIGSTOP);
		_exit(0);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFSTOPPED(status))
		return fprintf(stderr, "vmtags-probe: tracee did not stop\n"), 2;
	rc = ptrace(PTRACE_SETOPTIONS, pid, 0, PTRACE_O_VM_TAGS | PTRACE_O_EXITKILL);
	err = errno;
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	if (rc == 0) {
		printf("PTRACE_O_VM_TAGS accepted\n");
		return 0;
	}
	printf("PTRACE_O_VM_TAGS refused: %s\n", strerror(err));
	return err == EINVAL ? 1 : 2;
}
