/*
 * One VFIO PCI device: its fd, regions (BARs, ROM, config space, VGA) and IRQ indexes.
 *
 * pt_vfio_device_open() reads everything the VMM needs to lay the device out once:
 * each region's size, file offset and flags, the areas of it that may be mmap'ed
 * (the sparse-mmap capability: VFIO leaves the MSI-X table page out of a BAR unless
 * the kernel says MSIX_MAPPABLE), and each IRQ index's count and flags. The device fd
 * is the object's own; the group fd it came from stays the caller's.
 */
#ifndef PT_VFIO_DEVICE_H
#define PT_VFIO_DEVICE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <linux/vfio.h>

#define PT_VFIO_MAX_AREAS 8 /* mmap-able areas of one region */

struct pt_vfio_area {
	uint64_t offset, size; /* within the region */
};

struct pt_vfio_region {
	uint64_t size;    /* 0: the region does not exist (an unused BAR) */
	uint64_t offset;  /* of the region in the device fd */
	uint32_t flags;   /* VFIO_REGION_INFO_FLAG_* */
	bool msix_mappable;
	int n_areas;      /* mmap-able areas: the whole region, or its sparse areas */
	struct pt_vfio_area areas[PT_VFIO_MAX_AREAS];
};

struct pt_vfio_irq {
	uint32_t count;   /* vectors: 0 when the index is absent */
	uint32_t flags;   /* VFIO_IRQ_INFO_* */
};

struct pt_vfio_device {
	int fd;
	char name[32];    /* the PCI address it was opened by */
	uint32_t flags;   /* VFIO_DEVICE_FLAGS_*: RESET, PCI */
	uint32_t n_regions, n_irqs;
	struct pt_vfio_region regions[VFIO_PCI_NUM_REGIONS];
	struct pt_vfio_irq irqs[VFIO_PCI_NUM_IRQS];
};

/*
 * Gets the device named bdf ("0000:00:04.0") from an open group that is already in
 * a container, and reads its regions and IRQs. -ENODEV: not a PCI device or not in
 * that group.
 */
int pt_vfio_device_open(int group_fd, const char *bdf, struct pt_vfio_device **ret);
void pt_vfio_device_close(struct pt_vfio_device *d);

/* Reads or writes len bytes at off in region index (config space, a BAR, the ROM). */
int pt_vfio_device_read(const struct pt_vfio_device *d, int index, uint64_t off, void *buf,
			size_t len);
int pt_vfio_device_write(const struct pt_vfio_device *d, int index, uint64_t off,
			 const void *buf, size_t len);

/* Config space shorthands (VFIO_PCI_CONFIG_REGION_INDEX). */
int pt_vfio_config_read(const struct pt_vfio_device *d, uint32_t off, void *buf, size_t len);
int pt_vfio_config_write(const struct pt_vfio_device *d, uint32_t off, const void *buf,
			 size_t len);

/*
 * Maps area `area` of region index (shared, read-write as the region allows).
 * Returns the address or MAP_FAILED with errno set.
 */
void *pt_vfio_device_mmap(const struct pt_vfio_device *d, int index, int area);

/* True if VFIO_DEVICE_RESET is offered (a function-level, PM or bus reset). */
bool pt_vfio_device_can_reset(const struct pt_vfio_device *d);

/* VFIO_DEVICE_RESET: 0, or -ENOTTY when the device offers no reset, or -errno. */
int pt_vfio_device_reset(const struct pt_vfio_device *d);

/* Region and IRQ index names for messages ("BAR0", "config", "MSI-X", ...). */
const char *pt_vfio_region_name(int index);
const char *pt_vfio_irq_name(int index);

#endif
