#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "host/mounts.h"
#include "host/sysroot.h"

/* Device-mapper over md over partitions is three levels; allow some more. */
#define MAX_STACK_DEPTH 8

struct mount_list {
	struct pt_pci_mount *items;
	size_t n, cap;
};

void pt_mountinfo_unescape(char *s)
{
	char *out = s;

	while (*s) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*out++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 4;
		} else {
			*out++ = *s++;
		}
	}
	*out = '\0';
}

void pt_pci_mounts_free(struct pt_pci_mount *m, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(m[i].mountpoint);
		free(m[i].blockdev);
	}
	free(m);
}

static int list_add(struct mount_list *l, enum pt_host_use kind, const struct pt_bdf *bdf,
		    const char *mountpoint, const char *blockdev)
{
	struct pt_pci_mount *m;

	for (size_t i = 0; i < l->n; i++)
		if (l->items[i].kind == kind && pt_bdf_equal(&l->items[i].bdf, bdf) &&
		    !strcmp(l->items[i].mountpoint, mountpoint))
			return 0; /* the same disk reached twice through a stack */
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 8;

		m = reallocarray(l->items, cap, sizeof(*m));
		if (!m)
			return -ENOMEM;
		l->items = m;
		l->cap = cap;
	}
	m = &l->items[l->n];
	m->bdf = *bdf;
	m->kind = kind;
	m->mountpoint = strdup(mountpoint);
	m->blockdev = strdup(blockdev);
	if (!m->mountpoint || !m->blockdev) {
		free(m->mountpoint);
		free(m->blockdev);
		return -ENOMEM;
	}
	l->n++;
	return 0;
}

/*
 * devdir is a resolved sysfs block device directory. Adds the PCI function(s) below it.
 */
static int add_backing_pci(const char *sysroot, enum pt_host_use kind, const char *devdir,
			   int depth, const char *mountpoint, const char *blockdev,
			   struct mount_list *l)
{
	_cleanup_free_ char *slaves = NULL;
	_cleanup_free_ char *walk = NULL;
	DIR *d;
	int r = 0;
	bool stacked = false;

	if (depth > MAX_STACK_DEPTH)
		return 0;
	if (asprintf(&slaves, "%s/slaves", devdir) < 0) {
		slaves = NULL;
		return -ENOMEM;
	}
	d = opendir(slaves);
	if (d) {
		struct dirent *e;

		while ((e = readdir(d)) && r >= 0) {
			_cleanup_free_ char *link = NULL;
			char below[PATH_MAX];

			if (e->d_name[0] == '.')
				continue;
			stacked = true;
			if (asprintf(&link, "%s/%s", slaves, e->d_name) < 0) {
				link = NULL;
				r = -ENOMEM;
				break;
			}
			if (!realpath(link, below))
				continue;
			r = add_backing_pci(sysroot, kind, below, depth + 1, mountpoint, blockdev,
					    l);
		}
		closedir(d);
		if (r < 0 || stacked)
			return r;
	}

	/* Walk up from the block device to the nearest PCI function. */
	walk = strdup(devdir);
	if (!walk)
		return -ENOMEM;
	for (;;) {
		char *slash = strrchr(walk, '/');
		const char *base;
		struct pt_bdf bdf;

		if (!slash || slash == walk)
			return 0;
		base = slash + 1;
		if (!strcmp(base, "devices"))
			return 0;
		if (pt_bdf_is_canonical(base) && pt_bdf_parse(base, &bdf, NULL) == 0) {
			_cleanup_free_ char *bus = NULL;

			r = pt_host_path(sysroot, &bus, "/sys/bus/pci/devices/%s", base);
			if (r < 0)
				return r;
			if (pt_path_exists(bus))
				return list_add(l, kind, &bdf, mountpoint, blockdev);
		}
		*slash = '\0';
	}
}

/*
 * A virtio filesystem share (9p, virtiofs) has no block device: its mount source is the
 * share's tag, which the transport device exposes in sysfs. Finds that device's directory.
 */
