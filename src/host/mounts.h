/*
 * Which PCI functions hold mounted filesystems: /proc/self/mountinfo gives each
 * mount's block device number, /sys/dev/block/MAJ:MIN leads to the device's sysfs
 * directory, and the nearest PCI ancestor is the function that backs it. Stacked
 * devices (device-mapper, md) are followed through their slaves/ to every disk below.
 * Virtio filesystem shares (9p, virtiofs) have no block device: their tag leads to the
 * virtio device, and from there to its PCI function.
 */
#ifndef PT_HOST_MOUNTS_H
#define PT_HOST_MOUNTS_H

#include <stddef.h>

#include "common/bdf.h"

struct pt_pci_mount {
	struct pt_bdf bdf; /* the PCI function under the filesystem */
	char *mountpoint;  /* unescaped */
	char *blockdev;    /* the mounted block device's kernel name, or "9p tag TAG" */
};

/*
 * Every (function, mount) pair, in mountinfo order. Mounts of other non-block
 * filesystems (major 0), and devices with no PCI function below them, are left out.
 * Returns 0 or -errno (the mountinfo file cannot be read).
 */
int pt_mounts_on_pci(const char *sysroot, struct pt_pci_mount **ret, size_t *ret_n);

void pt_pci_mounts_free(struct pt_pci_mount *m, size_t n);

/* Decodes mountinfo's octal escapes (\040 for a space) in place. */
void pt_mountinfo_unescape(char *s);

#endif
