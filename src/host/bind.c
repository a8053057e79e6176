/* driver_override binding with a written-ahead record (host/bind.h). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/clock.h"
#include "common/log.h"
#include "host/bind.h"
#include "host/sysroot.h"

#define VFIO_DRIVER "vfio-pci"
#define DEFAULT_GROUP_WAIT_MS 5000
/* How long a driver link may take to appear after a bind (probing is synchronous,
 * but async-probing drivers exist). */
#define LINK_WAIT_MS 3000

static void fault(const struct pt_bind_opts *o, const char *point)
{
	if (o->fault)
		o->fault(point);
}

static void say(const struct pt_bind_opts *o, const char *bdf, const char *what)
{
	if (o->say)
		o->say(bdf, what);
}

static int sysfs_write(const char *path, const char *text)
{
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
	size_t len = strlen(text);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, text, len);
	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EIO;
}

int pt_bind_current_driver(const char *sysroot, const char *bdf, char **ret)
{
	_cleanup_free_ char *link = NULL;
	char *name = NULL;
	int r;

	r = pt_host_path(sysroot, &link, "/sys/bus/pci/devices/%s/driver", bdf);
	if (r < 0)
		return r;
	r = pt_read_link_name(link, &name);
	if (r == -ENOENT) {
		*ret = NULL;
		return 0;
	}
	if (r < 0)
		return r;
	*ret = name;
	return 0;
}

int pt_bind_current_override(const char *sysroot, const char *bdf, char **ret)
{
	_cleanup_free_ char *path = NULL;
	char *text = NULL;
	int r;

	r = pt_host_path(sysroot, &path, "/sys/bus/pci/devices/%s/driver_override", bdf);
	if (r < 0)
		return r;
	r = pt_read_text(path, &text);
	if (r < 0)
		return r;
	if (!strcmp(text, "(null)") || !*text) {
		free(text);
		text = NULL;
	}
	*ret = text;
	return 0;
}

static bool same(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

/* Waits until the bound driver is want (NULL: none). 0, -ETIMEDOUT, or -errno. */
static int wait_driver(const char *sysroot, const char *bdf, const char *want, char **ret_got)
{
	long long deadline = pt_monotonic_ms() + LINK_WAIT_MS;

	for (;;) {
		char *cur = NULL;
		int r = pt_bind_current_driver(sysroot, bdf, &cur);

		if (r < 0)
			return r;
		if (same(cur, want) || pt_monotonic_ms() >= deadline) {
			bool ok = same(cur, want);

			if (ret_got)
				*ret_got = cur;
			else
				free(cur);
			return ok ? 0 : -ETIMEDOUT;
		}
		free(cur);
		usleep(10 * 1000);
	}
}

static int save(struct pt_state_record *rec)
{
	int r = pt_state_write(rec);

	if (r < 0)
		pt_err("%s: cannot write the state record: %s (nothing more is changed)", rec->bdf,
		       strerror(-r));
	return r;
}

static int begin(struct pt_state_record *rec, const char *step)
{
	int r = pt_state_step_begin(rec, step);

	return r < 0 ? r : save(rec);
}

static int done(const struct pt_bind_opts *o, struct pt_state_record *rec, const char *point)
{
	int r;

	pt_state_step_done(rec);
	r = save(rec);
	if (r == 0)
		fault(o, point);
	return r;
}

/* Runs modprobe NAME (real root only). 0 or -errno / -ECHILD when it failed. */
static int modprobe(const char *name)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -errno;
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		if (null >= 0)
			dup2(null, STDOUT_FILENO);
		execlp("modprobe", "modprobe", name, (char *)NULL);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -ECHILD;
}

static int driver_loaded(const char *sysroot, const char *driver, bool *ret)
{
	_cleanup_free_ char *dir = NULL;
	int r = pt_host_path(sysroot, &dir, "/sys/bus/pci/drivers/%s", driver);

	if (r < 0)
		return r;
	*ret = pt_path_exists(dir);
	return 0;
}

