/*
 * Editing a definition in place (config/vm_edit.h) on real files in a scratch
 * directory: the exact bytes after each edit, the refusals that leave the file as
 * it was (same bytes, same inode) with nothing left behind, the mode and owner
 * kept, and concurrent edits that all land.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/clock.h"
#include "common/text.h"
#include "config/vm_def.h"
#include "config/vm_edit.h"
#include "tap.h"

#define VM "[vm]\nname = web\nmemory = 1G\n"
#define VM_CRLF "[vm]\r\nname = web\r\nmemory = 1G\r\n"

enum op { ADD, REMOVE };

/* The scratch directory and the definition in it. */
static char dir[64];
static char path[96];

static void bail(const char *what)
{
	printf("Bail out! %s: %s\n", what, strerror(errno));
	exit(99);
}

static char *read_text(const char *p)
{
	FILE *f = fopen(p, "re");
	char *buf = NULL;
	size_t len = 0;
	FILE *out;
	int c;

	if (!f)
		return NULL;
	out = open_memstream(&buf, &len);
	if (!out)
		bail("open_memstream");
	while ((c = fgetc(f)) != EOF)
		fputc(c, out);
	fclose(f);
	fclose(out);
	return buf;
}

static void write_text(const char *p, const char *text, mode_t mode)
{
	int fd;

	unlink(p);
	fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text) ||
	    fchmod(fd, mode) < 0 || close(fd) < 0)
		bail(p);
}

/* Control bytes as \xNN, so that a diagnostic stays one TAP line. */
static void diag_text(const char *label, const char *s)
{
	_cleanup_free_ char *e = s ? pt_text_escape(s, strlen(s)) : NULL;

	tap_diag("%s: \"%s\"", label, e ? e : "(none)");
}

static char *errors_text(struct pt_config_errors *errs)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	if (!out)
		bail("open_memstream");
	pt_config_errors_print(errs, out);
	fclose(out);
	return buf;
}

/* Entries of the scratch directory besides the definition (temporary files...). */
static int others_in_dir(void)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (!d)
		bail(dir);
	while ((e = readdir(d))) {
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") &&
		    strcmp(e->d_name, "web.conf")) {
			tap_diag("left in %s: %s", dir, e->d_name);
			n++;
		}
	}
	closedir(d);
	return n;
}

/* What a refusal must leave exactly as it was. */
struct snap {
	char *text;
	ino_t ino;
	mode_t mode;
};

static void snap_take(struct snap *s)
{
	struct stat st;

	s->text = read_text(path);
	if (!s->text || stat(path, &st) < 0)
		bail(path);
	s->ino = st.st_ino;
	s->mode = st.st_mode;
}

static bool snap_same(struct snap *s)
{
	_cleanup_free_ char *now = read_text(path);
	struct stat st;
	bool same = now && stat(path, &st) == 0 && !strcmp(now, s->text) &&
		    st.st_ino == s->ino && st.st_mode == s->mode;

	free(s->text);
	return same;
}

static int run(enum op op, const char *bdf_text, int slot, struct pt_config_errors *errs)
{
	struct pt_bdf bdf;

	if (pt_bdf_parse(bdf_text, &bdf, NULL) < 0) {
		printf("Bail out! bad address in the test: %s\n", bdf_text);
		exit(99);
	}
	return op == ADD ? pt_vm_edit_add_device(path, &bdf, slot, errs) :
			   pt_vm_edit_remove_device(path, &bdf, errs);
}

