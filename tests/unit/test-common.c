/* BDF, size and number parsing: the rules every argument and config value goes through. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/bdf.h"
#include "common/files.h"
#include "common/parse.h"
#include "common/pidfile.h"
#include "common/text.h"
#include "tap.h"

static void test_bdf(struct tap *t)
{
	static const struct { const char *in; int err; const char *canon; } cases[] = {
		{ "0000:03:00.0", 0, "0000:03:00.0" },
		{ "03:00.0", 0, "0000:03:00.0" },
		{ "ffff:ff:1f.7", 0, "ffff:ff:1f.7" },
		{ "0000:0A:1F.3", 0, "0000:0a:1f.3" },
		{ "0000:03:20.0", -EINVAL, NULL },   /* device > 31 */
		{ "0000:03:00.8", -EINVAL, NULL },   /* function > 7 */
		{ "0:3:0.0", -EINVAL, NULL },        /* short fields */
		{ "00000:03:00.0", -EINVAL, NULL },  /* overlong domain */
		{ "0000:03:00.0/", -EINVAL, NULL },  /* trailing junk */
		{ "../../../etc", -EINVAL, NULL },   /* path fragment */
		{ "0000:03:00.0 ", -EINVAL, NULL },
		{ "", -EINVAL, NULL },
		{ "0000-03-00.0", -EINVAL, NULL },
		{ "0000:g3:00.0", -EINVAL, NULL },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pt_bdf bdf;
		char buf[PT_BDF_STRLEN];
		const char *why = NULL;
		int r = pt_bdf_parse(cases[i].in, &bdf, &why);

		tap_is_int(t, r, cases[i].err, "bdf parse \"%s\"", cases[i].in);
		if (!r)
			tap_is_str(t, pt_bdf_format(&bdf, buf), cases[i].canon, "bdf canonical form of \"%s\"", cases[i].in);
		else
			tap_ok(t, why && *why, "bdf error for \"%s\" says why: %s", cases[i].in, why ? why : "");
	}
	tap_ok(t, pt_bdf_is_canonical("0000:03:00.0"), "canonical accepted");
	tap_ok(t, !pt_bdf_is_canonical("03:00.0"), "short form is not canonical");
	tap_ok(t, !pt_bdf_is_canonical("0000:0A:00.0"), "upper case is not canonical");
}