/* Loads driver's module when its PCI driver directory is missing. 0, 1 (loaded now), -errno. */
static int ensure_driver_raw(const struct pt_bind_opts *o, const char *bdf, const char *driver)
{
	bool loaded;
	int r = driver_loaded(o->sysroot, driver, &loaded);

	if (r < 0 || loaded)
		return r;
	if (!pt_sysroot_is_real(o->sysroot)) {
		pt_err("%s: driver %s is not loaded under %s, and modules are loaded only on the "
		       "real root", bdf, driver, o->sysroot);
		return -ENOENT;
	}
	r = modprobe(driver);
	if (r == 0)
		r = driver_loaded(o->sysroot, driver, &loaded);
	if (r == 0 && !loaded)
		r = -ENOENT;
	if (r < 0) {
		pt_err("%s: driver %s is not loaded and modprobe %s failed%s", bdf, driver, driver,
		       r == -ECHILD ? "" : r == -ENOENT ? " to register it" : "");
		return r;
	}
	return 1;
}

static int unbind_now_raw(const char *sysroot, const char *bdf, const char *driver)
{
	_cleanup_free_ char *path = NULL;
	char *got = NULL;
	int r;

	r = pt_host_path(sysroot, &path, "/sys/bus/pci/drivers/%s/unbind", driver);
	if (r < 0)
		return r;
	r = sysfs_write(path, bdf);
	if (r < 0) {
		pt_err("%s: unbinding it from %s: writing %s: %s", bdf, driver, path, strerror(-r));
		return r;
	}
	r = wait_driver(sysroot, bdf, NULL, &got);
	if (r == -ETIMEDOUT)
		pt_err("%s: still bound to %s after writing %s", bdf, got, path);
	else if (r < 0)
		pt_err("%s: cannot read its driver after unbinding: %s", bdf, strerror(-r));
	free(got);
	return r;
}

static int write_override_raw(const char *sysroot, const char *bdf, const char *value)
{
	_cleanup_free_ char *path = NULL, *now = NULL;
	int r;

	r = pt_host_path(sysroot, &path, "/sys/bus/pci/devices/%s/driver_override", bdf);
	if (r < 0)
		return r;
	/* A lone newline clears it (the kernel stores NULL). */
	r = sysfs_write(path, value ? value : "\n");
	if (r < 0) {
		pt_err("%s: writing '%s' to %s: %s", bdf, value ? value : "", path, strerror(-r));
		return r;
	}
	r = pt_bind_current_override(sysroot, bdf, &now);
	if (r < 0) {
		pt_err("%s: reading %s back: %s", bdf, path, strerror(-r));
		return r;
	}
	if (!same(now, value)) {
		pt_err("%s: %s reads '%s' after writing '%s'", bdf, path, now ? now : "(null)",
		       value ? value : "(null)");
		return -EIO;
	}
	return 0;
}

/* Binds bdf to driver (drivers_probe when probe, else DRIVER/bind) and verifies it. */
static int bind_now_raw(const char *sysroot, const char *bdf, const char *driver, bool probe)
{
	_cleanup_free_ char *path = NULL;
	char *got = NULL;
	int r, w;

	if (probe)
		r = pt_host_path(sysroot, &path, "/sys/bus/pci/drivers_probe");
	else
		r = pt_host_path(sysroot, &path, "/sys/bus/pci/drivers/%s/bind", driver);
	if (r < 0)
		return r;
	w = sysfs_write(path, bdf);
	if (w < 0 && !probe) {
		pt_err("%s: binding it to %s: writing %s: %s", bdf, driver, path, strerror(-w));
		return w;
	}
	/*
	 * drivers_probe reports success whatever bound; the link is the proof. When the
	 * write itself failed nothing is probing: the link is read once, not waited for.
	 */
	if (w < 0) {
		r = pt_bind_current_driver(sysroot, bdf, &got);
		if (r == 0 && same(got, driver)) {
			free(got);
			return 0;
		}
		if (r == 0)
			pt_err("%s: writing %s: %s; it is bound to %s, not %s", bdf, path,
			       strerror(-w), got ? got : "no driver", driver);
		else
			pt_err("%s: writing %s: %s", bdf, path, strerror(-w));
		free(got);
		return w;
	}
	r = wait_driver(sysroot, bdf, driver, &got);
	if (r == -ETIMEDOUT)
		pt_err("%s: after writing %s it is bound to %s, not %s", bdf, path,
		       got ? got : "no driver", driver);
	else if (r < 0)
		pt_err("%s: cannot read its driver after binding: %s", bdf, strerror(-r));
	free(got);
	return r;
}

