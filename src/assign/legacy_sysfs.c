/*
 * The legacy backend's view of the device: config space through sysfs "config", BARs
 * through "resourceN" (mmap for memory BARs, pread/pwrite for I/O BARs), their sizes
 * from "resource", function reset through "reset". Every path is under a sysroot, so
 * a fixture tree stands in for /sys in tests.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "common/log.h"
#include "assign/legacy_impl.h"

/* Linux's IORESOURCE_* bits in the third column of sysfs "resource". */
#define IORESOURCE_IO 0x00000100ull
#define IORESOURCE_MEM 0x00000200ull
#define IORESOURCE_PREFETCH 0x00002000ull
#define IORESOURCE_MEM_64 0x00100000ull

#define PCI_CONFIG_SIZE_MAX 4096u

static int parse_resource_table(struct legacy_dev *ld)
{
	char *path = NULL, line[128];
	unsigned index = 0;
	FILE *f;
	int r = 0;

	if (asprintf(&path, "%s/resource", ld->sysfs) < 0)
		return -ENOMEM;
	f = fopen(path, "re");
	if (!f) {
		r = -errno;
		pt_err("%s: cannot read its BARs from %s: %m", ld->base.name, path);
		free(path);
		return r;
	}
	while (index < PT_ASSIGN_REGIONS && fgets(line, sizeof(line), f)) {
		unsigned long long start, end, flags;
		struct pt_assign_region *info = &ld->regions[index].info;

		if (sscanf(line, "%llx %llx %llx", &start, &end, &flags) != 3) {
			pt_err("%s: %s line %u is not \"start end flags\": %s", ld->base.name, path,
			       index + 1, line);
			r = -EBADMSG;
			break;
		}
		*info = (struct pt_assign_region){ 0 };
		if (end > start && (flags & (IORESOURCE_IO | IORESOURCE_MEM))) {
			info->size = end - start + 1;
			if (flags & IORESOURCE_MEM) {
				info->flags = PT_REGION_MMIO | PT_REGION_MMAP | PT_REGION_RW;
				info->n_areas = 1;
				info->areas[0].size = info->size;
				if (flags & IORESOURCE_MEM_64)
					info->flags |= PT_REGION_MEM64;
				if (flags & IORESOURCE_PREFETCH)
					info->flags |= PT_REGION_PREFETCH;
			} else {
				info->flags = PT_REGION_RW; /* I/O ports: pread/pwrite on resourceN */
			}
			if (index == PT_ASSIGN_REGION_ROM) {
				/* Read through sysfs "rom", which the VMM's ROM code handles. */
				info->flags &= ~(unsigned)(PT_REGION_MMAP | PT_REGION_RW);
				info->n_areas = 0;
			}
		}
		index++;
	}
	fclose(f);
	free(path);
	return r;
}

int legacy_sysfs_open(struct legacy_dev *ld, const char *sysroot)
{
	const char *root = sysroot && strcmp(sysroot, "/") ? sysroot : "";
	char *config = NULL;
	int r;

	if (asprintf(&ld->sysfs, "%s/sys/bus/pci/devices/%s", root, ld->base.name) < 0) {
		ld->sysfs = NULL;
		return -ENOMEM;
	}
	if (asprintf(&config, "%s/config", ld->sysfs) < 0)
		return -ENOMEM;
	ld->config_fd = open(config, O_RDWR | O_CLOEXEC);
	if (ld->config_fd < 0) {
		r = -errno;
		pt_err("%s: cannot open its config space %s: %m%s", ld->base.name, config,
		       r == -ENOENT ? " (no such PCI function on this host)" : "");
		free(config);
		return r;
	}
	free(config);
	return parse_resource_table(ld);
}

void legacy_sysfs_close(struct legacy_dev *ld)
{
	for (unsigned i = 0; i < PT_ASSIGN_REGIONS; i++) {
		struct legacy_region *reg = &ld->regions[i];

		if (reg->map)
			munmap(reg->map, reg->info.size);
		if (reg->fd >= 0)
			close(reg->fd);
		reg->map = NULL;
		reg->fd = -1;
	}
	if (ld->config_fd >= 0)
		close(ld->config_fd);
	ld->config_fd = -1;
	free(ld->sysfs);
	ld->sysfs = NULL;
}

