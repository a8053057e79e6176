/*
 * A hot reset: VFIO's reset of a whole slot or bus (secondary bus reset), for a
 * device whose function offers no reset of its own. VFIO does it only when the
 * caller proves with group fds that it holds every function it reaches
 * (reset_plan.h decides whether to ask).
 */
#ifndef PT_VFIO_HOT_RESET_H
#define PT_VFIO_HOT_RESET_H

#include <stddef.h>

#include "vfio/device.h"
#include "vfio/reset_plan.h"

/*
 * VFIO_DEVICE_GET_PCI_HOT_RESET_INFO: the functions a hot reset of d would reach,
 * d itself among them, in a malloc'd array (*ret, *n; free it). -ENODEV: neither its
 * slot nor its bus can be reset (a device on the root bus); -EPERM: one of them is in
 * no IOMMU group; other -errno. Nothing logged.
 */
int pt_vfio_hot_reset_info(const struct pt_vfio_device *d, struct pt_reset_affected **ret,
			   size_t *n);

/* VFIO_DEVICE_PCI_HOT_RESET with those groups' fds. 0 or -errno, nothing logged. */
int pt_vfio_hot_reset(const struct pt_vfio_device *d, const int *group_fds, size_t n);

#endif
