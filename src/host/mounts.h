/*
 * Which PCI functions hold mounted filesystems: /proc/self/mountinfo gives each
 * mount's block device number, /sys/dev/block/MAJ:MIN leads to the device's sysfs
 * directory, and the nearest PCI ancestor is the function that backs it. Stacked
 * devices (device-mapper, md) are followed through their slaves/ to every disk below.
 * Virtio filesystem shares (9p, virtiofs) have no block device: their tag leads to the
 * virtio device, and from there to its PCI function.
 *
 * The same walk finds the other host-critical uses of a function: active swap
 * (/proc/swaps), block devices that are members of a device-mapper or md device (a
 * non-empty holders/ directory: LVM, RAID, dm-crypt), and the network interface of
 * the default route (/proc/net/route, /proc/net/ipv6_route).
 */
#ifndef PT_HOST_MOUNTS_H
#define PT_HOST_MOUNTS_H

#include <stddef.h>

#include "common/bdf.h"

enum pt_host_use {
	PT_USE_MOUNT,         /* mountpoint: where; blockdev: the mounted device */
	PT_USE_SWAP,          /* mountpoint: the /proc/swaps name; blockdev: the device */
	PT_USE_HOLDER,        /* mountpoint: the holder ("dm-0"); blockdev: the member */
	PT_USE_DEFAULT_ROUTE, /* mountpoint: "IPv4"/"IPv6"; blockdev: the interface */
};

struct pt_pci_mount {
	struct pt_bdf bdf; /* the PCI function under the filesystem */
	enum pt_host_use kind;
	char *mountpoint;  /* unescaped */
	char *blockdev;    /* the mounted block device's kernel name, or "9p tag TAG" */
};

/*
 * Every (function, use) pair: mounts in mountinfo order, then swaps, block device
 * holders and default routes. Mounts of other non-block
 * filesystems (major 0), and devices with no PCI function below them, are left out.
 * Returns 0 or -errno (the mountinfo file cannot be read).
 */
int pt_mounts_on_pci(const char *sysroot, struct pt_pci_mount **ret, size_t *ret_n);

void pt_pci_mounts_free(struct pt_pci_mount *m, size_t n);

/* Decodes mountinfo's octal escapes (\040 for a space) in place. */
void pt_mountinfo_unescape(char *s);

#endif
