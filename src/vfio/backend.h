/* The VFIO backend of src/assign/backend.h (src/vfio/backend.c). */
#ifndef PT_VFIO_BACKEND_H
#define PT_VFIO_BACKEND_H

#include "assign/backend.h"

extern const struct pt_assign_backend pt_assign_vfio;

/* How the backend has driven VFIO_DEVICE_SET_IRQS for MSI and MSI-X (tests, status). */
struct pt_vfio_irq_stats {
	uint64_t enables;       /* the index enabled with a vector count (from another mode) */
	uint64_t vector_calls;  /* calls changing some vectors' triggers, the index staying on */
	uint64_t grows;         /* of those, calls that added vectors to the enabled index */
	uint64_t reenables;     /* disable-all and enable again in the same mode (lossy) */
	unsigned vfio_vectors;  /* vectors the index is enabled with now */
	unsigned triggers;      /* vectors with a trigger eventfd now (live ones) */
	bool can_grow;          /* MSI-X: VFIO_IRQ_INFO_NORESIZE clear */
};

/* The statistics of a device opened by pt_assign_vfio. */
void pt_vfio_irq_stats(struct pt_assign_dev *d, struct pt_vfio_irq_stats *ret);

#endif
