/* The guest's memory map (e820), shared by the Linux zero page and the Multiboot mmap. */
#ifndef PT_VMM_E820_H
#define PT_VMM_E820_H

#include <stddef.h>
#include <stdint.h>

#define PT_E820_RAM 1
#define PT_E820_RESERVED 2

#define PT_E820_MAX 8

struct pt_e820_entry {
	uint64_t addr;
	uint64_t size;
	uint32_t type;
};

/*
 * Builds the map for `memory` bytes of guest RAM laid out as layout.h says.
 * Returns the number of entries (at most PT_E820_MAX), or -EINVAL when memory
 * is too small to hold the low boot area plus 1 MiB.
 */
int pt_e820_build(uint64_t memory, struct pt_e820_entry out[PT_E820_MAX]);

/* RAM below the PCI hole and above it, in bytes. */
uint64_t pt_mem_low_size(uint64_t memory);
uint64_t pt_mem_high_size(uint64_t memory);

#endif
