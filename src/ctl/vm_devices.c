/*
 * Functions taken for a VM (attach, start, run) and given back (detach, a failed
 * start, the end of run): the record's "vm" names the VM while it may use them.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/exit_status.h"
#include "common/files.h"
#include "common/log.h"
#include "common/run_dir.h"
#include "host/sysroot.h"
#include "ctl/host_prep.h"
#include "ctl/vm_devices.h"
#include "ctl/vm_runtime.h"

/* bdf's IOMMU group number (the last part of its iommu_group link), or -errno. */
static int group_of(const char *sysroot, const char *bdf)
{
	_cleanup_free_ char *link = NULL;
	int r = pt_host_path(sysroot, &link, "/sys/bus/pci/devices/%s/iommu_group", bdf);

	return r < 0 ? r : pt_link_number(link);
}

/*
 * bdf's IOMMU group number, -ENOENT when the host has no such function, or another
 * -errno when it has no group (no iommu_group link).
 */
static int function_group(const char *sysroot, const char *bdf)
{
	_cleanup_free_ char *dev = NULL;
	int r = pt_host_path(sysroot, &dev, "/sys/bus/pci/devices/%s", bdf);

	if (r < 0)
		return r;
	if (!pt_path_exists(dev))
		return -ENOENT;
	r = group_of(sysroot, bdf);
	return r == -ENOENT ? -ENODATA : r;
}

/* A function passthru prepared with no VM (prepare), or left this VM's: adopted. */
static int adopt(struct pt_vm_taken *tk, struct pt_state_record *rec, const char *vm)
{
	if (!rec->vm) {
		rec->vm = strdup(vm);
		if (!rec->vm || pt_state_write(rec) < 0) {
			pt_err("%s: cannot record it as %s's in %s: %m", rec->bdf, vm, pt_run_dir());
			pt_state_record_free(rec);
			return PT_EXIT_FAILURE;
		}
	} else {
		tk->had_vm = true;
	}
	tk->rec = rec;
	return PT_EXIT_OK;
}

int pt_ctl_take_for_vm(const struct pt_ctl *ctl, const struct pt_inventory *inv,
		       const char *bdf, const char *vm, const char *command,
		       struct pt_vm_taken *tk)
{
	struct pt_prep_verdict v = { .status = PT_EXIT_OK, .vm = vm };
	struct pt_targets t = { 0 };
	struct pt_state_record *rec = NULL;
	struct pt_inventory *own_inv = NULL;
	const struct pt_pci_dev *d;
	struct pt_bind_opts o;
	const char *why = NULL;
	int status = PT_EXIT_OK, r;

	memset(tk, 0, sizeof(*tk));
	tk->group = -1;
	tk->group_fd = -1;
	r = pt_state_read(bdf, &rec, &why);
	if (r == 0 && rec->phase == PT_PHASE_PREPARED && (!rec->vm || !strcmp(rec->vm, vm))) {
		/* Judged when it was prepared: its group from sysfs, no inventory needed. */
		r = function_group(ctl->sysroot, bdf);
		if (r == -ENOENT) {
			pt_err("no PCI function %s on this host (passthru-ctl devices lists them)",
			       bdf);
			pt_state_record_free(rec);
			return PT_EXIT_NOT_FOUND;
		}
		tk->group = r < 0 ? -1 : r;
		return adopt(tk, rec, vm);
	}
	if (!inv) {
		status = pt_ctl_inventory(ctl, 0, &own_inv);
		if (status) {
			pt_state_record_free(rec);
			return status;
		}
		inv = own_inv;
	}
	d = pt_prep_find(inv, bdf);
	if (!d) {
		pt_err("no PCI function %s on this host (passthru-ctl devices lists them)", bdf);
		pt_state_record_free(rec);
		status = PT_EXIT_NOT_FOUND;
		goto out;
	}
	tk->group = d->iommu_group;
	if (r == 0 && rec->vm) {
		if (pt_ctl_vm_running(rec->vm))
			pt_err("%s: refused: assigned to VM %s, which runs (passthru-ctl detach %s "
			       "%s first)", bdf, rec->vm, bdf, rec->vm);
		else
			pt_err("%s: refused: still recorded as VM %s's, which no longer runs "
			       "(passthru-ctl recover gives it back)", bdf, rec->vm);
		pt_state_record_free(rec);
		status = PT_EXIT_REFUSED;
		goto out;
	}
	pt_state_record_free(rec);
	/* No record (or an interrupted one, which the verdict refuses): prepare it. */
	v.forced = json_array();
	v.refusals = json_array();
	if (!v.forced || !v.refusals) {
		pt_err("%s: judging it: %s", bdf, strerror(ENOMEM));
		status = PT_EXIT_FAILURE;
		goto out;
	}
	if (pt_targets_add(&t, bdf, true) < 0) {
		status = PT_EXIT_FAILURE;
		goto out;
	}
	pt_prep_judge(ctl, inv, &t, d, &v);
	if (v.status == PT_EXIT_OK)
		pt_prep_vfio_available(ctl, &v);
	if (v.status != PT_EXIT_OK) {
		status = v.status;
		goto out;
	}
	pt_ctl_bind_opts(ctl, command, &o);
	if (pt_bind_prepare(&o, bdf, d->iommu_group, vm, &tk->rec) < 0) {
		status = PT_EXIT_FAILURE;
		goto out;
	}
	tk->prepared = true;
out:
	json_decref(v.forced);
	json_decref(v.refusals);
	pt_targets_free(&t);
	pt_inventory_free(own_inv);
	return status;
}

