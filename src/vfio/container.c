#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/vfio.h>

#include "common/log.h"
#include "common/memlock.h"
#include "vfio/container.h"

struct pt_vfio_container {
	int fd;
	int iommu_type; /* 0 until the first group joins */
	int groups;     /* attached groups */
};

int pt_vfio_container_open(const char *path, struct pt_vfio_container **ret)
{
	struct pt_vfio_container *c;
	int fd, api, err;

	if (!path)
		path = "/dev/vfio/vfio";
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		pt_err("cannot open %s: %s%s", path, strerror(-err),
		       err == -ENOENT ? " (is the vfio module loaded? modprobe vfio-pci)" : "");
		return err;
	}
	api = ioctl(fd, VFIO_GET_API_VERSION);
	if (api < 0) {
		err = -errno;
		pt_err("%s: VFIO_GET_API_VERSION: %s", path, strerror(-err));
		close(fd);
		return err;
	}
	if (api != VFIO_API_VERSION) {
		pt_err("%s speaks VFIO API %d, this program %d", path, api, VFIO_API_VERSION);
		close(fd);
		return -ENOTSUP;
	}
	if (ioctl(fd, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU) != 1 &&
	    ioctl(fd, VFIO_CHECK_EXTENSION, VFIO_TYPE1_IOMMU) != 1) {
		pt_err("%s offers no Type1 IOMMU model (is vfio_iommu_type1 loaded?)", path);
		close(fd);
		return -ENOTSUP;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		close(fd);
		return -ENOMEM;
	}
	c->fd = fd;
	*ret = c;
	return 0;
}

void pt_vfio_container_free(struct pt_vfio_container *c)
{
	if (!c)
		return;
	close(c->fd);
	free(c);
}

int pt_vfio_container_fd(const struct pt_vfio_container *c)
{
	return c->fd;
}

const char *pt_vfio_container_iommu_name(const struct pt_vfio_container *c)
{
	switch (c->iommu_type) {
	case VFIO_TYPE1v2_IOMMU:
		return "Type1v2";
	case VFIO_TYPE1_IOMMU:
		return "Type1";
	default:
		return "none";
	}
}

static int set_iommu(struct pt_vfio_container *c, int group_id)
{
	static const int models[] = { VFIO_TYPE1v2_IOMMU, VFIO_TYPE1_IOMMU };
	int err = -ENOTSUP;

	for (size_t i = 0; i < sizeof(models) / sizeof(models[0]); i++) {
		if (ioctl(c->fd, VFIO_CHECK_EXTENSION, models[i]) != 1)
			continue;
		if (ioctl(c->fd, VFIO_SET_IOMMU, models[i]) == 0) {
			c->iommu_type = models[i];
			return 0;
		}
		err = -errno;
	}
	pt_err("VFIO group %d: cannot set a Type1 IOMMU model on the container: %s", group_id,
	       strerror(-err));
	return err;
}

int pt_vfio_container_add_group(struct pt_vfio_container *c, int group_fd, int group_id)
{
	struct vfio_group_status st = { .argsz = sizeof(st) };
	int err;

	if (ioctl(group_fd, VFIO_GROUP_GET_STATUS, &st) < 0) {
		err = -errno;
		pt_err("VFIO group %d: VFIO_GROUP_GET_STATUS: %s", group_id, strerror(-err));
		return err;
	}
	if (!(st.flags & VFIO_GROUP_FLAGS_VIABLE)) {
		pt_err("VFIO group %d is not viable: a member of IOMMU group %d is bound to a host "
		       "driver (passthru-ctl check names it; prepare --group takes the group)",
		       group_id, group_id);
		return -EBUSY;
	}
	if (st.flags & VFIO_GROUP_FLAGS_CONTAINER_SET) {
		pt_err("VFIO group %d is already in a container (used by another VM?)", group_id);
		return -EBUSY;
	}
	if (ioctl(group_fd, VFIO_GROUP_SET_CONTAINER, &c->fd) < 0) {
		err = -errno;
		pt_err("VFIO group %d: cannot join the VM's container: %s", group_id,
		       strerror(-err));
		return err;
	}
	if (!c->iommu_type) {
		err = set_iommu(c, group_id);
		if (err < 0) {
			ioctl(group_fd, VFIO_GROUP_UNSET_CONTAINER);
			return err;
		}
	}
	c->groups++;
	return 0;
}