/* before, edited, gives exactly after (a valid definition), mode 0640, nothing else. */
static void expect_edit(struct tap *t, const char *label, enum op op, const char *bdf,
			int slot, const char *before, const char *after)
{
	struct pt_config_errors errs = { 0 };
	_cleanup_free_ char *got = NULL, *msgs = NULL;
	struct pt_vm_def *def;
	struct stat st;
	int r;

	write_text(path, before, 0640);
	r = run(op, bdf, slot, &errs);
	msgs = errors_text(&errs);
	if (!tap_ok(t, r == 0 && !*msgs, "%s: done", label))
		tap_diag("returned %d (%s), messages: %s", r, strerror(-r), msgs);
	got = read_text(path);
	if (!tap_ok(t, got && !strcmp(got, after), "%s: exactly the expected text", label)) {
		diag_text("got ", got);
		diag_text("want", after);
	}
	tap_ok(t, stat(path, &st) == 0 && (st.st_mode & 07777) == 0640, "%s: mode 0640 kept",
	       label);
	tap_is_int(t, others_in_dir(), 0, "%s: nothing left behind", label);
	r = pt_vm_def_load(path, &def, &errs);
	tap_is_int(t, r, 0, "%s: the result loads", label);
	if (r == 0)
		pt_vm_def_free(def);
	pt_config_errors_clear(&errs);
}

/*
 * before, edited, is refused with want_r and a message containing want_msg about
 * path (not a temporary file); the file is the same bytes, inode and mode.
 */
static void expect_refused(struct tap *t, const char *label, enum op op, const char *bdf,
			   int slot, const char *before, int want_r, const char *want_msg)
{
	struct pt_config_errors errs = { 0 };
	_cleanup_free_ char *msgs = NULL;
	bool named = true;
	struct snap s;
	int r;

	write_text(path, before, 0640);
	snap_take(&s);
	r = run(op, bdf, slot, &errs);
	tap_is_int(t, r, want_r, "%s: refused with %s", label, strerror(-want_r));
	for (size_t i = 0; i < errs.n; i++)
		named = named && !strcmp(errs.items[i].file, path);
	tap_ok(t, errs.n && named, "%s: every message names the file", label);
	msgs = errors_text(&errs);
	if (!tap_ok(t, strstr(msgs, want_msg) != NULL, "%s: says '%s'", label, want_msg))
		tap_diag("messages: %s", msgs);
	tap_ok(t, snap_same(&s), "%s: the file is untouched (bytes, inode, mode)", label);
	tap_is_int(t, others_in_dir(), 0, "%s: nothing left behind", label);
}

static void test_add(struct tap *t)
{
	static const char commented[] =
		"; Web server\n"
		"# with its NIC\n"
		"[vm]\n"
		"name = web   ; the file is web.conf\n"
		"memory = 1G\n"
		"\n"
		"  # The NIC (indented)\n"
		"[device 0000:03:00.0]  # first\n"
		"guest-slot = 3\n";

	expect_edit(t, "add with a slot", ADD, "0000:04:00.1", 5, commented,
		    "; Web server\n"
		    "# with its NIC\n"
		    "[vm]\n"
		    "name = web   ; the file is web.conf\n"
		    "memory = 1G\n"
		    "\n"
		    "  # The NIC (indented)\n"
		    "[device 0000:03:00.0]  # first\n"
		    "guest-slot = 3\n"
		    "\n"
		    "[device 0000:04:00.1]\n"
		    "guest-slot = 5\n");
	expect_edit(t, "add without a slot", ADD, "0000:04:00.1", -1, VM,
		    VM "\n[device 0000:04:00.1]\n");
	expect_edit(t, "add in the canonical spelling", ADD, "0A:1f.7", -1, VM,
		    VM "\n[device 0000:0a:1f.7]\n");
	expect_edit(t, "add after a comment without a final newline", ADD, "0000:04:00.0", 2,
		    VM "# the end", VM "# the end\n\n[device 0000:04:00.0]\nguest-slot = 2\n");
	expect_edit(t, "add after a key without a final newline", ADD, "0000:04:00.0", -1,
		    "[vm]\nname = web\nmemory = 1G",
		    "[vm]\nname = web\nmemory = 1G\n\n[device 0000:04:00.0]\n");
	expect_edit(t, "add to a file ending with a blank line", ADD, "0000:04:00.0", -1,
		    VM "\n", VM "\n[device 0000:04:00.0]\n");
	expect_edit(t, "add to a CRLF file", ADD, "0000:04:00.0", 7, VM_CRLF,
		    VM_CRLF "\r\n[device 0000:04:00.0]\r\nguest-slot = 7\r\n");
	expect_edit(t, "add to a CRLF file without a final newline", ADD, "0000:04:00.0", -1,
		    "[vm]\r\nname = web\r\nmemory = 1G",
		    "[vm]\r\nname = web\r\nmemory = 1G\r\n\r\n[device 0000:04:00.0]\r\n");
	expect_edit(t, "add keeps a byte order mark", ADD, "0000:04:00.0", -1,
		    "\xef\xbb\xbf" VM, "\xef\xbb\xbf" VM "\n[device 0000:04:00.0]\n");
}

