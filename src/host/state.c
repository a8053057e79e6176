/* The device state records and their locks (host/state.h documents the format). */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/files.h"
#include "common/lockfile.h"
#include "common/log.h"
#include "common/run_dir.h"
#include "host/json_oom.h"
#include "host/state.h"
#include "host/sysroot.h"

static const char *const step_names[] = {
	"load-vfio-pci", "unbind", "override", "probe", "rebind",
};

const char *pt_state_phase_name(enum pt_state_phase p)
{
	switch (p) {
	case PT_PHASE_PREPARING:
		return "preparing";
	case PT_PHASE_PREPARED:
		return "prepared";
	case PT_PHASE_RELEASING:
		return "releasing";
	}
	return "unknown";
}

static int phase_from_name(const char *s, enum pt_state_phase *ret)
{
	for (int p = PT_PHASE_PREPARING; p <= PT_PHASE_RELEASING; p++)
		if (!strcmp(s, pt_state_phase_name(p))) {
			*ret = p;
			return 0;
		}
	return -EINVAL;
}

static const char *step_static_name(const char *s)
{
	for (size_t i = 0; i < ARRAY_SIZE(step_names); i++)
		if (!strcmp(s, step_names[i]))
			return step_names[i];
	return NULL;
}

int pt_state_dir(char **ret)
{
	char *p;

	if (asprintf(&p, "%s/%s", pt_run_dir(), PT_STATE_SUBDIR) < 0)
		return -ENOMEM;
	*ret = p;
	return 0;
}

static int path_with(const char *bdf, const char *suffix, char **ret)
{
	char *p;

	if (asprintf(&p, "%s/%s/%s%s", pt_run_dir(), PT_STATE_SUBDIR, bdf, suffix) < 0)
		return -ENOMEM;
	*ret = p;
	return 0;
}

int pt_state_path(const char *bdf, char **ret)
{
	return path_with(bdf, PT_STATE_SUFFIX, ret);
}

void pt_state_record_free(struct pt_state_record *rec)
{
	if (!rec)
		return;
	free(rec->vm);
	free(rec->backend);
	free(rec->original_driver);
	free(rec->original_override);
	free(rec->command);
	free(rec);
}