int pt_vfio_container_remove_group(struct pt_vfio_container *c, int group_fd, int group_id)
{
	if (ioctl(group_fd, VFIO_GROUP_UNSET_CONTAINER) < 0) {
		int err = -errno;

		pt_err("VFIO group %d: cannot leave the container: %s", group_id, strerror(-err));
		return err;
	}
	c->groups--;
	return 0;
}

/* Finds the IOVA-range capability in a VFIO_IOMMU_GET_INFO reply. */
static const struct vfio_iommu_type1_info_cap_iova_range *
find_iova_cap(const struct vfio_iommu_type1_info *info)
{
	uint32_t off;

	if (!(info->flags & VFIO_IOMMU_INFO_CAPS) || !info->cap_offset)
		return NULL;
	for (off = info->cap_offset; off && off + sizeof(struct vfio_info_cap_header) <= info->argsz;) {
		const struct vfio_info_cap_header *h = (const void *)((const char *)info + off);

		if (h->id == VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE)
			return (const void *)h;
		if (h->next <= off)
			break;
		off = h->next;
	}
	return NULL;
}

int pt_vfio_container_iova_ranges(struct pt_vfio_container *c, struct pt_iova_range *ranges,
				  int max)
{
	struct vfio_iommu_type1_info head = { .argsz = sizeof(head) };
	const struct vfio_iommu_type1_info_cap_iova_range *cap;
	struct vfio_iommu_type1_info *info;
	int n = 0;

	if (!c->groups)
		return -EINVAL;
	if (ioctl(c->fd, VFIO_IOMMU_GET_INFO, &head) < 0)
		return -errno;
	if (head.argsz <= sizeof(head))
		return 0;
	info = calloc(1, head.argsz);
	if (!info)
		return -ENOMEM;
	info->argsz = head.argsz;
	if (ioctl(c->fd, VFIO_IOMMU_GET_INFO, info) < 0) {
		n = -errno;
		goto out;
	}
	cap = find_iova_cap(info);
	if (!cap)
		goto out;
	for (uint32_t i = 0; i < cap->nr_iovas && n < max; i++, n++) {
		ranges[n].start = cap->iova_ranges[i].start;
		ranges[n].end = cap->iova_ranges[i].end;
	}
out:
	free(info);
	return n;
}

/*
 * ENOMEM from a DMA map is RLIMIT_MEMLOCK most of the time (the pages are pinned and
 * charged to it, per container): say so with the figures when they show it, and say
 * it is not when they do not. The figures are read after the failure, which changed
 * nothing: VmLck is what the mappings before this one hold.
 */
static void map_enomem(uint64_t size, uint64_t iova)
{
	struct pt_memlock m;
	char why[400], sz[32];
	int r = pt_memlock_read(&m);

	if (r < 0)
		snprintf(why, sizeof(why), "RLIMIT_MEMLOCK cannot be read: %s", strerror(-r));
	else
		pt_memlock_explain(&m, size, why, sizeof(why));
	pt_err("VFIO_IOMMU_MAP_DMA of %s at IOVA %#llx: pinning it for DMA failed (%s): %s",
	       pt_memlock_fmt(size, sz, sizeof(sz)), (unsigned long long)iova,
	       strerror(ENOMEM), why);
}

int pt_vfio_container_map(struct pt_vfio_container *c, uint64_t iova, uint64_t size, void *vaddr,
			  bool writable)
{
	struct vfio_iommu_type1_dma_map map = {
		.argsz = sizeof(map),
		.flags = VFIO_DMA_MAP_FLAG_READ | (writable ? VFIO_DMA_MAP_FLAG_WRITE : 0),
		.vaddr = (uintptr_t)vaddr,
		.iova = iova,
		.size = size,
	};
	int err;

	if (ioctl(c->fd, VFIO_IOMMU_MAP_DMA, &map) == 0)
		return 0;
	err = -errno;
	if (err == -ENOMEM)
		map_enomem(size, iova);
	else
		pt_err("VFIO_IOMMU_MAP_DMA of %#llx bytes at IOVA %#llx: %s",
		       (unsigned long long)size, (unsigned long long)iova, strerror(-err));
	return err;
}

int pt_vfio_container_unmap(struct pt_vfio_container *c, uint64_t iova, uint64_t size)
{
	struct vfio_iommu_type1_dma_unmap unmap = {
		.argsz = sizeof(unmap),
		.iova = iova,
		.size = size,
	};

	if (ioctl(c->fd, VFIO_IOMMU_UNMAP_DMA, &unmap) < 0)
		return -errno;
	return unmap.size == size ? 0 : -EFAULT;
}
