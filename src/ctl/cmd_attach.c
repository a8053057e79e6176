/*
 * passthru-ctl attach BDF VM and detach BDF VM.
 *
 * A running VM: the function is taken to vfio-pci (unless it already is, by
 * passthru), recorded as the VM's, its VFIO group opened here and handed to the VMM
 * with device-add over SCM_RIGHTS; when the VMM holds the group already (another
 * function of it is the VM's: VFIO opens a group once), device-add says "group":
 * "held" and the VMM takes the device from the group it holds. detach asks the VMM's
 * device-del, then gives the function back to its original driver, unless the VM
 * still holds its group through another function: then it stays on vfio-pci, the
 * VM's, until the detach of the group's last function gives both back. A VM that
 * does not run: its definition gains (loses) the [device BDF] section, and start
 * does the rest.
 *
 * The function's lock is held from the first look at its record to the last write,
 * so a stop, a recover or another attach of it waits or is refused. Every failure
 * puts the host back as it was: a function this command prepared is given back, a
 * record this command changed is written back.
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
#include "common/log.h"
#include "common/run_dir.h"
#include "config/vm_edit.h"
#include "config/vm_paths.h"
#include "ctl/ctl.h"
#include "ctl/host_prep.h"
#include "ctl/json_out.h"
#include "ctl/vm_devices.h"
#include "ctl/vm_runtime.h"
#include "host/inventory.h"
#include "host/sysroot.h"

/* device-add resets the device and pins all of guest RAM for DMA. */
#define DEVICE_ADD_TIMEOUT_S 60

struct attach_args {
	struct pt_bdf bdf;
	char name[PT_BDF_STRLEN]; /* canonical */
	struct pt_vm_runtime rt;
};

/* attach|detach BDF VM: the operands, the VM opened. An exit status. */
static int parse_args(struct pt_ctl *ctl, int argc, char **argv, struct attach_args *a,
		      bool attach)
{
	const char *why;
	int first, status;

	first = pt_ctl_parse_options(ctl, argc, argv, false);
	if (first <= 0)
		return -first;
	if (argc - first != 2) {
		pt_err("%s takes a PCI address and a VM: passthru-ctl %s 0000:03:00.0 vm1",
		       argv[0], argv[0]);
		return PT_EXIT_USAGE;
	}
	if (pt_bdf_parse(argv[first], &a->bdf, &why) < 0) {
		pt_err("'%s': %s", argv[first], why);
		return PT_EXIT_USAGE;
	}
	pt_bdf_format(&a->bdf, a->name);
	status = pt_vm_runtime_open(ctl, argv[first + 1], &a->rt);
	if (status)
		return status;
	/* A backend this kernel lacks refuses an attach; a detach must stay possible. */
	return attach ? pt_ctl_check_backends(ctl, a->rt.def) : PT_EXIT_OK;
}

/* The definition's [device BDF] section, or NULL. */
static const struct pt_dev_def *defined_device(const struct pt_vm_def *def,
					       const struct pt_bdf *bdf)
{
	for (size_t i = 0; i < def->n_devices; i++)
		if (pt_bdf_equal(&def->devices[i].bdf, bdf))
			return &def->devices[i];
	return NULL;
}

/* Whether the running VMM lists bdf among its devices: 1, 0, or an exit status < 0. */
static int vmm_has_device(const struct pt_vm_runtime *rt, const char *bdf)
{
	json_t *list = NULL;
	int status, found;

	status = pt_vm_runtime_call(rt, "devices", NULL, &list);
	if (status)
		return -status;
	found = pt_ctl_devices_has(list, bdf);
	json_decref(list);
	return found;
}

/*
 * Whether the running VMM holds the IOMMU group of the function to attach (or detach)
 * through another of its functions (its name in other), by the VMM's device list devs:
 * then the group is open there and in its container (VFIO opens a group once, so an
 * open here would get EBUSY).
 */
static bool group_held(const struct pt_ctl *ctl, const struct attach_args *a,
		       const json_t *devs, char other[PT_BDF_STRLEN])
{
	return pt_ctl_devices_group_holder(ctl, devs, a->name, other) == 1;
}

/*
 * Takes the function's lock for command and asks the VMM for its devices (*devs):
 * whether it has the function, 0 or 1 with the lock held, or a negative exit status
 * (said; no lock held).
 */