static int virtio_share_dir(const char *sysroot, const char *fstype, const char *tag,
			    char resolved[PATH_MAX])
{
	_cleanup_free_ char *dir = NULL;
	bool is_9p = !strcmp(fstype, "9p");
	struct dirent *e;
	DIR *d;
	int r;

	/* 9p: the virtio device's mount_tag; virtiofs: /sys/fs/virtiofs/N/{tag,device}. */
	r = pt_host_path(sysroot, &dir, is_9p ? "/sys/bus/virtio/devices" : "/sys/fs/virtiofs");
	if (r < 0)
		return r;
	d = opendir(dir);
	if (!d)
		return 0;
	r = 0;
	while ((e = readdir(d))) {
		_cleanup_free_ char *attr = NULL, *text = NULL, *dev = NULL;

		if (e->d_name[0] == '.')
			continue;
		if (asprintf(&attr, "%s/%s/%s", dir, e->d_name, is_9p ? "mount_tag" : "tag") < 0 ||
		    asprintf(&dev, "%s/%s%s", dir, e->d_name, is_9p ? "" : "/device") < 0) {
			r = -ENOMEM;
			break;
		}
		/* mount_tag is NUL-terminated in sysfs: strcmp stops there. */
		if (pt_read_text(attr, &text) < 0 || strcmp(text, tag))
			continue;
		if (realpath(dev, resolved))
			r = 1;
		break;
	}
	closedir(d);
	return r;
}

static int handle_line(const char *sysroot, char *line, struct mount_list *l)
{
	_cleanup_free_ char *link = NULL;
	char resolved[PATH_MAX];
	unsigned major, minor;
	char *fields[5], *save = NULL, *p = line, *fstype = NULL, *source = NULL, *tok;
	const char *base;
	int r;

	for (int i = 0; i < 5; i++) {
		fields[i] = strtok_r(p, " ", &save);
		p = NULL;
		if (!fields[i])
			return 0; /* malformed line: nothing to learn from it */
	}
	/* Optional fields end with "-", then the filesystem type and the source. */
	while ((tok = strtok_r(NULL, " ", &save)))
		if (!strcmp(tok, "-")) {
			fstype = strtok_r(NULL, " ", &save);
			source = fstype ? strtok_r(NULL, " ", &save) : NULL;
			break;
		}
	if (sscanf(fields[2], "%u:%u", &major, &minor) != 2)
		return 0;
	pt_mountinfo_unescape(fields[4]);
	if (major == 0) {
		_cleanup_free_ char *name = NULL;

		if (!fstype || !source || (strcmp(fstype, "9p") && strcmp(fstype, "virtiofs")))
			return 0;
		pt_mountinfo_unescape(source);
		r = virtio_share_dir(sysroot, fstype, source, resolved);
		if (r <= 0)
			return r;
		if (asprintf(&name, "%s tag %s", fstype, source) < 0) {
			name = NULL;
			return -ENOMEM;
		}
		return add_backing_pci(sysroot, PT_USE_MOUNT, resolved, 0, fields[4], name, l);
	}
	r = pt_host_path(sysroot, &link, "/sys/dev/block/%u:%u", major, minor);
	if (r < 0)
		return r;
	if (!realpath(link, resolved))
		return 0; /* not a block device sysfs knows */
	base = strrchr(resolved, '/');
	base = base ? base + 1 : resolved;
	return add_backing_pci(sysroot, PT_USE_MOUNT, resolved, 0, fields[4], base, l);
}

/* /proc/swaps: "Filename Type Size Used Priority", partitions named by their /dev path. */
static int add_swaps(const char *sysroot, struct mount_list *l)
{
	_cleanup_free_ char *path = NULL, *text = NULL;
	char *line, *save = NULL;
	int r;

	r = pt_host_path(sysroot, &path, "/proc/swaps");
	if (r < 0)
		return r;
	if (pt_read_text(path, &text) < 0)
		return 0;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		_cleanup_free_ char *link = NULL;
		char name[PATH_MAX], type[32], resolved[PATH_MAX];
		const char *base;

		if (sscanf(line, "%4095s %31s", name, type) != 2 || strcmp(type, "partition"))
			continue; /* the header, or a swap file (its filesystem's mount counts) */
		pt_mountinfo_unescape(name);
		base = strrchr(name, '/');
		base = base ? base + 1 : name;
		r = pt_host_path(sysroot, &link, "/sys/class/block/%s", base);
		if (r < 0)
			return r;
		if (!realpath(link, resolved))
			continue;
		r = add_backing_pci(sysroot, PT_USE_SWAP, resolved, 0, name, base, l);
		if (r < 0)
			return r;
	}
	return 0;
}

