/* Runs passthru-vmm as a child process for the tests, with a deadline. */
#ifndef PT_TESTS_VMM_PROC_H
#define PT_TESTS_VMM_PROC_H

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tap.h"

#ifndef VMM_PROC_TIMEOUT_S
#define VMM_PROC_TIMEOUT_S 60
#endif

struct result {
	int status;          /* exit status, or 128 + signal, or -1 on timeout */
	char out[65536], err[8192];
};

static inline void drain(int fd, char *buf, size_t *len, size_t size)
{
	char scratch[4096];
	ssize_t n;

	/* Keep the first size-1 bytes; read and drop the rest so the child never blocks. */
	if (*len + 1 < size)
		n = read(fd, buf + *len, size - 1 - *len);
	else
		n = read(fd, scratch, sizeof(scratch)) > 0 ? 0 : -1;
	if (n > 0)
		*len += (size_t)n;
	buf[*len] = 0;
}

/* When not 0, the child's RLIMIT_NOFILE (soft and hard) before it runs passthru-vmm. */
static unsigned vmm_proc_nofile;

/*
 * Runs passthru-vmm with argv, feeding `input` on stdin (NULL: /dev/null).
 * If sock is given, waits for it to appear and runs talk(sock) meanwhile.
 */
static inline void run_vmm(char *const argv[], const char *input, const char *sock,
		    void (*talk)(const char *sock, pid_t pid), struct result *res)
{
	int in[2], out[2], err[2], status;
	size_t olen = 0, elen = 0;
	pid_t pid;
	time_t deadline = time(NULL) + VMM_PROC_TIMEOUT_S;
	bool talked = false;

	memset(res, 0, sizeof(*res));
	if (pipe(in) || pipe(out) || pipe(err)) {
		res->status = -2;
		return;
	}
	pid = fork();
	if (pid == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		dup2(err[1], 2);
		close(in[1]);
		close(out[0]);
		close(err[0]);
		if (vmm_proc_nofile) {
			struct rlimit rl = { vmm_proc_nofile, vmm_proc_nofile };

			for (int fd = 3; fd < 1024; fd++)
				close(fd);
			if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
				_exit(126);
		}
		execv(PASSTHRU_VMM, argv);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	close(err[1]);
	if (input && write(in[1], input, strlen(input)) < 0)
		tap_diag("writing stdin: %s", strerror(errno));
	/* Keep stdin open while the guest runs: EOF is not a reason to stop. */
	for (;;) {
		struct pollfd p[2] = { { out[0], POLLIN, 0 }, { err[0], POLLIN, 0 } };

		if (poll(p, 2, 100) > 0) {
			if (p[0].revents)
				drain(out[0], res->out, &olen, sizeof(res->out));
			if (p[1].revents)
				drain(err[0], res->err, &elen, sizeof(res->err));
		}
		if (sock && talk && !talked && access(sock, F_OK) == 0) {
			talked = true;
			talk(sock, pid);
		}
		if (waitpid(pid, &status, WNOHANG) == pid)
			break;
		if (time(NULL) > deadline) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			res->status = -1;
			goto out;
		}
	}
	drain(out[0], res->out, &olen, sizeof(res->out));
	drain(err[0], res->err, &elen, sizeof(res->err));
	res->status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
out:
	close(in[1]);
	close(out[0]);
	close(err[0]);
}

#endif
