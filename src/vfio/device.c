#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "common/log.h"
#include "vfio/device.h"

const char *pt_vfio_region_name(int index)
{
	static const char *const names[] = {
		[VFIO_PCI_BAR0_REGION_INDEX] = "BAR0", [VFIO_PCI_BAR1_REGION_INDEX] = "BAR1",
		[VFIO_PCI_BAR2_REGION_INDEX] = "BAR2", [VFIO_PCI_BAR3_REGION_INDEX] = "BAR3",
		[VFIO_PCI_BAR4_REGION_INDEX] = "BAR4", [VFIO_PCI_BAR5_REGION_INDEX] = "BAR5",
		[VFIO_PCI_ROM_REGION_INDEX] = "ROM",   [VFIO_PCI_CONFIG_REGION_INDEX] = "config",
		[VFIO_PCI_VGA_REGION_INDEX] = "VGA",
	};

	return index >= 0 && index < VFIO_PCI_NUM_REGIONS ? names[index] : "region?";
}

const char *pt_vfio_irq_name(int index)
{
	static const char *const names[] = {
		[VFIO_PCI_INTX_IRQ_INDEX] = "INTx", [VFIO_PCI_MSI_IRQ_INDEX] = "MSI",
		[VFIO_PCI_MSIX_IRQ_INDEX] = "MSI-X", [VFIO_PCI_ERR_IRQ_INDEX] = "ERR",
		[VFIO_PCI_REQ_IRQ_INDEX] = "REQ",
	};

	return index >= 0 && index < VFIO_PCI_NUM_IRQS ? names[index] : "irq?";
}

/* The sparse-mmap and MSIX_MAPPABLE capabilities of one region's info. */
static void read_region_caps(struct pt_vfio_region *r, const struct vfio_region_info *info)
{
	uint32_t off = info->cap_offset;

	while (off && off + sizeof(struct vfio_info_cap_header) <= info->argsz) {
		const struct vfio_info_cap_header *h = (const void *)((const char *)info + off);

		if (h->id == VFIO_REGION_INFO_CAP_MSIX_MAPPABLE) {
			r->msix_mappable = true;
		} else if (h->id == VFIO_REGION_INFO_CAP_SPARSE_MMAP) {
			const struct vfio_region_info_cap_sparse_mmap *sp = (const void *)h;

			r->n_areas = 0;
			for (uint32_t i = 0; i < sp->nr_areas && r->n_areas < PT_VFIO_MAX_AREAS; i++) {
				if (!sp->areas[i].size)
					continue;
				r->areas[r->n_areas].offset = sp->areas[i].offset;
				r->areas[r->n_areas].size = sp->areas[i].size;
				r->n_areas++;
			}
		}
		if (h->next <= off)
			break;
		off = h->next;
	}
}

static int read_region(struct pt_vfio_device *d, uint32_t index)
{
	struct vfio_region_info head = { .argsz = sizeof(head), .index = index };
	struct pt_vfio_region *r = &d->regions[index];
	struct vfio_region_info *info = &head;
	int err = 0;

	if (ioctl(d->fd, VFIO_DEVICE_GET_REGION_INFO, &head) < 0) {
		/* Expected: EINVAL for the VGA region of a device that is no VGA. */
		return errno == EINVAL ? 0 : -errno;
	}
	if (head.argsz > sizeof(head)) {
		info = calloc(1, head.argsz);
		if (!info)
			return -ENOMEM;
		info->argsz = head.argsz;
		info->index = index;
		if (ioctl(d->fd, VFIO_DEVICE_GET_REGION_INFO, info) < 0) {
			err = -errno;
			goto out;
		}
	}
	r->size = info->size;
	r->offset = info->offset;
	r->flags = info->flags;
	if (r->size && (r->flags & VFIO_REGION_INFO_FLAG_MMAP)) {
		r->n_areas = 1;
		r->areas[0].offset = 0;
		r->areas[0].size = r->size;
	}
	if ((info->flags & VFIO_REGION_INFO_FLAG_CAPS) && info != &head)
		read_region_caps(r, info);
out:
	if (info != &head)
		free(info);
	return err;
}

static int read_irqs(struct pt_vfio_device *d)
{
	for (uint32_t i = 0; i < d->n_irqs && i < VFIO_PCI_NUM_IRQS; i++) {
		struct vfio_irq_info info = { .argsz = sizeof(info), .index = i };

		if (ioctl(d->fd, VFIO_DEVICE_GET_IRQ_INFO, &info) < 0) {
			/* Expected: EINVAL for ERR on a conventional PCI device. */
			if (errno == EINVAL)
				continue;
			return -errno;
		}
		d->irqs[i].count = info.count;
		d->irqs[i].flags = info.flags;
	}
	return 0;
}

