#include "config.h"

#include <errno.h>
#include <stdlib.h>

#include "vmm/bar_layout.h"

#define MAX_EDGES (2 + 2 * 8 + 2 * 8)

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static bool inside(uint64_t at, const uint64_t (*r)[2], unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (at >= r[i][0] && at < r[i][1])
			return true;
	return false;
}

/* One piece more, merged with the last one when of the same kind. */
static int push(struct pt_bar_piece *out, unsigned *n, unsigned max, uint64_t start,
		uint64_t end, bool map)
{
	if (*n && out[*n - 1].map == map && out[*n - 1].offset + out[*n - 1].size == start) {
		out[*n - 1].size += end - start;
		return 0;
	}
	if (*n == max)
		return -ENOSPC;
	out[*n] = (struct pt_bar_piece){ .offset = start, .size = end - start, .map = map };
	(*n)++;
	return 0;
}

int pt_bar_split(uint64_t size, uint64_t page, const struct pt_bar_range *areas,
		 unsigned n_areas, const struct pt_bar_range *traps, unsigned n_traps,
		 struct pt_bar_piece *out, unsigned max)
{
	uint64_t edges[MAX_EDGES], map[8][2], trap[8][2];
	unsigned ne = 0, nm = 0, nt = 0, n = 0;
	int r;

	if (!page || (page & (page - 1)))
		return -EINVAL;
	if (!size)
		return 0;
	if (size % page || n_areas > 8 || n_traps > 8)
		n_areas = 0; /* nothing can be a slot: all of it traps */
	for (unsigned i = 0; i < n_areas; i++) {
		uint64_t s = (areas[i].offset + page - 1) & ~(page - 1);
		uint64_t e = (areas[i].offset + areas[i].size) & ~(page - 1);

		if (areas[i].offset >= size || areas[i].size > size - areas[i].offset || e <= s)
			continue;
		map[nm][0] = s, map[nm][1] = e, nm++;
	}
	for (unsigned i = 0; i < n_traps && i < 8; i++) {
		uint64_t s = traps[i].offset & ~(page - 1);
		uint64_t e = (traps[i].offset + traps[i].size + page - 1) & ~(page - 1);

		if (!traps[i].size || s >= size)
			continue;
		trap[nt][0] = s, trap[nt][1] = e < size ? e : size, nt++;
	}
	edges[ne++] = 0;
	edges[ne++] = size;
	for (unsigned i = 0; i < nm; i++)
		edges[ne++] = map[i][0], edges[ne++] = map[i][1];
	for (unsigned i = 0; i < nt; i++)
		edges[ne++] = trap[i][0], edges[ne++] = trap[i][1];
	qsort(edges, ne, sizeof(edges[0]), cmp_u64);
	for (unsigned i = 0; i + 1 < ne; i++) {
		if (edges[i] == edges[i + 1])
			continue;
		r = push(out, &n, max, edges[i], edges[i + 1],
			 inside(edges[i], map, nm) && !inside(edges[i], trap, nt));
		if (r < 0)
			return r;
	}
	return (int)n;
}
