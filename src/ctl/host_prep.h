/*
 * What prepare, release and recover share: the set of functions a command acts on,
 * their locks, and how a bind is configured for this passthru-ctl (fault points in
 * the test binary, progress on stderr).
 */
#ifndef PT_CTL_HOST_PREP_H
#define PT_CTL_HOST_PREP_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "common/bdf.h"
#include "ctl/ctl.h"
#include "host/bind.h"
#include "host/inventory.h"
#include "host/state.h"

/* One function a command acts on, with its lock once taken. */
struct pt_target {
	char name[PT_BDF_STRLEN];
	bool named;              /* given on the command line (else: added by --group) */
	struct pt_state_lock lock;
	bool locked;
};

struct pt_targets {
	struct pt_target *items;
	size_t n;
};

/* Adds name unless present. 0 or -ENOMEM (said). */
int pt_targets_add(struct pt_targets *t, const char *name, bool named);
bool pt_targets_has(const struct pt_targets *t, const char *name);
/* Unlocks every lock taken and frees the set. */
void pt_targets_free(struct pt_targets *t);

/*
 * Locks every target not locked yet, in address order. PT_EXIT_OK, or PT_EXIT_REFUSED
 * after naming the holder of the first busy one (the locks taken are kept; free them).
 */
int pt_targets_lock(struct pt_targets *t, const char *command);

/* Parses every operand as a BDF into t (named). PT_EXIT_OK or PT_EXIT_USAGE (said). */
int pt_targets_parse(struct pt_targets *t, int argc, char **argv, int first);

/* The bind options of this passthru-ctl for command. */
void pt_ctl_bind_opts(const struct pt_ctl *ctl, const char *command, struct pt_bind_opts *o);

/*
 * Under bdf's lock (the caller's): when its record names vm, gives it back to its
 * original driver (release, or restore for a record an interrupted command left)
 * and removes the record. 1 given back (*ret_rec: the record as it was, the
 * caller's to free), 0 nothing of vm's to give back, -errno (said).
 */
int pt_ctl_give_back_locked(const struct pt_ctl *ctl, const char *bdf, const char *vm,
			    const char *command, struct pt_state_record **ret_rec);

/*
 * Gives back every function whose record names vm, once its VMM is gone (stop),
 * each under its lock, saying so. Returns the number that could not be given back.
 */
int pt_ctl_give_back_vm(const struct pt_ctl *ctl, const char *vm);

/*
 * The host's PCI functions (host/inventory.h, flags: PT_INVENTORY_NAMES or 0) under
 * ctl's sysroot: PT_EXIT_OK, or
 * PT_EXIT_FAILURE after saying why (the loader has said why when there is no /sys).
 */
int pt_ctl_inventory(const struct pt_ctl *ctl, unsigned flags, struct pt_inventory **ret);

/* True when the VMM of vm holds its pidfile. */
bool pt_ctl_vm_running(const char *vm);

/* What the verdicts of a command's targets came to. */
struct pt_prep_verdict {
	int status;       /* PT_EXIT_OK, or the refusal's exit status */
	json_t *forced;   /* the reasons --force overrode, per function */
	json_t *refusals; /* {"bdf", "code", "message"} */
	/*
	 * The VM the targets are taken for (attach, start), or NULL (prepare): a group
	 * member assigned to this VM already is no reason to refuse (the whole group is
	 * its, as when both are in its definition).
	 */
	const char *vm;
};

/* The function named name in inv, or NULL. */
const struct pt_pci_dev *pt_prep_find(const struct pt_inventory *inv, const char *name);

/*
 * Every reason to refuse target d (one of t), from its verdict, with --force and the
 * targets' group members applied: each refusal said on stderr and added to v.
 */
void pt_prep_judge(const struct pt_ctl *ctl, const struct pt_inventory *inv,
		   const struct pt_targets *t, const struct pt_pci_dev *d,
		   struct pt_prep_verdict *v);

/* vfio-pci loaded or loadable; a refusal in v (with the evidence) otherwise. */
bool pt_prep_vfio_available(const struct pt_ctl *ctl, struct pt_prep_verdict *v);

#endif
