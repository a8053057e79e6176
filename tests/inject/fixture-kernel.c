/*
 * fixture-kernel.so: the kernel's side of PCI driver binding for a fixture sysroot
 * (tests/fixtures/mksysroot.py bindable), preloaded into passthru-ctl --sysroot so that
 * prepare, release and recover run to their end without a kernel: a write(2) to
 *   ROOT/sys/bus/pci/drivers/DRIVER/unbind      unbinds the function written
 *   ROOT/sys/bus/pci/drivers/DRIVER/bind        binds it (no driver, override unset or DRIVER)
 *   ROOT/sys/bus/pci/drivers_probe              binds it to its driver_override, if any
 *   ROOT/sys/devices/.../BDF/driver_override    sets it ("\n" clears it to "(null)")
 * does what the kernel does to the tree: the driver link and the driver's link back,
 * written relative as mksysroot.py writes them, and /dev/vfio/GROUP while a member of
 * the group is on vfio-pci. Errors are the kernel's: ENODEV, EBUSY. ROOT comes from
 * PT_FIXTURE_ROOT; every other write passes through.
 *
 * Its own file operations are raw system calls and it never allocates: preloaded after
 * fail-nth.so (LD_PRELOAD="fail-nth.so fixture-kernel.so"), none of its work is
 * counted as the program's, and the program's write is counted (and may fail) before
 * it gets here, as a real write fails before the kernel acts.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define VFIO "vfio-pci"

struct linux_dirent64 {
	unsigned long long d_ino;
	long long d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

static const char *root(void)
{
	static char buf[PATH_MAX];
	static int done;

	if (!done) {
		const char *r = getenv("PT_FIXTURE_ROOT");

		snprintf(buf, sizeof(buf), "%s", r ? r : "");
		while (strlen(buf) > 1 && buf[strlen(buf) - 1] == '/')
			buf[strlen(buf) - 1] = '\0';
		done = 1;
	}
	return buf;
}

static bool exists(const char *path)
{
	struct stat st;

	return syscall(SYS_newfstatat, AT_FDCWD, path, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

static long read_link(const char *path, char *buf, size_t size)
{
	long n = syscall(SYS_readlinkat, AT_FDCWD, path, buf, size - 1);

	if (n >= 0)
		buf[n] = '\0';
	return n;
}

/* Removes "." and ".." from an absolute path, in place (no symlink in between). */
static void normalize(char *path)
{
	char out[PATH_MAX] = "";
	char *save, *part;
	size_t len = 0;

	for (part = strtok_r(path, "/", &save); part; part = strtok_r(NULL, "/", &save)) {
		if (!strcmp(part, "."))
			continue;
		if (!strcmp(part, "..")) {
			while (len > 0 && out[len - 1] != '/')
				len--;
			if (len > 0)
				len--;
			out[len] = '\0';
			continue;
		}
		len += (size_t)snprintf(out + len, sizeof(out) - len, "/%s", part);
	}
	snprintf(path, PATH_MAX, "%s", len ? out : "/");
}

/* The directory the link at path points to, absolute and normalized. */
static int resolve_link(const char *path, char *ret)
{
	char target[PATH_MAX], dir[PATH_MAX];

	if (read_link(path, target, sizeof(target)) < 0)
		return -1;
	if (target[0] == '/') {
		snprintf(ret, PATH_MAX, "%s", target);
	} else {
		snprintf(dir, sizeof(dir), "%s", path);
		*strrchr(dir, '/') = '\0';
		snprintf(ret, PATH_MAX, "%s/%s", dir, target);
	}
	normalize(ret);
	return 0;
}

/* A symlink at link to the absolute target, written relative to link's directory. */
static int link_relative(const char *target, const char *link)
{
	char from[PATH_MAX], rel[PATH_MAX] = "";
	size_t common = 0, len = 0;
	const char *rest;

	snprintf(from, sizeof(from), "%s", link);
	*strrchr(from, '/') = '\0';
	/* The longest common leading components. */
	for (size_t i = 0;; i++) {
		bool end_f = from[i] == '\0' || from[i] == '/', end_t = target[i] == '\0' || target[i] == '/';

		if (end_f && end_t)
			common = i;
		if (from[i] != target[i] || from[i] == '\0')
			break;
	}
	for (const char *p = from + common; *p; p++)
		if (*p == '/')
			len += (size_t)snprintf(rel + len, sizeof(rel) - len, "../");
	rest = target + common;
	if (*rest == '/')
		rest++;
	snprintf(rel + len, sizeof(rel) - len, "%s", rest);
	return (int)syscall(SYS_symlinkat, rel, AT_FDCWD, link);
}