static void test_add_refused(struct tap *t)
{
	_cleanup_free_ char *full = NULL;
	FILE *f;
	size_t len;

	expect_refused(t, "add a device already there", ADD, "0000:03:00.0", 4,
		       VM "\n[device 0000:03:00.0]\nguest-slot = 3\n", -EEXIST,
		       "web.conf:5: [device 0000:03:00.0] is already in this definition");
	expect_refused(t, "add a device there in another layout", ADD, "03:00.0", -1,
		       VM "\n  [ device\t0000:03:00.0 ]  ; the NIC\n", -EEXIST,
		       "[device 0000:03:00.0] is already in this definition");
	expect_refused(t, "add a device there in another spelling", ADD, "0000:0a:00.0", -1,
		       VM "\n[device 0A:00.0]\n", -EEXIST,
		       "[device 0000:0a:00.0] is already in this definition");
	expect_refused(t, "add in a slot another device has", ADD, "0000:04:00.0", 3,
		       VM "\n[device 0000:03:00.0]\nguest-slot = 3\n", -EINVAL,
		       "web.conf:9: guest-slot: slot 3 is already used by [device 0000:03:00.0]");
	expect_refused(t, "add in slot 0", ADD, "0000:04:00.0", 0, VM, -EINVAL,
		       "guest-slot: '0' is out of range");

	f = open_memstream(&full, &len);
	if (!f)
		bail("open_memstream");
	fputs(VM, f);
	for (int i = 1; i <= PT_VM_DEVICES_MAX; i++)
		fprintf(f, "[device 0000:%02x:00.0]\n", i);
	fclose(f);
	expect_refused(t, "add a 32nd device", ADD, "0000:40:00.0", -1, full, -EINVAL,
		       "too many devices");
	expect_refused(t, "add to a file invalid as it is", ADD, "0000:04:00.0", -1,
		       VM "vcpu = 2\n", -EINVAL, "web.conf:4: unknown key 'vcpu'");
	expect_refused(t, "add to a file named for another VM", ADD, "0000:04:00.0", -1,
		       "[vm]\nname = db\nmemory = 1G\n", -EINVAL,
		       "web.conf:2: name: 'db' does not match the file name web.conf");
	expect_refused(t, "add to a file invalid as it is: said so", ADD, "0000:04:00.0", -1,
		       VM "vcpu = 2\n", -EINVAL, "not a valid definition as it is");
}