/* Block devices with holders (LVM, md, dm-crypt members), whether mounted or not. */
static int add_holders(const char *sysroot, struct mount_list *l)
{
	_cleanup_free_ char *dir = NULL;
	struct dirent *e;
	DIR *d;
	int r = 0;

	r = pt_host_path(sysroot, &dir, "/sys/class/block");
	if (r < 0)
		return r;
	d = opendir(dir);
	if (!d)
		return 0;
	while (r >= 0 && (e = readdir(d))) {
		_cleanup_free_ char *holders = NULL;
		char resolved[PATH_MAX];
		struct dirent *h;
		DIR *hd;

		if (e->d_name[0] == '.')
			continue;
		if (asprintf(&holders, "%s/%s/holders", dir, e->d_name) < 0) {
			holders = NULL;
			r = -ENOMEM;
			break;
		}
		hd = opendir(holders);
		if (!hd)
			continue;
		while ((h = readdir(hd)) && h->d_name[0] == '.')
			;
		if (h && realpath(holders, resolved)) {
			*strrchr(resolved, '/') = '\0'; /* the member's own directory */
			r = add_backing_pci(sysroot, PT_USE_HOLDER, resolved, 0,
					    h->d_name, e->d_name, l);
		}
		closedir(hd);
	}
	closedir(d);
	return r;
}

/* The interface of a default route in /proc/net/route or /proc/net/ipv6_route. */
static int add_default_routes(const char *sysroot, struct mount_list *l)
{
	static const char *const files[] = { "/proc/net/route", "/proc/net/ipv6_route" };

	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		_cleanup_free_ char *path = NULL, *text = NULL;
		char *line, *save = NULL;
		int r;

		r = pt_host_path(sysroot, &path, "%s", files[i]);
		if (r < 0)
			return r;
		if (pt_read_text(path, &text) < 0)
			continue;
		for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
			_cleanup_free_ char *link = NULL;
			char iface[64], dest[40], mask[40], resolved[PATH_MAX];
			bool is_default;

			if (i == 0) {
				/* Iface Destination Gateway Flags RefCnt Use Metric Mask ... */
				is_default = sscanf(line, "%63s %39s %*s %*s %*s %*s %*s %39s", iface,
						    dest, mask) == 3 &&
					     !strcmp(dest, "00000000") && !strcmp(mask, "00000000");
			} else {
				/* dest plen src plen next-hop metric refcnt use flags iface */
				is_default = sscanf(line, "%39s %39s %*s %*s %*s %*s %*s %*s %*s %63s",
						    dest, mask, iface) == 3 &&
					     !strcmp(dest, "00000000000000000000000000000000") &&
					     !strcmp(mask, "00") && strcmp(iface, "lo");
			}
			if (!is_default)
				continue;
			r = pt_host_path(sysroot, &link, "/sys/class/net/%s/device", iface);
			if (r < 0)
				return r;
			if (!realpath(link, resolved))
				continue; /* a virtual interface: no device below it */
			r = add_backing_pci(sysroot, PT_USE_DEFAULT_ROUTE, resolved, 0,
					    i == 0 ? "IPv4" : "IPv6", iface, l);
			if (r < 0)
				return r;
		}
	}
	return 0;
}

int pt_mounts_on_pci(const char *sysroot, struct pt_pci_mount **ret, size_t *ret_n)
{
	_cleanup_free_ char *path = NULL;
	_cleanup_fclose_ FILE *f = NULL;
	_cleanup_free_ char *line = NULL;
	struct mount_list l = { 0 };
	size_t cap = 0;
	int r;

	r = pt_host_path(sysroot, &path, "/proc/self/mountinfo");
	if (r < 0)
		return r;
	f = fopen(path, "re");
	if (!f)
		return -errno;
	while (getline(&line, &cap, f) > 0) {
		line[strcspn(line, "\n")] = '\0';
		r = handle_line(sysroot, line, &l);
		if (r < 0) {
			pt_pci_mounts_free(l.items, l.n);
			return r;
		}
	}
	r = add_swaps(sysroot, &l);
	if (r == 0)
		r = add_holders(sysroot, &l);
	if (r == 0)
		r = add_default_routes(sysroot, &l);
	if (r < 0) {
		pt_pci_mounts_free(l.items, l.n);
		return r;
	}
	*ret = l.items;
	*ret_n = l.n;
	return 0;
}
