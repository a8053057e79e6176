/*
 * PCI functions taken for a VM and given back: what attach, start and run share.
 *
 * Taking a function for VM means, under its lock (host/state.h): a function
 * passthru already prepared with no VM (passthru-ctl prepare), or recorded as this
 * VM's, is adopted (its record's "vm" set); a function with no record gets the same
 * verdicts as prepare and is prepared with "vm" recorded; a function recorded as
 * another VM's is refused. Giving it back after a failure undoes exactly that. Once
 * the VM has it, the VM's end gives it back (stop, the end of run, detach) to the
 * driver it had before passthru took it, whoever prepared it.
 */
#ifndef PT_CTL_VM_DEVICES_H
#define PT_CTL_VM_DEVICES_H

#include <stdbool.h>
#include <stddef.h>

#include "config/vm_def.h"
#include "ctl/ctl.h"
#include "ctl/host_prep.h"
#include "host/inventory.h"
#include "host/state.h"

struct pt_vm_taken {
	struct pt_state_record *rec; /* its record, "vm" set and written */
	int group;                   /* its IOMMU group, -1 when none */
	int group_fd;                /* its /dev/vfio/GROUP open for the VMM, or -1 */
	char group_fd_arg[PT_BDF_STRLEN + 12]; /* "BDF=FD", passthru-vmm's --group-fd */
	bool prepared;               /* prepared by this command (else adopted) */
	bool had_vm;                 /* the record named the VM already */
};

/*
 * Takes bdf for vm; the caller holds its lock. PT_EXIT_OK with *tk filled, or the
 * exit status after saying why not (nothing changed then). A function prepared with
 * no VM (or for vm) is adopted as it is; another is judged and prepared, with inv
 * (loaded here when NULL).
 */
int pt_ctl_take_for_vm(const struct pt_ctl *ctl, const struct pt_inventory *inv,
		       const char *bdf, const char *vm, const char *command,
		       struct pt_vm_taken *tk);

/* Undoes pt_ctl_take_for_vm (why: said with a give-back) and frees *tk. */
void pt_ctl_untake(const struct pt_ctl *ctl, struct pt_vm_taken *tk, const char *why);

/* Frees *tk, keeping what was taken. */
void pt_ctl_taken_free(struct pt_vm_taken *tk);

/*
 * Opens bdf's VFIO group (/dev/vfio/GROUP under the sysroot) for a VMM, close-on-exec.
 * The fd, or an exit status < 0 after saying why.
 */
int pt_ctl_open_group(const struct pt_ctl *ctl, const char *bdf, int group);

/* Every device of a definition, taken and locked for a start. */
struct pt_vm_devices {
	struct pt_targets locks;
	struct pt_vm_taken *taken;
	size_t n;
};

/*
 * Locks and takes every device of def for it, and opens their VFIO groups (one fd a
 * group) to hand to its VMM. PT_EXIT_OK, or the exit status of the first that could
 * not be taken or opened (those taken before are given back, locks let go).
 */
int pt_ctl_take_vm_devices(const struct pt_ctl *ctl, const struct pt_vm_def *def,
			   struct pt_vm_devices *out);

/*
 * passthru-vmm's arguments for the open groups ("--group-fd", "BDF=FD", ...) appended
 * to argv at *n, at most max in all. In the child before exec, inherit makes the
 * fds survive it.
 */
void pt_ctl_vm_devices_args(const struct pt_vm_devices *d, const char **argv, size_t *n,
			    size_t max);
void pt_ctl_vm_devices_inherit(const struct pt_vm_devices *d);

/* Closes the groups' fds (the VMM has its own copies once it runs). */
void pt_ctl_vm_devices_close_groups(struct pt_vm_devices *d);

/* Lets go of the locks and the groups' fds; keep false gives every taken device back first. */
void pt_ctl_vm_devices_finish(const struct pt_ctl *ctl, struct pt_vm_devices *d, bool keep);

/* Whether a devices verb's answer lists host function bdf. */
bool pt_ctl_devices_has(const json_t *list, const char *bdf);

/*
 * Whether the running VMM of vm has bdf among its devices: 1, 0, or -1 when that
 * cannot be told (no definition, not running, no answer). Quiet.
 */
int pt_ctl_vmm_has_device(const struct pt_ctl *ctl, const char *vm, const char *bdf);

/*
 * Whether devs (a devices verb's answer) lists another function of bdf's IOMMU group
 * (matched by their sysfs iommu_group links): 1 with its name in holder, 0, or -1
 * when bdf has no group.
 */
int pt_ctl_devices_group_holder(const struct pt_ctl *ctl, const json_t *devs, const char *bdf,
				char holder[PT_BDF_STRLEN]);

/*
 * Whether the running VMM of vm has another function of bdf's IOMMU group (matched by
 * their sysfs iommu_group links): 1 with its name in holder, 0, or -1 when that
 * cannot be told. Quiet. While it has, the group is the VM's and bdf may go to no
 * host driver (the kernel refuses one).
 */
int pt_ctl_vmm_group_holder(const struct pt_ctl *ctl, const char *vm, const char *bdf,
			    char holder[PT_BDF_STRLEN]);

#endif
