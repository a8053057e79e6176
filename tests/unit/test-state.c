/*
 * The device state records and locks (host/state.h): a record reads back as
 * written, a rewrite leaves no temporary file, a record for another address is
 * refused, the list sees records and stale locks, and a lock held by one
 * process is refused to another with the holder's command, pid and VM.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "host/state.h"
#include "tap.h"

static char dir[] = "/tmp/passthru-test-state.XXXXXX";

static int count_entries(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		n += e->d_name[0] != '.' || strlen(e->d_name) > 2;
	closedir(d);
	return n;
}

static void test_records(struct tap *t)
{
	struct pt_state_record rec = { .phase = PT_PHASE_PREPARING, .pid = 42 }, *got = NULL;
	char devices[256], path[300];
	char (*names)[PT_BDF_STRLEN] = NULL;
	const char *why = NULL;
	size_t n = 0;
	FILE *f;
	int r;

	snprintf(rec.bdf, sizeof(rec.bdf), "0000:03:00.0");
	rec.backend = "vfio";
	rec.original_driver = "e1000e";
	rec.command = "prepare";
	pt_state_step_begin(&rec, "unbind");
	pt_state_step_done(&rec);
	pt_state_step_begin(&rec, "override");
	tap_ok(t, pt_state_write(&rec) == 0, "a record is written");
	tap_ok(t, pt_state_read("0000:03:00.0", &got, &why) == 0, "and read back");
	tap_ok(t, got && got->phase == PT_PHASE_PREPARING && !got->vm &&
		  !strcmp(got->original_driver, "e1000e") && !got->original_override &&
		  got->pid == 42 && !strcmp(got->command, "prepare"),
	       "phase, vm, original driver and override, pid and command as written");
	tap_ok(t, got && got->n_steps == 2 && !strcmp(got->steps[0].name, "unbind") &&
		  got->steps[0].done && !strcmp(got->steps[1].name, "override") &&
		  !got->steps[1].done, "the steps, in order, with their done flags");
	pt_state_record_free(got);
	got = NULL;

	rec.phase = PT_PHASE_PREPARED;
	tap_ok(t, pt_state_write(&rec) == 0, "a record is rewritten");
	snprintf(devices, sizeof(devices), "%s/devices", dir);
	tap_is_int(t, count_entries(devices), 1, "the rewrite leaves no temporary file beside it");

	snprintf(path, sizeof(path), "%s/0000:04:00.0.json", devices);
	f = fopen(path, "w");
	if (f) {
		fputs("{\"bdf\": \"0000:05:00.0\", \"original_driver\": null}\n", f);
		fclose(f);
	}
	why = NULL;
	r = pt_state_read("0000:04:00.0", &got, &why);
	tap_ok(t, r == -EBADMSG && why && strstr(why, "file name"),
	       "a record naming another address is refused (%s)", why ? why : "no reason");
	tap_ok(t, pt_state_list(&names, &n) == 0 && n == 2 && !strcmp(names[0], "0000:03:00.0") &&
		  !strcmp(names[1], "0000:04:00.0"), "the list has both, sorted");
	free(names);
	tap_ok(t, pt_state_remove("0000:03:00.0") == 0 && pt_state_remove("0000:04:00.0") == 0,
	       "records are removed");
	tap_ok(t, pt_state_read("0000:03:00.0", &got, &why) == -ENOENT, "a removed record is gone");
	tap_ok(t, pt_state_remove("0000:03:00.0") == 0, "removing an absent record is fine");
}

static void test_lock(struct tap *t)
{
	struct pt_state_lock l = { .fd = -1 };
	struct pt_state_holder h;
	char path[300];
	int status = -1;
	pid_t child;

	tap_ok(t, pt_state_lock("0000:03:00.0", "prepare", "web", &l, &h) == 0, "the lock is taken");
	child = fork();
	if (child == 0) {
		struct pt_state_lock l2 = { .fd = -1 };
		int r = pt_state_lock("0000:03:00.0", "release", NULL, &l2, &h);

		_exit(r == -EBUSY && !strcmp(h.command, "prepare") && h.pid == getppid() &&
		      !strcmp(h.vm, "web") ? 0 : 1);
	}
	waitpid(child, &status, 0);
	tap_ok(t, WIFEXITED(status) && WEXITSTATUS(status) == 0,
	       "another process is refused, and told command, pid and VM of the holder");
	pt_state_unlock(&l);
	snprintf(path, sizeof(path), "%s/devices/0000:03:00.0.lock", dir);
	tap_ok(t, access(path, F_OK) < 0 && errno == ENOENT, "letting go removes the lock file");
	child = fork();
	if (child == 0) {
		struct pt_state_lock l2 = { .fd = -1 };

		_exit(pt_state_lock("0000:03:00.0", "release", NULL, &l2, &h) == 0 ? 0 : 1);
	}
	waitpid(child, &status, 0);
	tap_ok(t, WIFEXITED(status) && WEXITSTATUS(status) == 0, "once let go, another takes it");
}

int main(void)
{
	struct tap t = { 0 };
	char cmd[64];

	if (!mkdtemp(dir))
		tap_skip_all("mkdtemp: %s", strerror(errno));
	setenv("PASSTHRU_RUN_DIR", dir, 1);
	test_records(&t);
	test_lock(&t);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	return tap_done(&t);
}