void pt_ctl_untake(const struct pt_ctl *ctl, struct pt_vm_taken *tk, const char *why)
{
	struct pt_state_record *rec = tk->rec;
	struct pt_bind_opts o;

	if (!rec)
		return;
	if (tk->prepared) {
		pt_ctl_bind_opts(ctl, "attach", &o);
		o.fault = NULL;
		if (pt_bind_release(&o, rec) == 0)
			pt_err("%s: given back to %s (%s)", rec->bdf,
			       rec->original_driver ? rec->original_driver : "no driver", why);
	} else if (!tk->had_vm) {
		free(rec->vm);
		rec->vm = NULL;
		if (pt_state_write(rec) < 0)
			pt_err("%s: cannot write its record back (prepared, no VM): %m", rec->bdf);
	}
	pt_ctl_taken_free(tk);
}

void pt_ctl_taken_free(struct pt_vm_taken *tk)
{
	pt_state_record_free(tk->rec);
	tk->rec = NULL;
}

int pt_ctl_open_group(const struct pt_ctl *ctl, const char *bdf, int group)
{
	_cleanup_free_ char *path = NULL;
	int fd;

	if (group < 0 || pt_host_path(ctl->sysroot, &path, "/dev/vfio/%d", group) < 0) {
		pt_err("%s: it has no IOMMU group", bdf);
		return -PT_EXIT_UNSUPPORTED;
	}
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;

		pt_err("%s: cannot open its VFIO group %s: %s%s", bdf, path, strerror(e),
		       e == EBUSY ? " (another process, perhaps another VMM, has it open)" : "");
		return e == EBUSY || e == EACCES ? -PT_EXIT_REFUSED : -PT_EXIT_FAILURE;
	}
	return fd;
}

/* Each taken function's group, opened once however many of its functions the VM has. */
static int open_groups(const struct pt_ctl *ctl, struct pt_vm_devices *d)
{
	for (size_t i = 0; i < d->n; i++) {
		struct pt_vm_taken *tk = &d->taken[i];

		for (size_t j = 0; j < i && tk->group_fd < 0; j++)
			if (d->taken[j].group == tk->group)
				tk->group_fd = d->taken[j].group_fd;
		if (tk->group_fd < 0) {
			int fd = pt_ctl_open_group(ctl, tk->rec->bdf, tk->group);

			if (fd < 0)
				return -fd;
			tk->group_fd = fd;
		}
		snprintf(tk->group_fd_arg, sizeof(tk->group_fd_arg), "%s=%d", tk->rec->bdf,
			 tk->group_fd);
	}
	return PT_EXIT_OK;
}

void pt_ctl_vm_devices_args(const struct pt_vm_devices *d, const char **argv, size_t *n,
			    size_t max)
{
	for (size_t i = 0; i < d->n && *n + 2 <= max; i++) {
		if (d->taken[i].group_fd < 0)
			continue;
		argv[(*n)++] = "--group-fd";
		argv[(*n)++] = d->taken[i].group_fd_arg;
	}
}

void pt_ctl_vm_devices_inherit(const struct pt_vm_devices *d)
{
	for (size_t i = 0; i < d->n; i++)
		if (d->taken[i].group_fd >= 0)
			fcntl(d->taken[i].group_fd, F_SETFD, 0);
}

void pt_ctl_vm_devices_close_groups(struct pt_vm_devices *d)
{
	for (size_t i = 0; i < d->n; i++) {
		int fd = d->taken[i].group_fd;

		if (fd < 0)
			continue;
		close(fd);
		for (size_t j = i; j < d->n; j++)
			if (d->taken[j].group_fd == fd)
				d->taken[j].group_fd = -1;
	}
}