int pt_vfio_device_open(int group_fd, const char *bdf, struct pt_vfio_device **ret)
{
	struct vfio_device_info info = { .argsz = sizeof(info) };
	struct pt_vfio_device *d;
	int err;

	d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	snprintf(d->name, sizeof(d->name), "%s", bdf);
	d->fd = ioctl(group_fd, VFIO_GROUP_GET_DEVICE_FD, bdf);
	if (d->fd < 0) {
		err = errno == EINVAL ? -ENODEV : -errno;
		pt_err("%s: VFIO_GROUP_GET_DEVICE_FD: %s%s", bdf, strerror(errno),
		       err == -ENODEV ? " (not in this group, or the group is not in a container)"
				      : "");
		free(d);
		return err;
	}
	if (ioctl(d->fd, VFIO_DEVICE_GET_INFO, &info) < 0) {
		err = -errno;
		pt_err("%s: VFIO_DEVICE_GET_INFO: %s", bdf, strerror(-err));
		goto fail;
	}
	if (!(info.flags & VFIO_DEVICE_FLAGS_PCI)) {
		pt_err("%s: VFIO says it is not a PCI device (flags %#x)", bdf, info.flags);
		err = -ENODEV;
		goto fail;
	}
	d->flags = info.flags;
	d->n_regions = info.num_regions;
	d->n_irqs = info.num_irqs;
	for (uint32_t i = 0; i < d->n_regions && i < VFIO_PCI_NUM_REGIONS; i++) {
		err = read_region(d, i);
		if (err < 0) {
			pt_err("%s: region %s: %s", bdf, pt_vfio_region_name((int)i), strerror(-err));
			goto fail;
		}
	}
	err = read_irqs(d);
	if (err < 0) {
		pt_err("%s: VFIO_DEVICE_GET_IRQ_INFO: %s", bdf, strerror(-err));
		goto fail;
	}
	*ret = d;
	return 0;
fail:
	close(d->fd);
	free(d);
	return err;
}

void pt_vfio_device_close(struct pt_vfio_device *d)
{
	if (!d)
		return;
	close(d->fd);
	free(d);
}

static int check_span(const struct pt_vfio_device *d, int index, uint64_t off, size_t len)
{
	if (index < 0 || index >= VFIO_PCI_NUM_REGIONS || !d->regions[index].size)
		return -ENOENT;
	if (off > d->regions[index].size || len > d->regions[index].size - off)
		return -ERANGE;
	return 0;
}

int pt_vfio_device_read(const struct pt_vfio_device *d, int index, uint64_t off, void *buf,
			size_t len)
{
	int err = check_span(d, index, off, len);
	ssize_t n;

	if (err)
		return err;
	if (!(d->regions[index].flags & VFIO_REGION_INFO_FLAG_READ))
		return -EACCES;
	n = pread(d->fd, buf, len, (off_t)(d->regions[index].offset + off));
	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EIO;
}

int pt_vfio_device_write(const struct pt_vfio_device *d, int index, uint64_t off,
			 const void *buf, size_t len)
{
	int err = check_span(d, index, off, len);
	ssize_t n;

	if (err)
		return err;
	if (!(d->regions[index].flags & VFIO_REGION_INFO_FLAG_WRITE))
		return -EACCES;
	n = pwrite(d->fd, buf, len, (off_t)(d->regions[index].offset + off));
	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EIO;
}

int pt_vfio_config_read(const struct pt_vfio_device *d, uint32_t off, void *buf, size_t len)
{
	return pt_vfio_device_read(d, VFIO_PCI_CONFIG_REGION_INDEX, off, buf, len);
}

int pt_vfio_config_write(const struct pt_vfio_device *d, uint32_t off, const void *buf,
			 size_t len)
{
	return pt_vfio_device_write(d, VFIO_PCI_CONFIG_REGION_INDEX, off, buf, len);
}

void *pt_vfio_device_mmap(const struct pt_vfio_device *d, int index, int area)
{
	const struct pt_vfio_region *r;
	int prot = 0;

	if (index < 0 || index >= VFIO_PCI_NUM_REGIONS) {
		errno = EINVAL;
		return MAP_FAILED;
	}
	r = &d->regions[index];
	if (area < 0 || area >= r->n_areas) {
		errno = EINVAL;
		return MAP_FAILED;
	}
	if (r->flags & VFIO_REGION_INFO_FLAG_READ)
		prot |= PROT_READ;
	if (r->flags & VFIO_REGION_INFO_FLAG_WRITE)
		prot |= PROT_WRITE;
	return mmap(NULL, r->areas[area].size, prot, MAP_SHARED, d->fd,
		    (off_t)(r->offset + r->areas[area].offset));
}

bool pt_vfio_device_can_reset(const struct pt_vfio_device *d)
{
	return d->flags & VFIO_DEVICE_FLAGS_RESET;
}

int pt_vfio_device_reset(const struct pt_vfio_device *d)
{
	if (!pt_vfio_device_can_reset(d))
		return -ENOTTY;
	return ioctl(d->fd, VFIO_DEVICE_RESET) < 0 ? -errno : 0;
}