static int lock_and_ask(const struct attach_args *a, const char *command,
			struct pt_state_lock *lock, json_t **devs)
{
	struct pt_state_holder h;
	char who[256];
	int r;

	r = pt_state_lock(a->name, command, a->rt.def->name, lock, &h);
	if (r < 0) {
		pt_err("%s: %s; nothing was changed", a->name, r == -EBUSY ?
		       pt_state_holder_describe(&h, who, sizeof(who)) : strerror(-r));
		return r == -EBUSY || r == -EACCES ? -PT_EXIT_REFUSED : -PT_EXIT_FAILURE;
	}
	r = pt_vm_runtime_call(&a->rt, "devices", NULL, devs);
	if (r) {
		pt_state_unlock(lock);
		return -r;
	}
	return pt_ctl_devices_has(*devs, a->name);
}

static void say_attached(const struct pt_ctl *ctl, const struct attach_args *a, json_t *dev,
			 const struct pt_state_record *rec, bool prepared)
{
	const char *irq = json_string_value(json_object_get(dev, "irq"));

	if (ctl->json) {
		pt_json_print(json_pack("{s:b, s:s, s:s, s:b, s:b, s:o, s:O}", "ok", true, "bdf",
					a->name, "vm", a->rt.def->name, "running", true,
					"prepared", prepared, "original_driver",
					pt_json_string_or_null(rec->original_driver), "device", dev));
		return;
	}
	if (prepared)
		printf("%s: prepared: on vfio-pci (was %s)\n", a->name,
		       rec->original_driver ? rec->original_driver : "no driver");
	printf("%s: attached to %s as guest %s (%04llx:%04llx, interrupt %s on GSI %lld, "
	       "reset %s%s)\n",
	       a->name, a->rt.def->name, json_string_value(json_object_get(dev, "guest")) ?: "?",
	       json_integer_value(json_object_get(dev, "vendor")),
	       json_integer_value(json_object_get(dev, "device")), irq ? irq : "none",
	       json_integer_value(json_object_get(dev, "gsi")),
	       json_string_value(json_object_get(dev, "reset")) ?: "unknown",
	       json_is_true(json_object_get(dev, "reset_error")) ? " FAILED" : "");
	printf("%s: the guest finds it when it rescans its PCI bus "
	       "(Linux: echo 1 > /sys/bus/pci/rescan)\n", a->name);
}

/*
 * A device-add that failed may still have assigned the device when its answer was
 * lost (the connection dropped, the time ran out): ask the VMM to release it before
 * the host takes it back, rather than unbind it from under the VMM (which would then
 * hear VFIO's release request). Quiet: a VMM without the device refuses, as expected.
 */
static void take_back_unanswered(const struct attach_args *a)
{
	json_t *args = json_pack("{s:s}", "bdf", a->name), *ret = NULL;
	char why[256];

	if (args && pt_vm_runtime_request(&a->rt, "device-del", args, &ret, why, sizeof(why)) == 0)
		pt_info("%s: %s had it after all (its answer was lost): released there first",
			a->name, a->rt.def->name);
	json_decref(args);
	json_decref(ret);
}

