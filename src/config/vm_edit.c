/*
 * Editing a definition file all or nothing (config/vm_edit.h): lock, read, edit the
 * text (vm_edit_text.c), write a new file, validate it, rename it over the old one.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/clock.h"
#include "common/text.h"
#include "config/vm_edit.h"
#include "config/vm_edit_text.h"

#define LOCK_POLL_MS 10

/* Appends "path:line: message" and returns r, or -ENOMEM if that failed. */
static __attribute__((format(printf, 5, 6))) int fail(struct pt_config_errors *errs,
							const char *path, unsigned line,
							int r, const char *fmt, ...)
{
	_cleanup_free_ char *msg = NULL;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (n < 0) {
		msg = NULL;
		return -ENOMEM;
	}
	if (pt_config_error_add(errs, path, line, "%s", msg) < 0)
		return -ENOMEM;
	return r;
}

/* Appends "path:0: what: the error" for errno and returns -errno. */
static int fail_errno(struct pt_config_errors *errs, const char *path, const char *what)
{
	int e = errno;

	return fail(errs, path, 0, -e, "%s: %s", what, strerror(e));
}

/* Moves every item of src to the end of dst, naming path as their file when given. */
static int errors_move(struct pt_config_errors *dst, struct pt_config_errors *src,
		       const char *path)
{
	struct pt_config_error *items;

	for (size_t i = 0; path && i < src->n; i++) {
		char *file = pt_text_escape(path, strlen(path));

		if (!file)
			goto nomem;
		free(src->items[i].file);
		src->items[i].file = file;
	}
	items = realloc(dst->items, (dst->n + src->n + 1) * sizeof(*items));
	if (!items)
		goto nomem;
	dst->items = items;
	if (src->n)
		memcpy(dst->items + dst->n, src->items, src->n * sizeof(*items));
	dst->n += src->n;
	free(src->items);
	*src = (struct pt_config_errors){ 0 };
	return 0;

nomem:
	pt_config_errors_clear(src);
	return -ENOMEM;
}

/* The definition being edited: open, locked and read. */
struct def_file {
	const char *path;  /* as given */
	int fd;            /* holds the lock */
	struct stat st;
	char *text;
	size_t len;
};

static int lock_wait(struct def_file *f, struct pt_config_errors *errs)
{
	long long deadline = pt_monotonic_ms() + PT_VM_EDIT_LOCK_WAIT_MS;
	const struct timespec poll = { .tv_nsec = LOCK_POLL_MS * 1000000L };

	while (flock(f->fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno != EWOULDBLOCK && errno != EINTR)
			return fail_errno(errs, f->path, "cannot lock the file");
		if (pt_monotonic_ms() >= deadline)
			return fail(errs, f->path, 0, -EBUSY, "another edit (or another program) "
				    "has held the file's lock for %d s: try again when it is done",
				    PT_VM_EDIT_LOCK_WAIT_MS / 1000);
		nanosleep(&poll, NULL);
	}
	return 0;
}

