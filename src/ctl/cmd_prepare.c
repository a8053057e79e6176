/*
 * passthru-ctl prepare BDF... and release BDF...: functions to vfio-pci and back
 * (host/bind.h), after the same verdicts passthru-ctl devices shows (host/verdict.c),
 * each function locked for the whole command. A prepare that cannot take every
 * function gives back those it took: nothing is left half-done.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/exit_status.h"
#include "common/log.h"
#include "ctl/ctl.h"
#include "ctl/host_prep.h"
#include "ctl/json_out.h"
#include "host/inventory.h"
#include "host/readiness.h"

static bool is_bridge_dev(const struct pt_pci_dev *d)
{
	return d->header != PT_PCI_HEADER_ENDPOINT || (d->class_id >> 8) == 0x06;
}

/* --group: every endpoint of each named function's group joins the targets. */
static int add_group_members(const struct pt_inventory *inv, struct pt_targets *t,
			     bool only_recorded)
{
	size_t n = t->n;

	for (size_t i = 0; i < n; i++) {
		const struct pt_pci_dev *d = pt_prep_find(inv, t->items[i].name);

		for (size_t j = 0; d && j < d->n_group_peers; j++) {
			const struct pt_pci_dev *m = pt_prep_find(inv, d->group_peers[j].name);

			if (!m || is_bridge_dev(m) || (only_recorded && !m->has_record))
				continue;
			if (pt_targets_add(t, m->name, false) < 0)
				return -ENOMEM;
		}
	}
	return 0;
}

/* kernel_us: the time the bind spent waiting for the kernel (bench/host-prep.sh). */
static json_t *prepared_json(const struct pt_state_record *rec, int group, bool already,
			     long long kernel_us)
{
	return json_pack("{s:s, s:s, s:o, s:o, s:o, s:b, s:f}", "bdf", rec->bdf, "driver",
			 "vfio-pci", "original_driver", pt_json_string_or_null(rec->original_driver),
			 "original_override", pt_json_string_or_null(rec->original_override),
			 "iommu_group", group >= 0 ? json_integer(group) : json_null(),
			 "already", already, "kernel_ms", kernel_us / 1000.0);
}

/* Group members left alone because they need nothing: the verdict's view, said. */
static void say_unbound_members(const struct pt_pci_dev *d, const struct pt_targets *t)
{
	for (size_t i = 0; i < d->n_group_peers; i++) {
		const struct pt_group_member *m = &d->group_peers[i];

		if (pt_targets_has(t, m->name) || !pt_driver_is_vfio_safe(m->driver))
			continue;
		printf("%s: group %d member %s is on %s: it does not keep the group from a VM\n",
		       d->name, d->iommu_group, m->name, m->driver ? m->driver : "no driver");
	}
}

/* Gives back what this command prepared (a later function failed). */
static void roll_back(const struct pt_ctl *ctl, struct pt_state_record **done, size_t n)
{
	struct pt_bind_opts o;

	pt_ctl_bind_opts(ctl, "prepare", &o);
	o.fault = NULL;
	for (size_t i = n; i-- > 0;) {
		if (pt_bind_release(&o, done[i]) == 0)
			pt_err("%s: given back to %s (the command failed)", done[i]->bdf,
			       done[i]->original_driver ? done[i]->original_driver : "no driver");
	}
}

static int do_prepare(struct pt_ctl *ctl, struct pt_targets *t, struct pt_inventory *inv,
		      json_t *out)
{
	_cleanup_free_ struct pt_state_record **done = NULL;
	struct pt_bind_opts o;
	size_t n_done = 0;
	int status = PT_EXIT_OK;

	done = calloc(t->n + 1, sizeof(*done));
	if (!done) {
		pt_err("nothing was changed: %s", strerror(ENOMEM));
		return PT_EXIT_FAILURE;
	}
	pt_ctl_bind_opts(ctl, "prepare", &o);
	for (size_t i = 0; i < t->n; i++) {
		const struct pt_pci_dev *d = pt_prep_find(inv, t->items[i].name);
		struct pt_state_record *rec = NULL;
		long long kernel_us = 0;
		int r;

		o.kernel_us = &kernel_us;
		if (d->has_record && d->phase == PT_PHASE_PREPARED) {
			const char *why;

			if (pt_state_read(d->name, &rec, &why) == 0) {
				if (!ctl->json)
					printf("%s: already prepared (on %s, original driver %s)\n",
					       d->name, d->driver ? d->driver : "no driver",
					       rec->original_driver ? rec->original_driver : "none");
				json_array_append_new(out, prepared_json(rec, d->iommu_group, true, 0));
				pt_state_record_free(rec);
			}
			continue;
		}
		r = pt_bind_prepare(&o, d->name, d->iommu_group, NULL, &rec);
		if (r < 0) {
			status = PT_EXIT_FAILURE;
			break;
		}
		done[n_done++] = rec;
		if (!ctl->json) {
			printf("%s: prepared: on vfio-pci (was %s), /dev/vfio/%d\n", d->name,
			       rec->original_driver ? rec->original_driver : "no driver",
			       d->iommu_group);
			say_unbound_members(d, t);
		}
		json_array_append_new(out, prepared_json(rec, d->iommu_group, false, kernel_us));
	}
	if (status != PT_EXIT_OK && n_done)
		roll_back(ctl, done, n_done);
	for (size_t i = 0; i < n_done; i++)
		pt_state_record_free(done[i]);
	return status;
}