static int attach_running(struct pt_ctl *ctl, const struct attach_args *a)
{
	const struct pt_dev_def *dd = defined_device(a->rt.def, &a->bdf);
	const char *vm = a->rt.def->name;
	struct pt_state_lock lock = { .fd = -1 };
	struct pt_vm_taken tk = { .group = -1 };
	json_t *args = NULL, *dev = NULL, *devs = NULL;
	_cleanup_free_ char *log = NULL;
	char other[PT_BDF_STRLEN] = "";
	int fd = -1, rom_fd = -1, fds[2], status, timeout_s, r;
	unsigned n_fds;
	bool held;
	off_t log_start;

	r = lock_and_ask(a, "attach", &lock, &devs);
	if (r < 0)
		return -r;
	if (r == 1) {
		if (ctl->json)
			pt_json_print(json_pack("{s:b, s:s, s:s, s:b, s:b}", "ok", true, "bdf",
						a->name, "vm", vm, "running", true, "already", true));
		else
			printf("%s is already attached to %s (passthru-ctl status %s lists it)\n",
			       a->name, vm, vm);
		status = PT_EXIT_OK;
		goto out;
	}
	/* The ROM image is opened with this caller's rights, before anything changes. */
	if (dd && dd->rom == PT_ROM_FILE) {
		rom_fd = open(dd->rom_file, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
		if (rom_fd < 0) {
			pt_err("%s:%u: rom: '%s' cannot be read: %s; %s not attached to %s",
			       a->rt.def->path, dd->rom_line, dd->rom_file, strerror(errno),
			       a->name, vm);
			status = PT_EXIT_USAGE;
			goto out;
		}
	}
	held = group_held(ctl, a, devs, other);
	/* The inventory is loaded only to prepare a function no prepare took yet. */
	status = pt_ctl_take_for_vm(ctl, NULL, a->name, vm, "attach", &tk);
	if (status) {
		pt_err("%s: not attached to %s; nothing was changed", a->name, vm);
		goto out;
	}
	pt_ctl_fault("attach:after-take");
	if (held) {
		/* VFIO opens a group once: the VMM has it, and takes the device from it. */
		pt_info("%s: %s holds its IOMMU group %d already (through %s): the VMM takes "
			"it from there", a->name, vm, tk.group, other);
	} else {
		fd = pt_ctl_open_group(ctl, a->name, tk.group);
		if (fd < 0) {
			status = -fd;
			goto undo;
		}
	}
	pt_ctl_fault("attach:after-open-group");
	args = json_pack("{s:s}", "bdf", a->name);
	if (args && held)
		json_object_set_new(args, "group", json_string("held"));
	if (args && dd && dd->guest_slot >= 0) {
		json_object_set_new(args, "slot", json_integer(dd->guest_slot));
		json_object_set_new(args, "function", json_integer(dd->guest_function));
	}
	if (args && dd && dd->rom != PT_ROM_AUTO)
		json_object_set_new(args, "rom", json_string(dd->rom == PT_ROM_OFF ? "off" : "file"));
	timeout_s = ctl->timeout_s > 0 ? ctl->timeout_s : DEVICE_ADD_TIMEOUT_S;
	log = pt_vm_log_path(vm);
	log_start = pt_vm_log_size(log);
	n_fds = 0;
	if (fd >= 0)
		fds[n_fds++] = fd;
	if (rom_fd >= 0)
		fds[n_fds++] = rom_fd;
	status = pt_vm_runtime_call_fds(&a->rt, "device-add", args, fds, n_fds,
					timeout_s * 1000, &dev);
	if (status) {
		/* The VMM says why in its log (started by passthru-ctl start). */
		pt_vm_log_show_since(log, log_start);
		take_back_unanswered(a);
		goto undo;
	}
	pt_ctl_fault("attach:after-device-add");
	say_attached(ctl, a, dev, tk.rec, tk.prepared);
	pt_ctl_taken_free(&tk);
	goto out;
undo:
	pt_ctl_untake(ctl, &tk, "the attach failed");
out:
	if (fd >= 0)
		close(fd);
	if (rom_fd >= 0)
		close(rom_fd);
	json_decref(args);
	json_decref(dev);
	json_decref(devs);
	pt_state_unlock(&lock);
	return status;
}

/* The definition of a VM that does not run gains the device. */
static int attach_defined(struct pt_ctl *ctl, const struct attach_args *a)
{
	struct pt_config_errors errs = { 0 };
	const char *path = a->rt.def->path;
	int r;

	r = pt_vm_edit_add_device(path, &a->bdf, -1, &errs);
	if (r == -EEXIST) {
		pt_config_errors_clear(&errs);
		pt_err("%s is already in %s's definition %s", a->name, a->rt.def->name, path);
		return PT_EXIT_OK;
	}
	if (r < 0) {
		pt_config_errors_print(&errs, stderr);
		pt_err("%s: not added to %s: %s", a->name, path,
		       r == -EINVAL ? "the definition would not be valid" : strerror(-r));
		return r == -EINVAL ? PT_EXIT_USAGE : r == -EACCES || r == -EPERM || r == -EBUSY ?
			PT_EXIT_REFUSED : PT_EXIT_FAILURE;
	}
	if (ctl->json)
		pt_json_print(json_pack("{s:b, s:s, s:s, s:b, s:s}", "ok", true, "bdf", a->name,
					"vm", a->rt.def->name, "running", false, "definition",
					path));
	else
		printf("%s: added to %s's definition %s; it is prepared and assigned when %s "
		       "starts\n", a->name, a->rt.def->name, path, a->rt.def->name);
	return PT_EXIT_OK;
}

int pt_cmd_attach(struct pt_ctl *ctl, int argc, char **argv)
{
	struct attach_args a = { 0 };
	int status = parse_args(ctl, argc, argv, &a, true);

	if (!status)
		status = a.rt.running ? attach_running(ctl, &a) : attach_defined(ctl, &a);
	pt_vm_runtime_close(&a.rt);
	return status;
}

/*
 * After detach gave bdf back: its IOMMU group's other functions recorded as vm's but no
 * longer in its VMM (detached while bdf kept the group there) go back too, now that
 * the group is out of the VM. Each under its lock; a failure is said and left to
 * passthru-ctl recover. 0, or 1 when one could not be given back.
 */
static int give_back_group_mates(struct pt_ctl *ctl, const struct attach_args *a,
				 const struct pt_inventory *inv, json_t *given)
{
	const struct pt_pci_dev *p = pt_prep_find(inv, a->name);
	const char *vm = a->rt.def->name;
	int failed = 0;

	for (size_t i = 0; p && p->iommu_group >= 0 && i < p->n_group_peers; i++) {
		const char *mate = p->group_peers[i].name;
		const struct pt_pci_dev *m = pt_prep_find(inv, mate);
		struct pt_state_lock lock = { .fd = -1 };
		struct pt_state_record *rec = NULL;
		struct pt_state_holder h;
		char who[256];
		int r;

		if (!m || !m->has_record || !m->assigned_vm || strcmp(m->assigned_vm, vm))
			continue;
		r = pt_state_lock(mate, "detach", vm, &lock, &h);
		if (r < 0) {
			pt_err("%s: not given back: %s", mate, r == -EBUSY ?
			       pt_state_holder_describe(&h, who, sizeof(who)) : strerror(-r));
			failed = 1;
			continue;
		}
		r = vmm_has_device(&a->rt, mate);
		if (r == 0)
			r = pt_ctl_give_back_locked(ctl, mate, vm, "detach", &rec);
		if (r == 1 && rec && !ctl->json)
			printf("%s: given back to %s (the last of IOMMU group %d's functions left "
			       "%s)\n", mate, rec->original_driver ? rec->original_driver :
			       "no driver", p->iommu_group, vm);
		if (r == 1 && rec && given)
			json_array_append_new(given, json_pack("{s:s, s:o}", "bdf", mate, "driver",
						   pt_json_string_or_null(rec->original_driver)));
		failed |= r < 0;
		pt_state_record_free(rec);
		pt_state_unlock(&lock);
	}
	return failed;
}

/*
 * detach of a function whose IOMMU group stays in the VM through another function
 * (other): it stays on vfio-pci, recorded as the VM's, until that one leaves too. No
 * host driver may have a function of a group a VM owns (the kernel refuses its
 * probe), and vfio-pci keeps the group viable for the VM.
 */
static void say_kept(const struct pt_ctl *ctl, const struct attach_args *a, int group,
		     const char *other)
{
	const char *vm = a->rt.def->name;

	if (ctl->json) {
		pt_json_print(json_pack("{s:b, s:s, s:s, s:b, s:s, s:s, s:i}", "ok", true, "bdf",
					a->name, "vm", vm, "running", true, "driver", "vfio-pci",
					"group_held_by", other, "group", group));
		return;
	}
	printf("%s: stays on vfio-pci, recorded as %s's, while %s holds its IOMMU group %d "
	       "through %s (no host driver may have it until then); passthru-ctl detach %s "
	       "%s gives both back\n", a->name, vm, vm, group, other, other, vm);
}

static int detach_running(struct pt_ctl *ctl, const struct attach_args *a)
{
	const char *vm = a->rt.def->name;
	struct pt_state_lock lock = { .fd = -1 };
	struct pt_state_record *rec = NULL;
	struct pt_inventory *inv = NULL;
	char other[PT_BDF_STRLEN] = "";
	json_t *args, *ret = NULL, *driver, *mates = NULL, *devs = NULL;
	int status, r;

	r = lock_and_ask(a, "detach", &lock, &devs);
	if (r < 0)
		return -r;
	if (r == 1) {
		args = json_pack("{s:s}", "bdf", a->name);
		status = pt_vm_runtime_call(&a->rt, "device-del", args, &ret);
		json_decref(args);
		json_decref(ret);
		if (status)
			goto out;
		pt_ctl_fault("detach:after-device-del");
		if (!ctl->json)
			printf("%s: detached from %s\n", a->name, vm);
	} else {
		const char *why;
		bool ours = pt_state_read(a->name, &rec, &why) == 0 && rec->vm &&
			    !strcmp(rec->vm, vm);

		pt_state_record_free(rec);
		rec = NULL;
		if (!ours) {
			pt_err("%s is not attached to %s (passthru-ctl status %s --json lists what "
			       "is)", a->name, vm, vm);
			status = PT_EXIT_NOT_FOUND;
			goto out;
		}
		/* An attach that died between prepare and device-add, or a kept one. */
		pt_warn("%s: recorded as %s's but not in its VMM: giving it back", a->name, vm);
	}
	/* devs as before the device-del: group_held looks past the function itself. */
	if (pt_ctl_inventory(ctl, 0, &inv) == PT_EXIT_OK && group_held(ctl, a, devs, other)) {
		const struct pt_pci_dev *p = pt_prep_find(inv, a->name);

		/* The group comes from sysfs, the inventory from libpci: both should know it. */
		say_kept(ctl, a, p ? p->iommu_group : -1, other);
		status = PT_EXIT_OK;
		goto out;
	}
	r = pt_ctl_give_back_locked(ctl, a->name, vm, "detach", &rec);
	status = r < 0 ? PT_EXIT_FAILURE : PT_EXIT_OK;
	if (ctl->json)
		mates = json_array();
	if (r >= 0 && inv && give_back_group_mates(ctl, a, inv, mates))
		status = PT_EXIT_FAILURE;
	driver = r == 1 ? pt_json_string_or_null(rec->original_driver) : json_null();
	if (r == 1 && !ctl->json)
		printf("%s: given back to %s\n", a->name,
		       rec->original_driver ? rec->original_driver : "no driver, as before");
	pt_state_record_free(rec);
	if (ctl->json)
		pt_json_print(json_pack("{s:b, s:s, s:s, s:b, s:o, s:o*}", "ok",
					status == PT_EXIT_OK, "bdf", a->name, "vm", vm, "running",
					true, "driver", driver, "group_mates_given_back", mates));
	else
		json_decref(driver);
out:
	json_decref(devs);
	pt_inventory_free(inv);
	pt_state_unlock(&lock);
	return status;
}

static int detach_defined(struct pt_ctl *ctl, const struct attach_args *a)
{
	struct pt_config_errors errs = { 0 };
	const char *path = a->rt.def->path;
	int r;

	r = pt_vm_edit_remove_device(path, &a->bdf, &errs);
	if (r == -ESRCH) {
		pt_config_errors_clear(&errs);
		pt_err("%s is not in %s's definition %s", a->name, a->rt.def->name, path);
		return PT_EXIT_NOT_FOUND;
	}
	if (r < 0) {
		pt_config_errors_print(&errs, stderr);
		pt_err("%s: not removed from %s: %s", a->name, path, strerror(-r));
		return r == -EACCES || r == -EPERM || r == -EBUSY ? PT_EXIT_REFUSED : PT_EXIT_FAILURE;
	}
	if (ctl->json)
		pt_json_print(json_pack("{s:b, s:s, s:s, s:b, s:s}", "ok", true, "bdf", a->name,
					"vm", a->rt.def->name, "running", false, "definition",
					path));
	else
		printf("%s: removed from %s's definition %s\n", a->name, a->rt.def->name, path);
	return PT_EXIT_OK;
}

int pt_cmd_detach(struct pt_ctl *ctl, int argc, char **argv)
{
	struct attach_args a = { 0 };
	int status = parse_args(ctl, argc, argv, &a, false);

	if (!status)
		status = a.rt.running ? detach_running(ctl, &a) : detach_defined(ctl, &a);
	pt_vm_runtime_close(&a.rt);
	return status;
}
