#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "host/assignment.h"
#include "host/verdict.h"

#define PCI_BASE_CLASS_BRIDGE 0x06

const char *pt_reason_code_name(enum pt_reason_code code)
{
	static const char *const names[] = {
		[PT_REASON_ASSIGNED] = "assigned",
		[PT_REASON_STATE] = "state_unreadable",
		[PT_REASON_BRIDGE] = "bridge",
		[PT_REASON_NO_IOMMU] = "no_iommu",
		[PT_REASON_GROUP_SHARED] = "group_shared",
		[PT_REASON_ROOT_FS] = "root_filesystem",
		[PT_REASON_MOUNTED_FS] = "mounted_filesystem",
		[PT_REASON_BOOT_VGA] = "boot_vga",
	};

	if ((size_t)code >= ARRAY_SIZE(names) || !names[code])
		return "unknown";
	return names[code];
}

bool pt_driver_is_vfio_safe(const char *driver)
{
	size_t len;

	if (!driver)
		return true;
	/* pci-stub only keeps other drivers away; pcieport manages bridges, not DMA. */
	if (!strcmp(driver, "vfio-pci") || !strcmp(driver, "pci-stub") ||
	    !strcmp(driver, "pcieport"))
		return true;
	/* Vendor variants of vfio-pci: mlx5_vfio_pci, hisi_acc_vfio_pci, ... */
	len = strlen(driver);
	return len > 9 && !strcmp(driver + len - 9, "_vfio_pci");
}

static int __attribute__((format(printf, 3, 4)))
add_reason(struct pt_pci_dev *d, enum pt_reason_code code, const char *fmt, ...)
{
	struct pt_reason *r;
	char *msg;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -ENOMEM;
	r = reallocarray(d->reasons, d->n_reasons + 1, sizeof(*r));
	if (!r) {
		free(msg);
		return -ENOMEM;
	}
	d->reasons = r;
	d->reasons[d->n_reasons].code = code;
	d->reasons[d->n_reasons].message = msg;
	d->n_reasons++;
	return 0;
}

static int check_assignment(const char *sysroot, struct pt_pci_dev *d)
{
	_cleanup_free_ char *path = NULL;
	const char *why = NULL;
	int r;

	r = pt_assignment_path(sysroot, d->name, &path);
	if (r < 0)
		return r;
	r = pt_assignment_read(path, &d->assigned_vm, &why);
	if (r == 0)
		return add_reason(d, PT_REASON_ASSIGNED, "already assigned to VM %s",
				  d->assigned_vm);
	if (r == -ENOENT)
		return 0;
	if (r == -ENOMEM)
		return r;
	/* A record we cannot read may still mean the device is in use: refuse. */
	return add_reason(d, PT_REASON_STATE, "state record %s cannot be read: %s", path,
			  r == -EBADMSG ? why : strerror(-r));
}

static bool is_bridge(const struct pt_pci_dev *d)
{
	if (d->header == PT_PCI_HEADER_BRIDGE || d->header == PT_PCI_HEADER_CARDBUS)
		return true;
	/* Host, ISA and other bridges have a type 0 header but are no endpoints either. */
	return (d->class_id >> 8) == PCI_BASE_CLASS_BRIDGE;
}

static int check_group(struct pt_pci_dev *d)
{
	for (size_t i = 0; i < d->n_group_peers; i++) {
		const struct pt_group_member *m = &d->group_peers[i];
		int r;

		if (pt_driver_is_vfio_safe(m->driver))
			continue;
		r = add_reason(d, PT_REASON_GROUP_SHARED,
			       "group %d is shared with %s which is bound to host driver %s",
			       d->iommu_group, m->name, m->driver);
		if (r < 0)
			return r;
	}
	return 0;
}

static int check_mounts(struct pt_pci_dev *d)
{
	/* One reason per block device: its first mount, the root filesystem if it is one. */
	for (size_t i = 0; i < d->n_mounts; i++) {
		const struct pt_mount_use *u = &d->mounts[i];
		const struct pt_mount_use *shown = u;
		bool seen = false;
		int r;

		for (size_t j = 0; j < i; j++)
			seen = seen || !strcmp(d->mounts[j].blockdev, u->blockdev);
		if (seen)
			continue;
		for (size_t j = i; j < d->n_mounts; j++)
			if (!strcmp(d->mounts[j].blockdev, u->blockdev) &&
			    !strcmp(d->mounts[j].mountpoint, "/"))
				shown = &d->mounts[j];
		if (!strcmp(shown->mountpoint, "/"))
			r = add_reason(d, PT_REASON_ROOT_FS, "backs the root filesystem (%s)",
				       shown->blockdev);
		else
			r = add_reason(d, PT_REASON_MOUNTED_FS, "backs mounted filesystem %s (%s)",
				       shown->mountpoint, shown->blockdev);
		if (r < 0)
			return r;
	}
	return 0;
}

/* Insertion sort by code: stable, so reasons of one kind keep their order. */
static void sort_reasons(struct pt_reason *r, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		struct pt_reason cur = r[i];
		size_t j = i;

		for (; j > 0 && r[j - 1].code > cur.code; j--)
			r[j] = r[j - 1];
		r[j] = cur;
	}
}

int pt_verdict_compute(const char *sysroot, struct pt_pci_dev *d)
{
	int r;

	r = check_assignment(sysroot, d);
	if (r == 0 && is_bridge(d))
		r = add_reason(d, PT_REASON_BRIDGE, "bridge, not an endpoint");
	if (r == 0 && d->iommu_group < 0)
		r = add_reason(d, PT_REASON_NO_IOMMU, "no IOMMU");
	if (r == 0)
		r = check_group(d);
	if (r == 0)
		r = check_mounts(d);
	if (r == 0 && d->boot_vga)
		r = add_reason(d, PT_REASON_BOOT_VGA, "boot VGA device");
	if (r < 0)
		return r;
	/* Stable order (the enum's) whatever order the checks above run in. */
	sort_reasons(d->reasons, d->n_reasons);
	d->assignable = d->n_reasons == 0;
	return 0;
}