int pt_cmd_prepare(struct pt_ctl *ctl, int argc, char **argv)
{
	struct pt_targets t = { 0 };
	struct pt_inventory *inv = NULL;
	struct pt_prep_verdict v = { .status = PT_EXIT_OK };
	json_t *prepared = json_array();
	int first, status;

	v.forced = json_array();
	v.refusals = json_array();
	first = pt_ctl_parse_options(ctl, argc, argv, false);
	if (first <= 0) {
		status = -first;
		goto out;
	}
	status = pt_targets_parse(&t, argc, argv, first);
	if (status)
		goto out;
	/* The named functions are locked before their verdicts are read, then the group. */
	status = pt_targets_lock(&t, "prepare");
	if (status)
		goto out;
	status = pt_ctl_inventory(ctl, 0, &inv);
	if (status)
		goto out;
	for (size_t i = 0; i < t.n; i++)
		if (!pt_prep_find(inv, t.items[i].name)) {
			pt_err("no PCI function %s on this host (passthru-ctl devices lists them)",
			       t.items[i].name);
			status = PT_EXIT_NOT_FOUND;
		}
	if (status)
		goto out;
	if (ctl->group) {
		if (add_group_members(inv, &t, false) < 0) {
			status = PT_EXIT_FAILURE;
			goto out;
		}
		status = pt_targets_lock(&t, "prepare");
		if (status)
			goto out;
	}
	for (size_t i = 0; i < t.n; i++)
		pt_prep_judge(ctl, inv, &t, pt_prep_find(inv, t.items[i].name), &v);
	if (v.status == PT_EXIT_OK)
		pt_prep_vfio_available(ctl, &v);
	if (v.status != PT_EXIT_OK) {
		pt_err("nothing was changed");
		status = v.status;
	} else {
		status = do_prepare(ctl, &t, inv, prepared);
	}
	if (status != PT_EXIT_OK)
		json_array_clear(prepared); /* rolled back */
	if (ctl->json)
		pt_json_print(json_pack("{s:b, s:O, s:O, s:O}", "ok", status == PT_EXIT_OK,
					"prepared", prepared, "forced", v.forced, "refused",
					v.refusals));
out:
	json_decref(prepared);
	json_decref(v.forced);
	json_decref(v.refusals);
	pt_inventory_free(inv);
	pt_targets_free(&t);
	return status;
}

/* Release of one locked function. An exit status. */
static int release_one(struct pt_ctl *ctl, const char *bdf, json_t *out)
{
	struct pt_state_record *rec = NULL;
	struct pt_bind_opts o;
	const char *why = NULL;
	long long kernel_us = 0;
	bool changed;
	int r;

	r = pt_state_read(bdf, &rec, &why);
	if (r == -ENOENT) {
		pt_err("%s: not prepared by passthru (no state record): nothing to give back", bdf);
		return PT_EXIT_NOT_FOUND;
	}
	if (r < 0) {
		pt_err("%s: its state record cannot be read: %s", bdf,
		       r == -EBADMSG ? why : strerror(-r));
		return PT_EXIT_FAILURE;
	}
	if (rec->vm && pt_ctl_vm_running(rec->vm)) {
		pt_err("%s: refused: assigned to VM %s, which runs (passthru-ctl stop %s first)",
		       bdf, rec->vm, rec->vm);
		pt_state_record_free(rec);
		return PT_EXIT_REFUSED;
	}
	pt_ctl_bind_opts(ctl, "release", &o);
	o.kernel_us = &kernel_us;
	if (rec->phase != PT_PHASE_PREPARED) {
		pt_warn("%s: a %s by pid %d did not finish: putting it back as it was", bdf,
			pt_state_phase_name(rec->phase), (int)rec->pid);
		r = pt_bind_restore(&o, rec, &changed);
	} else {
		r = pt_bind_release(&o, rec);
	}
	if (r == 0) {
		if (!ctl->json)
			printf("%s: released: %s%s\n", bdf,
			       rec->original_driver ? "back on " : "no driver, as before",
			       rec->original_driver ? rec->original_driver : "");
		json_array_append_new(out, json_pack("{s:s, s:o, s:o, s:f}", "bdf", bdf, "driver",
						     pt_json_string_or_null(rec->original_driver),
						     "driver_override",
						     pt_json_string_or_null(rec->original_override),
						     "kernel_ms", kernel_us / 1000.0));
	}
	pt_state_record_free(rec);
	return r == 0 ? PT_EXIT_OK : PT_EXIT_FAILURE;
}

int pt_cmd_release(struct pt_ctl *ctl, int argc, char **argv)
{
	struct pt_targets t = { 0 };
	struct pt_inventory *inv = NULL;
	json_t *released = json_array();
	int first, status;

	first = pt_ctl_parse_options(ctl, argc, argv, false);
	if (first <= 0) {
		status = -first;
		goto out;
	}
	status = pt_targets_parse(&t, argc, argv, first);
	if (status)
		goto out;
	if (ctl->group) {
		int r = pt_inventory_load(ctl->sysroot, 0, &inv);

		if (r < 0 || add_group_members(inv, &t, true) < 0) {
			status = PT_EXIT_FAILURE;
			goto out;
		}
	}
	status = pt_targets_lock(&t, "release");
	if (status)
		goto out;
	for (size_t i = 0; i < t.n; i++) {
		int s = release_one(ctl, t.items[i].name, released);

		if (s && (!status || s == PT_EXIT_FAILURE))
			status = s;
	}
	if (ctl->json)
		pt_json_print(json_pack("{s:b, s:O}", "ok", status == PT_EXIT_OK, "released",
					released));
out:
	json_decref(released);
	pt_inventory_free(inv);
	pt_targets_free(&t);
	return status;
}
