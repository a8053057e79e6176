/* The backend table and the wrappers over it. */
#include "config.h"

#include <stddef.h>

#include "assign/backend.h"

const struct pt_assign_backend *pt_assign_backend_get(enum pt_backend which)
{
	switch (which) {
	case PT_BACKEND_LEGACY:
		return &pt_assign_legacy;
	default:
		return NULL; /* VFIO: src/vfio (issue 10); AUTO: decide with pt_assign_select() */
	}
}

int pt_assign_irq_set(struct pt_assign_dev *d, const struct pt_assign_irqs *irqs)
{
	return d->backend->irq_set(d, irqs);
}

void pt_assign_release(struct pt_assign_dev *d)
{
	if (d && d->backend->release)
		d->backend->release(d);
}

const char *pt_assign_irq_kind_name(enum pt_assign_irq_kind k)
{
	switch (k) {
	case PT_ASSIGN_IRQ_NONE: return "none";
	case PT_ASSIGN_IRQ_INTX: return "intx";
	case PT_ASSIGN_IRQ_MSI: return "msi";
	case PT_ASSIGN_IRQ_MSIX: return "msix";
	}
	return "unknown";
}
