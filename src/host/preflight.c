/* Per-device preflight findings (host/preflight.h). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "host/preflight.h"
#include "host/sysroot.h"
#include "host/verdict.h"

#define CFG_SIZE 4096
#define PCI_CAP_PTR 0x34
#define PCI_STATUS 0x06
#define PCI_STATUS_CAP_LIST 0x10
#define CAP_PM 0x01
#define CAP_EXP 0x10
#define CAP_AF 0x13
#define EXT_ACS 0x000d
#define ACS_SV 0x01
#define ACS_RR 0x04
#define ACS_CR 0x08
#define ACS_UF 0x10
#define EXP_TYPE_ROOT_PORT 0x4
#define EXP_TYPE_DOWNSTREAM 0x6
#define EXP_TYPE_PCI_BRIDGE 0x7

int pt_preflight_add(struct pt_preflight *p, const char *key, enum pt_check_result result,
		     const char *fix, const char *fmt, ...)
{
	struct pt_finding *f;
	char *ev;
	va_list ap;
	int n;

	if (p->n >= PT_PREFLIGHT_MAX)
		return -ENOSPC;
	va_start(ap, fmt);
	n = vasprintf(&ev, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -ENOMEM;
	f = &p->items[p->n];
	f->fix = fix ? strdup(fix) : NULL;
	if (fix && !f->fix) {
		free(ev);
		return -ENOMEM;
	}
	f->key = key;
	f->result = result;
	f->evidence = ev;
	p->n++;
	return 0;
}

void pt_preflight_clear(struct pt_preflight *p)
{
	for (size_t i = 0; i < p->n; i++) {
		free(p->items[i].evidence);
		free(p->items[i].fix);
	}
	p->n = 0;
}

/* Config space as sysfs gives it (256 bytes, or 4096 for PCIe when root). */
struct cfg {
	uint8_t b[CFG_SIZE];
	size_t len;
};

static int read_cfg(const char *sysroot, const char *bdf, struct cfg *c)
{
	_cleanup_free_ char *path = NULL;
	_cleanup_close_ int fd = -1;
	ssize_t n;
	int r;

	r = pt_host_path(sysroot, &path, "/sys/bus/pci/devices/%s/config", bdf);
	if (r < 0)
		return r;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = pread(fd, c->b, sizeof(c->b), 0);
	if (n < 0)
		return -errno;
	c->len = (size_t)n;
	return 0;
}

static unsigned cfg16(const struct cfg *c, size_t off)
{
	return off + 1 < c->len ? (unsigned)(c->b[off] | c->b[off + 1] << 8) : 0;
}

static uint32_t cfg32(const struct cfg *c, size_t off)
{
	return off + 3 < c->len ? (uint32_t)c->b[off] | (uint32_t)c->b[off + 1] << 8 |
					  (uint32_t)c->b[off + 2] << 16 | (uint32_t)c->b[off + 3] << 24
				: 0;
}

/* Offset of standard capability id, 0 when absent. */
static size_t find_cap(const struct cfg *c, unsigned id)
{
	size_t off;
	int guard = 48;

	if (c->len < 64 || !(cfg16(c, PCI_STATUS) & PCI_STATUS_CAP_LIST))
		return 0;
	for (off = c->b[PCI_CAP_PTR] & ~3u; off >= 0x40 && off + 1 < c->len && guard--;
	     off = c->b[off + 1] & ~3u)
		if (c->b[off] == id)
			return off;
	return 0;
}

/* Offset of extended capability id, 0 when absent or unreadable. */
static size_t find_ext_cap(const struct cfg *c, unsigned id)
{
	size_t off = 0x100;
	int guard = 96;

	while (off >= 0x100 && off + 3 < c->len && guard--) {
		uint32_t h = cfg32(c, off);

		if (h == 0 || h == 0xffffffff)
			return 0;
		if ((h & 0xffff) == id)
			return off;
		off = (h >> 20) & ~3u;
	}
	return 0;
}

static int add_verdict(struct pt_preflight *p, const struct pt_pci_dev *d)
{
	_cleanup_free_ char *reasons = NULL;

	if (d->assignable)
		return pt_preflight_add(p, "verdict", PT_RESULT_YES, NULL,
					"assignable: no reason against it (passthru-ctl devices)");
	if (pt_verdict_reasons_text(d, &reasons) < 0)
		return -ENOMEM;
	return pt_preflight_add(p, "verdict", PT_RESULT_NO,
				"passthru-ctl prepare names each blocker with its fix",
				"not assignable: %s", reasons);
}