/* Opens and locks the file that is at f->path once it holds the lock. */
static int open_locked(struct def_file *f, struct pt_config_errors *errs)
{
	for (;;) {
		struct stat now;
		int r;

		f->fd = open(f->path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
		if (f->fd < 0 || fstat(f->fd, &f->st) < 0)
			return fail_errno(errs, f->path, "cannot read the file");
		if (!S_ISREG(f->st.st_mode))
			return fail(errs, f->path, 0, S_ISDIR(f->st.st_mode) ? -EISDIR : -EINVAL,
				    "cannot edit the file: a VM definition is a regular file");
		r = lock_wait(f, errs);
		if (r < 0)
			return r;
		if (stat(f->path, &now) < 0)
			return fail_errno(errs, f->path, "cannot read the file");
		if (now.st_dev == f->st.st_dev && now.st_ino == f->st.st_ino)
			return 0;
		/* Another edit replaced it while we waited: edit what it made. */
		close(f->fd);
		f->fd = -1;
	}
}

static int read_all(struct def_file *f, struct pt_config_errors *errs)
{
	size_t cap;

	if (fstat(f->fd, &f->st) < 0)
		return fail_errno(errs, f->path, "cannot read the file");
	if (f->st.st_size > PT_CONFIG_FILE_MAX)
		goto too_large;
	cap = (size_t)f->st.st_size + 1;
	f->text = malloc(cap);
	if (!f->text)
		return -ENOMEM;
	for (;;) {
		ssize_t n;

		if (f->len == cap) {
			char *t;

			if (cap > PT_CONFIG_FILE_MAX)
				goto too_large; /* it grew */
			cap *= 2;
			t = realloc(f->text, cap);
			if (!t)
				return -ENOMEM;
			f->text = t;
		}
		n = read(f->fd, f->text + f->len, cap - f->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return fail_errno(errs, f->path, "cannot read the file");
		if (n == 0)
			break;
		f->len += (size_t)n;
	}
	if (f->len > PT_CONFIG_FILE_MAX)
		goto too_large;
	return 0;

too_large:
	return fail(errs, f->path, 0, -EFBIG, "the file is too large: a VM definition may have "
		    "at most %d bytes", PT_CONFIG_FILE_MAX);
}

static int def_file_open(struct def_file *f, const char *path, struct pt_config_errors *errs)
{
	int r;

	*f = (struct def_file){ .path = path, .fd = -1 };
	r = open_locked(f, errs);
	if (r == 0)
		r = read_all(f, errs);
	return r;
}

/* Drops the lock (last: the new file is in place by then). */
static void def_file_close(struct def_file *f)
{
	if (f->fd >= 0)
		close(f->fd);
	free(f->text);
}

static int write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Creates tmp with text, the definition's mode (and owner, as root), on disk. */
static int write_new(const struct def_file *f, const char *tmp, const char *text, size_t len,
		     struct pt_config_errors *errs)
{
	int fd, r = 0;

	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return fail_errno(errs, f->path, "cannot create the new file");
	/* The owner first: chown clears set-id bits that fchmod then restores. */
	if (geteuid() == 0 && fchown(fd, f->st.st_uid, f->st.st_gid) < 0)
		r = -errno;
	if (!r && fchmod(fd, f->st.st_mode & 07777) < 0)
		r = -errno;
	if (!r)
		r = write_all(fd, text, len);
	if (!r && fsync(fd) < 0)
		r = -errno;
	if (close(fd) < 0 && !r)
		r = -errno;
	if (r < 0)
		return fail(errs, f->path, 0, r, "cannot write the new file %s: %s", tmp,
			    strerror(-r));
	return 0;
}

/*
 * The new text at tmp must load. When it does not, say why: the file's own problems
 * if it has some as it is, else those the edit would bring.
 */
static int validate(const struct def_file *f, const char *tmp, struct pt_config_errors *errs)
{
	struct pt_config_errors new_errs = { 0 }, old_errs = { 0 };
	struct pt_vm_def *def;
	int r, old;

	r = pt_vm_def_load(tmp, &def, &new_errs);
	if (r == 0) {
		pt_vm_def_free(def);
		return 0;
	}
	if (r == -ENOMEM)
		goto out;
	old = pt_vm_def_load(f->path, &def, &old_errs);
	if (old == 0) {
		pt_vm_def_free(def);
		r = fail(errs, f->path, 0, r, "refused: the edit would make the definition "
			 "invalid (lines below as they would be after it); the file is unchanged");
		if (r != -ENOMEM && errors_move(errs, &new_errs, f->path) < 0)
			r = -ENOMEM;
	} else if (old != -ENOMEM) {
		r = fail(errs, f->path, 0, old, "refused: the file is not a valid definition "
			 "as it is; fix it first (passthru-ctl validate); it is unchanged");
		if (r != -ENOMEM && errors_move(errs, &old_errs, NULL) < 0)
			r = -ENOMEM;
	} else {
		r = -ENOMEM;
	}
out:
	pt_config_errors_clear(&new_errs);
	pt_config_errors_clear(&old_errs);
	return r;
}

static int sync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int r = 0;

	if (fd < 0)
		return -errno;
	if (fsync(fd) < 0)
		r = -errno;
	close(fd);
	return r;
}

/* Puts text in place of the file, by the steps of vm_edit.h. */
static int def_file_replace(const struct def_file *f, const char *text, size_t len,
			    struct pt_config_errors *errs)
{
	_cleanup_free_ char *target = NULL, *dir = NULL, *tmpdir = NULL, *tmp = NULL;
	const char *name = strrchr(f->path, '/') ? strrchr(f->path, '/') + 1 : f->path;
	const char *base;
	int r;

	/* A symbolic link stays one: what it points to is replaced. */
	target = realpath(f->path, NULL);
	if (!target)
		return fail_errno(errs, f->path, "cannot resolve the path");
	base = strrchr(target, '/') + 1; /* realpath's answer is absolute */
	dir = base - target == 1 ? strdup("/") : strndup(target, (size_t)(base - target) - 1);
	if (!dir || asprintf(&tmpdir, "%s/.%s.edit-XXXXXX", dir, base) < 0) {
		tmpdir = NULL;
		return -ENOMEM;
	}
	if (!mkdtemp(tmpdir)) {
		r = errno;
		return fail(errs, f->path, 0, -r, "cannot create a temporary directory in %s: %s",
			    dir, strerror(r));
	}
	if (asprintf(&tmp, "%s/%s", tmpdir, name) < 0) {
		tmp = NULL;
		r = -ENOMEM;
		goto out;
	}
	r = write_new(f, tmp, text, len, errs);
	if (r == 0)
		r = validate(f, tmp, errs);
	if (r == 0 && rename(tmp, target) < 0)
		r = fail_errno(errs, f->path, "cannot replace the file");
out:
	if (tmp && r < 0)
		unlink(tmp);
	rmdir(tmpdir);
	if (r == 0) {
		r = sync_dir(dir);
		if (r < 0)
			r = fail(errs, f->path, 0, r, "the file is changed, but syncing %s "
				 "failed (%s): the change may not survive a crash", dir,
				 strerror(-r));
	}
	return r;
}

int pt_vm_edit_add_device(const char *path, const struct pt_bdf *bdf, int guest_slot,
			  struct pt_config_errors *errs)
{
	struct def_file f;
	_cleanup_free_ char *out = NULL;
	size_t out_len = 0;
	int r;

	r = def_file_open(&f, path, errs);
	if (r == 0)
		r = pt_vm_text_add_device(path, f.text, f.len, bdf, guest_slot, &out, &out_len, errs);
	if (r == 0)
		r = def_file_replace(&f, out, out_len, errs);
	def_file_close(&f);
	return r;
}

int pt_vm_edit_remove_device(const char *path, const struct pt_bdf *bdf,
			     struct pt_config_errors *errs)
{
	struct def_file f;
	_cleanup_free_ char *out = NULL;
	size_t out_len = 0;
	int r;

	r = def_file_open(&f, path, errs);
	if (r == 0)
		r = pt_vm_text_remove_device(path, f.text, f.len, bdf, &out, &out_len, errs);
	if (r == 0)
		r = def_file_replace(&f, out, out_len, errs);
	def_file_close(&f);
	return r;
}
