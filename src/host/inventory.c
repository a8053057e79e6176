/* The PCI scan itself: libpci for identity, names, driver and group; sysfs for the rest. */
#include "config.h"

#include <errno.h>
#include <pci/pci.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/exit_status.h"
#include "common/log.h"
#include "host/inventory.h"
#include "host/iommu_group.h"
#include "host/mounts.h"
#include "host/sysroot.h"
#include "host/verdict.h"

/* libpci's error callback must not return (its callers go on with invalid state). */
static void __attribute__((noreturn, format(printf, 1, 2))) libpci_error(char *msg, ...)
{
	va_list ap;

	fprintf(stderr, "%s: libpci: ", program_invocation_short_name);
	va_start(ap, msg);
	vfprintf(stderr, msg, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(PT_EXIT_FAILURE);
}

static void __attribute__((format(printf, 1, 2))) libpci_warning(char *msg, ...)
{
	va_list ap;

	va_start(ap, msg);
	pt_logv(PT_LOG_DEBUG, msg, ap);
	va_end(ap);
}

static void __attribute__((format(printf, 1, 2))) libpci_debug(char *msg, ...)
{
}

static void dev_clear(struct pt_pci_dev *d)
{
	free(d->vendor_name);
	free(d->device_name);
	free(d->class_name);
	free(d->driver);
	pt_group_members_free(d->group_peers, d->n_group_peers);
	for (size_t i = 0; i < d->n_mounts; i++) {
		free(d->mounts[i].mountpoint);
		free(d->mounts[i].blockdev);
	}
	free(d->mounts);
	free(d->assigned_vm);
	free(d->original_driver);
	for (size_t i = 0; i < d->n_reasons; i++)
		free(d->reasons[i].message);
	free(d->reasons);
}

void pt_inventory_free(struct pt_inventory *inv)
{
	if (!inv)
		return;
	for (size_t i = 0; i < inv->n_devs; i++)
		dev_clear(&inv->devs[i]);
	free(inv->devs);
	free(inv->sysroot);
	free(inv);
}

static int bdf_cmp(const struct pt_bdf *a, const struct pt_bdf *b)
{
	if (a->domain != b->domain)
		return a->domain < b->domain ? -1 : 1;
	if (a->bus != b->bus)
		return a->bus < b->bus ? -1 : 1;
	if (a->dev != b->dev)
		return a->dev < b->dev ? -1 : 1;
	if (a->func != b->func)
		return a->func < b->func ? -1 : 1;
	return 0;
}

static int dev_cmp(const void *a, const void *b)
{
	return bdf_cmp(&((const struct pt_pci_dev *)a)->bdf, &((const struct pt_pci_dev *)b)->bdf);
}

const struct pt_pci_dev *pt_inventory_find(const struct pt_inventory *inv,
					   const struct pt_bdf *bdf)
{
	struct pt_pci_dev key = { .bdf = *bdf };

	if (!inv->n_devs)
		return NULL;
	return bsearch(&key, inv->devs, inv->n_devs, sizeof(key), dev_cmp);
}

static int dup_name(const char *name, char **ret)
{
	if (!name) {
		*ret = NULL;
		return 0;
	}
	*ret = strdup(name);
	return *ret ? 0 : -ENOMEM;
}

/* Vendor, device and class names from pci.ids (NULL where it has none). 0 or -ENOMEM. */
static int lookup_names(struct pci_access *acc, struct pt_pci_dev *d)
{
	char buf[512];
	int r;

	r = dup_name(pci_lookup_name(acc, buf, sizeof(buf),
				     PCI_LOOKUP_VENDOR | PCI_LOOKUP_NO_NUMBERS | PCI_LOOKUP_NO_HWDB,
				     d->vendor_id), &d->vendor_name);
	if (r == 0)
		r = dup_name(pci_lookup_name(acc, buf, sizeof(buf),
					     PCI_LOOKUP_DEVICE | PCI_LOOKUP_NO_NUMBERS |
						     PCI_LOOKUP_NO_HWDB,
					     d->vendor_id, d->device_id), &d->device_name);
	if (r == 0)
		r = dup_name(pci_lookup_name(acc, buf, sizeof(buf),
					     PCI_LOOKUP_CLASS | PCI_LOOKUP_NO_NUMBERS | PCI_LOOKUP_NO_HWDB,
					     d->class_id), &d->class_name);
	return r;
}

/* Identity, names (flags), header, driver and group number, from libpci. */
static int fill_from_libpci(struct pci_access *acc, struct pci_dev *p, struct pt_pci_dev *d,
			    unsigned flags)
{
	const char *s;
	int hdr, r;

	pci_fill_info(p, PCI_FILL_IDENT | PCI_FILL_CLASS | PCI_FILL_CLASS_EXT |
			 PCI_FILL_IOMMU_GROUP | PCI_FILL_DRIVER);
	d->bdf.domain = (uint16_t)p->domain;
	d->bdf.bus = p->bus;
	d->bdf.dev = p->dev;
	d->bdf.func = p->func;
	pt_bdf_format(&d->bdf, d->name);
	d->vendor_id = p->vendor_id;
	d->device_id = p->device_id;
	d->class_id = p->device_class;
	d->prog_if = p->prog_if;

	hdr = pci_read_byte(p, PCI_HEADER_TYPE);
	d->multifunction = hdr != 0xff && (hdr & 0x80);
	switch (hdr == 0xff ? -1 : hdr & 0x7f) {
	case PCI_HEADER_TYPE_NORMAL:
		d->header = PT_PCI_HEADER_ENDPOINT;
		break;
	case PCI_HEADER_TYPE_BRIDGE:
		d->header = PT_PCI_HEADER_BRIDGE;
		break;
	case PCI_HEADER_TYPE_CARDBUS:
		d->header = PT_PCI_HEADER_CARDBUS;
		break;
	default:
		d->header = PT_PCI_HEADER_UNKNOWN;
	}

	r = flags & PT_INVENTORY_NAMES ? lookup_names(acc, d) : 0;
	if (r == 0)
		r = dup_name(pci_get_string_property(p, PCI_FILL_DRIVER), &d->driver);
	if (r < 0)
		return r;

	d->iommu_group = -1;
	s = pci_get_string_property(p, PCI_FILL_IOMMU_GROUP);
	if (s) {
		char *end;
		long g = strtol(s, &end, 10);

		if (end != s && !*end && g >= 0 && g <= 0x7fffffff)
			d->iommu_group = (int)g;
	}
	return 0;
}

/* What libpci does not know: boot_vga, the group's other members, the state record. */
static int fill_from_sysfs(const char *sysroot, struct pt_pci_dev *d)
{
	_cleanup_free_ char *path = NULL;
	long v;
	int r;

	r = pt_host_path(sysroot, &path, "/sys/bus/pci/devices/%s/boot_vga", d->name);
	if (r < 0)
		return r;
	d->boot_vga = pt_read_long(path, &v) == 0 && v == 1;

	if (d->iommu_group >= 0) {
		r = pt_iommu_group_peers(sysroot, d->iommu_group, d->name, &d->group_peers,
					 &d->n_group_peers);
		if (r < 0 && r != -ENOENT) {
			pt_err("cannot list IOMMU group %d of %s: %s", d->iommu_group, d->name,
			       strerror(-r));
			return r;
		}
	}
	return 0;
}

static int attach_mounts(struct pt_inventory *inv, const struct pt_pci_mount *m, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct pt_pci_dev *d = (struct pt_pci_dev *)pt_inventory_find(inv, &m[i].bdf);
		struct pt_mount_use *u;

		if (!d)
			continue;
		u = reallocarray(d->mounts, d->n_mounts + 1, sizeof(*u));
		if (!u)
			return -ENOMEM;
		d->mounts = u;
		u = &d->mounts[d->n_mounts];
		u->kind = m[i].kind;
		u->mountpoint = strdup(m[i].mountpoint);
		u->blockdev = strdup(m[i].blockdev);
		if (!u->mountpoint || !u->blockdev) {
			free(u->mountpoint);
			free(u->blockdev);
			return -ENOMEM;
		}
		d->n_mounts++;
	}
	return 0;
}