int pt_ctl_take_vm_devices(const struct pt_ctl *ctl, const struct pt_vm_def *def,
			   struct pt_vm_devices *out)
{
	struct pt_inventory *inv = NULL;
	int status;

	memset(out, 0, sizeof(*out));
	if (!def->n_devices)
		return PT_EXIT_OK;
	out->taken = calloc(def->n_devices, sizeof(*out->taken));
	if (!out->taken)
		return PT_EXIT_FAILURE;
	for (size_t i = 0; i < def->n_devices; i++) {
		char name[PT_BDF_STRLEN];

		if (pt_targets_add(&out->locks, pt_bdf_format(&def->devices[i].bdf, name), true) < 0)
			goto fail;
	}
	status = pt_targets_lock(&out->locks, "start");
	if (status)
		goto fail_status;
	status = pt_ctl_inventory(ctl, 0, &inv);
	if (status)
		goto fail_status;
	for (size_t i = 0; i < out->locks.n; i++) {
		const char *bdf = out->locks.items[i].name;

		status = pt_ctl_take_for_vm(ctl, inv, bdf, def->name, "start",
					    &out->taken[out->n]);
		if (status) {
			pt_err("%s: not started: %s cannot be given to it", def->name, bdf);
			goto fail_status;
		}
		if (out->taken[out->n].prepared)
			printf("%s: prepared for %s: on vfio-pci (was %s)\n", bdf, def->name,
			       out->taken[out->n].rec->original_driver ?: "no driver");
		out->n++;
	}
	pt_inventory_free(inv);
	status = open_groups(ctl, out);
	if (status) {
		pt_err("%s: not started: its VMM cannot be given the device", def->name);
		pt_ctl_vm_devices_finish(ctl, out, false);
	}
	return status;
fail:
	status = PT_EXIT_FAILURE;
fail_status:
	pt_inventory_free(inv);
	pt_ctl_vm_devices_finish(ctl, out, false);
	return status;
}

void pt_ctl_vm_devices_finish(const struct pt_ctl *ctl, struct pt_vm_devices *d, bool keep)
{
	pt_ctl_vm_devices_close_groups(d);
	for (size_t i = 0; i < d->n; i++) {
		if (keep)
			pt_ctl_taken_free(&d->taken[i]);
		else
			pt_ctl_untake(ctl, &d->taken[i], "the VM did not start");
	}
	free(d->taken);
	pt_targets_free(&d->locks);
	memset(d, 0, sizeof(*d));
}

bool pt_ctl_devices_has(const json_t *list, const char *bdf)
{
	const json_t *d;
	size_t i;

	json_array_foreach(list, i, d)
		if (!strcmp(json_string_value(json_object_get(d, "host")) ?: "", bdf))
			return true;
	return false;
}

/* The devices verb's answer of vm's running VMM, or NULL when it cannot be had. Quiet. */
static json_t *vmm_devices(const struct pt_ctl *ctl, const char *vm)
{
	struct pt_vm_runtime rt;
	json_t *list = NULL;
	char why[256];

	if (pt_vm_runtime_open_quiet(ctl, vm, &rt) != PT_EXIT_OK)
		return NULL;
	if (!rt.running || pt_vm_runtime_request(&rt, "devices", NULL, &list, why, sizeof(why)) < 0)
		list = NULL;
	pt_vm_runtime_close(&rt);
	return list;
}

int pt_ctl_vmm_has_device(const struct pt_ctl *ctl, const char *vm, const char *bdf)
{
	json_t *list = vmm_devices(ctl, vm);
	int found = list ? pt_ctl_devices_has(list, bdf) : -1;

	json_decref(list);
	return found;
}

int pt_ctl_devices_group_holder(const struct pt_ctl *ctl, const json_t *devs, const char *bdf,
				char holder[PT_BDF_STRLEN])
{
	int group = group_of(ctl->sysroot, bdf);
	const json_t *d;
	size_t i;

	if (group < 0)
		return -1;
	json_array_foreach(devs, i, d) {
		const char *host = json_string_value(json_object_get(d, "host"));

		if (host && strcmp(host, bdf) && group_of(ctl->sysroot, host) == group) {
			snprintf(holder, PT_BDF_STRLEN, "%s", host);
			return 1;
		}
	}
	return 0;
}

int pt_ctl_vmm_group_holder(const struct pt_ctl *ctl, const char *vm, const char *bdf,
			    char holder[PT_BDF_STRLEN])
{
	json_t *list = vmm_devices(ctl, vm);
	int found = list ? pt_ctl_devices_group_holder(ctl, list, bdf, holder) : -1;

	json_decref(list);
	return found;
}
