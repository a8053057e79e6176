/*
 * Guest RAM mapped for assigned devices' DMA while the guest already runs.
 *
 * Pinning the RAM (VFIO_IOMMU_MAP_DMA) faults in and zeroes every page the guest has
 * not touched yet: the longest step of starting a VM with a device, and one the
 * guest does not need to wait for. A PCI function cannot start a memory transaction
 * (DMA, MSI and MSI-X writes included) while Bus Master Enable is clear in its
 * command register, and BME is clear when the guest first sees the function (the
 * VMM's bus shows it clear; the device is reset or, failing that, has BME cleared at
 * assignment, assigned.c). So the devices given at start are assigned without the
 * map, pt_vm_start maps guest RAM on a thread of its own while the vCPUs run, and a
 * guest's config write that sets BME on any assigned function waits here until the
 * map is done. Interrupt setup and BAR accesses do not wait: they need no DMA.
 *
 * Devices added to a running VM map synchronously as before (assigned.c), after the
 * background map: the thread holds assign_lock (vm_internal.h) while it maps.
 *
 * A failed map ends the VM: PT_VM_EXIT_ERROR with the error named (exit status 1,
 * as for a device that could not be assigned at start), and the BME write that
 * waited is dropped. Until the map has settled, the control socket's status says
 * "dma": "mapping", and passthru-ctl start and run wait for it, so they still report
 * a failed map as a VM that did not start.
 *
 * Guest RAM is faulted in first (the zeroing that makes pinning long), in 2 MiB chunks
 * from the top down, by a thread at nice 19, so that the vCPUs go first on a busy CPU;
 * after 500 ms the map thread (the VM's priority) faults in too, so that a guest that
 * keeps its CPU busy cannot starve the map; a vCPU that reaches its BME write faults
 * in chunks itself rather than sleep. Then the map thread pins, once no chunk is left
 * to claim and none is still being faulted in by another thread.
 *
 * Locking: a leaf mutex of its own (dma_lock) guards the state, which chunks are left
 * and how many are in flight; nobody holds it while faulting in. A waiting vCPU holds the PCI bus lock,
 * which the map thread never takes. Waiters also wake when the VM
 * stops (pt_vm_finish calls pt_vm_dma_wake, which sets a flag under dma_lock).
 */
#ifndef PT_VMM_DMA_MAP_H
#define PT_VMM_DMA_MAP_H

#include <stdbool.h>

struct pt_vm;

enum pt_vm_dma_state {
	PT_VM_DMA_NONE,     /* nothing to map, or mapped synchronously */
	PT_VM_DMA_PENDING,  /* devices given at start, not mapped yet */
	PT_VM_DMA_MAPPING,  /* the background map runs */
	PT_VM_DMA_DONE,     /* mapped */
	PT_VM_DMA_FAILED,   /* the map failed: the VM ends */
};

void pt_vm_dma_init(struct pt_vm *vm);
/* Waits for the background map to end, if one ran (pt_vm_destroy, before the devices go). */
void pt_vm_dma_join(struct pt_vm *vm);
/* Frees what init made. */
void pt_vm_dma_free(struct pt_vm *vm);

/*
 * A device being assigned (the caller holds assign_lock): true when its map is left
 * to pt_vm_dma_start (the VM has not started), false when it maps now itself.
 */
bool pt_vm_dma_defer(struct pt_vm *vm);

/*
 * Called by pt_vm_start before the vCPUs: starts the background map when one is
 * pending (without a thread, maps before returning); after it, devices map themselves.
 */
void pt_vm_dma_start(struct pt_vm *vm);

/*
 * For the guest's write that sets Bus Master Enable: 0 at once unless the background
 * map runs, else 1 when it is done; -EIO (the map failed) or -ESHUTDOWN (the VM
 * stops) when the write must be dropped.
 */
int pt_vm_dma_wait(struct pt_vm *vm);

/* Wakes waiters to look at the VM's state (pt_vm_finish). */
void pt_vm_dma_wake(struct pt_vm *vm);

enum pt_vm_dma_state pt_vm_dma_state(struct pt_vm *vm);
/* "none", "pending", "mapping", "mapped", "failed". */
const char *pt_vm_dma_state_name(enum pt_vm_dma_state s);

#endif