static int scan(struct pci_access *acc, struct pt_inventory *inv, unsigned flags)
{
	struct pci_dev *p;
	size_t n = 0;

	pci_scan_bus(acc);
	for (p = acc->devices; p; p = p->next)
		n++;
	inv->devs = calloc(n ? n : 1, sizeof(*inv->devs));
	if (!inv->devs)
		return -ENOMEM;
	for (p = acc->devices; p; p = p->next) {
		int r = fill_from_libpci(acc, p, &inv->devs[inv->n_devs], flags);

		inv->n_devs++;
		if (r < 0)
			return r;
	}
	qsort(inv->devs, inv->n_devs, sizeof(*inv->devs), dev_cmp);
	return 0;
}

int pt_inventory_load(const char *sysroot, unsigned flags, struct pt_inventory **ret)
{
	_cleanup_free_ char *bus = NULL, *devices = NULL;
	struct pt_pci_mount *mounts = NULL;
	struct pt_inventory *inv;
	struct pci_access *acc;
	size_t n_mounts = 0;
	int r;

	if (!sysroot || !*sysroot)
		sysroot = PT_SYSROOT_DEFAULT;
	r = pt_host_path(sysroot, &bus, "/sys/bus/pci");
	if (r < 0)
		return r;
	r = pt_host_path(sysroot, &devices, "/sys/bus/pci/devices");
	if (r < 0)
		return r;
	if (!pt_path_exists(devices)) {
		pt_err("%s does not exist: no PCI bus in sysfs%s", devices,
		       pt_sysroot_is_real(sysroot) ? "" : " (check --sysroot)");
		return -ENOENT;
	}

	inv = calloc(1, sizeof(*inv));
	if (!inv)
		return -ENOMEM;
	inv->sysroot = strdup(sysroot);
	if (!inv->sysroot) {
		free(inv);
		return -ENOMEM;
	}

	acc = pci_alloc();
	acc->error = libpci_error;
	acc->warning = libpci_warning;
	acc->debug = libpci_debug;
	/* Only sysfs: auto-detection would fall back to /proc/bus/pci or raw I/O ports. */
	acc->method = PCI_ACCESS_SYS_BUS_PCI;
	if (pci_set_param(acc, "sysfs.path", bus) < 0) {
		pci_cleanup(acc);
		pt_inventory_free(inv);
		pt_err("this libpci has no sysfs.path parameter");
		return -ENOTSUP;
	}
	pci_init(acc);
	r = scan(acc, inv, flags);
	pci_cleanup(acc);
	for (size_t i = 0; r == 0 && i < inv->n_devs; i++)
		r = fill_from_sysfs(sysroot, &inv->devs[i]);
	if (r == 0) {
		r = pt_mounts_on_pci(sysroot, &mounts, &n_mounts);
		if (r < 0) {
			pt_warn("cannot read the mount table under %s: %s; filesystems are not "
				"checked", sysroot, strerror(-r));
			r = 0;
		}
	}
	if (r == 0)
		r = attach_mounts(inv, mounts, n_mounts);
	pt_pci_mounts_free(mounts, n_mounts);
	for (size_t i = 0; r == 0 && i < inv->n_devs; i++)
		r = pt_verdict_compute(sysroot, &inv->devs[i]);
	/* Verdicts that depend on other functions' records and drivers. */
	for (size_t i = 0; r == 0 && i < inv->n_devs; i++)
		r = pt_verdict_neighbours(inv, &inv->devs[i]);
	if (r < 0) {
		pt_inventory_free(inv);
		return r;
	}
	*ret = inv;
	return 0;
}

const char *pt_pci_header_name(enum pt_pci_header h)
{
	switch (h) {
	case PT_PCI_HEADER_ENDPOINT:
		return "endpoint";
	case PT_PCI_HEADER_BRIDGE:
		return "bridge";
	case PT_PCI_HEADER_CARDBUS:
		return "cardbus";
	default:
		return "unknown";
	}
}
