/*
 * The VFIO backend's irq_set: the guest's interrupt mode onto the routing table, KVM
 * irqfds and VFIO_DEVICE_SET_IRQS. The order keeps every interrupt routed: routes are
 * committed before the irqfds that use them and before VFIO may fire; on the way out
 * VFIO stops first, then irqfds and routes go.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "common/log.h"
#include "route/irqfd.h"
#include "vfio/backend_impl.h"

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

void pt_vfio_irqs_init(struct pt_vfio_assign *v)
{
	memset(&v->irq, 0, sizeof(v->irq));
	v->irq.intx_fd = v->irq.resample_fd = -1;
}

static int vfio_index(enum pt_assign_irq_kind kind)
{
	return kind == PT_ASSIGN_IRQ_MSI ? VFIO_PCI_MSI_IRQ_INDEX : VFIO_PCI_MSIX_IRQ_INDEX;
}

void pt_vfio_irqs_off(struct pt_vfio_assign *v)
{
	struct pt_vfio_irq_state *s = &v->irq;
	struct pt_route_table *t = v->env.routes;

	switch (s->kind) {
	case PT_ASSIGN_IRQ_INTX:
		pt_vfio_irq_disable(v->dev, VFIO_PCI_INTX_IRQ_INDEX);
		if (t)
			pt_route_pin_release(t, s->intx_gsi); /* deassigns the irqfd */
		break;
	case PT_ASSIGN_IRQ_MSI:
	case PT_ASSIGN_IRQ_MSIX:
		pt_vfio_irq_disable(v->dev, vfio_index(s->kind));
		if (t) {
			pt_route_table_lock(t);
			for (unsigned i = 0; i < s->nvec; i++)
				if (s->gsi[i] >= 0)
					pt_route_msi_remove(t, (unsigned)s->gsi[i]);
			pt_route_table_commit(t);
			pt_route_table_unlock(t);
		}
		break;
	default:
		break;
	}
	close_fd(&s->intx_fd);
	close_fd(&s->resample_fd);
	for (unsigned i = 0; s->fd && i < s->nvec; i++)
		close_fd(&s->fd[i]);
	free(s->vec);
	free(s->gsi);
	free(s->fd);
	pt_vfio_irqs_init(v);
}

static int intx_on(struct pt_vfio_assign *v, unsigned gsi)
{
	struct pt_vfio_irq_state *s = &v->irq;
	struct pt_route_table *t = v->env.routes;
	int r;

	if (!v->dev->irqs[VFIO_PCI_INTX_IRQ_INDEX].count) {
		pt_err("%s has no INTx", v->base.name);
		return -ENOENT;
	}
	if (pt_route_table_mode(t) == PT_IRQCHIP_SPLIT) {
		pt_err("%s: INTx needs the in-kernel IOAPIC to resample a level interrupt at the "
		       "guest's EOI, and this VM's irqchip is split: use irqchip = kernel, or a "
		       "guest driver that uses MSI", v->base.name);
		return -ENOTSUP;
	}
	r = pt_route_pin_claim(t, gsi, v->base.name);
	if (r < 0)
		return r;
	s->kind = PT_ASSIGN_IRQ_INTX;
	s->intx_gsi = gsi;
	s->intx_fd = eventfd(0, EFD_CLOEXEC);
	s->resample_fd = eventfd(0, EFD_CLOEXEC);
	if (s->intx_fd < 0 || s->resample_fd < 0)
		return -errno;
	r = pt_route_irqfd_assign(t, gsi, s->intx_fd, s->resample_fd);
	if (r < 0)
		return r;
	r = pt_vfio_irq_set_triggers(v->dev, VFIO_PCI_INTX_IRQ_INDEX, 0, 1, &s->intx_fd);
	if (r < 0)
		return r;
	return pt_vfio_irq_set_unmask_fd(v->dev, VFIO_PCI_INTX_IRQ_INDEX, s->resample_fd);
}

