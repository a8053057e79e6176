/*
 * Every host path passthru reads goes through a sysroot ("/" on a real host, a fixture
 * tree in tests), as util-linux's lsblk --sysroot does: /sys, /proc/self/mountinfo,
 * /dev, /run and /lib/modules are all looked up under it.
 */
#ifndef PT_HOST_SYSROOT_H
#define PT_HOST_SYSROOT_H

#include <stdbool.h>

/* NULL or "" mean the real root. */
#define PT_SYSROOT_DEFAULT "/"

/*
 * Joins the sysroot and an absolute path built from fmt: ("/", "/sys/x") gives "/sys/x",
 * ("/tmp/fix", "/sys/x") gives "/tmp/fix/sys/x". Returns 0 or -ENOMEM.
 */
int pt_host_path(const char *sysroot, char **ret, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* True when the sysroot is the real root (no prefix). */
bool pt_sysroot_is_real(const char *sysroot);

/*
 * Reads a small text file (sysfs attribute, /proc file) whole, without the trailing
 * newline. Returns 0 or -errno (-EFBIG past 1 MiB).
 */
int pt_read_text(const char *path, char **ret);

/* The last component of a symlink's target ("driver" -> "vfio-pci"). 0 or -errno. */
int pt_read_link_name(const char *path, char **ret);

/* An integer attribute ("0x1af4", "12", "-1"), whole file. 0, -errno or -EINVAL. */
int pt_read_long(const char *path, long *ret);

/* True if the path exists (lstat), without following a final symlink. */
bool pt_path_exists(const char *path);

#endif
