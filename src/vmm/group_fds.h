/*
 * VFIO group fds handed to passthru-vmm by passthru-ctl at start (--group-fd
 * BDF=FD, inherited across exec). passthru-ctl prepares each function and opens its
 * /dev/vfio/GROUP, so the VMM needs no access to /dev/vfio of its own; run by hand
 * without them, the VMM opens the group itself.
 *
 * A handed fd is the VMM's from the parse on (made close-on-exec there); each
 * device that uses it takes it (the second device of one group a duplicate), and
 * the fds no device took are closed at the end.
 */
#ifndef PT_VMM_GROUP_FDS_H
#define PT_VMM_GROUP_FDS_H

#include <stdbool.h>
#include <stddef.h>

#include "common/bdf.h"
#include "vmm/pci.h"

struct pt_group_fds {
	size_t n;
	struct {
		struct pt_bdf bdf;
		int fd;
		bool taken;
	} items[PT_PCI_SLOTS];
};

/* Parses one --group-fd value, "BDF=FD" (FD open). 0, or -EINVAL after saying why. */
int pt_group_fds_add(struct pt_group_fds *g, const char *arg);

/* The fd handed for bdf, the caller's to own from now on; -ENOENT when none. */
int pt_group_fds_take(struct pt_group_fds *g, const struct pt_bdf *bdf);

/* The first handed BDF that is not in devices[0..n), or NULL. */
const struct pt_bdf *pt_group_fds_stray(const struct pt_group_fds *g,
					const struct pt_bdf *const *devices, size_t n);

/* Closes every fd not taken. */
void pt_group_fds_close(struct pt_group_fds *g);

#endif
