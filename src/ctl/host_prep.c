#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/exit_status.h"
#include "common/log.h"
#include "common/pidfile.h"
#include "config/vm_paths.h"
#include "ctl/host_prep.h"

int pt_targets_add(struct pt_targets *t, const char *name, bool named)
{
	struct pt_target *items;

	for (size_t i = 0; i < t->n; i++)
		if (!strcmp(t->items[i].name, name)) {
			t->items[i].named |= named;
			return 0;
		}
	items = reallocarray(t->items, t->n + 1, sizeof(*items));
	if (!items) {
		pt_err("%s: listing it among the functions to act on: %s", name, strerror(ENOMEM));
		return -ENOMEM;
	}
	t->items = items;
	memset(&items[t->n], 0, sizeof(items[t->n]));
	snprintf(items[t->n].name, sizeof(items[t->n].name), "%s", name);
	items[t->n].named = named;
	items[t->n].lock.fd = -1;
	t->n++;
	return 0;
}

bool pt_targets_has(const struct pt_targets *t, const char *name)
{
	for (size_t i = 0; i < t->n; i++)
		if (!strcmp(t->items[i].name, name))
			return true;
	return false;
}

void pt_targets_free(struct pt_targets *t)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->items[i].locked)
			pt_state_unlock(&t->items[i].lock);
	free(t->items);
	t->items = NULL;
	t->n = 0;
}

static int target_cmp(const void *a, const void *b)
{
	return strcmp(((const struct pt_target *)a)->name, ((const struct pt_target *)b)->name);
}

int pt_targets_lock(struct pt_targets *t, const char *command)
{
	qsort(t->items, t->n, sizeof(*t->items), target_cmp);
	for (size_t i = 0; i < t->n; i++) {
		struct pt_target *x = &t->items[i];
		struct pt_state_holder h;
		char who[256];
		int r;

		if (x->locked)
			continue;
		r = pt_state_lock(x->name, command, NULL, &x->lock, &h);
		if (r == -EBUSY) {
			pt_err("%s is busy: %s holds it; nothing was changed", x->name,
			       pt_state_holder_describe(&h, who, sizeof(who)));
			return PT_EXIT_REFUSED;
		}
		if (r < 0) {
			pt_err("%s: cannot take its lock in %s: %s", x->name, pt_run_dir(),
			       strerror(-r));
			return r == -EACCES || r == -EPERM || r == -EROFS ? PT_EXIT_REFUSED
									    : PT_EXIT_FAILURE;
		}
		x->locked = true;
	}
	return PT_EXIT_OK;
}

int pt_targets_parse(struct pt_targets *t, int argc, char **argv, int first)
{
	if (first >= argc) {
		pt_err("%s needs at least one PCI address (passthru-ctl devices lists them)",
		       argv[0]);
		return PT_EXIT_USAGE;
	}
	for (int i = first; i < argc; i++) {
		char name[PT_BDF_STRLEN];
		struct pt_bdf bdf;
		const char *why;

		if (pt_bdf_parse(argv[i], &bdf, &why) < 0) {
			pt_err("'%s': %s", argv[i], why);
			return PT_EXIT_USAGE;
		}
		if (pt_targets_add(t, pt_bdf_format(&bdf, name), true) < 0)
			return PT_EXIT_FAILURE;
	}
	return PT_EXIT_OK;
}

static void say_progress(const char *bdf, const char *what)
{
	fprintf(stderr, "%s: %s: %s\n", program_invocation_short_name, bdf, what);
}

void pt_ctl_bind_opts(const struct pt_ctl *ctl, const char *command, struct pt_bind_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->sysroot = ctl->sysroot;
	o->command = command;
	o->fault = pt_ctl_fault_hook();
	o->say = say_progress;
}

bool pt_ctl_vm_running(const char *vm)
{
	_cleanup_free_ char *pidfile = pt_vm_pidfile_path(vm);
	pid_t pid;

	/* Unknown means running: never give a device back under a live VM. */
	return !pidfile || pt_pidfile_probe(pidfile, &pid) != 0;
}

int pt_ctl_give_back_locked(const struct pt_ctl *ctl, const char *bdf, const char *vm,
			    const char *command, struct pt_state_record **ret_rec)
{
	struct pt_state_record *rec = NULL;
	struct pt_bind_opts o;
	const char *why = NULL;
	bool changed;
	int r;

	*ret_rec = NULL;
	r = pt_state_read(bdf, &rec, &why);
	if (r == -ENOENT)
		return 0;
	if (r < 0) {
		pt_err("%s: its state record cannot be read: %s", bdf,
		       r == -EBADMSG ? why : strerror(-r));
		return r;
	}
	if (!rec->vm || strcmp(rec->vm, vm)) {
		pt_state_record_free(rec);
		return 0;
	}
	pt_ctl_bind_opts(ctl, command, &o);
	r = rec->phase == PT_PHASE_PREPARED ? pt_bind_release(&o, rec)
					     : pt_bind_restore(&o, rec, &changed);
	if (r < 0) {
		pt_state_record_free(rec);
		return r;
	}
	*ret_rec = rec;
	return 1;
}

static int give_back_one(const struct pt_ctl *ctl, const char *bdf, const char *vm)
{
	struct pt_state_lock lock = { .fd = -1 };
	struct pt_state_record *rec = NULL;
	struct pt_state_holder h;
	const char *why = NULL;
	char who[256];
	int r;

	/* Read without the lock first: most records are other VMs'. */
	if (pt_state_read(bdf, &rec, &why) < 0 || !rec->vm || strcmp(rec->vm, vm)) {
		pt_state_record_free(rec);
		return 0;
	}
	pt_state_record_free(rec);
	r = pt_state_lock(bdf, "stop", vm, &lock, &h);
	if (r < 0) {
		pt_err("%s: not given back: %s", bdf, r == -EBUSY ?
		       pt_state_holder_describe(&h, who, sizeof(who)) : strerror(-r));
		return 1;
	}
	r = pt_ctl_give_back_locked(ctl, bdf, vm, "stop", &rec);
	if (r == 1)
		printf("%s: given back to %s (VM %s no longer runs)\n", bdf,
		       rec->original_driver ? rec->original_driver : "no driver", vm);
	pt_state_record_free(rec);
	pt_state_unlock(&lock);
	return r < 0 ? 1 : 0;
}

int pt_ctl_give_back_vm(const struct pt_ctl *ctl, const char *vm)
{
	char (*names)[PT_BDF_STRLEN] = NULL;
	size_t n = 0;
	int failed = 0;

	if (pt_state_list(&names, &n) < 0)
		return 1;
	for (size_t i = 0; i < n; i++)
		failed += give_back_one(ctl, names[i], vm);
	free(names);
	return failed;
}

int pt_ctl_inventory(const struct pt_ctl *ctl, unsigned flags, struct pt_inventory **ret)
{
	int r = pt_inventory_load(ctl->sysroot, flags, ret);

	if (r < 0 && r != -ENOENT)
		pt_err("cannot list PCI devices: %s", strerror(-r));
	return r < 0 ? PT_EXIT_FAILURE : PT_EXIT_OK;
}