static void test_remove(struct tap *t)
{
	expect_edit(t, "remove a section between two, with its comments", REMOVE,
		    "0000:03:00.0", -1,
		    VM
		    "\n"
		    "# The NIC: about it, goes with it\n"
		    "; still about it\n"
		    "[device 0000:03:00.0]\n"
		    "# its own comment\n"
		    "guest-slot = 3\n"
		    "\n"
		    "# The audio function: about the next one, stays\n"
		    "[device 0000:03:00.1]\n"
		    "guest-slot = 4\n",
		    VM
		    "\n"
		    "# The audio function: about the next one, stays\n"
		    "[device 0000:03:00.1]\n"
		    "guest-slot = 4\n");
	expect_edit(t, "remove keeps a comment a blank line sets apart", REMOVE,
		    "0000:03:00.0", -1,
		    VM
		    "\n"
		    "# The devices of this VM:\n"
		    "\n"
		    "[device 0000:03:00.0]\n"
		    "guest-slot = 3\n"
		    "\n"
		    "; ----\n"
		    "\n"
		    "[device 0000:03:00.1]\n",
		    VM
		    "\n"
		    "# The devices of this VM:\n"
		    "\n"
		    "; ----\n"
		    "\n"
		    "[device 0000:03:00.1]\n");
	expect_edit(t, "remove a section with no blank line around it", REMOVE,
		    "0000:03:00.1", -1,
		    VM
		    "[device 0000:03:00.0]\n"
		    "guest-slot = 3\n"
		    "[device 0000:03:00.1]\n"
		    "guest-slot = 4\n"
		    "# about the next one\n"
		    "[device 0000:04:00.0]\n",
		    VM
		    "[device 0000:03:00.0]\n"
		    "guest-slot = 3\n"
		    "# about the next one\n"
		    "[device 0000:04:00.0]\n");
	expect_edit(t, "remove a section with a comment on its last key", REMOVE,
		    "0000:03:00.0", -1,
		    VM
		    "\n"
		    "[device 0000:03:00.0]\n"
		    "guest-slot = 3\n"
		    "# rom = off: goes with it\n"
		    "\n"
		    "# about the next one\n"
		    "[device 0000:03:00.1]\n",
		    VM
		    "\n"
		    "# about the next one\n"
		    "[device 0000:03:00.1]\n");
	expect_edit(t, "remove the last section", REMOVE, "0000:03:00.1", -1,
		    VM
		    "\n"
		    "[device 0000:03:00.0]\n"
		    "guest-slot = 3\n"
		    "\n"
		    "# audio\n"
		    "[device 0000:03:00.1]\n"
		    "guest-slot = 4\n"
		    "# rom = off\n",
		    VM
		    "\n"
		    "[device 0000:03:00.0]\n"
		    "guest-slot = 3\n");
	expect_edit(t, "remove the last section keeps the file's last comment", REMOVE,
		    "0000:03:00.0", -1,
		    VM
		    "\n"
		    "[device 0000:03:00.0]\n"
		    "guest-slot = 3\n"
		    "\n"
		    "# vim: ft=dosini",
		    VM
		    "\n"
		    "# vim: ft=dosini");
	expect_edit(t, "remove the last section without a final newline", REMOVE,
		    "0000:03:00.0", -1,
		    VM "\n[device 0000:03:00.0]\nguest-slot = 3", VM);
	expect_edit(t, "remove the first section, keeping the byte order mark", REMOVE,
		    "0000:03:00.0", -1,
		    "\xef\xbb\xbf[device 0000:03:00.0]\nguest-slot = 3\n\n" VM,
		    "\xef\xbb\xbf" VM);
	expect_edit(t, "remove from a CRLF file", REMOVE, "0000:03:00.0", -1,
		    VM_CRLF "\r\n# NIC\r\n[device 0000:03:00.0]\r\nguest-slot = 3\r\n"
		    "\r\n[device 0000:04:00.0]\r\n",
		    VM_CRLF "\r\n[device 0000:04:00.0]\r\n");
	expect_edit(t, "remove a header in another layout", REMOVE, "0000:03:00.0", -1,
		    VM "\n  [ device\t0000:03:00.0 ]  ; the NIC\n  guest-slot = 3\n", VM);
	expect_edit(t, "remove an upper-case spelling the loader refuses", REMOVE,
		    "0000:0a:00.0", -1, VM "\n[device 0000:0A:00.0]\nguest-slot = 3\n", VM);
	expect_edit(t, "remove a spelling without the domain", REMOVE, "0000:03:00.0", -1,
		    VM "\n[device 03:00.0]\n", VM);
	expect_edit(t, "remove a device listed twice", REMOVE, "0000:03:00.0", -1,
		    VM "\n[device 0000:03:00.0]\n\n[device 0000:04:00.0]\n\n[device 0000:03:00.0]\n",
		    VM "\n[device 0000:04:00.0]\n");
}