static int check_access(struct legacy_dev *ld, const char *what, unsigned off, unsigned len,
			uint64_t limit)
{
	if ((len == 1 || len == 2 || len == 4 || len == 8) && (uint64_t)off + len <= limit &&
	    !(off & (len - 1)))
		return 0;
	pt_err("%s: %s access of %u bytes at 0x%x: use 1, 2, 4 (or 8 for BARs) aligned bytes "
	       "inside its %" PRIu64 " bytes", ld->base.name, what, len, off, limit);
	return -EINVAL;
}

int legacy_config_read(struct pt_assign_dev *d, unsigned off, unsigned len, uint32_t *ret_val)
{
	struct legacy_dev *ld = legacy_of(d);
	uint8_t b[4] = { 0 };
	ssize_t n;
	int r = check_access(ld, "config", off, len, PCI_CONFIG_SIZE_MAX);

	if (r < 0 || len > 4)
		return r < 0 ? r : -EINVAL;
	n = pread(ld->config_fd, b, len, off);
	if (n != (ssize_t)len) {
		r = n < 0 ? -errno : -EIO;
		pt_err("%s: config read of %u bytes at 0x%x: %s", d->name, len, off, strerror(-r));
		return r;
	}
	*ret_val = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
	return 0;
}

int legacy_config_write(struct pt_assign_dev *d, unsigned off, unsigned len, uint32_t val)
{
	struct legacy_dev *ld = legacy_of(d);
	uint8_t b[4] = { val, val >> 8, val >> 16, val >> 24 };
	ssize_t n;
	int r = check_access(ld, "config", off, len, PCI_CONFIG_SIZE_MAX);

	if (r < 0 || len > 4)
		return r < 0 ? r : -EINVAL;
	n = pwrite(ld->config_fd, b, len, off);
	if (n != (ssize_t)len) {
		r = n < 0 ? -errno : -EIO;
		pt_err("%s: config write of %u bytes at 0x%x: %s", d->name, len, off, strerror(-r));
		return r;
	}
	return 0;
}

static struct legacy_region *region_of(struct legacy_dev *ld, unsigned index, const char *what)
{
	if (index < PT_ASSIGN_REGIONS && ld->regions[index].info.size)
		return &ld->regions[index];
	pt_err("%s: %s: region %u does not exist (BARs are 0-5, the ROM is 6; see \"resource\")",
	       ld->base.name, what, index);
	return NULL;
}

int legacy_region_info(struct pt_assign_dev *d, unsigned index, struct pt_assign_region *ret)
{
	struct legacy_dev *ld = legacy_of(d);

	if (index >= PT_ASSIGN_REGIONS) {
		pt_err("%s: region %u: BARs are 0-5, the ROM is 6", d->name, index);
		return -EINVAL;
	}
	*ret = ld->regions[index].info;
	return 0;
}

static int region_open(struct legacy_dev *ld, struct legacy_region *reg, unsigned index)
{
	char *path = NULL;
	int r;

	if (reg->fd >= 0)
		return 0;
	if (asprintf(&path, "%s/resource%u", ld->sysfs, index) < 0)
		return -ENOMEM;
	reg->fd = open(path, O_RDWR | O_CLOEXEC);
	if (reg->fd < 0) {
		r = -errno;
		pt_err("%s: cannot open BAR %u (%s): %m", ld->base.name, index, path);
		free(path);
		return r;
	}
	free(path);
	return 0;
}

static int region_map(struct legacy_dev *ld, struct legacy_region *reg, unsigned index)
{
	void *p;
	int r;

	if (reg->map)
		return 0;
	if (!(reg->info.flags & PT_REGION_MMAP)) {
		pt_err("%s: BAR %u is not a memory BAR: it cannot be mapped, forward its "
		       "accesses instead", ld->base.name, index);
		return -EINVAL;
	}
	r = region_open(ld, reg, index);
	if (r < 0)
		return r;
	p = mmap(NULL, reg->info.size, PROT_READ | PROT_WRITE, MAP_SHARED, reg->fd, 0);
	if (p == MAP_FAILED) {
		r = -errno;
		pt_err("%s: mmap of BAR %u (%" PRIu64 " bytes): %m", ld->base.name, index,
		       reg->info.size);
		return r;
	}
	reg->map = p;
	return 0;
}

