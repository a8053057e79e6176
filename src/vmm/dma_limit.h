/*
 * Guest RAM pinned for the DMA of assigned devices, against RLIMIT_MEMLOCK, checked
 * before a device is set up so that the refusal names the whole need, not one
 * mapping's. Each VFIO device has a container of its own for now (src/vfio/backend.c),
 * and each container pins all guest RAM again.
 */
#ifndef PT_VMM_DMA_LIMIT_H
#define PT_VMM_DMA_LIMIT_H

#include <stddef.h>
#include <stdint.h>

/*
 * Can `devices` more devices pin `memory` bytes each? 0, or -ENOMEM logged with the
 * limit, what is locked, what the VM needs and how to raise it; then, when reply is
 * not NULL, a shorter form of it for a control-socket reply.
 */
int pt_dma_memlock_check(const char *vm_name, uint64_t memory, unsigned devices, char *reply,
			 size_t reply_size);

#endif
