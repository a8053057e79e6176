/*
 * GSI numbers for MSI routes: a bitmap over [first, limit), lowest free first, so freed
 * numbers are reused and the table stays dense.
 */
#ifndef PT_ROUTE_GSI_ALLOC_H
#define PT_ROUTE_GSI_ALLOC_H

#include <stdbool.h>
#include <stdint.h>

struct pt_gsi_alloc {
	unsigned first; /* lowest GSI handed out */
	unsigned limit; /* one past the highest */
	unsigned used;
	uint64_t *bits; /* bit (gsi - first) set when in use */
};

/* first < limit; returns 0 or -ENOMEM / -EINVAL. */
int pt_gsi_alloc_init(struct pt_gsi_alloc *a, unsigned first, unsigned limit);
void pt_gsi_alloc_fini(struct pt_gsi_alloc *a);

/* The lowest free GSI in *ret_gsi, or -ENOSPC when every number is taken. */
int pt_gsi_alloc_get(struct pt_gsi_alloc *a, unsigned *ret_gsi);

/* Marks gsi in use again (a rolled-back removal); -EBUSY if it is, -EINVAL if out of range. */
int pt_gsi_alloc_take(struct pt_gsi_alloc *a, unsigned gsi);

/* Returns -EINVAL if gsi is out of range or was not allocated. */
int pt_gsi_alloc_put(struct pt_gsi_alloc *a, unsigned gsi);

bool pt_gsi_alloc_in_use(const struct pt_gsi_alloc *a, unsigned gsi);

static inline unsigned pt_gsi_alloc_capacity(const struct pt_gsi_alloc *a)
{
	return a->limit - a->first;
}

#endif