static void test_remove_refused(struct tap *t)
{
	expect_refused(t, "remove a device not there", REMOVE, "0000:03:00.1", -1,
		       VM "\n[device 0000:03:00.0]\n", -ESRCH,
		       "web.conf:0: no [device 0000:03:00.1] in this definition");
	expect_refused(t, "remove from a file invalid without it", REMOVE, "0000:03:00.0", -1,
		       VM "memory = 2G\n\n[device 0000:03:00.0]\n", -EINVAL,
		       "web.conf:4: duplicate key");
}

static void test_round_trip(struct tap *t)
{
	static const char text[] = "# web\n" VM "\n[device 0000:03:00.0] ; NIC\n";
	struct pt_config_errors errs = { 0 };
	_cleanup_free_ char *got = NULL;
	int r;

	write_text(path, text, 0600);
	r = run(ADD, "0000:04:00.0", 9, &errs);
	if (r == 0)
		r = run(REMOVE, "0000:04:00.0", -1, &errs);
	tap_is_int(t, r, 0, "add then remove: done");
	pt_config_errors_clear(&errs);
	got = read_text(path);
	if (!tap_ok(t, got && !strcmp(got, text), "add then remove: the file as it was")) {
		diag_text("got ", got);
		diag_text("want", text);
	}
}

static void test_files(struct tap *t)
{
	struct pt_config_errors errs = { 0 };
	_cleanup_free_ char *link_target = NULL, *got = NULL, *rel = NULL, *cwd = NULL;
	struct stat st;
	int r;

	/* A symbolic link stays one; the file it points to is edited. */
	if (asprintf(&link_target, "%s/defs", dir) < 0 || mkdir(link_target, 0700) < 0)
		bail("mkdir defs");
	free(link_target);
	if (asprintf(&link_target, "%s/defs/web-v2.conf", dir) < 0)
		bail("asprintf");
	write_text(link_target, VM, 0600);
	unlink(path);
	if (symlink("defs/web-v2.conf", path) < 0)
		bail("symlink");
	r = run(ADD, "0000:04:00.0", -1, &errs);
	tap_is_int(t, r, 0, "through a symbolic link: done");
	pt_config_errors_clear(&errs);
	tap_ok(t, lstat(path, &st) == 0 && S_ISLNK(st.st_mode),
	       "through a symbolic link: the link stays");
	got = read_text(link_target);
	tap_is_str(t, got, VM "\n[device 0000:04:00.0]\n",
		   "through a symbolic link: its target is edited");
	unlink(path);
	unlink(link_target);
	free(link_target);
	if (asprintf(&link_target, "%s/defs", dir) < 0 || rmdir(link_target) < 0)
		bail("rmdir defs");

	/* A path with no directory in it. */
	write_text(path, VM, 0600);
	cwd = getcwd(NULL, 0);
	if (!cwd || chdir(dir) < 0)
		bail("chdir");
	r = pt_vm_edit_add_device("web.conf", &(struct pt_bdf){ .bus = 4 }, -1, &errs);
	if (chdir(cwd) < 0)
		bail("chdir back");
	tap_is_int(t, r, 0, "a relative path without a '/': done");
	pt_config_errors_clear(&errs);
	free(got);
	got = read_text(path);
	tap_is_str(t, got, VM "\n[device 0000:04:00.0]\n", "a relative path: edited");
	tap_is_int(t, others_in_dir(), 0, "a relative path: nothing left behind");

	/* Not a regular file: refused without blocking on it. */
	unlink(path);
	if (mkfifo(path, 0600) < 0)
		bail("mkfifo");
	r = run(ADD, "0000:04:00.0", -1, &errs);
	tap_is_int(t, r, -EINVAL, "a FIFO is refused");
	pt_config_errors_clear(&errs);
	unlink(path);
	r = run(REMOVE, "0000:04:00.0", -1, &errs);
	tap_is_int(t, r, -ENOENT, "a missing file: -ENOENT");
	tap_ok(t, errs.n == 1 && strstr(errs.items[0].message, "cannot read the file"),
	       "a missing file: said so");
	pt_config_errors_clear(&errs);
	tap_is_int(t, others_in_dir(), 0, "a missing file: nothing created");
}

