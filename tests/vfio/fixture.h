/*
 * Test fixture for the VFIO tests (testbed only): find a device by its IDs and bind it
 * to vfio-pci with driver_override, the way passthru-ctl prepare does for real, and
 * give it back afterwards.
 */
#ifndef PT_TESTS_VFIO_FIXTURE_H
#define PT_TESTS_VFIO_FIXTURE_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"

#define SYS_PCI "/sys/bus/pci/devices"

/* QEMU's edu device: its BAR0 registers. */
#define EDU_ID 0x00
#define EDU_IRQ_STATUS 0x24
#define EDU_IRQ_RAISE 0x60
#define EDU_IRQ_ACK 0x64
#define EDU_DMA_SRC 0x80
#define EDU_DMA_DST 0x88
#define EDU_DMA_COUNT 0x90
#define EDU_DMA_CMD 0x98
#define EDU_DMA_START 1
#define EDU_DMA_TO_RAM 2
#define EDU_BUFFER 0x40000 /* edu's DMA buffer in its own address space */

/* e1000e (82574) registers in BAR0 that raise interrupts, and its causes. */
#define E1000E_ICR 0xc0   /* causes; a write clears those written */
#define E1000E_ICS 0xc8   /* a write sets causes: the device interrupts */
#define E1000E_IMS 0xd0   /* causes that may interrupt */
#define E1000E_IVAR 0xe4  /* MSI-X: each cause's vector, 4 bits (bit 3: valid) */
#define E1000E_RXQ0 (1u << 20)
#define E1000E_TXQ0 (1u << 22)

struct bound {
	char bdf[64];
	char old_driver[64];
	int group;
};

static inline int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC), err = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, text, strlen(text)) < 0)
		err = -errno;
	close(fd);
	return err;
}

static inline int read_word(const char *bdf, const char *attr, unsigned *ret)
{
	char path[PATH_MAX], buf[32] = "";
	FILE *f;

	snprintf(path, sizeof(path), SYS_PCI "/%s/%s", bdf, attr);
	f = fopen(path, "r");
	if (!f)
		return -errno;
	if (!fgets(buf, sizeof(buf), f)) {
		fclose(f);
		return -EIO;
	}
	fclose(f);
	*ret = (unsigned)strtoul(buf, NULL, 16);
	return 0;
}

static inline int link_name(const char *bdf, const char *attr, char *out, size_t len)
{
	char path[PATH_MAX], target[PATH_MAX];
	ssize_t n;

	snprintf(path, sizeof(path), SYS_PCI "/%s/%s", bdf, attr);
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return -errno;
	target[n] = 0;
	snprintf(out, len, "%.*s", (int)len - 1,
		 strrchr(target, '/') ? strrchr(target, '/') + 1 : target);
	return 0;
}

/* The first PCI function with these IDs, bound to vfio-pci (the fixture step). */
static inline int bind_vfio(unsigned vendor, unsigned device, struct bound *b)
{
	char path[PATH_MAX], group[32], drv[64];
	struct dirent *e;
	unsigned v = 0, d = 0;
	DIR *dir = opendir(SYS_PCI);

	memset(b, 0, sizeof(*b));
	if (!dir)
		return -ENOENT;
	while ((e = readdir(dir))) {
		if (e->d_name[0] == '.' || read_word(e->d_name, "vendor", &v) ||
		    read_word(e->d_name, "device", &d) || v != vendor || d != device)
			continue;
		snprintf(b->bdf, sizeof(b->bdf), "%.63s", e->d_name);
		break;
	}
	closedir(dir);
	if (!*b->bdf)
		return -ENOENT;
	if (link_name(b->bdf, "iommu_group", group, sizeof(group)) < 0)
		return -ENODEV;
	b->group = atoi(group);
	if (link_name(b->bdf, "driver", drv, sizeof(drv)) == 0) {
		if (!strcmp(drv, "vfio-pci"))
			return 0;
		snprintf(b->old_driver, sizeof(b->old_driver), "%s", drv);
		snprintf(path, sizeof(path), SYS_PCI "/%s/driver/unbind", b->bdf);
		write_file(path, b->bdf);
	}
	snprintf(path, sizeof(path), SYS_PCI "/%s/driver_override", b->bdf);
	write_file(path, "vfio-pci");
	write_file("/sys/bus/pci/drivers_probe", b->bdf);
	if (link_name(b->bdf, "driver", drv, sizeof(drv)) < 0 || strcmp(drv, "vfio-pci"))
		return -EIO;
	return 0;
}

static inline void unbind_vfio(const struct bound *b)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), SYS_PCI "/%s/driver/unbind", b->bdf);
	write_file(path, b->bdf);
	snprintf(path, sizeof(path), SYS_PCI "/%s/driver_override", b->bdf);
	write_file(path, "\n");
	if (*b->old_driver)
		write_file("/sys/bus/pci/drivers_probe", b->bdf);
}

static inline int open_group(int id)
{
	char path[64];

	snprintf(path, sizeof(path), "/dev/vfio/%d", id);
	for (int i = 0; i < 50; i++) { /* udev may create it late */
		int fd = open(path, O_RDWR | O_CLOEXEC);

		if (fd >= 0 || errno != ENOENT)
			return fd < 0 ? -errno : fd;
		usleep(100 * 1000);
	}
	return -ENOENT;
}

typedef void (*pt_device_test_fn)(struct tap *t, const struct bound *b);

/*
 * The body of a VFIO test's main: skips without VFIO or edu, runs edu_test on edu
 * (1234:11e8) and nic_test on an e1000e (8086:10d3) when the testbed has one, each
 * bound to vfio-pci for the test and given back after.
 */
static inline int run_device_tests(pt_device_test_fn edu_test, pt_device_test_fn nic_test)
{
	struct tap t = { 0 };
	struct bound edu, nic;
	int r;

	if (access("/dev/vfio/vfio", F_OK) < 0)
		tap_skip_all("no /dev/vfio/vfio here (no VFIO): the testbed runs this (make check-testbed)");
	r = bind_vfio(0x1234, 0x11e8, &edu);
	if (r == -ENOENT)
		tap_skip_all("no edu device (1234:11e8): the testbed adds one");
	if (r < 0)
		tap_skip_all("edu is in no IOMMU group or did not bind to vfio-pci (%s)", strerror(-r));
	edu_test(&t, &edu);
	unbind_vfio(&edu);
	if (bind_vfio(0x8086, 0x10d3, &nic) == 0) {
		nic_test(&t, &nic);
		unbind_vfio(&nic);
	} else {
		tap_skip(&t, "no e1000e bound to vfio-pci here");
	}
	return tap_done(&t);
}

#endif