int legacy_region_mmap(struct pt_assign_dev *d, unsigned index, void **ret_addr)
{
	struct legacy_dev *ld = legacy_of(d);
	struct legacy_region *reg = region_of(ld, index, "mmap");
	int r;

	if (!reg)
		return -EINVAL;
	r = region_map(ld, reg, index);
	if (r < 0)
		return r;
	*ret_addr = reg->map;
	return 0;
}

static void mmio_access(void *p, unsigned len, bool write, uint64_t *val)
{
	switch (len) {
	case 1:
		if (write)
			*(volatile uint8_t *)p = (uint8_t)*val;
		else
			*val = *(volatile uint8_t *)p;
		break;
	case 2:
		if (write)
			*(volatile uint16_t *)p = (uint16_t)*val;
		else
			*val = *(volatile uint16_t *)p;
		break;
	case 4:
		if (write)
			*(volatile uint32_t *)p = (uint32_t)*val;
		else
			*val = *(volatile uint32_t *)p;
		break;
	default:
		if (write)
			*(volatile uint64_t *)p = *val;
		else
			*val = *(volatile uint64_t *)p;
	}
}

int legacy_region_rw(struct pt_assign_dev *d, unsigned index, uint64_t off, unsigned len,
		     bool write, uint64_t *val)
{
	struct legacy_dev *ld = legacy_of(d);
	struct legacy_region *reg = region_of(ld, index, write ? "write" : "read");
	uint8_t b[8];
	ssize_t n;
	int r;

	if (!reg)
		return -EINVAL;
	if (!(reg->info.flags & PT_REGION_RW)) {
		pt_err("%s: region %u cannot be accessed through sysfs (read the ROM from "
		       "\"rom\")", d->name, index);
		return -EINVAL;
	}
	if (off >= reg->info.size) {
		pt_err("%s: BAR %u access at 0x%" PRIx64 ": past its %" PRIu64 " bytes", d->name,
		       index, off, reg->info.size);
		return -EINVAL;
	}
	r = check_access(ld, "BAR", (unsigned)off, len, reg->info.size);
	if (r < 0)
		return r;
	if (reg->info.flags & PT_REGION_MMIO) {
		r = region_map(ld, reg, index);
		if (r < 0)
			return r;
		mmio_access((uint8_t *)reg->map + off, len, write, val);
		return 0;
	}
	r = region_open(ld, reg, index);
	if (r < 0)
		return r;
	for (unsigned i = 0; i < len; i++)
		b[i] = (uint8_t)(*val >> (8 * i));
	n = write ? pwrite(reg->fd, b, len, (off_t)off) : pread(reg->fd, b, len, (off_t)off);
	if (n != (ssize_t)len) {
		r = n < 0 ? -errno : -EIO;
		pt_err("%s: I/O BAR %u %s of %u bytes at 0x%" PRIx64 ": %s", d->name, index,
		       write ? "write" : "read", len, off, strerror(-r));
		return r;
	}
	if (!write) {
		*val = 0;
		for (unsigned i = 0; i < len; i++)
			*val |= (uint64_t)b[i] << (8 * i);
	}
	return 0;
}

/*
 * sysfs "reset": pci_reset_function(), the kernel's first reset method that works
 * (reset_method says which). No "reset" file: the kernel knows none for the device.
 */
int legacy_reset(struct pt_assign_dev *d, struct pt_assign_reset *ret)
{
	struct legacy_dev *ld = legacy_of(d);
	char *path = NULL;
	int fd, r = 0;

	if (asprintf(&path, "%s/reset", ld->sysfs) < 0)
		return -ENOMEM;
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT) {
		snprintf(ret->method, sizeof(ret->method), "none");
		snprintf(ret->detail, sizeof(ret->detail),
			 "the kernel knows no reset for it (no FLR, PM or bus reset: %s is absent)",
			 path);
		free(path);
		return 0;
	}
	pt_assign_reset_method(ld->sysfs, ret->method, sizeof(ret->method));
	if (fd < 0 || write(fd, "1", 1) != 1) {
		r = -errno;
		snprintf(ret->detail, sizeof(ret->detail), "writing %s: %s", path, strerror(-r));
	}
	if (fd >= 0)
		close(fd);
	free(path);
	return r;
}