/* Run as root, the owner and group stay; as another user, writing is refused. */
static void test_owner(struct tap *t)
{
	struct pt_config_errors errs = { 0 };
	struct snap s;
	struct stat st;
	int r;

	if (geteuid() != 0) {
		tap_skip(t, "owner and group kept: needs root");
	} else {
		write_text(path, VM, 0640);
		if (chown(path, 0, 4242) < 0)
			bail("chown");
		r = run(ADD, "0000:04:00.0", -1, &errs);
		pt_config_errors_clear(&errs);
		tap_ok(t, r == 0 && stat(path, &st) == 0 && st.st_uid == 0 && st.st_gid == 4242 &&
		       (st.st_mode & 07777) == 0640, "owner, group and mode kept");
	}

	if (geteuid() == 0) {
		tap_skip(t, "a read-only directory: root writes anyway");
		return;
	}
	write_text(path, VM, 0640);
	snap_take(&s);
	if (chmod(dir, 0555) < 0)
		bail("chmod");
	r = run(ADD, "0000:04:00.0", -1, &errs);
	if (chmod(dir, 0700) < 0)
		bail("chmod");
	tap_is_int(t, r, -EACCES, "a read-only directory: -EACCES");
	pt_config_errors_clear(&errs);
	tap_ok(t, snap_same(&s), "a read-only directory: the file is untouched");
	tap_is_int(t, others_in_dir(), 0, "a read-only directory: nothing left behind");
}

static int lock_file(void)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || flock(fd, LOCK_EX) < 0)
		bail("lock");
	return fd;
}

/* Replaces the definition as another edit would: a new file renamed over it. */
static void replace_file(const char *text)
{
	_cleanup_free_ char *tmp = NULL;

	if (asprintf(&tmp, "%s/other-edit", dir) < 0)
		bail("asprintf");
	write_text(tmp, text, 0640);
	if (rename(tmp, path) < 0)
		bail("rename");
}

static void test_lock(struct tap *t)
{
	struct pt_config_errors errs = { 0 };
	_cleanup_free_ char *got = NULL;
	const struct timespec pause = { .tv_nsec = 300 * 1000000L };
	long long t0;
	struct snap s;
	pid_t pid;
	int fd, r, status;

	/*
	 * An edit that waits for the lock while another edit replaces the file edits the
	 * new file: both edits land.
	 */
	write_text(path, VM, 0640);
	fd = lock_file();
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		bail("fork");
	if (pid == 0) {
		struct pt_config_errors e = { 0 };

		close(fd); /* the parent's lock, which this copy would keep */
		_exit(run(ADD, "0000:04:00.0", -1, &e) == 0 ? 0 : 1);
	}
	nanosleep(&pause, NULL);
	replace_file(VM "\n[device 0000:03:00.0]\n");
	close(fd);
	tap_ok(t, waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	       WEXITSTATUS(status) == 0, "an edit waiting for the lock: done");
	got = read_text(path);
	tap_is_str(t, got, VM "\n[device 0000:03:00.0]\n\n[device 0000:04:00.0]\n",
		   "an edit waiting for the lock: the other edit is kept");

	/* A lock never released: -EBUSY after the wait, the file untouched. */
	write_text(path, VM, 0640);
	snap_take(&s);
	fd = lock_file();
	t0 = pt_monotonic_ms();
	r = run(ADD, "0000:04:00.0", -1, &errs);
	tap_is_int(t, r, -EBUSY, "a lock held for good: -EBUSY");
	tap_ok(t, pt_monotonic_ms() - t0 >= PT_VM_EDIT_LOCK_WAIT_MS,
	       "a lock held for good: waited %d ms first", PT_VM_EDIT_LOCK_WAIT_MS);
	tap_ok(t, errs.n == 1 && strstr(errs.items[0].message, "another edit"),
	       "a lock held for good: said so");
	pt_config_errors_clear(&errs);
	close(fd);
	tap_ok(t, snap_same(&s), "a lock held for good: the file is untouched");
	tap_is_int(t, others_in_dir(), 0, "a lock held for good: nothing left behind");
}