static int add_group(struct pt_preflight *p, const struct pt_pci_dev *d)
{
	_cleanup_free_ char *members = NULL, *blockers = NULL;

	if (d->iommu_group < 0)
		return pt_preflight_add(p, "group", PT_RESULT_NO,
					"enable the IOMMU (VT-d/AMD-Vi in the firmware, "
					"intel_iommu=on or amd_iommu=on)",
					"no IOMMU group: no IOMMU isolates its DMA");
	for (size_t i = 0; i < d->n_group_peers; i++) {
		const struct pt_group_member *m = &d->group_peers[i];
		bool safe = pt_driver_is_vfio_safe(m->driver);
		char **list = safe ? &members : &blockers;
		char *s;

		if (asprintf(&s, "%s%s%s (%s)", *list ? *list : "", *list ? ", " : "", m->name,
			     m->driver ? m->driver : "no driver") < 0)
			return -ENOMEM;
		free(*list);
		*list = s;
	}
	if (blockers)
		return pt_preflight_add(p, "group", PT_RESULT_NO,
					"passthru-ctl prepare --group takes the group's members "
					"too when they are safe to take",
					"group %d is not viable: %s %s on a host driver%s%s",
					d->iommu_group, blockers,
					strchr(blockers, ',') ? "are" : "is",
					members ? "; also in it: " : "", members ? members : "");
	if (members)
		return pt_preflight_add(p, "group", PT_RESULT_YES, NULL,
					"group %d is viable: its other members %s do not hold it",
					d->iommu_group, members);
	return pt_preflight_add(p, "group", PT_RESULT_YES, NULL,
				"alone in IOMMU group %d", d->iommu_group);
}

/* The PCI functions above d, nearest first (sysfs directory names that are BDFs). */
static int upstream(const char *sysroot, const char *bdf, char (*out)[PT_BDF_STRLEN],
		    size_t max, size_t *ret_n)
{
	_cleanup_free_ char *link = NULL;
	char real[4096], *slash;
	size_t n = 0;
	int r;

	r = pt_host_path(sysroot, &link, "/sys/bus/pci/devices/%s", bdf);
	if (r < 0)
		return r;
	if (!realpath(link, real))
		return -errno;
	slash = strrchr(real, '/');
	if (slash)
		*slash = '\0';
	while ((slash = strrchr(real, '/')) && n < max) {
		if (pt_bdf_is_canonical(slash + 1))
			snprintf(out[n++], PT_BDF_STRLEN, "%s", slash + 1);
		*slash = '\0';
	}
	*ret_n = n;
	return 0;
}

static int add_acs(struct pt_preflight *p, const char *sysroot, const struct pt_pci_dev *d)
{
	char path[16][PT_BDF_STRLEN];
	_cleanup_free_ char *lacking = NULL, *route = NULL;
	const char *legacy = NULL;
	size_t n = 0;
	int r;

	r = upstream(sysroot, d->name, path, 16, &n);
	if (r < 0)
		return pt_preflight_add(p, "acs", PT_RESULT_UNKNOWN, NULL,
					"its upstream path cannot be read: %s", strerror(-r));
	for (size_t i = 0; i < n; i++) {
		struct cfg c;
		size_t exp, acs;
		unsigned type, ctrl;
		char *s;

		if (asprintf(&s, "%s%s%s", route ? route : "", route ? " <- " : "", path[i]) < 0)
			return -ENOMEM;
		free(route);
		route = s;
		if (read_cfg(sysroot, path[i], &c) < 0)
			continue;
		exp = find_cap(&c, CAP_EXP);
		if (!exp)
			continue; /* conventional PCI bridge: no ACS to have */
		type = (cfg16(&c, exp + 2) >> 4) & 0xf;
		if (type == EXP_TYPE_PCI_BRIDGE && !legacy)
			legacy = path[i];
		if (type != EXP_TYPE_ROOT_PORT && type != EXP_TYPE_DOWNSTREAM)
			continue;
		acs = find_ext_cap(&c, EXT_ACS);
		ctrl = acs ? cfg16(&c, acs + 6) : 0;
		if (acs && (ctrl & (ACS_SV | ACS_RR | ACS_CR | ACS_UF)) ==
				   (ACS_SV | ACS_RR | ACS_CR | ACS_UF))
			continue;
		if (asprintf(&s, "%s%s%s (%s)", lacking ? lacking : "", lacking ? ", " : "",
			     path[i], acs ? "ACS not fully enabled" :
			     c.len <= 256 ? "extended config space unreadable (not root?)" :
					    "no ACS capability") < 0)
			return -ENOMEM;
		free(lacking);
		lacking = s;
	}
	if (!n)
		return pt_preflight_add(p, "acs", PT_RESULT_YES, NULL,
					"it sits on a root bus: no bridge above it to isolate");
	if (legacy && d->n_group_peers)
		return pt_preflight_add(p, "acs", PT_RESULT_WARNING,
					"put the device in a PCIe slot of its own; no ACS setting "
					"(nor the pcie_acs_override patch, which only pretends) can "
					"isolate conventional PCI",
					"it is behind PCIe-to-PCI bridge %s: conventional PCI has no "
					"requester IDs to tell its devices apart, so everything below "
					"the bridge shares IOMMU group %d (path: %s)", legacy,
					d->iommu_group, route);
	if (!lacking)
		return pt_preflight_add(p, "acs", PT_RESULT_YES, NULL,
					"no PCIe port on its path lacks ACS: %s", route);
	return pt_preflight_add(p, "acs", d->n_group_peers ? PT_RESULT_WARNING : PT_RESULT_YES,
				d->n_group_peers ?
				"move the device to a slot below a port with ACS (often a CPU "
				"root port); the pcie_acs_override kernel patch only pretends: "
				"the devices could still reach each other's memory by DMA" : NULL,
				"without ACS on %s, everything below %s shares IOMMU group %d%s",
				lacking, n ? path[0] : "it", d->iommu_group,
				d->n_group_peers ? "" : " (alone in it today)");
}

