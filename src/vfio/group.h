/*
 * The VFIO group a PCI function belongs to, opened for assignment. passthru-ctl opens
 * it and hands the fd to the VMM; passthru-vmm opens it itself when it is started by
 * hand with --device (as root).
 */
#ifndef PT_VFIO_GROUP_H
#define PT_VFIO_GROUP_H

#include "common/bdf.h"

/*
 * Opens /dev/vfio/GROUP for bdf (GROUP from its iommu_group link). Returns the fd,
 * or -ENODEV (no such function, or no IOMMU group: no IOMMU), -ENOENT (no
 * /dev/vfio/GROUP: the function is not bound to vfio-pci), -EBUSY (opened by another
 * process: another VM), or another -errno; the message says which and the fix.
 */
int pt_vfio_group_open(const struct pt_bdf *bdf);

/* bdf's IOMMU group number (its iommu_group link), or -errno; quiet. */
int pt_vfio_group_number(const struct pt_bdf *bdf);

#endif