/* A string or null member into *ret (NULL for null). 0, -EINVAL (wrong type), -ENOMEM. */
static int get_opt_string(json_t *o, const char *key, bool required, char **ret)
{
	json_t *v = json_object_get(o, key);

	*ret = NULL;
	if (!v)
		return required ? -EINVAL : 0;
	if (json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return -EINVAL;
	*ret = strdup(json_string_value(v));
	return *ret ? 0 : -ENOMEM;
}

static int parse_steps(json_t *arr, struct pt_state_record *rec, const char **ret_why)
{
	size_t i;
	json_t *s;

	if (!arr)
		return 0;
	if (!json_is_array(arr) || json_array_size(arr) > PT_STATE_MAX_STEPS) {
		*ret_why = "\"steps\" is not an array of at most 8 steps";
		return -EBADMSG;
	}
	json_array_foreach(arr, i, s) {
		json_t *name = json_object_get(s, "step"), *done = json_object_get(s, "done");
		const char *n = json_is_string(name) ? step_static_name(json_string_value(name))
						     : NULL;

		if (!n || !json_is_boolean(done)) {
			*ret_why = "a \"steps\" entry is not {\"step\": a known step, \"done\": bool}";
			return -EBADMSG;
		}
		rec->steps[i].name = n;
		rec->steps[i].done = json_is_true(done);
		rec->n_steps = i + 1;
	}
	return 0;
}

static int parse_record(json_t *root, const char *bdf, struct pt_state_record *rec,
			const char **ret_why)
{
	json_t *v;
	int r;

	if (!json_is_object(root)) {
		*ret_why = "not a JSON object";
		return -EBADMSG;
	}
	v = json_object_get(root, "bdf");
	if (!json_is_string(v) || strcmp(json_string_value(v), bdf)) {
		*ret_why = "its \"bdf\" is not the address in its file name";
		return -EBADMSG;
	}
	snprintf(rec->bdf, sizeof(rec->bdf), "%s", bdf);
	v = json_object_get(root, "phase");
	if (!v) {
		/* Older records, written only for assignments, had no phase. */
		rec->phase = PT_PHASE_PREPARED;
	} else if (!json_is_string(v) || phase_from_name(json_string_value(v), &rec->phase) < 0) {
		*ret_why = "\"phase\" is not \"preparing\", \"prepared\" or \"releasing\"";
		return -EBADMSG;
	}
	r = get_opt_string(root, "vm", false, &rec->vm);
	if (r == 0 && rec->vm && !*rec->vm)
		r = -EINVAL;
	if (r == -EINVAL) {
		*ret_why = "\"vm\" is not a VM name or null";
		return -EBADMSG;
	}
	if (r == 0)
		r = get_opt_string(root, "backend", false, &rec->backend);
	if (r == 0 && !rec->backend) {
		rec->backend = strdup("vfio");
		r = rec->backend ? 0 : -ENOMEM;
	}
	if (r == 0)
		r = get_opt_string(root, "original_driver", true, &rec->original_driver);
	if (r == -EINVAL) {
		*ret_why = "it has no \"original_driver\" string or null";
		return -EBADMSG;
	}
	if (r == 0)
		r = get_opt_string(root, "original_override", false, &rec->original_override);
	if (r == -EINVAL) {
		*ret_why = "\"original_override\" is not a string or null";
		return -EBADMSG;
	}
	if (r == 0)
		r = get_opt_string(root, "command", false, &rec->command);
	if (r < 0) {
		*ret_why = "a member has the wrong type";
		return r == -EINVAL ? -EBADMSG : r;
	}
	v = json_object_get(root, "pid");
	rec->pid = json_is_integer(v) ? (pid_t)json_integer_value(v) : 0;
	return parse_steps(json_object_get(root, "steps"), rec, ret_why);
}

int pt_state_read(const char *bdf, struct pt_state_record **ret, const char **ret_why)
{
	_cleanup_free_ char *path = NULL, *text = NULL;
	struct pt_state_record *rec;
	json_error_t jerr;
	json_t *root;
	int r;

	r = pt_state_path(bdf, &path);
	if (r < 0)
		return r;
	r = pt_read_text(path, &text);
	if (r < 0)
		return r;
	pt_json_oom_begin();
	root = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
	if (pt_json_oom()) {
		json_decref(root);
		return -ENOMEM;
	}
	if (!root) {
		*ret_why = "not valid JSON";
		return -EBADMSG;
	}
	rec = calloc(1, sizeof(*rec));
	if (!rec) {
		json_decref(root);
		return -ENOMEM;
	}
	r = parse_record(root, bdf, rec, ret_why);
	json_decref(root);
	if (r < 0) {
		pt_state_record_free(rec);
		return r;
	}
	*ret = rec;
	return 0;
}

static json_t *record_json(const struct pt_state_record *rec)
{
	json_t *o = json_object(), *steps = json_array();
	int bad = !o || !steps;

	for (size_t i = 0; !bad && i < rec->n_steps; i++) {
		json_t *s = json_object();

		bad |= !s || json_object_set_new(s, "step", json_string(rec->steps[i].name)) ||
		       json_object_set_new(s, "done", json_boolean(rec->steps[i].done)) ||
		       json_array_append_new(steps, s);
	}
#define STR_OR_NULL(s) ((s) ? json_string(s) : json_null())
	bad = bad || json_object_set_new(o, "bdf", json_string(rec->bdf)) ||
	      json_object_set_new(o, "phase", json_string(pt_state_phase_name(rec->phase))) ||
	      json_object_set_new(o, "vm", STR_OR_NULL(rec->vm)) ||
	      json_object_set_new(o, "backend", json_string(rec->backend ? rec->backend : "vfio")) ||
	      json_object_set_new(o, "original_driver", STR_OR_NULL(rec->original_driver)) ||
	      json_object_set_new(o, "original_override", STR_OR_NULL(rec->original_override)) ||
	      json_object_set(o, "steps", steps) ||
	      json_object_set_new(o, "command", STR_OR_NULL(rec->command)) ||
	      json_object_set_new(o, "pid", json_integer(rec->pid));
#undef STR_OR_NULL
	json_decref(steps);
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static int fsync_dir(const char *dir)
{
	_cleanup_close_ int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0 || fsync(fd) < 0)
		return -errno;
	return 0;
}

static int write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

int pt_state_write(const struct pt_state_record *rec)
{
	_cleanup_free_ char *dir = NULL, *path = NULL, *tmp = NULL, *text = NULL;
	_cleanup_close_ int fd = -1;
	json_t *o;
	int r;

	r = pt_state_dir(&dir);
	if (r == 0)
		r = pt_state_path(rec->bdf, &path);
	if (r < 0)
		return r;
	if (asprintf(&tmp, "%s/.%s%s.XXXXXX", dir, rec->bdf, PT_STATE_SUFFIX) < 0) {
		tmp = NULL;
		return -ENOMEM;
	}
	pt_json_oom_begin();
	o = record_json(rec);
	if (!o)
		return -ENOMEM;
	text = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(o);
	/* jansson can drop a key and still return the text (host/json_oom.h). */
	if (text && pt_json_oom()) {
		free(text);
		text = NULL;
	}
	if (!text)
		return -ENOMEM;
	r = pt_mkdir_parents(path);
	if (r < 0)
		return r;
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return -errno;
	r = write_all(fd, text, strlen(text));
	if (r == 0)
		r = write_all(fd, "\n", 1);
	if (r == 0 && fchmod(fd, 0644) < 0)
		r = -errno;
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	if (r == 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0) {
		unlink(tmp);
		return r;
	}
	return fsync_dir(dir);
}

int pt_state_remove(const char *bdf)
{
	_cleanup_free_ char *dir = NULL, *path = NULL;
	int r;

	r = pt_state_dir(&dir);
	if (r == 0)
		r = pt_state_path(bdf, &path);
	if (r < 0)
		return r;
	if (unlink(path) < 0)
		return errno == ENOENT ? 0 : -errno;
	return fsync_dir(dir);
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

int pt_state_list(char (**ret)[PT_BDF_STRLEN], size_t *ret_n)
{
	_cleanup_free_ char *dir = NULL;
	char (*items)[PT_BDF_STRLEN] = NULL;
	size_t n = 0, cap = 0;
	struct dirent *e;
	DIR *d;
	int r;

	r = pt_state_dir(&dir);
	if (r < 0)
		return r;
	d = opendir(dir);
	if (!d) {
		if (errno != ENOENT)
			return -errno;
		*ret = NULL;
		*ret_n = 0;
		return 0;
	}
	while ((e = readdir(d))) {
		char name[PT_BDF_STRLEN];
		const char *dot = strchr(e->d_name, '.');
		bool dup = false;

		/* "0000:03:00.0.json": the first dot is the function's. */
		if (!dot || strlen(e->d_name) < PT_BDF_STRLEN)
			continue;
		if (strcmp(e->d_name + PT_BDF_STRLEN - 1, PT_STATE_SUFFIX) &&
		    strcmp(e->d_name + PT_BDF_STRLEN - 1, PT_STATE_LOCK_SUFFIX))
			continue;
		snprintf(name, sizeof(name), "%.*s", PT_BDF_STRLEN - 1, e->d_name);
		if (!pt_bdf_is_canonical(name))
			continue;
		for (size_t i = 0; i < n && !dup; i++)
			dup = !strcmp(items[i], name);
		if (dup)
			continue;
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 8;
			void *m = reallocarray(items, ncap, sizeof(*items));

			if (!m) {
				closedir(d);
				free(items);
				return -ENOMEM;
			}
			items = m;
			cap = ncap;
		}
		memcpy(items[n++], name, PT_BDF_STRLEN);
	}
	closedir(d);
	if (n)
		qsort(items, n, sizeof(*items), name_cmp);
	*ret = items;
	*ret_n = n;
	return 0;
}

int pt_state_step_begin(struct pt_state_record *rec, const char *name)
{
	const char *n = step_static_name(name);

	if (!n)
		return -EINVAL;
	if (rec->n_steps >= PT_STATE_MAX_STEPS)
		return -ENOSPC;
	rec->steps[rec->n_steps].name = n;
	rec->steps[rec->n_steps].done = false;
	rec->n_steps++;
	return 0;
}

void pt_state_step_done(struct pt_state_record *rec)
{
	if (rec->n_steps)
		rec->steps[rec->n_steps - 1].done = true;
}

bool pt_state_step_begun(const struct pt_state_record *rec, const char *name)
{
	for (size_t i = 0; i < rec->n_steps; i++)
		if (!strcmp(rec->steps[i].name, name))
			return true;
	return false;
}

/* --- locks ------------------------------------------------------------------ */

static void read_holder(int fd, struct pt_state_holder *h)
{
	char buf[256], cmd[32] = "", vm[128] = "";
	int pid = 0, tries;
	ssize_t n = 0;

	memset(h, 0, sizeof(*h));
	/* The winner writes right after its flock: give it a moment. */
	for (tries = 0; tries < 20; tries++) {
		n = pread(fd, buf, sizeof(buf) - 1, 0);
		if (n > 0)
			break;
		usleep(5000);
	}
	if (n <= 0)
		return;
	buf[n] = 0;
	if (sscanf(buf, "%31s %d %127s", cmd, &pid, vm) < 2)
		return;
	snprintf(h->command, sizeof(h->command), "%s", cmd);
	h->pid = pid;
	if (strcmp(vm, "-"))
		snprintf(h->vm, sizeof(h->vm), "%s", vm);
}

/*
 * The locks this process holds, so that an exit() on the way (libpci's error callback
 * does not return) still removes their files: the kernel drops the flock, but a lock
 * file left behind is one more thing for recover to clean.
 */
#define MAX_HELD 64
static struct {
	int fd;
	pid_t pid;
	const char *path; /* the pt_state_lock's own copy; NULL: a free slot */
} held[MAX_HELD];

static void release_held_at_exit(void)
{
	for (size_t i = 0; i < MAX_HELD; i++)
		if (held[i].path && held[i].pid == getpid()) {
			pt_lockfile_release(held[i].path, held[i].fd);
			held[i].path = NULL;
		}
}

static void remember_held(int fd, const char *path)
{
	static bool registered;

	if (!registered)
		registered = atexit(release_held_at_exit) == 0;
	for (size_t i = 0; i < MAX_HELD; i++)
		if (!held[i].path) {
			held[i].fd = fd;
			held[i].pid = getpid();
			held[i].path = path;
			return;
		}
}

static void forget_held(const char *path)
{
	for (size_t i = 0; i < MAX_HELD; i++)
		if (held[i].path == path)
			held[i].path = NULL;
}

int pt_state_lock(const char *bdf, const char *command, const char *vm,
		  struct pt_state_lock *ret, struct pt_state_holder *ret_holder)
{
	_cleanup_free_ char *path = NULL;
	char buf[256];
	int busy = -1, fd, r, len;

	r = path_with(bdf, PT_STATE_LOCK_SUFFIX, &path);
	if (r < 0)
		return r;
	len = snprintf(buf, sizeof(buf), "%s %d %s\n", command, (int)getpid(),
		       vm && *vm ? vm : "-");
	if (len < 0 || (size_t)len >= sizeof(buf))
		return -ENAMETOOLONG;
	fd = pt_lockfile_acquire(path, buf, &busy);
	if (busy >= 0) {
		if (ret_holder)
			read_holder(busy, ret_holder);
		close(busy);
	}
	if (fd < 0)
		return fd;
	ret->fd = fd;
	ret->path = TAKE_PTR(path);
	remember_held(ret->fd, ret->path);
	return 0;
}

void pt_state_unlock(struct pt_state_lock *l)
{
	int r;

	if (!l->path)
		return;
	forget_held(l->path);
	r = pt_lockfile_release(l->path, l->fd);
	if (r < 0)
		pt_warn("removing the lock file %s: %s (it is held by nobody; passthru-ctl "
			"recover removes it)", l->path, strerror(-r));
	free(l->path);
	l->path = NULL;
	l->fd = -1;
}

const char *pt_state_holder_describe(const struct pt_state_holder *h, char *buf, size_t size)
{
	if (!h->pid) {
		snprintf(buf, size, "another process (it has not said which yet)");
		return buf;
	}
	snprintf(buf, size, "passthru-ctl %s (pid %d%s%s)", h->command, (int)h->pid,
		 h->vm[0] ? ", VM " : "", h->vm);
	return buf;
}
