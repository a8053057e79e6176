/*
 * The host memory behind guest RAM: one mapping of the VM's whole RAM, read and
 * written by KVM, the loaders and, once an assigned device needs it, pinned by VFIO
 * for DMA.
 *
 * Normal RAM is private anonymous memory (nothing else maps it: the VMM runs no
 * other process over it), placed on a 2 MiB boundary and advised for transparent
 * huge pages, so that the first touch of a 2 MiB extent (KVM's fault, or VFIO's pin
 * of the whole RAM at the first assigned device) allocates one huge page instead of
 * 512 small ones, and the guest physical and host virtual addresses agree modulo
 * 2 MiB, which KVM needs to map it huge. Whether huge pages come is the host's
 * choice (/sys/kernel/mm/transparent_hugepage: "never" refuses them); the memory
 * works the same either way. It is left out of a fork's child (MADV_DONTFORK).
 *
 * hugetlb RAM (hugepages = yes) comes from the host's 2 MiB pool, reserved at the
 * mmap, which fails with -ENOMEM when the pool is short.
 */
#ifndef PT_VMM_RAM_H
#define PT_VMM_RAM_H

#include <stdbool.h>
#include <stddef.h>

#define PT_RAM_ALIGN (2UL << 20)

/* size bytes of guest RAM at *ret: 0, or -errno (nothing mapped, nothing logged). */
int pt_ram_map(size_t size, bool hugetlb, void **ret);

/* Undoes pt_ram_map (ram may be NULL). */
void pt_ram_unmap(void *ram, size_t size);

#endif
