/*
 * Whether a hot reset (VFIO_DEVICE_PCI_HOT_RESET) may be done for a device that has
 * no function reset of its own: pure logic over what VFIO_DEVICE_GET_PCI_HOT_RESET_INFO
 * says the reset would reach and what the VM holds. No ioctl here.
 *
 * A hot reset resets the whole slot or bus: every function on it. It is done only
 * when each of them is in a group this VM holds (nobody else can be using it; VFIO
 * also refuses the ioctl without those groups' fds) and none of them other than the
 * device itself is assigned to the VM (its guest may be using it: a reset would pull
 * the device from under it).
 */
#ifndef PT_VFIO_RESET_PLAN_H
#define PT_VFIO_RESET_PLAN_H

#include <stdbool.h>
#include <stddef.h>

#include "common/bdf.h"

/* One function the hot reset would reach (an entry of the kernel's devices[]). */
struct pt_reset_affected {
	int group_id;
	struct pt_bdf bdf;
};

/* One device the VM has assigned (a member of its VFIO share), with its group. */
struct pt_reset_member {
	int group_id, group_fd;
	struct pt_bdf bdf;
};

/*
 * Decides for self. On yes returns true with the group fds to pass (each once, at
 * most max_fds; every affected function's group) in fds[0..*n_fds) and in why the
 * other functions it resets ("" when none); on no returns false with why naming the
 * first function that stands in the way and the reason.
 */
bool pt_reset_plan_hot(const struct pt_bdf *self, const struct pt_reset_affected *aff,
		       size_t n_aff, const struct pt_reset_member *members, size_t n_members,
		       int *fds, size_t max_fds, size_t *n_fds, char *why, size_t why_size);

#endif