static int list_add(char **list, const char *item)
{
	char *s;

	if (asprintf(&s, "%s%s%s", *list ? *list : "", *list ? ", " : "", item) < 0)
		return -ENOMEM;
	free(*list);
	*list = s;
	return 0;
}

/* Every other function on d's bus (its siblings too): a bus reset resets them all. */
static int bus_neighbours(const struct pt_inventory *inv, const struct pt_pci_dev *d,
			  char **ret)
{
	char *list = NULL;

	for (size_t i = 0; i < inv->n_devs; i++) {
		const struct pt_pci_dev *o = &inv->devs[i];

		if (o == d || o->bdf.domain != d->bdf.domain || o->bdf.bus != d->bdf.bus)
			continue;
		if (list_add(&list, o->name) < 0) {
			free(list);
			return -ENOMEM;
		}
	}
	*ret = list;
	return 0;
}

static int add_reset(struct pt_preflight *p, const char *sysroot, const struct pt_inventory *inv,
		     const struct pt_pci_dev *d)
{
	_cleanup_free_ char *path = NULL, *methods = NULL, *found = NULL, *nb = NULL;
	char up[1][PT_BDF_STRLEN];
	struct cfg c;
	size_t cap, n_up = 0;
	bool local = false;
	int r;

	/* A secondary bus reset needs a bridge above the function. */
	if (upstream(sysroot, d->name, up, 1, &n_up) < 0)
		n_up = 0;
	r = pt_host_path(sysroot, &path, "/sys/bus/pci/devices/%s/reset_method", d->name);
	if (r < 0)
		return r;
	if (read_cfg(sysroot, d->name, &c) < 0)
		c.len = 0;
	if ((cap = find_cap(&c, CAP_EXP)) && (cfg32(&c, cap + 4) & (1u << 28))) {
		if (list_add(&found, "FLR (PCIe capability)") < 0)
			return -ENOMEM;
		local = true;
	}
	if ((cap = find_cap(&c, CAP_AF)) && (c.b[cap + 3] & 0x02)) {
		if (list_add(&found, "FLR (AF capability)") < 0)
			return -ENOMEM;
		local = true;
	}
	if ((cap = find_cap(&c, CAP_PM)) && !(cfg16(&c, cap + 4) & 0x08)) {
		if (list_add(&found, "PM D3hot->D0 (No_Soft_Reset clear)") < 0)
			return -ENOMEM;
		local = true;
	}
	r = n_up ? bus_neighbours(inv, d, &nb) : 0;
	if (r < 0)
		return r;
	if (pt_read_text(path, &methods) == 0) {
		/* The kernel's own list, in the order it tries them. */
		local = strstr(methods, "flr") || strstr(methods, "pm") ||
			strstr(methods, "device_specific");
		if (!*methods)
			return pt_preflight_add(p, "reset", PT_RESULT_NO,
						"the guest driver must cope without a reset",
						"no reset method (reset_method is empty)%s%s",
						found ? "; config space shows " : "", found ? found : "");
		return pt_preflight_add(p, "reset", local ? PT_RESULT_YES : PT_RESULT_WARNING,
					local ? NULL : "a bus reset resets every function below "
						       "the same bridge: give the VM all of them",
					"reset_method: %s%s%s%s%s%s", methods,
					found ? " (config space: " : "", found ? found : "",
					found ? ")" : "",
					!local && nb ? "; a bus reset would also reset " : "",
					!local && nb ? nb : "");
	}
	if (local)
		return pt_preflight_add(p, "reset", PT_RESULT_YES, NULL, "%s", found);
	if (!n_up)
		return pt_preflight_add(p, "reset", PT_RESULT_WARNING,
					"the guest driver must cope without a reset",
					"no FLR and no PM reset in config space, and on a root bus no "
					"bus reset either: the device cannot be reset between VMs");
	return pt_preflight_add(p, "reset", PT_RESULT_WARNING,
				"VFIO_DEVICE_RESET can only use a bus reset, if any: give the VM "
				"every function it touches, or expect no reset",
				"no FLR and no PM reset in config space: only a reset of bus "
				"behind %s%s%s", up[0], nb ? ", which would also reset " : "",
				nb ? nb : "");
}

