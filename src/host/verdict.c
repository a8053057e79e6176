#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "host/state.h"
#include "host/verdict.h"

#define PCI_BASE_CLASS_BRIDGE 0x06

const char *pt_reason_code_name(enum pt_reason_code code)
{
	static const char *const names[] = {
		[PT_REASON_ASSIGNED] = "assigned",
		[PT_REASON_STATE] = "state_unreadable",
		[PT_REASON_INTERRUPTED] = "interrupted",
		[PT_REASON_BRIDGE] = "bridge",
		[PT_REASON_NO_IOMMU] = "no_iommu",
		[PT_REASON_GROUP_SHARED] = "group_shared",
		[PT_REASON_GROUP_ASSIGNED] = "group_assigned",
		[PT_REASON_MULTIFUNCTION] = "multifunction_sibling",
		[PT_REASON_ROOT_FS] = "root_filesystem",
		[PT_REASON_MOUNTED_FS] = "mounted_filesystem",
		[PT_REASON_SWAP] = "swap",
		[PT_REASON_BLOCK_MEMBER] = "block_member",
		[PT_REASON_BOOT_VGA] = "boot_vga",
		[PT_REASON_DEFAULT_ROUTE] = "default_route",
	};

	if ((size_t)code >= ARRAY_SIZE(names) || !names[code])
		return "unknown";
	return names[code];
}

bool pt_reason_is_forceable(enum pt_reason_code code)
{
	switch (code) {
	case PT_REASON_ROOT_FS:
	case PT_REASON_MOUNTED_FS:
	case PT_REASON_SWAP:
	case PT_REASON_BLOCK_MEMBER:
	case PT_REASON_BOOT_VGA:
	case PT_REASON_DEFAULT_ROUTE:
		return true;
	default:
		return false;
	}
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
	d->reasons[d->n_reasons].subject[0] = '\0';
	d->n_reasons++;
	return 0;
}

static void set_subject(struct pt_pci_dev *d, const char *name)
{
	snprintf(d->reasons[d->n_reasons - 1].subject, PT_BDF_STRLEN, "%s", name);
}

static int check_state(struct pt_pci_dev *d)
{
	_cleanup_free_ char *path = NULL;
	struct pt_state_record *rec = NULL;
	const char *why = NULL;
	int r;

	r = pt_state_read(d->name, &rec, &why);
	if (r == -ENOENT)
		return 0;
	if (r == -ENOMEM)
		return r;
	if (r < 0) {
		/* A record we cannot read may still mean the device is in use: refuse. */
		if (pt_state_path(d->name, &path) < 0)
			return -ENOMEM;
		return add_reason(d, PT_REASON_STATE, "state record %s cannot be read: %s", path,
				  r == -EBADMSG ? why : strerror(-r));
	}
	d->has_record = true;
	d->phase = rec->phase;
	d->assigned_vm = TAKE_PTR(rec->vm);
	d->original_driver = TAKE_PTR(rec->original_driver);
	if (rec->phase != PT_PHASE_PREPARED)
		r = add_reason(d, PT_REASON_INTERRUPTED,
			       "a %s by pid %d did not finish (passthru-ctl recover puts it back)",
			       rec->phase == PT_PHASE_PREPARING ? "prepare" : "release",
			       (int)rec->pid);
	else if (d->assigned_vm)
		r = add_reason(d, PT_REASON_ASSIGNED, "already assigned to VM %s", d->assigned_vm);
	pt_state_record_free(rec);
	return r;
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
		set_subject(d, m->name);
	}
	return 0;
}

static int check_use(struct pt_pci_dev *d, const struct pt_mount_use *u)
{
	switch (u->kind) {
	case PT_USE_SWAP:
		return add_reason(d, PT_REASON_SWAP, "backs active swap %s (%s)", u->mountpoint,
				  u->blockdev);
	case PT_USE_HOLDER:
		return add_reason(d, PT_REASON_BLOCK_MEMBER,
				  "%s below it is a member of %s (device-mapper, LVM or md)",
				  u->blockdev, u->mountpoint);
	case PT_USE_DEFAULT_ROUTE:
		return add_reason(d, PT_REASON_DEFAULT_ROUTE,
				  "its network interface %s carries the %s default route",
				  u->blockdev, u->mountpoint);
	case PT_USE_MOUNT:
		break;
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

		if (u->kind != PT_USE_MOUNT) {
			r = check_use(d, u);
			if (r < 0)
				return r;
			continue;
		}
		for (size_t j = 0; j < i; j++)
			seen = seen || (d->mounts[j].kind == PT_USE_MOUNT &&
					!strcmp(d->mounts[j].blockdev, u->blockdev));
		if (seen)
			continue;
		for (size_t j = i; j < d->n_mounts; j++)
			if (d->mounts[j].kind == PT_USE_MOUNT &&
			    !strcmp(d->mounts[j].blockdev, u->blockdev) &&
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

	r = check_state(d);
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

static const struct pt_pci_dev *find_by_name(const struct pt_inventory *inv, const char *name)
{
	struct pt_bdf bdf;

	if (pt_bdf_parse(name, &bdf, NULL) < 0)
		return NULL;
	return pt_inventory_find(inv, &bdf);
}

static bool in_group(const struct pt_pci_dev *d, const char *name)
{
	for (size_t i = 0; i < d->n_group_peers; i++)
		if (!strcmp(d->group_peers[i].name, name))
			return true;
	return false;
}

int pt_verdict_neighbours(const struct pt_inventory *inv, struct pt_pci_dev *d)
{
	size_t before = d->n_reasons;
	int r = 0;

	for (size_t i = 0; r == 0 && i < d->n_group_peers; i++) {
		const struct pt_pci_dev *m = find_by_name(inv, d->group_peers[i].name);

		if (!m || !m->assigned_vm || (d->assigned_vm && !strcmp(m->assigned_vm, d->assigned_vm)))
			continue;
		r = add_reason(d, PT_REASON_GROUP_ASSIGNED, "group %d member %s is assigned to VM %s",
			       d->iommu_group, m->name, m->assigned_vm);
		if (r == 0)
			set_subject(d, m->name);
	}
	/* Siblings in the group are the group's business; outside it, a reset still hits them. */
	for (size_t i = 0; r == 0 && d->multifunction && i < inv->n_devs; i++) {
		const struct pt_pci_dev *s = &inv->devs[i];

		if (s == d || s->bdf.domain != d->bdf.domain || s->bdf.bus != d->bdf.bus ||
		    s->bdf.dev != d->bdf.dev || in_group(d, s->name) ||
		    pt_driver_is_vfio_safe(s->driver))
			continue;
		r = add_reason(d, PT_REASON_MULTIFUNCTION,
			       "function of a multifunction device whose sibling %s (outside its "
			       "IOMMU group) is bound to host driver %s: a reset of the device "
			       "resets it too", s->name, s->driver);
		if (r == 0)
			set_subject(d, s->name);
	}
	if (r < 0)
		return r;
	if (d->n_reasons != before) {
		sort_reasons(d->reasons, d->n_reasons);
		d->assignable = false;
	}
	return 0;
}

int pt_verdict_reasons_text(const struct pt_pci_dev *d, char **ret)
{
	char *reasons = NULL;

	for (size_t i = 0; i < d->n_reasons; i++) {
		char *s;

		if (asprintf(&s, "%s%s%s", reasons ? reasons : "", reasons ? "; " : "",
			     d->reasons[i].message) < 0) {
			free(reasons);
			return -ENOMEM;
		}
		free(reasons);
		reasons = s;
	}
	*ret = reasons;
	return 0;
}
