/*
 * How an assigned device's memory BAR reaches the guest, piece by piece: memory
 * slots over the backend's mapping where the backend lets the VMM map (its mmap
 * areas) and nothing must trap, trapped ranges elsewhere (the pages of the MSI-X
 * table and PBA, and whatever the backend cannot map). Pure arithmetic on offsets
 * inside the BAR; assigned.c places the pieces at the address the guest programs.
 */
#ifndef PT_VMM_BAR_LAYOUT_H
#define PT_VMM_BAR_LAYOUT_H

#include <stdbool.h>
#include <stdint.h>

#define PT_BAR_MAX_PIECES 16

struct pt_bar_range {
	uint64_t offset, size;
};

struct pt_bar_piece {
	uint64_t offset, size;
	bool map; /* a memory slot (else trapped) */
};

/*
 * Splits a BAR of `size` bytes. `areas` are the parts the backend can map (none:
 * trap it all), `traps` the parts that must trap whatever the areas say (widened to
 * whole pages: a memory slot maps pages). Areas shrink to whole pages; a BAR that is
 * no whole number of pages is trapped whole. Adjacent pieces of one kind are merged;
 * they cover the BAR in order. Returns the number of pieces (at most max), or
 * -ENOSPC when more would be needed, -EINVAL for a page size that is not a power of
 * two.
 */
int pt_bar_split(uint64_t size, uint64_t page, const struct pt_bar_range *areas,
		 unsigned n_areas, const struct pt_bar_range *traps, unsigned n_traps,
		 struct pt_bar_piece *out, unsigned max);

#endif
