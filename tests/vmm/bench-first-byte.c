/*
 * Benchmark helper: starts a VMM command, measures the time from fork to the
 * first byte on its stdout (the guest's serial output), then its resident
 * memory excluding guest RAM (every anonymous mapping at least as large as
 * the guest RAM), and kills it. Prints the medians of RUNS runs:
 *   first_byte_ms: X
 *   rss_minus_guest_kib: Y
 * The first byte must be FIRST (the guest's first character), so that nothing the
 * VMM itself prints is taken for the guest's output.
 * Usage: bench-first-byte RUNS GUEST_MIB FIRST COMMAND [ARG]...
 */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Rss of every mapping of pid except anonymous ones of at least guest_kib. */
static long rss_minus_guest(pid_t pid, unsigned long guest_kib)
{
	char path[64], line[512];
	FILE *f;
	long total = 0;
	bool skip = false;

	snprintf(path, sizeof(path), "/proc/%d/smaps", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		unsigned long lo, hi, kib;
		char name[256] = "";

		if (sscanf(line, "%lx-%lx %*s %*s %*s %*s %255s", &lo, &hi, name) >= 2 &&
		    strchr(line, '-') < strchr(line, ' ')) {
			/* A mapping header: anonymous (no name, or a [anon...] tag) and big enough? */
			skip = (hi - lo) / 1024 >= guest_kib && (!name[0] || !strncmp(name, "[anon", 5) ||
								 !strncmp(name, "/memfd:", 7));
			continue;
		}
		if (!skip && sscanf(line, "Rss: %lu kB", &kib) == 1)
			total += (long)kib;
	}
	fclose(f);
	return total;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	int runs, guest_mib;
	double *ms, *rss;

	if (argc < 5 || strlen(argv[3]) != 1) {
		fprintf(stderr, "usage: %s RUNS GUEST_MIB FIRST COMMAND [ARG]...\n", argv[0]);
		return 2;
	}
	runs = atoi(argv[1]);
	guest_mib = atoi(argv[2]);
	if (runs < 1 || guest_mib < 1)
		return 2;
	ms = calloc((size_t)runs, sizeof(*ms));
	rss = calloc((size_t)runs, sizeof(*rss));
	for (int i = 0; i < runs; i++) {
		int out[2], status;
		double t0;
		pid_t pid;
		struct pollfd p;
		char c;

		if (pipe(out) < 0)
			return 1;
		t0 = now_ms();
		pid = fork();
		if (pid == 0) {
			dup2(out[1], 1);
			close(out[0]);
			execvp(argv[4], argv + 4);
			_exit(127);
		}
		close(out[1]);
		p = (struct pollfd){ out[0], POLLIN, 0 };
		if (poll(&p, 1, 30000) <= 0 || read(out[0], &c, 1) != 1) {
			fprintf(stderr, "%s: no output within 30 s\n", argv[4]);
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			return 1;
		}
		ms[i] = now_ms() - t0;
		if (c != argv[3][0]) {
			fprintf(stderr, "%s: the first byte is 0x%02x, not the guest's '%c'\n", argv[4],
				(unsigned char)c, argv[3][0]);
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			return 1;
		}
		usleep(300000); /* let it settle: RSS as it runs, not mid-start */
		rss[i] = (double)rss_minus_guest(pid, (unsigned long)guest_mib * 1024);
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		close(out[0]);
	}
	qsort(ms, (size_t)runs, sizeof(*ms), cmp);
	qsort(rss, (size_t)runs, sizeof(*rss), cmp);
	printf("first_byte_ms: %.2f\nrss_minus_guest_kib: %.0f\n", ms[runs / 2], rss[runs / 2]);
	free(ms);
	free(rss);
	return 0;
}