static int wait_group_node_raw(const struct pt_bind_opts *o, const char *bdf, int group)
{
	_cleanup_free_ char *node = NULL;
	int wait = o->group_wait_ms > 0 ? o->group_wait_ms : DEFAULT_GROUP_WAIT_MS;
	long long deadline = pt_monotonic_ms() + wait;
	int r;

	if (group < 0)
		return 0;
	r = pt_host_path(o->sysroot, &node, "/dev/vfio/%d", group);
	if (r < 0)
		return r;
	while (!pt_path_exists(node)) {
		if (pt_monotonic_ms() >= deadline) {
			pt_err("%s: on vfio-pci, but %s did not appear within %d ms (udev?)", bdf,
			       node, wait);
			return -ETIMEDOUT;
		}
		usleep(10 * 1000);
	}
	return 0;
}

/*
 * The steps that wait for the kernel (unbind, probe, bind, module loading, the
 * /dev/vfio node), timed into o->kernel_us when the caller asks (make bench).
 */
static long long now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

#define KERNEL_TIMED(o, call)                                    \
	({                                                       \
		long long _t0 = now_us();                        \
		int _r = (call);                                 \
		if ((o)->kernel_us)                              \
			*(o)->kernel_us += now_us() - _t0;       \
		_r;                                              \
	})

static int unbind_now(const struct pt_bind_opts *o, const char *bdf, const char *driver)
{
	return KERNEL_TIMED(o, unbind_now_raw(o->sysroot, bdf, driver));
}

static int write_override(const struct pt_bind_opts *o, const char *bdf, const char *value)
{
	return KERNEL_TIMED(o, write_override_raw(o->sysroot, bdf, value));
}

static int bind_now(const struct pt_bind_opts *o, const char *bdf, const char *driver, bool probe)
{
	return KERNEL_TIMED(o, bind_now_raw(o->sysroot, bdf, driver, probe));
}

static int wait_group_node(const struct pt_bind_opts *o, const char *bdf, int group)
{
	return KERNEL_TIMED(o, wait_group_node_raw(o, bdf, group));
}

static int ensure_driver(const struct pt_bind_opts *o, const char *bdf, const char *driver)
{
	return KERNEL_TIMED(o, ensure_driver_raw(o, bdf, driver));
}

static int new_record(const struct pt_bind_opts *o, const char *bdf, const char *vm,
		      struct pt_state_record **ret)
{
	struct pt_state_record *rec = calloc(1, sizeof(*rec));
	int r;

	if (!rec)
		goto oom;
	snprintf(rec->bdf, sizeof(rec->bdf), "%s", bdf);
	rec->phase = PT_PHASE_PREPARING;
	rec->pid = getpid();
	rec->backend = strdup("vfio");
	rec->command = strdup(o->command ? o->command : "prepare");
	rec->vm = vm ? strdup(vm) : NULL;
	if (!rec->backend || !rec->command || (vm && !rec->vm)) {
		pt_state_record_free(rec);
		goto oom;
	}
	r = pt_bind_current_driver(o->sysroot, bdf, &rec->original_driver);
	if (r == 0)
		r = pt_bind_current_override(o->sysroot, bdf, &rec->original_override);
	if (r < 0) {
		pt_err("%s: cannot read its driver and driver_override: %s", bdf, strerror(-r));
		pt_state_record_free(rec);
		return r;
	}
	*ret = rec;
	return 0;
oom:
	pt_err("%s: cannot make its state record: %s (nothing was changed)", bdf, strerror(ENOMEM));
	return -ENOMEM;
}