static void test_size(struct tap *t)
{
	static const struct { const char *in; int err; uint64_t bytes; } cases[] = {
		{ "512M", 0, 512ULL << 20 }, { "2G", 0, 2ULL << 30 }, { "64K", 0, 64ULL << 10 },
		{ "1T", 0, 1ULL << 40 }, { "2GiB", 0, 2ULL << 30 }, { "0M", 0, 0 },
		{ "512", -EINVAL, 0 }, { "512m", -EINVAL, 0 }, { "M", -EINVAL, 0 },
		{ "-1G", -EINVAL, 0 }, { "1.5G", -EINVAL, 0 }, { "99999999999999999999G", -ERANGE, 0 },
		{ "17179869184G", -ERANGE, 0 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t v = 0;
		int r = pt_parse_size(cases[i].in, &v);

		tap_is_int(t, r, cases[i].err, "size \"%s\" status", cases[i].in);
		if (!r)
			tap_is_int(t, (long long)v, (long long)cases[i].bytes, "size \"%s\" value", cases[i].in);
	}
}

static void test_u64(struct tap *t)
{
	uint64_t v;

	tap_is_int(t, pt_parse_u64("4", 1, 8, &v), 0, "u64 in range");
	tap_is_int(t, (long long)v, 4, "u64 value");
	tap_is_int(t, pt_parse_u64("0x10", 0, 255, &v), -EINVAL, "u64: no hex");
	tap_is_int(t, pt_parse_u64("010", 0, 255, &v), 0, "u64: a leading 0 is still decimal");
	tap_is_int(t, (long long)v, 10, "u64: 010 is ten, not octal 8");
	tap_is_int(t, pt_parse_u64("09", 0, 255, &v), 0, "u64: 09 is a number");
	tap_is_int(t, (long long)v, 9, "u64: 09 is nine");
	tap_is_int(t, pt_parse_u64("+4", 0, 8, &v), -EINVAL, "u64: no sign");
	tap_is_int(t, pt_parse_u64("99999999999999999999", 0, UINT64_MAX, &v), -ERANGE,
		   "u64: overflow is out of range");
	tap_is_int(t, pt_parse_u64("9", 1, 8, &v), -ERANGE, "u64 above max");
	tap_is_int(t, pt_parse_u64("-1", 0, 8, &v), -EINVAL, "u64 negative");
	tap_is_int(t, pt_parse_u64("4x", 0, 8, &v), -EINVAL, "u64 trailing junk");
	tap_is_int(t, pt_parse_u64(" 4", 0, 8, &v), -EINVAL, "u64 leading space");
}

static void test_text_escape(struct tap *t)
{
	static const struct { const char *in; size_t len; const char *want; } cases[] = {
		{ "plain", 5, "plain" },
		{ "caf\xc3\xa9", 5, "caf\xc3\xa9" },              /* valid UTF-8 is kept */
		{ "\x1b[2J", 4, "\\x1b[2J" },                      /* a terminal escape */
		{ "a\tb\x7f", 4, "a\\x09b\\x7f" },
		{ "\"\\\xd0\x87", 4, "\"\\\xd0\x87" },           /* a whole 2-byte character */
		{ "x\xd0", 2, "x\\xd0" },                          /* a cut multi-byte character */
		{ "\xc0\xaf", 2, "\\xc0\\xaf" },                  /* an overlong '/' */
		{ "\xed\xa0\x80", 3, "\\xed\\xa0\\x80" },        /* a UTF-16 surrogate */
		{ "\xf4\x90\x80\x80", 4, "\\xf4\\x90\\x80\\x80" }, /* past U+10FFFF */
		{ "a\0b", 3, "a\\x00b" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *got = pt_text_escape(cases[i].in, cases[i].len);

		tap_is_str(t, got ? got : "(null)", cases[i].want, "text escape #%zu", i);
		tap_ok(t, got && pt_text_clean(got, strlen(got)), "text escape #%zu is clean", i);
		tap_is_int(t, pt_text_clean(cases[i].in, cases[i].len),
			   !strcmp(cases[i].in, cases[i].want), "text clean #%zu", i);
		free(got);
	}
}

static void test_format_size(struct tap *t)
{
	static const struct { uint64_t bytes; const char *text; } cases[] = {
		{ 0, "0" }, { 1000, "1000" }, { 1024, "1K" }, { 1536ULL << 20, "1536M" },
		{ 2ULL << 30, "2G" }, { 3ULL << 40, "3T" }, { 4096ULL << 40, "4096T" },
	};
	char buf[32];
	uint64_t back;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		pt_format_size(cases[i].bytes, buf, sizeof(buf));
		tap_is_str(t, buf, cases[i].text, "format_size %llu", (unsigned long long)cases[i].bytes);
		if (cases[i].bytes >= 1024 && !pt_parse_size(buf, &back))
			tap_is_int(t, (long long)back, (long long)cases[i].bytes,
				   "format_size %s parses back", buf);
	}
}

/* A child that holds the pidfile until its stdin closes, for the cross-process checks. */
static pid_t hold_in_child(const char *path, int *ret_pipe)
{
	int p[2];
	pid_t pid;

	if (pipe(p) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		char c;

		close(p[1]);
		if (pt_pidfile_acquire(path, NULL) < 0)
			_exit(1);
		while (read(p[0], &c, 1) > 0)
			;
		_exit(0); /* exits without release: a stale file, as after a crash */
	}
	close(p[0]);
	*ret_pipe = p[1];
	return pid;
}

/* Waits (bounded) until pid is a zombie: the state letter in /proc/PID/stat is Z. */
static void wait_zombie(pid_t pid)
{
	char path[64], buf[256];

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	for (int i = 0; i < 500; i++) {
		FILE *f = fopen(path, "r");
		char *paren = NULL;

		if (f && fgets(buf, sizeof(buf), f))
			paren = strrchr(buf, ')');
		if (f)
			fclose(f);
		if (paren && paren[1] == ' ' && paren[2] == 'Z')
			return;
		usleep(10000);
	}
}

static void test_pidfile(struct tap *t)
{
	char dir[] = "/tmp/pt-pidfile-XXXXXX", path[128], text[32] = "";
	pid_t holder = 0, pid = 0, child;
	int fd, fd2, wr = -1, st, n, rfd;

	if (!mkdtemp(dir)) {
		tap_skip(t, "mkdtemp: cannot test pidfiles");
		return;
	}
	snprintf(path, sizeof(path), "%s/sub/dir/vm.pid", dir);
	tap_is_int(t, pt_pidfile_probe(path, &pid), 0, "pidfile: absent means nobody runs");
	fd = pt_pidfile_acquire(path, &holder);
	tap_ok(t, fd >= 0, "pidfile: acquired, its directories created");
	rfd = open(path, O_RDONLY | O_CLOEXEC);
	n = rfd < 0 ? -1 : (int)read(rfd, text, sizeof(text) - 1);
	if (rfd >= 0)
		close(rfd);
	tap_ok(t, n > 0 && atoi(text) == getpid(), "pidfile: holds our pid (%s)", text);
	tap_is_int(t, pt_pidfile_probe(path, &pid), 1, "pidfile: probe sees it held");
	tap_is_int(t, pid, getpid(), "pidfile: probe reports the holder's pid");
	fd2 = pt_pidfile_acquire(path, &holder);
	tap_is_int(t, fd2, -EBUSY, "pidfile: a second acquire is refused");
	tap_is_int(t, holder, getpid(), "pidfile: the refusal names the holder");
	pt_pidfile_release(path, fd);
	tap_ok(t, access(path, F_OK) < 0, "pidfile: release removes the file");

	child = hold_in_child(path, &wr);
	if (child < 0) {
		tap_skip(t, "fork: cannot test a holder in another process");
		return;
	}
	for (int i = 0; i < 200 && pt_pidfile_probe(path, &pid) != 1; i++)
		usleep(10000);
	tap_is_int(t, pid, child, "pidfile: another process's hold is seen");
	tap_is_int(t, pt_pidfile_acquire(path, &holder), -EBUSY, "pidfile: and refused to us");
	close(wr);
	/* Its reaper (us) sleeps: the holder stays a zombie, as a VMM orphaned to a
	 * slow init does; kill(pid, 0) succeeds on it, the lock is already gone. */
	wait_zombie(child);
	tap_ok(t, kill(child, 0) == 0, "pidfile: the exited holder is an unreaped zombie");
	tap_is_int(t, pt_pidfile_probe(path, &pid), 0,
		   "pidfile: a zombie holder does not run (its lock went with its exit)");
	waitpid(child, &st, 0);
	tap_is_int(t, pt_pidfile_probe(path, &pid), 0, "pidfile: a dead holder's file is stale");
	tap_is_int(t, pid, child, "pidfile: the stale file still names the dead pid");
	fd = pt_pidfile_acquire(path, &holder);
	tap_ok(t, fd >= 0, "pidfile: a stale file is taken over");
	tap_is_int(t, pt_pidfile_probe(path, &pid), 1, "pidfile: and held again");
	tap_is_int(t, pid, getpid(), "pidfile: with our pid");
	pt_pidfile_release(path, fd);
	snprintf(text, sizeof(text), "%s/sub/dir", dir);
	rmdir(text);
	snprintf(text, sizeof(text), "%s/sub", dir);
	rmdir(text);
	rmdir(dir);
}

int main(void)
{
	struct tap t = { 0 };

	test_bdf(&t);
	test_size(&t);
	test_u64(&t);
	test_text_escape(&t);
	test_format_size(&t);
	test_pidfile(&t);
	return tap_done(&t);
}
