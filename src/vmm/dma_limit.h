/*
 * Guest RAM pinned for the DMA of assigned devices, against RLIMIT_MEMLOCK, checked
 * before a device is set up so that the refusal names the whole need, not one
 * mapping's. A VM's VFIO devices share one container (src/vfio/vm_share.h) that pins
 * all guest RAM once: the first device of a VM needs it, later ones nothing more.
 */
#ifndef PT_VMM_DMA_LIMIT_H
#define PT_VMM_DMA_LIMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Can the VM's `memory` bytes of RAM be pinned for DMA (first_device: the VM has no
 * assigned device yet; else they are pinned already and nothing more is asked)? 0, or
 * -ENOMEM logged with the limit, what is locked, what the VM needs and how to raise
 * it; then, when reply is not NULL, a shorter form of it for a control-socket reply.
 */
int pt_dma_memlock_check(const char *vm_name, uint64_t memory, bool first_device, char *reply,
			 size_t reply_size);

#endif
