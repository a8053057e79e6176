/*
 * Replays a fuzz target's corpus without libFuzzer (a gcc build's make check): each
 * input of PT_FUZZ_CORPUS, or of the files and directories given, goes through
 * LLVMFuzzerTestOneInput in a child of its own; an input whose run aborts (an
 * invariant the target checks) or dies fails. TAP, one line per input.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
/* libFuzzer calls it first when a target has one. */
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

#define INPUT_BYTES (1 << 20)
#define INPUTS_MAX 4096

/* 0 when the input ran to its end, else why not (on stderr). */
static int run_one(const char *path)
{
	static uint8_t buf[INPUT_BYTES];
	FILE *fp = fopen(path, "rb");
	size_t n;

	if (!fp) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return 1;
	}
	n = fread(buf, 1, sizeof(buf), fp);
	fclose(fp);
	LLVMFuzzerTestOneInput(buf, n);
	return 0;
}

static void replay(struct tap *t, const char *path)
{
	const char *name = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	int status = 0;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid == 0)
		_exit(run_one(path));
	if (pid < 0 || waitpid(pid, &status, 0) != pid) {
		tap_ok(t, 0, "%s: cannot run it: %s", name, strerror(errno));
		return;
	}
	if (WIFSIGNALED(status))
		tap_ok(t, 0, "%s: killed by signal %d (an invariant broken: see above)", name,
		       WTERMSIG(status));
	else
		tap_ok(t, WEXITSTATUS(status) == 0, "%s", name);
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The inputs of path: itself, or a directory's regular files in name order. */
static int collect(const char *path, char **out, int n)
{
	struct stat st;
	struct dirent *de;
	DIR *d;
	int first = n;

	if (stat(path, &st) < 0) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		exit(1);
	}
	if (!S_ISDIR(st.st_mode)) {
		if (n < INPUTS_MAX)
			out[n++] = strdup(path);
		return n;
	}
	d = opendir(path);
	while (d && (de = readdir(d)) && n < INPUTS_MAX) {
		char full[4096];

		if (de->d_name[0] == '.')
			continue;
		snprintf(full, sizeof(full), "%s/%s", path, de->d_name);
		if (stat(full, &st) == 0 && S_ISREG(st.st_mode))
			out[n++] = strdup(full);
	}
	if (d)
		closedir(d);
	qsort(out + first, (size_t)(n - first), sizeof(*out), by_name);
	return n;
}

int main(int argc, char **argv)
{
	static char *inputs[INPUTS_MAX];
	struct tap t = { 0 };
	int n = 0;

	if (LLVMFuzzerInitialize)
		LLVMFuzzerInitialize(&argc, &argv);
	if (argc < 2)
		n = collect(PT_FUZZ_CORPUS, inputs, n);
	for (int i = 1; i < argc; i++)
		n = collect(argv[i], inputs, n);
	if (!n)
		tap_skip_all("no inputs");
	tap_plan(&t, n);
	for (int i = 0; i < n; i++)
		replay(&t, inputs[i]);
	return t.failed ? 1 : 0;
}