static int add_rom(struct pt_preflight *p, const char *sysroot, const struct pt_pci_dev *d)
{
	_cleanup_free_ char *path = NULL;
	_cleanup_free_ uint8_t *rom = NULL;
	ssize_t n = -1;
	int fd, r;
	bool real = pt_sysroot_is_real(sysroot);
	unsigned pcir, vid, did;

	r = pt_host_path(sysroot, &path, "/sys/bus/pci/devices/%s/rom", d->name);
	if (r < 0)
		return r;
	if (!pt_path_exists(path))
		return pt_preflight_add(p, "rom", PT_RESULT_YES, NULL, "no option ROM BAR");
	rom = malloc(65536);
	if (!rom)
		return -ENOMEM;
	/* The kernel reads a ROM only while "1" is written to the attribute. */
	fd = open(path, (real ? O_RDWR : O_RDONLY) | O_CLOEXEC);
	if (fd >= 0) {
		if (!real || write(fd, "1", 1) == 1) {
			n = pread(fd, rom, 65536, 0);
			if (real && write(fd, "0", 1) != 1)
				n = -1;
		}
		close(fd);
	}
	if (n <= 0)
		return pt_preflight_add(p, "rom", PT_RESULT_UNKNOWN, NULL,
					"%s exists but cannot be read (%s)", path,
					n == 0 ? "empty: no ROM behind the BAR" : strerror(errno));
	if (n < 0x1c || rom[0] != 0x55 || rom[1] != 0xaa)
		return pt_preflight_add(p, "rom", PT_RESULT_WARNING,
					"give the VM a ROM file, or none",
					"option ROM without the 0x55AA signature (%zd bytes read)", n);
	pcir = (unsigned)(rom[0x18] | rom[0x19] << 8);
	if (pcir + 8 > (size_t)n || memcmp(rom + pcir, "PCIR", 4))
		return pt_preflight_add(p, "rom", PT_RESULT_WARNING,
					"give the VM a ROM file, or none",
					"option ROM with no PCIR structure at 0x%x", pcir);
	vid = (unsigned)(rom[pcir + 4] | rom[pcir + 5] << 8);
	did = (unsigned)(rom[pcir + 6] | rom[pcir + 7] << 8);
	if (vid != d->vendor_id || did != d->device_id)
		return pt_preflight_add(p, "rom", PT_RESULT_WARNING,
					"the guest firmware may skip it: give the VM the right ROM "
					"file, or none",
					"option ROM for %04x:%04x, the device is %04x:%04x", vid, did,
					d->vendor_id, d->device_id);
	return pt_preflight_add(p, "rom", PT_RESULT_YES, NULL,
				"option ROM valid: 0x55AA, PCIR at 0x%x for %04x:%04x, %zd bytes read",
				pcir, vid, did, n);
}

int pt_preflight_device(const char *sysroot, const struct pt_inventory *inv,
			const struct pt_pci_dev *d, struct pt_preflight *ret)
{
	int r;

	ret->n = 0;
	r = add_verdict(ret, d);
	if (r == 0)
		r = add_group(ret, d);
	if (r == 0)
		r = add_acs(ret, sysroot, d);
	if (r == 0)
		r = add_reset(ret, sysroot, inv, d);
	if (r == 0)
		r = add_rom(ret, sysroot, d);
	if (r < 0)
		pt_preflight_clear(ret);
	return r;
}

int pt_iommu_group_reserved(const char *sysroot, int group, struct pt_iova_range **ret,
			    size_t *ret_n)
{
	_cleanup_free_ char *path = NULL, *text = NULL;
	struct pt_iova_range *items = NULL;
	char *line, *save = NULL;
	size_t n = 0;
	int r;

	r = pt_host_path(sysroot, &path, "/sys/kernel/iommu_groups/%d/reserved_regions", group);
	if (r < 0)
		return r;
	r = pt_read_text(path, &text);
	if (r < 0)
		return r;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		struct pt_iova_range x = { 0 };
		struct pt_iova_range *m;

		if (sscanf(line, "%" SCNx64 " %" SCNx64 " %23s", &x.start, &x.end, x.type) != 3)
			continue;
		m = reallocarray(items, n + 1, sizeof(*m));
		if (!m) {
			free(items);
			return -ENOMEM;
		}
		items = m;
		items[n++] = x;
	}
	*ret = items;
	*ret_n = n;
	return 0;
}
