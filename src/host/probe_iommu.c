/* Is an IOMMU translating DMA, and has it put the devices into groups? */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "host/probe.h"
#include "host/sysroot.h"

static const char *unit_kind(const char *class_dir, const char *unit)
{
	static const struct {
		const char *subdir, *kind;
	} kinds[] = {
		{ "intel-iommu", "Intel VT-d" },
		{ "amd-iommu", "AMD-Vi" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(kinds); i++) {
		_cleanup_free_ char *p = NULL;

		if (asprintf(&p, "%s/%s/%s", class_dir, unit, kinds[i].subdir) < 0) {
			p = NULL;
			return NULL;
		}
		if (pt_path_exists(p))
			return kinds[i].kind;
	}
	return NULL;
}

static int probe_units(const char *sysroot, struct pt_readiness *r)
{
	_cleanup_free_ char *dir = NULL, *names = NULL;
	const char *kind = NULL;
	struct dirent *e;
	long long n = 0;
	DIR *d;
	int err;

	err = pt_host_path(sysroot, &dir, "/sys/class/iommu");
	if (err < 0)
		return err;
	d = opendir(dir);
	if (!d)
		return pt_probe_set(r, PT_CHECK_IOMMU, PT_RESULT_NO, true, 0,
				    "%s cannot be read (%s): this kernel has no IOMMU support", dir,
				    strerror(errno));
	err = 0;
	while ((e = readdir(d))) {
		char *s;

		if (e->d_name[0] == '.')
			continue;
		if (asprintf(&s, "%s%s%s", names ? names : "", names ? ", " : "", e->d_name) < 0) {
			err = -ENOMEM;
			break;
		}
		free(names);
		names = s;
		if (!kind)
			kind = unit_kind(dir, e->d_name);
		n++;
	}
	closedir(d);
	if (err < 0)
		return err;
	if (!n)
		return pt_probe_set(r, PT_CHECK_IOMMU, PT_RESULT_NO, true, 0,
				    "%s is empty: no IOMMU driver is active; enable VT-d or AMD-Vi "
				    "in the firmware and boot with intel_iommu=on (Intel) or "
				    "amd_iommu=on (AMD)", dir);
	return pt_probe_set(r, PT_CHECK_IOMMU, PT_RESULT_YES, true, n, "%lld unit%s in %s: %s%s%s%s",
			    n, n == 1 ? "" : "s", dir, names, kind ? " (" : "", kind ? kind : "",
			    kind ? ")" : "");
}

static int probe_groups(const char *sysroot, struct pt_readiness *r)
{
	_cleanup_free_ char *dir = NULL;
	struct dirent *e;
	long long n = 0;
	DIR *d;
	int err;

	err = pt_host_path(sysroot, &dir, "/sys/kernel/iommu_groups");
	if (err < 0)
		return err;
	d = opendir(dir);
	if (!d)
		return pt_probe_set(r, PT_CHECK_IOMMU_GROUPS, PT_RESULT_NO, true, 0,
				    "%s cannot be read: %s", dir, strerror(errno));
	while ((e = readdir(d)))
		if (e->d_name[0] >= '0' && e->d_name[0] <= '9')
			n++;
	closedir(d);
	if (!n)
		return pt_probe_set(r, PT_CHECK_IOMMU_GROUPS, PT_RESULT_NO, true, 0,
				    "%s is empty: no device is behind an IOMMU", dir);
	return pt_probe_set(r, PT_CHECK_IOMMU_GROUPS, PT_RESULT_YES, true, n, "%lld group%s in %s",
			    n, n == 1 ? "" : "s", dir);
}

int pt_probe_iommu(const char *sysroot, struct pt_readiness *r)
{
	int err = probe_units(sysroot, r);

	return err < 0 ? err : probe_groups(sysroot, r);
}
