/*
 * One VFIO container per VM: the IOMMU address space its assigned devices share.
 *
 * The container is created empty; groups join it as devices arrive (the first one
 * chooses the IOMMU model: Type1v2, else Type1), and guest RAM is mapped once with
 * IOVA = guest physical address. Everything here is the legacy container interface
 * (/dev/vfio/vfio + /dev/vfio/GROUP); an iommufd + device-cdev implementation
 * (Linux 6.2+) would sit beside this file behind the same functions.
 *
 * File descriptors: the container owns its /dev/vfio/vfio fd. Group fds are the
 * caller's (passthru-ctl opens them and hands them to the VMM); the container
 * only borrows them between add_group and remove_group and never closes them.
 * Not thread-safe: the VM object serializes calls.
 */
#ifndef PT_VFIO_CONTAINER_H
#define PT_VFIO_CONTAINER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pt_vfio_container;

/* An inclusive range of IOVAs the IOMMU can map. */
struct pt_iova_range {
	uint64_t start, end;
};

#define PT_VFIO_MAX_IOVA_RANGES 16

/*
 * Opens path (NULL: /dev/vfio/vfio) and checks the API version and that some Type1
 * IOMMU model is offered. -ENOENT: no VFIO here (vfio module not loaded); -ENOTSUP:
 * wrong API or no Type1. Logs the reason.
 */
int pt_vfio_container_open(const char *path, struct pt_vfio_container **ret);

/* Closes the container: the kernel drops its mappings and detaches the groups. */
void pt_vfio_container_free(struct pt_vfio_container *c);

/*
 * Attaches an open group (its number for messages) to the container. -EBUSY: the
 * group is not viable (a member is bound to a host driver: passthru-ctl check names
 * it); the first group sets the IOMMU model. The group fd stays the caller's.
 */
int pt_vfio_container_add_group(struct pt_vfio_container *c, int group_fd, int group_id);

/* Detaches it again (VFIO_GROUP_UNSET_CONTAINER). */
int pt_vfio_container_remove_group(struct pt_vfio_container *c, int group_fd, int group_id);

/* "Type1v2", "Type1", or "none" before the first group. */
const char *pt_vfio_container_iommu_name(const struct pt_vfio_container *c);

/*
 * The IOVA ranges the IOMMU accepts (the kernel has already removed the reserved
 * ones, such as the MSI window); needs a group. Returns the count written (at most
 * max), 0 when the kernel does not report ranges, or -errno.
 */
int pt_vfio_container_iova_ranges(struct pt_vfio_container *c, struct pt_iova_range *ranges,
				  int max);

/* Maps [iova, iova + size) to the process memory at vaddr (pinned by the kernel). */
int pt_vfio_container_map(struct pt_vfio_container *c, uint64_t iova, uint64_t size, void *vaddr,
			  bool writable);
int pt_vfio_container_unmap(struct pt_vfio_container *c, uint64_t iova, uint64_t size);

/* The container's fd, for the KVM-VFIO device and for tests. */
int pt_vfio_container_fd(const struct pt_vfio_container *c);

#endif
