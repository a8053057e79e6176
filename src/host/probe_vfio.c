/* vfio-pci (loaded, or installed as a module) and the VFIO container device. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/vfio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "host/probe.h"
#include "host/sysroot.h"

/* The line of modules.dep or modules.builtin that names vfio-pci.ko[.xz|.zst|.gz]. */
static bool module_listed(const char *path, char *found, size_t size)
{
	_cleanup_free_ char *text = NULL;
	char *line, *save = NULL;

	if (pt_read_text(path, &text) < 0)
		return false;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *colon = strchr(line, ':');
		char *base;

		if (colon)
			*colon = '\0';
		base = strrchr(line, '/');
		base = base ? base + 1 : line;
		if (!strncmp(base, "vfio-pci.ko", 11) || !strncmp(base, "vfio_pci.ko", 11)) {
			snprintf(found, size, "%s", line);
			return true;
		}
	}
	return false;
}

static int probe_driver(const char *sysroot, struct pt_readiness *r)
{
	_cleanup_free_ char *drv = NULL, *moddir = NULL, *dep = NULL, *builtin = NULL;
	char found[256];
	struct utsname u;
	int err;

	err = pt_host_path(sysroot, &drv, "/sys/bus/pci/drivers/vfio-pci");
	if (err < 0)
		return err;
	if (pt_path_exists(drv))
		return pt_probe_set(r, PT_CHECK_VFIO_PCI, PT_RESULT_YES, false, 0,
				    "loaded: %s exists", drv);
	if (uname(&u) < 0)
		return pt_probe_set(r, PT_CHECK_VFIO_PCI, PT_RESULT_UNKNOWN, false, 0,
				    "not loaded, and uname failed: %s", strerror(errno));
	err = pt_host_path(sysroot, &moddir, "/lib/modules/%s", u.release);
	if (err == 0)
		err = pt_host_path(sysroot, &dep, "/lib/modules/%s/modules.dep", u.release);
	if (err == 0)
		err = pt_host_path(sysroot, &builtin, "/lib/modules/%s/modules.builtin", u.release);
	if (err < 0)
		return err;
	if (module_listed(dep, found, sizeof(found)))
		return pt_probe_set(r, PT_CHECK_VFIO_PCI, PT_RESULT_YES, false, 0,
				    "not loaded, but installed as %s/%s (modprobe vfio-pci)", moddir,
				    found);
	if (module_listed(builtin, found, sizeof(found)))
		return pt_probe_set(r, PT_CHECK_VFIO_PCI, PT_RESULT_NO, false, 0,
				    "built into the kernel (%s) but %s does not exist", found, drv);
	if (!pt_path_exists(moddir))
		return pt_probe_set(r, PT_CHECK_VFIO_PCI, PT_RESULT_NO, false, 0,
				    "not loaded (%s does not exist), and %s does not exist, so it "
				    "cannot be loaded", drv, moddir);
	return pt_probe_set(r, PT_CHECK_VFIO_PCI, PT_RESULT_NO, false, 0,
			    "not loaded, and %s lists no vfio-pci module", dep);
}

static int probe_container(const char *sysroot, struct pt_readiness *r)
{
	_cleanup_free_ char *path = NULL;
	_cleanup_close_ int fd = -1;
	struct stat st;
	int err, api, type1;

	err = pt_host_path(sysroot, &path, "/dev/vfio/vfio");
	if (err < 0)
		return err;
	if (stat(path, &st) < 0)
		return pt_probe_set(r, PT_CHECK_VFIO_CONTAINER, PT_RESULT_NO, false, 0,
				    "%s %s%s", path,
				    errno == ENOENT ? "does not exist" : strerror(errno),
				    errno == ENOENT ? ": the vfio module is not loaded "
						      "(modprobe vfio-pci loads it)" : "");
	if (!S_ISCHR(st.st_mode))
		return pt_probe_set(r, PT_CHECK_VFIO_CONTAINER, PT_RESULT_NO, false, 0,
				    "%s is not a character device", path);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return pt_probe_set(r, PT_CHECK_VFIO_CONTAINER, PT_RESULT_NO, false, 0,
				    "%s cannot be opened: %s", path, strerror(errno));
	api = ioctl(fd, VFIO_GET_API_VERSION);
	if (api != VFIO_API_VERSION)
		return pt_probe_set(r, PT_CHECK_VFIO_CONTAINER, PT_RESULT_NO, false, 0,
				    "%s: VFIO_GET_API_VERSION = %d, expected %d", path, api,
				    VFIO_API_VERSION);
	type1 = ioctl(fd, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU);
	if (type1 <= 0)
		return pt_probe_set(r, PT_CHECK_VFIO_CONTAINER, PT_RESULT_NO, false, 0,
				    "%s: VFIO API %d, but no Type1v2 IOMMU backend "
				    "(vfio_iommu_type1 not loaded?)", path, api);
	return pt_probe_set(r, PT_CHECK_VFIO_CONTAINER, PT_RESULT_YES, false, 0,
			    "%s: VFIO API %d with the Type1v2 IOMMU backend", path, api);
}

/*
 * The newer interface beside the container one: /dev/iommu (iommufd, Linux 6.2+) and
 * VFIO device cdevs under /dev/vfio/devices (6.6+). passthru uses the container
 * interface; this only says whether the host could take the other path.
 */
static int probe_iommufd(const char *sysroot, struct pt_readiness *r)
{
	_cleanup_free_ char *iommu = NULL, *cdevs = NULL;
	bool has_iommu, has_cdevs;
	int err;

	err = pt_host_path(sysroot, &iommu, "/dev/iommu");
	if (err == 0)
		err = pt_host_path(sysroot, &cdevs, "/dev/vfio/devices");
	if (err < 0)
		return err;
	has_iommu = pt_path_exists(iommu);
	has_cdevs = pt_path_exists(cdevs);
	return pt_probe_set(r, PT_CHECK_IOMMUFD, has_iommu && has_cdevs ? PT_RESULT_YES
								     : PT_RESULT_NO, false, 0,
			    "%s %s, %s %s (passthru uses /dev/vfio/vfio containers; iommufd "
			    "with VFIO device cdevs is the Linux 6.2+/6.6+ path beside it)", iommu,
			    has_iommu ? "exists" : "does not exist", cdevs,
			    has_cdevs ? "exists" : "does not exist");
}

int pt_probe_vfio(const char *sysroot, struct pt_readiness *r)
{
	int err = probe_driver(sysroot, r);

	if (err == 0)
		err = probe_container(sysroot, r);
	return err < 0 ? err : probe_iommufd(sysroot, r);
}
