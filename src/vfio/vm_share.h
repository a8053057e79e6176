/*
 * What a VM's VFIO devices share: one container (the VM's IOMMU address space, guest
 * RAM mapped into it once, IOVA = guest physical) and one KVM-VFIO device. The first
 * device of a VM creates it, each device holds a reference, the last one to leave
 * frees it: the container's close drops every DMA mapping.
 *
 * Where it lives: in the slot the VMM lends the backend (pt_assign_env.vm_state), so
 * that the VMM keeps no VFIO object of its own. Without a slot (tests that open one
 * device on a bare VM fd) a device gets a share of its own.
 *
 * Threads: opens, maps and releases of a VM's devices are serialized by the VMM's
 * assign_lock (startup, the control thread, host requests, and the thread that maps
 * guest RAM at start while the guest runs: src/vmm/dma_map.h); nothing here locks.
 */
#ifndef PT_VFIO_VM_SHARE_H
#define PT_VFIO_VM_SHARE_H

#include <stddef.h>
#include <stdint.h>

#include "common/bdf.h"
#include "vfio/container.h"
#include "vfio/reset_plan.h"

#define PT_VFIO_SHARE_MAX_MAPS 4

struct pt_vfio_vm_share {
	struct pt_vfio_container *container;
	int kvm_vfio_fd;    /* -1 until a VM fd asks for it */
	unsigned users;     /* devices holding it */
	unsigned n_maps;
	struct { uint64_t gpa, size; void *hva; } maps[PT_VFIO_SHARE_MAX_MAPS];
	/* The VM's devices and their groups (fds borrowed from each device), for resets. */
	size_t n_members;
	struct pt_reset_member *members;
};

/*
 * The share in *slot, created (container opened; the KVM-VFIO device on vm_fd when
 * vm_fd >= 0) if the slot is empty; one reference taken. 0 or -errno (logged).
 */
int pt_vfio_share_get(void **slot, int vm_fd, struct pt_vfio_vm_share **ret);

/* Drops a reference; the last one frees the share and empties the slot. */
void pt_vfio_share_put(void **slot);

/*
 * Guest RAM [gpa, gpa + size) at hva mapped for DMA, once per VM: a range mapped
 * already is not mapped again. The first mapping checks the IOMMU's usable IOVA
 * ranges (the kernel leaves out the reserved ones, e.g. the MSI window) and refuses
 * RAM that overlaps a hole, naming both (-EADDRNOTAVAIL). name: for messages.
 */
int pt_vfio_share_map_ram(struct pt_vfio_vm_share *s, const char *name, uint64_t gpa,
			  uint64_t size, void *hva);

/*
 * A device of the VM, with its group's number and fd, joins or leaves the list a
 * hot reset is judged by (reset_plan.h); the fd stays the device's. add: 0 or -ENOMEM.
 */
int pt_vfio_share_add_member(struct pt_vfio_vm_share *s, const struct pt_bdf *bdf,
			     int group_id, int group_fd);
void pt_vfio_share_del_member(struct pt_vfio_vm_share *s, const struct pt_bdf *bdf);

/*
 * A member in IOMMU group group_id (its group fd, borrowed), or NULL: a second
 * function of a group the VM holds already shares its container membership.
 */
const struct pt_reset_member *pt_vfio_share_group_member(const struct pt_vfio_vm_share *s,
							  int group_id);

#endif
