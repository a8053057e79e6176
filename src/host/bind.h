/*
 * Moving a PCI function between its host driver and vfio-pci through sysfs, the way
 * an admin trusts: driver_override (never new_id, which would grab every function with
 * the same IDs), each step written to the state record (host/state.h) before it is
 * made and marked done once verified, and every step undone when a later one fails.
 * The caller holds the function's lock (pt_state_lock) around each call.
 *
 * Every path goes through the sysroot (host/sysroot.h). Modules are loaded (modprobe)
 * only when the sysroot is the real root.
 */
#ifndef PT_HOST_BIND_H
#define PT_HOST_BIND_H

#include <stdbool.h>

#include "host/state.h"

struct pt_bind_opts {
	const char *sysroot;
	const char *command;  /* recorded as the record's "command" */
	int group_wait_ms;    /* how long to wait for /dev/vfio/GROUP (0: the default, 5 s) */
	/*
	 * Test builds only: called after every step with its name ("prepare:after-unbind",
	 * see passthru-ctl(8)); may end the process there. NULL in production.
	 */
	void (*fault)(const char *point);
	/* When not NULL, microseconds spent waiting for the kernel are added here. */
	long long *kernel_us;
	/* Progress for people ("loaded vfio-pci"), may be NULL. */
	void (*say)(const char *bdf, const char *what);
};

/*
 * Takes bdf from its driver to vfio-pci, as a record with phase "preparing" that becomes
 * "prepared" (vm recorded, NULL for none). group is its IOMMU group (for /dev/vfio/GROUP).
 * Returns 0 with *ret_rec the final record; on failure every step made is undone, the
 * record removed, the failed step and why logged, and -errno returned.
 */
int pt_bind_prepare(const struct pt_bind_opts *o, const char *bdf, int group, const char *vm,
		    struct pt_state_record **ret_rec);

/*
 * Gives bdf back as its record says: unbinds it from vfio-pci, restores driver_override,
 * binds the original driver (a function that had none stays unbound), verifies each,
 * and removes the record. rec is updated in place. 0 or -errno (logged; the record then
 * stays, with phase "releasing", for recover to finish).
 */
int pt_bind_release(const struct pt_bind_opts *o, struct pt_state_record *rec);

/*
 * Puts bdf back as rec's "original_*" keys say, whatever state an interrupted prepare
 * or release left it in, and removes the record. Idempotent. *ret_changed tells whether
 * anything in sysfs had to change. 0 or -errno (logged).
 */
int pt_bind_restore(const struct pt_bind_opts *o, struct pt_state_record *rec, bool *ret_changed);

/* The driver bound to bdf now: 0 with *ret NULL when none, or -errno. */
int pt_bind_current_driver(const char *sysroot, const char *bdf, char **ret);

/* driver_override now: 0 with *ret NULL for "(null)", or -errno. */
int pt_bind_current_override(const char *sysroot, const char *bdf, char **ret);

#endif
