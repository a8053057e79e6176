/* IOMMU groups: SYSROOT/sys/kernel/iommu_groups/N/devices/ lists every member. */
#ifndef PT_HOST_IOMMU_GROUP_H
#define PT_HOST_IOMMU_GROUP_H

#include <stddef.h>

#include "host/inventory.h"

/*
 * The members of group `group` other than `self`, sorted by name, each with the driver
 * bound to it (NULL: none). Returns 0 or -errno (-ENOENT: no such group).
 */
int pt_iommu_group_peers(const char *sysroot, int group, const char *self,
			 struct pt_group_member **ret, size_t *ret_n);

void pt_group_members_free(struct pt_group_member *m, size_t n);

#endif
