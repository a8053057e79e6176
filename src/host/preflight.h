/*
 * passthru-ctl check BDF: every reason one function could fail in a VM, found
 * before anything is changed, each with its evidence and the fix. Shares the
 * inventory's verdicts (host/verdict.c) and adds what only matters for one device:
 * the upstream path and ACS, reset methods, the option ROM.
 */
#ifndef PT_HOST_PREFLIGHT_H
#define PT_HOST_PREFLIGHT_H

#include <stddef.h>
#include <stdint.h>

#include "host/inventory.h"
#include "host/readiness.h"

#define PT_PREFLIGHT_MAX 16

struct pt_finding {
	const char *key;             /* stable JSON key: "verdict", "group", "acs", ... */
	enum pt_check_result result; /* yes: fine; no: it will fail; warning: a risk */
	char *evidence;              /* never NULL */
	char *fix;                   /* what to do, NULL when nothing */
};

struct pt_preflight {
	size_t n;
	struct pt_finding items[PT_PREFLIGHT_MAX];
};

/*
 * The device findings for d (verdict, group, acs, reset, rom), in that order.
 * Reads sysfs and config space only; an option ROM is read through the rom
 * attribute, which the kernel needs enabled ("1") while it is read and disabled
 * again after: on the real root only. 0 or -ENOMEM.
 */
int pt_preflight_device(const char *sysroot, const struct pt_inventory *inv,
			const struct pt_pci_dev *d, struct pt_preflight *ret);

/* Adds a finding (fix may be NULL). 0, -ENOSPC or -ENOMEM. */
int pt_preflight_add(struct pt_preflight *p, const char *key, enum pt_check_result result,
		     const char *fix, const char *fmt, ...) __attribute__((format(printf, 5, 6)));

void pt_preflight_clear(struct pt_preflight *p);

/* An IOVA range the IOMMU keeps for itself (iommu_groups/N/reserved_regions). */
struct pt_iova_range {
	uint64_t start, end; /* inclusive */
	char type[24];       /* "msi", "direct", "reserved", ... */
};

/* The reserved regions of group. 0 (n may be 0), or -errno. */
int pt_iommu_group_reserved(const char *sysroot, int group, struct pt_iova_range **ret,
			    size_t *ret_n);

#endif