static int do_restore(const struct pt_bind_opts *o, struct pt_state_record *rec, bool *changed)
{
	_cleanup_free_ char *cur = NULL, *ovr = NULL;
	const char *bdf = rec->bdf;
	int r;

	*changed = false;
	r = pt_bind_current_driver(o->sysroot, bdf, &cur);
	if (r == 0)
		r = pt_bind_current_override(o->sysroot, bdf, &ovr);
	if (r < 0) {
		pt_err("%s: cannot read its driver and driver_override: %s", bdf, strerror(-r));
		return r;
	}
	if (cur && !same(cur, rec->original_driver)) {
		r = unbind_now(o, bdf, cur);
		if (r < 0)
			return r;
		*changed = true;
		free(cur);
		cur = NULL;
	}
	if (!same(ovr, rec->original_override)) {
		r = write_override(o, bdf, rec->original_override);
		if (r < 0)
			return r;
		*changed = true;
	}
	if (rec->original_driver && !cur) {
		r = ensure_driver(o, bdf, rec->original_driver);
		if (r < 0)
			return r;
		r = bind_now(o, bdf, rec->original_driver, false);
		if (r < 0)
			return r;
		*changed = true;
	}
	return 0;
}

int pt_bind_restore(const struct pt_bind_opts *o, struct pt_state_record *rec, bool *ret_changed)
{
	bool changed = false;
	int r = do_restore(o, rec, &changed);

	if (r < 0) {
		pt_err("%s: not put back as its state record says: %s (the record stays)",
		       rec->bdf, strerror(-r));
		return r;
	}
	r = pt_state_remove(rec->bdf);
	if (r < 0) {
		pt_err("%s: put back as it was, but removing its state record: %s", rec->bdf,
		       strerror(-r));
		return r;
	}
	*ret_changed = changed;
	return 0;
}

/* After a failed prepare, once nothing is left to undo: the record goes, or says why not. */
static void drop_record(const char *bdf)
{
	int r = pt_state_remove(bdf);

	if (r < 0)
		pt_err("%s: removing its state record: %s (passthru-ctl recover removes it)", bdf,
		       strerror(-r));
}

/* After a failed prepare step: put everything back, say so, drop the record. */
static void undo_prepare(const struct pt_bind_opts *o, struct pt_state_record *rec,
			 const char *step, int err)
{
	bool changed = false;
	int r;

	pt_err("%s: prepare failed at step '%s': %s; undoing the steps made", rec->bdf, step,
	       strerror(-err));
	r = do_restore(o, rec, &changed);
	if (r < 0) {
		pt_err("%s: could not undo everything: its state record stays for "
		       "passthru-ctl recover", rec->bdf);
		return;
	}
	drop_record(rec->bdf);
	if (changed)
		pt_err("%s: undone: back on %s, driver_override '%s'", rec->bdf,
		       rec->original_driver ? rec->original_driver : "no driver",
		       rec->original_override ? rec->original_override : "(null)");
}

int pt_bind_prepare(const struct pt_bind_opts *o, const char *bdf, int group, const char *vm,
		    struct pt_state_record **ret_rec)
{
	struct pt_state_record *rec = NULL;
	const char *step = "record";
	bool loaded;
	int r;

	r = new_record(o, bdf, vm, &rec);
	if (r < 0)
		return r;
	/* Written before anything changes: the original driver and override are safe now. */
	r = save(rec);
	if (r < 0)
		goto fail_norestore;
	fault(o, "prepare:after-record");

