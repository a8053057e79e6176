#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/files.h"
#include "common/log.h"
#include "vfio/group.h"

int pt_vfio_group_open(const struct pt_bdf *bdf)
{
	char name[PT_BDF_STRLEN], link[PATH_MAX], target[PATH_MAX], dev[64];
	const char *slash;
	ssize_t n;
	int fd, e;

	pt_bdf_format(bdf, name);
	snprintf(link, sizeof(link), "/sys/bus/pci/devices/%s/iommu_group", name);
	n = readlink(link, target, sizeof(target) - 1);
	if (n < 0) {
		e = errno;
		if (access("/sys/bus/pci/devices", F_OK) == 0 && e == ENOENT) {
			snprintf(link, sizeof(link), "/sys/bus/pci/devices/%s", name);
			if (access(link, F_OK) < 0)
				pt_err("%s: no such PCI function on this host (passthru-ctl devices "
				       "lists them)", name);
			else
				pt_err("%s is in no IOMMU group: this host has no IOMMU enabled "
				       "(passthru-ctl check says why)", name);
		} else {
			pt_err("%s: %s: %s", name, link, strerror(e));
		}
		return -ENODEV;
	}
	target[n] = 0;
	slash = strrchr(target, '/');
	snprintf(dev, sizeof(dev), "/dev/vfio/%.40s", slash ? slash + 1 : target);
	fd = open(dev, O_RDWR | O_CLOEXEC);
	if (fd >= 0)
		return fd;
	e = errno;
	if (e == ENOENT)
		pt_err("%s: %s does not exist: the function is not bound to vfio-pci (passthru-ctl "
		       "prepare %s)", name, dev, name);
	else if (e == EBUSY)
		pt_err("%s: %s is open in another process (another VM has this group)", name, dev);
	else
		pt_err("%s: %s: %s", name, dev, strerror(e));
	return -e;
}

int pt_vfio_group_number(const struct pt_bdf *bdf)
{
	char name[PT_BDF_STRLEN], link[96];

	pt_bdf_format(bdf, name);
	snprintf(link, sizeof(link), "/sys/bus/pci/devices/%s/iommu_group", name);
	return pt_link_number(link);
}