static int msi_on(struct pt_vfio_assign *v, const struct pt_assign_irqs *irqs)
{
	struct pt_vfio_irq_state *s = &v->irq;
	struct pt_route_table *t = v->env.routes;
	int index = vfio_index(irqs->kind), r = 0;

	if (!irqs->nvec || irqs->nvec > v->dev->irqs[index].count) {
		pt_err("%s: %u %s vectors asked for, the device has %u", v->base.name, irqs->nvec,
		       pt_vfio_irq_name(index), v->dev->irqs[index].count);
		return -ERANGE;
	}
	s->kind = irqs->kind;
	s->nvec = irqs->nvec;
	s->vec = calloc(s->nvec, sizeof(*s->vec));
	s->gsi = malloc(s->nvec * sizeof(*s->gsi));
	s->fd = malloc(s->nvec * sizeof(*s->fd));
	if (!s->vec || !s->gsi || !s->fd)
		return -ENOMEM;
	memcpy(s->vec, irqs->vec, s->nvec * sizeof(*s->vec));
	for (unsigned i = 0; i < s->nvec; i++)
		s->gsi[i] = s->fd[i] = -1;

	/*
	 * Routes for the live vectors, one commit for them all. A refused commit rolls the
	 * burst back itself; a table that fills up halfway through is abandoned here, or the
	 * vectors routed so far would keep their GSIs with nobody to free them.
	 */
	pt_route_table_lock(t);
	for (unsigned i = 0; i < s->nvec && !r; i++)
		r = pt_route_msi_add(t, v->base.name, (int)i, s->vec[i].state, &s->vec[i].msg,
				     &s->gsi[i]);
	if (!r)
		r = pt_route_table_commit(t);
	else
		pt_route_table_abandon(t);
	pt_route_table_unlock(t);
	if (r < 0) {
		for (unsigned i = 0; i < s->nvec; i++)
			s->gsi[i] = -1; /* the table has none of them any more */
		return r;
	}
	for (unsigned i = 0; i < s->nvec; i++) {
		if (s->gsi[i] < 0)
			continue;
		s->fd[i] = eventfd(0, EFD_CLOEXEC);
		if (s->fd[i] < 0)
			return -errno;
		r = pt_route_irqfd_assign(t, (unsigned)s->gsi[i], s->fd[i], -1);
		if (r < 0)
			return r;
	}
	return pt_vfio_irq_set_triggers(v->dev, index, 0, s->nvec, s->fd);
}

static int mode_on(struct pt_vfio_assign *v, const struct pt_assign_irqs *irqs)
{
	switch (irqs->kind) {
	case PT_ASSIGN_IRQ_NONE:
		return 0;
	case PT_ASSIGN_IRQ_INTX:
		return intx_on(v, irqs->intx_gsi);
	case PT_ASSIGN_IRQ_MSI:
	case PT_ASSIGN_IRQ_MSIX:
		return msi_on(v, irqs);
	}
	return -EINVAL;
}

/* Same mode, same vectors live and masked: only messages may differ (a retarget). */
static bool only_retargets(const struct pt_vfio_irq_state *s, const struct pt_assign_irqs *irqs)
{
	if (s->kind != irqs->kind || (s->kind != PT_ASSIGN_IRQ_MSI && s->kind != PT_ASSIGN_IRQ_MSIX) ||
	    s->nvec != irqs->nvec)
		return false;
	for (unsigned i = 0; i < s->nvec; i++)
		if (s->vec[i].state != irqs->vec[i].state)
			return false;
	return true;
}

static int retarget(struct pt_vfio_assign *v, const struct pt_assign_irqs *irqs)
{
	struct pt_vfio_irq_state *s = &v->irq;
	struct pt_route_table *t = v->env.routes;
	int r = 0;

	pt_route_table_lock(t);
	for (unsigned i = 0; i < s->nvec && !r; i++)
		if (s->gsi[i] >= 0)
			r = pt_route_msi_update(t, (unsigned)s->gsi[i], &irqs->vec[i].msg);
	if (!r)
		r = pt_route_table_commit(t);
	pt_route_table_unlock(t);
	if (r < 0)
		return r; /* the table put the old messages back */
	for (unsigned i = 0; i < s->nvec; i++)
		s->vec[i].msg = irqs->vec[i].msg;
	return 0;
}

int pt_vfio_irq_set(struct pt_assign_dev *d, const struct pt_assign_irqs *irqs)
{
	struct pt_vfio_assign *v = (struct pt_vfio_assign *)d;
	struct pt_assign_irqs old = { .kind = v->irq.kind, .intx_gsi = v->irq.intx_gsi,
				      .nvec = v->irq.nvec };
	struct pt_assign_vector *old_vec = NULL;
	int r;

	if (only_retargets(&v->irq, irqs))
		return retarget(v, irqs);
	if ((irqs->kind == PT_ASSIGN_IRQ_MSI || irqs->kind == PT_ASSIGN_IRQ_MSIX) &&
	    (!irqs->nvec || irqs->nvec > v->dev->irqs[vfio_index(irqs->kind)].count)) {
		/* Refused before the current mode is touched. */
		pt_err("%s: %u %s vectors asked for, the device has %u", d->name, irqs->nvec,
		       pt_vfio_irq_name(vfio_index(irqs->kind)),
		       v->dev->irqs[vfio_index(irqs->kind)].count);
		return -ERANGE;
	}
	if (old.nvec) {
		old_vec = malloc(old.nvec * sizeof(*old_vec));
		if (!old_vec)
			return -ENOMEM;
		memcpy(old_vec, v->irq.vec, old.nvec * sizeof(*old_vec));
		old.vec = old_vec;
	}
	pt_vfio_irqs_off(v);
	r = mode_on(v, irqs);
	if (r < 0) {
		pt_err("%s: cannot switch its interrupts to %s: %s; back to %s", d->name,
		       pt_assign_irq_kind_name(irqs->kind), strerror(-r),
		       pt_assign_irq_kind_name(old.kind));
		pt_vfio_irqs_off(v);
		if (mode_on(v, &old) < 0) {
			pt_err("%s: and its previous interrupt mode could not be restored: its "
			       "interrupts are off", d->name);
			pt_vfio_irqs_off(v);
		}
	}
	free(old_vec);
	return r;
}
