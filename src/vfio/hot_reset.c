/* VFIO's hot reset ioctls (vfio/hot_reset.h). */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <linux/vfio.h>

#include "vfio/hot_reset.h"

/* The kernel answers -ENOSPC with count filled when argsz is too small: ask again. */
int pt_vfio_hot_reset_info(const struct pt_vfio_device *d, struct pt_reset_affected **ret,
			   size_t *n)
{
	struct vfio_pci_hot_reset_info *info = NULL;
	struct pt_reset_affected *out;
	uint32_t count = 0;

	for (int tries = 0; tries < 4; tries++) {
		size_t size = sizeof(*info) + count * sizeof(info->devices[0]);
		struct vfio_pci_hot_reset_info *grown = realloc(info, size);

		if (!grown) {
			free(info);
			return -ENOMEM;
		}
		info = grown;
		memset(info, 0, size);
		info->argsz = (uint32_t)size;
		if (ioctl(d->fd, VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, info) == 0)
			break;
		if (errno != ENOSPC || info->count <= count) {
			int e = -errno;

			free(info);
			return e;
		}
		count = info->count;
	}
	if (info->argsz < sizeof(*info) + info->count * sizeof(info->devices[0]) ||
	    info->count > count) {
		free(info);
		return -ENOSPC;
	}
	out = calloc(info->count ? info->count : 1, sizeof(*out));
	if (!out) {
		free(info);
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < info->count; i++) {
		const struct vfio_pci_dependent_device *dep = &info->devices[i];

		out[i].group_id = (int)dep->group_id;
		out[i].bdf = (struct pt_bdf){ .domain = dep->segment, .bus = dep->bus,
					      .dev = dep->devfn >> 3, .func = dep->devfn & 7 };
	}
	*n = info->count;
	*ret = out;
	free(info);
	return 0;
}

int pt_vfio_hot_reset(const struct pt_vfio_device *d, const int *group_fds, size_t n)
{
	struct vfio_pci_hot_reset *rst;
	size_t size = sizeof(*rst) + n * sizeof(rst->group_fds[0]);
	int r = 0;

	rst = calloc(1, size);
	if (!rst)
		return -ENOMEM;
	rst->argsz = (uint32_t)size;
	rst->count = (uint32_t)n;
	for (size_t i = 0; i < n; i++)
		rst->group_fds[i] = group_fds[i];
	if (ioctl(d->fd, VFIO_DEVICE_PCI_HOT_RESET, rst) < 0)
		r = -errno;
	free(rst);
	return r;
}