/*
 * Many edits at once, each in its own process, half of them also removing a
 * device: every one lands.
 */
static void test_concurrent(struct tap *t)
{
	enum { N = 8 };
	struct pt_config_errors errs = { 0 };
	struct pt_vm_def *def = NULL;
	pid_t pids[N];
	int failed = 0, r;

	write_text(path, VM "\n[device 0000:21:00.0]\n[device 0000:23:00.0]\n"
		   "[device 0000:25:00.0]\n[device 0000:27:00.0]\n", 0640);
	fflush(stdout);
	for (int i = 0; i < N; i++) {
		pids[i] = fork();
		if (pids[i] < 0)
			bail("fork");
		if (pids[i] == 0) {
			struct pt_bdf add = { .bus = (uint8_t)(0x10 + i) };
			struct pt_bdf del = { .bus = (uint8_t)(0x20 + i) };
			struct pt_config_errors e = { 0 };

			if (i % 2 && pt_vm_edit_remove_device(path, &del, &e) < 0)
				_exit(1);
			_exit(pt_vm_edit_add_device(path, &add, -1, &e) ? 1 : 0);
		}
	}
	for (int i = 0; i < N; i++) {
		int status;

		if (waitpid(pids[i], &status, 0) != pids[i] || !WIFEXITED(status) ||
		    WEXITSTATUS(status))
			failed++;
	}
	tap_is_int(t, failed, 0, "%d concurrent edits: each done", N);
	r = pt_vm_def_load(path, &def, &errs);
	tap_is_int(t, r, 0, "%d concurrent edits: the result loads", N);
	pt_config_errors_clear(&errs);
	if (r == 0) {
		bool all = def->n_devices == N;

		for (int i = 0; all && i < N; i++) {
			bool found = false;

			for (size_t j = 0; j < def->n_devices; j++)
				found = found || def->devices[j].bdf.bus == 0x10 + i;
			all = found;
		}
		if (!tap_ok(t, all, "%d concurrent edits: the %d devices added, none removed",
			    N, N))
			tap_diag("%zu devices", def->n_devices);
		pt_vm_def_free(def);
	}
	tap_is_int(t, others_in_dir(), 0, "%d concurrent edits: nothing left behind", N);
}

static int remove_entry(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(p);
}

int main(void)
{
	struct tap t = { 0 };

	snprintf(dir, sizeof(dir), "/tmp/passthru-test-vm-edit.XXXXXX");
	if (!mkdtemp(dir))
		bail("mkdtemp");
	snprintf(path, sizeof(path), "%s/web.conf", dir);
	alarm(120); /* a watchdog: an edit that blocks fails the test, not the run */
	test_add(&t);
	test_add_refused(&t);
	test_remove(&t);
	test_remove_refused(&t);
	test_round_trip(&t);
	test_files(&t);
	test_owner(&t);
	test_lock(&t);
	test_concurrent(&t);
	nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	return tap_done(&t);
}
