#include "config.h"

#include <errno.h>

#include "vmm/e820.h"
#include "vmm/layout.h"

uint64_t pt_mem_low_size(uint64_t memory)
{
	return memory < PT_GPA_PCI_HOLE ? memory : PT_GPA_PCI_HOLE;
}

uint64_t pt_mem_high_size(uint64_t memory)
{
	return memory - pt_mem_low_size(memory);
}

int pt_e820_build(uint64_t memory, struct pt_e820_entry out[PT_E820_MAX])
{
	uint64_t low = pt_mem_low_size(memory);
	int n = 0;

	if (memory < PT_GPA_HIGH + (1ULL << 20))
		return -EINVAL;
	out[n++] = (struct pt_e820_entry){ 0, PT_GPA_EBDA, PT_E820_RAM };
	out[n++] = (struct pt_e820_entry){ PT_GPA_EBDA, 0xa0000 - PT_GPA_EBDA, PT_E820_RESERVED };
	out[n++] = (struct pt_e820_entry){ PT_GPA_BIOS, PT_GPA_HIGH - PT_GPA_BIOS, PT_E820_RESERVED };
	out[n++] = (struct pt_e820_entry){ PT_GPA_HIGH, low - PT_GPA_HIGH, PT_E820_RAM };
	if (pt_mem_high_size(memory))
		out[n++] = (struct pt_e820_entry){ PT_GPA_4G, pt_mem_high_size(memory), PT_E820_RAM };
	return n;
}