	r = driver_loaded(o->sysroot, VFIO_DRIVER, &loaded);
	if (r == 0 && !loaded) {
		step = "load-vfio-pci";
		r = begin(rec, step);
		if (r == 0)
			r = ensure_driver(o, bdf, VFIO_DRIVER);
		if (r < 0)
			goto fail;
		say(o, bdf, "loaded the vfio-pci module");
		r = done(o, rec, "prepare:after-load-vfio-pci");
	}
	if (r < 0)
		goto fail;

	if (rec->original_driver && strcmp(rec->original_driver, VFIO_DRIVER)) {
		step = "unbind";
		r = begin(rec, step);
		if (r == 0)
			r = unbind_now(o, bdf, rec->original_driver);
		if (r == 0)
			r = done(o, rec, "prepare:after-unbind");
		if (r < 0)
			goto fail;
	}

	step = "override";
	r = begin(rec, step);
	if (r == 0)
		r = write_override(o, bdf, VFIO_DRIVER);
	if (r == 0)
		r = done(o, rec, "prepare:after-override");
	if (r < 0)
		goto fail;

	if (!same(rec->original_driver, VFIO_DRIVER)) {
		step = "probe";
		r = begin(rec, step);
		if (r == 0)
			r = bind_now(o, bdf, VFIO_DRIVER, true);
		if (r == 0)
			r = wait_group_node(o, bdf, group);
		if (r == 0)
			r = done(o, rec, "prepare:after-probe");
		if (r < 0)
			goto fail;
	}

	rec->phase = PT_PHASE_PREPARED;
	r = save(rec);
	if (r < 0) {
		step = "record";
		goto fail;
	}
	fault(o, "prepare:after-prepared");
	*ret_rec = rec;
	return 0;

fail:
	undo_prepare(o, rec, step, r);
	pt_state_record_free(rec);
	return r;
fail_norestore:
	drop_record(bdf);
	pt_state_record_free(rec);
	return r;
}

int pt_bind_release(const struct pt_bind_opts *o, struct pt_state_record *rec)
{
	_cleanup_free_ char *cur = NULL;
	const char *bdf = rec->bdf, *step;
	int r;

	rec->phase = PT_PHASE_RELEASING;
	rec->n_steps = 0;
	rec->pid = getpid();
	free(rec->command);
	rec->command = strdup(o->command ? o->command : "release");
	if (!rec->command) {
		pt_err("%s: nothing was changed: %s", bdf, strerror(ENOMEM));
		return -ENOMEM;
	}
	r = save(rec);
	if (r < 0)
		return r;
	fault(o, "release:after-record");

	r = pt_bind_current_driver(o->sysroot, bdf, &cur);
	if (r < 0) {
		pt_err("%s: cannot read its driver: %s", bdf, strerror(-r));
		return r;
	}
	if (cur && !same(cur, rec->original_driver)) {
		step = "unbind";
		r = begin(rec, step);
		if (r == 0)
			r = unbind_now(o, bdf, cur);
		if (r == 0)
			r = done(o, rec, "release:after-unbind");
		if (r < 0)
			goto fail;
		free(cur);
		cur = NULL;
	}

	step = "override";
	r = begin(rec, step);
	if (r == 0)
		r = write_override(o, bdf, rec->original_override);
	if (r == 0)
		r = done(o, rec, "release:after-override");
	if (r < 0)
		goto fail;

	if (rec->original_driver && !cur) {
		step = "rebind";
		r = begin(rec, step);
		if (r == 0)
			r = ensure_driver(o, bdf, rec->original_driver);
		if (r >= 0)
			r = bind_now(o, bdf, rec->original_driver, false);
		if (r == 0)
			r = done(o, rec, "release:after-rebind");
		if (r < 0)
			goto fail;
	}
	r = pt_state_remove(bdf);
	if (r < 0)
		pt_err("%s: given back, but its record cannot be removed: %s", bdf, strerror(-r));
	return r;

fail:
	pt_err("%s: release failed at step '%s': %s; the record stays (phase releasing) and "
	       "passthru-ctl recover retries it", bdf, step, strerror(-r));
	return r;
}