static int dev_dir(const char *bdf, char *ret)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/sys/bus/pci/devices/%s", root(), bdf);
	return resolve_link(path, ret);
}

/* The name of the driver bound to the device at dev, or "" */
static void cur_driver(const char *dev, char *ret, size_t size)
{
	char path[PATH_MAX], target[PATH_MAX];
	const char *slash;

	snprintf(path, sizeof(path), "%s/driver", dev);
	if (read_link(path, target, sizeof(target)) < 0) {
		*ret = '\0';
		return;
	}
	slash = strrchr(target, '/');
	snprintf(ret, size, "%s", slash ? slash + 1 : target);
}

static void cur_override(const char *dev, char *ret, size_t size)
{
	char path[PATH_MAX];
	ssize_t n;
	int fd;

	*ret = '\0';
	snprintf(path, sizeof(path), "%s/driver_override", dev);
	fd = (int)syscall(SYS_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	n = syscall(SYS_read, fd, ret, size - 1);
	syscall(SYS_close, fd);
	if (n < 0)
		n = 0;
	ret[n] = '\0';
	ret[strcspn(ret, "\n")] = '\0';
	if (!strcmp(ret, "(null)"))
		*ret = '\0';
}

static int group_of(const char *dev)
{
	char path[PATH_MAX], target[PATH_MAX];
	const char *slash;

	snprintf(path, sizeof(path), "%s/iommu_group", dev);
	if (read_link(path, target, sizeof(target)) < 0)
		return -1;
	slash = strrchr(target, '/');
	return atoi(slash ? slash + 1 : target);
}

/* Whether a function of group g other than bdf is bound to vfio-pci. */
static bool group_on_vfio(int g, const char *bdf)
{
	char dir[PATH_MAX], buf[4096];
	bool found = false;
	long n;
	int fd;

	snprintf(dir, sizeof(dir), "%s/sys/kernel/iommu_groups/%d/devices", root(), g);
	fd = (int)syscall(SYS_openat, AT_FDCWD, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return false;
	while (!found && (n = syscall(SYS_getdents64, fd, buf, sizeof(buf))) > 0) {
		for (long off = 0; off < n && !found;) {
			struct linux_dirent64 *e = (void *)(buf + off);
			char dev[PATH_MAX], drv[NAME_MAX + 1];

			off += e->d_reclen;
			if (e->d_name[0] == '.' || !strcmp(e->d_name, bdf) || dev_dir(e->d_name, dev))
				continue;
			cur_driver(dev, drv, sizeof(drv));
			found = !strcmp(drv, VFIO);
		}
	}
	syscall(SYS_close, fd);
	return found;
}

static void vfio_node(int g, bool present)
{
	char node[PATH_MAX];

	if (g < 0)
		return;
	snprintf(node, sizeof(node), "%s/dev/vfio/%d", root(), g);
	if (present)
		syscall(SYS_close, (int)syscall(SYS_openat, AT_FDCWD, node,
						O_WRONLY | O_CREAT | O_CLOEXEC, 0600));
	else
		syscall(SYS_unlinkat, AT_FDCWD, node, 0);
}

static int do_bind(const char *bdf, const char *driver)
{
	char dev[PATH_MAX], drvdir[PATH_MAX], link[PATH_MAX], cur[NAME_MAX + 1];

	snprintf(drvdir, sizeof(drvdir), "%s/sys/bus/pci/drivers/%s", root(), driver);
	if (dev_dir(bdf, dev) < 0 || !exists(drvdir))
		return -ENODEV;
	cur_driver(dev, cur, sizeof(cur));
	if (*cur)
		return -EBUSY;
	snprintf(link, sizeof(link), "%s/driver", dev);
	if (link_relative(drvdir, link) < 0)
		return -errno;
	snprintf(link, sizeof(link), "%s/%s", drvdir, bdf);
	if (link_relative(dev, link) < 0)
		return -errno;
	if (!strcmp(driver, VFIO))
		vfio_node(group_of(dev), true);
	return 0;
}

static int do_unbind(const char *bdf, const char *driver)
{
	char dev[PATH_MAX], link[PATH_MAX], cur[NAME_MAX + 1];
	int g;

	if (dev_dir(bdf, dev) < 0)
		return -ENODEV;
	cur_driver(dev, cur, sizeof(cur));
	if (strcmp(cur, driver))
		return -ENODEV;
	snprintf(link, sizeof(link), "%s/driver", dev);
	syscall(SYS_unlinkat, AT_FDCWD, link, 0);
	snprintf(link, sizeof(link), "%s/sys/bus/pci/drivers/%s/%s", root(), driver, bdf);
	syscall(SYS_unlinkat, AT_FDCWD, link, 0);
	g = group_of(dev);
	if (!strcmp(driver, VFIO) && !group_on_vfio(g, bdf))
		vfio_node(g, false);
	return 0;
}

static int do_probe(const char *bdf)
{
	char dev[PATH_MAX], cur[NAME_MAX + 1], ovr[NAME_MAX + 1];

	if (dev_dir(bdf, dev) < 0)
		return -ENODEV;
	cur_driver(dev, cur, sizeof(cur));
	cur_override(dev, ovr, sizeof(ovr));
	if (*cur || !*ovr)
		return 0; /* bound already, or nothing in this fixture matches its IDs */
	return do_bind(bdf, ovr) == -EBUSY ? -EBUSY : 0;
}

static int do_override(int fd, const char *value)
{
	char text[NAME_MAX + 2];
	size_t len;

	len = (size_t)snprintf(text, sizeof(text), "%s\n", *value ? value : "(null)");
	if (syscall(SYS_ftruncate, fd, 0) < 0 || syscall(SYS_pwrite64, fd, text, len, 0) < 0)
		return -errno;
	return 0;
}

/* 1: the kernel's write (result in *ret), 0: not one of its files. */
static int kernel_write(int fd, const char *buf, size_t len, ssize_t *ret)
{
	char link[64], path[PATH_MAX], arg[NAME_MAX + 1], driver[NAME_MAX + 1];
	const char *r = root(), *tail, *slash;
	size_t rlen = strlen(r);
	int err;

	if (!rlen || len >= sizeof(arg))
		return 0;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	if (read_link(link, path, sizeof(path)) < 0 || strncmp(path, r, rlen) ||
	    path[rlen] != '/')
		return 0;
	tail = path + rlen;
	memcpy(arg, buf, len);
	arg[len] = '\0';
	arg[strcspn(arg, "\n")] = '\0';
	if (!strcmp(tail, "/sys/bus/pci/drivers_probe")) {
		err = do_probe(arg);
	} else if (!strncmp(tail, "/sys/bus/pci/drivers/", 21) &&
		   (slash = strchr(tail + 21, '/')) &&
		   (!strcmp(slash, "/bind") || !strcmp(slash, "/unbind"))) {
		snprintf(driver, sizeof(driver), "%.*s", (int)(slash - tail - 21), tail + 21);
		err = !strcmp(slash, "/bind") ? do_bind(arg, driver) : do_unbind(arg, driver);
	} else if (!strncmp(tail, "/sys/devices/", 13) &&
		   (slash = strrchr(tail, '/')) && !strcmp(slash, "/driver_override")) {
		err = do_override(fd, arg);
	} else {
		return 0;
	}
	if (err < 0) {
		errno = -err;
		*ret = -1;
	} else {
		*ret = (ssize_t)len;
	}
	return 1;
}

static ssize_t (*real_write)(int, const void *, size_t);

/* Before main(): what dlsym allocates is nobody's to count. */
__attribute__((constructor)) static void init(void)
{
	real_write = (ssize_t (*)(int, const void *, size_t))dlsym(RTLD_NEXT, "write");
	root();
}

ssize_t write(int fd, const void *buf, size_t len)
{
	ssize_t ret;

	if (kernel_write(fd, buf, len, &ret))
		return ret;
	return real_write(fd, buf, len);
}
