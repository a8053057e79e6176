#include "config.h"

#include <errno.h>
#include <stdlib.h>

#include "route/gsi_alloc.h"

#define WORD_BITS 64u

static unsigned nr_words(const struct pt_gsi_alloc *a)
{
	return (pt_gsi_alloc_capacity(a) + WORD_BITS - 1) / WORD_BITS;
}

int pt_gsi_alloc_init(struct pt_gsi_alloc *a, unsigned first, unsigned limit)
{
	if (first >= limit)
		return -EINVAL;
	*a = (struct pt_gsi_alloc){ .first = first, .limit = limit };
	a->bits = calloc(nr_words(a), sizeof(*a->bits));
	if (!a->bits)
		return -ENOMEM;
	return 0;
}

void pt_gsi_alloc_fini(struct pt_gsi_alloc *a)
{
	free(a->bits);
	a->bits = NULL;
}

int pt_gsi_alloc_get(struct pt_gsi_alloc *a, unsigned *ret_gsi)
{
	unsigned n = nr_words(a);

	for (unsigned w = 0; w < n; w++) {
		uint64_t free_bits = ~a->bits[w];
		unsigned bit, idx;

		if (!free_bits)
			continue;
		bit = __builtin_ctzll(free_bits);
		idx = w * WORD_BITS + bit;
		/* Bits past the capacity in the last word are never valid. */
		if (idx >= pt_gsi_alloc_capacity(a))
			break;
		a->bits[w] |= UINT64_C(1) << bit;
		a->used++;
		*ret_gsi = a->first + idx;
		return 0;
	}
	return -ENOSPC;
}

bool pt_gsi_alloc_in_use(const struct pt_gsi_alloc *a, unsigned gsi)
{
	unsigned idx;

	if (gsi < a->first || gsi >= a->limit)
		return false;
	idx = gsi - a->first;
	return a->bits[idx / WORD_BITS] & (UINT64_C(1) << (idx % WORD_BITS));
}

int pt_gsi_alloc_take(struct pt_gsi_alloc *a, unsigned gsi)
{
	unsigned idx;

	if (gsi < a->first || gsi >= a->limit)
		return -EINVAL;
	if (pt_gsi_alloc_in_use(a, gsi))
		return -EBUSY;
	idx = gsi - a->first;
	a->bits[idx / WORD_BITS] |= UINT64_C(1) << (idx % WORD_BITS);
	a->used++;
	return 0;
}

int pt_gsi_alloc_put(struct pt_gsi_alloc *a, unsigned gsi)
{
	unsigned idx;

	if (!pt_gsi_alloc_in_use(a, gsi))
		return -EINVAL;
	idx = gsi - a->first;
	a->bits[idx / WORD_BITS] &= ~(UINT64_C(1) << (idx % WORD_BITS));
	a->used--;
	return 0;
}
