/*
 * The VFIO backend's irq_set: the guest's interrupt mode onto the routing table, KVM
 * irqfds and VFIO_DEVICE_SET_IRQS. The order keeps every interrupt routed: routes are
 * committed before the irqfds that use them and before VFIO may fire; on the way out
 * VFIO stops first, then irqfds and routes go.
 *
 * Within MSI or MSI-X (same mode, same vector count) a change is worked out vector by
 * vector, the index staying enabled: a vector that becomes live gets a GSI, an irqfd
 * and its trigger (VFIO requests its host interrupt, unmasking the host's entry); one
 * masked again loses only its trigger (VFIO frees the host interrupt, which masks the
 * host's entry, so the device's pending bit is real and the interrupt comes when the
 * trigger is back) and keeps its GSI and route; a new message updates the route. One
 * routing commit per call, one SET_IRQS per run of neighbouring vectors that changed.
 *
 * How many vectors the index is enabled with: where VFIO can add MSI-X vectors to an
 * enabled index (VFIO_IRQ_INFO_NORESIZE clear, Linux 6.5+ with a device that allows
 * dynamic allocation), up to the highest live one, and later vectors are added by
 * themselves; where it cannot (NORESIZE set, the index sized once at enable), every
 * vector of the table, so that unmasking any entry later never needs disable-all and
 * enable-all again (which can lose interrupts): the cost is host interrupt vectors
 * for the whole table, most never requested. A change that cannot be made in place
 * falls back to disable-all and enable-all, counted in the statistics.
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
	struct pt_vfio_irq_stats stats = s->stats;

	switch (s->kind) {
	case PT_ASSIGN_IRQ_INTX:
		pt_vfio_irq_disable(v->dev, VFIO_PCI_INTX_IRQ_INDEX);
		if (t)
			/* Deassigns its irqfd; other devices sharing the pin keep theirs. */
			pt_route_pin_release(t, s->intx_gsi, v->base.name);
		break;
	case PT_ASSIGN_IRQ_MSI:
	case PT_ASSIGN_IRQ_MSIX:
		pt_vfio_irq_disable(v->dev, vfio_index(s->kind));
		if (t) {
			pt_route_table_lock(t);
			for (unsigned i = 0; i < s->nvec; i++)
				if (s->gsi && s->gsi[i] >= 0)
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
	free(s->on);
	pt_vfio_irqs_init(v);
	v->irq.stats = stats;
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
	/* Its own eventfd and resamplefd, beside those of devices sharing the pin. */
	r = pt_route_pin_irqfd_assign(t, gsi, v->base.name, s->intx_fd, s->resample_fd);
	if (r < 0)
		return r;
	r = pt_vfio_irq_set_triggers(v->dev, VFIO_PCI_INTX_IRQ_INDEX, 0, 1, &s->intx_fd);
	if (r < 0)
		return r;
	return pt_vfio_irq_set_unmask_fd(v->dev, VFIO_PCI_INTX_IRQ_INDEX, s->resample_fd);
}

/* How many vectors to enable the index with (see the top of this file). */
static unsigned enable_count(struct pt_vfio_assign *v, const struct pt_assign_irqs *irqs)
{
	unsigned n = 1;

	if (irqs->kind != PT_ASSIGN_IRQ_MSIX ||
	    !pt_vfio_irq_can_grow(v->dev, VFIO_PCI_MSIX_IRQ_INDEX))
		return irqs->nvec;
	for (unsigned i = 0; i < irqs->nvec; i++)
		if (irqs->vec[i].state == PT_VECTOR_LIVE)
			n = i + 1;
	return n;
}

static int msi_on(struct pt_vfio_assign *v, const struct pt_assign_irqs *irqs)
{
	struct pt_vfio_irq_state *s = &v->irq;
	struct pt_route_table *t = v->env.routes;
	int index = vfio_index(irqs->kind), r = 0;
	unsigned count;

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
	s->on = calloc(s->nvec, sizeof(*s->on));
	if (!s->vec || !s->gsi || !s->fd || !s->on)
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
	count = enable_count(v, irqs);
	r = pt_vfio_irq_set_triggers(v->dev, index, 0, count, s->fd);
	if (r < 0)
		return r;
	s->enabled = count;
	for (unsigned i = 0; i < count; i++)
		s->on[i] = s->fd[i] >= 0;
	s->stats.enables++;
	return 0;
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

enum { ADDED = 1, UPDATED = 2, DROPPED = 4 };

/*
 * Puts the routes of a failed update back: GSIs this call added go (with their
 * irqfds and eventfds), updated messages return. After a refused commit the table
 * has done it already: only our bookkeeping follows.
 */
static void undo_routes(struct pt_vfio_assign *v, const uint8_t *what, bool in_table)
{
	struct pt_vfio_irq_state *s = &v->irq;
	struct pt_route_table *t = v->env.routes;

	pt_route_table_lock(t);
	for (unsigned i = 0; i < s->nvec; i++) {
		if ((what[i] & ADDED) && s->gsi[i] >= 0) {
			if (in_table)
				pt_route_msi_remove(t, (unsigned)s->gsi[i]);
			s->gsi[i] = -1;
			close_fd(&s->fd[i]);
		} else if ((what[i] & UPDATED) && in_table) {
			pt_route_msi_update(t, (unsigned)s->gsi[i], &s->vec[i].msg);
		}
	}
	pt_route_table_commit(t);
	pt_route_table_unlock(t);
}

/* Step 1: routes for vectors that became live, new messages; one commit. */
static int update_routes(struct pt_vfio_assign *v, const struct pt_assign_irqs *irqs,
			 uint8_t *what)
{
	struct pt_vfio_irq_state *s = &v->irq;
	struct pt_route_table *t = v->env.routes;
	int r = 0;

	pt_route_table_lock(t);
	for (unsigned i = 0; i < s->nvec && !r; i++) {
		const struct pt_assign_vector *n = &irqs->vec[i];

		if (n->state == PT_VECTOR_LIVE && s->gsi[i] < 0) {
			r = pt_route_msi_add(t, v->base.name, (int)i, n->state, &n->msg, &s->gsi[i]);
			what[i] |= r == 0 ? ADDED : 0;
		} else if (n->state == PT_VECTOR_DISABLED && s->gsi[i] >= 0) {
			what[i] |= DROPPED; /* after VFIO stopped using it */
		} else if (s->gsi[i] >= 0 && !pt_msi_msg_equal(&n->msg, &s->vec[i].msg)) {
			r = pt_route_msi_update(t, (unsigned)s->gsi[i], &n->msg);
			what[i] |= r == 0 ? UPDATED : 0;
		}
	}
	/* A refused commit rolls the burst back itself; one that cannot finish is abandoned. */
	if (!r)
		r = pt_route_table_commit(t);
	else
		pt_route_table_abandon(t);
	pt_route_table_unlock(t);
	if (r < 0)
		undo_routes(v, what, false); /* the table has none of it any more */
	return r;
}

/* Step 2: an eventfd and an irqfd for each new GSI. */
static int update_irqfds(struct pt_vfio_assign *v, const uint8_t *what)
{
	struct pt_vfio_irq_state *s = &v->irq;
	int r = 0;

	for (unsigned i = 0; i < s->nvec && !r; i++) {
		if (!(what[i] & ADDED))
			continue;
		s->fd[i] = eventfd(0, EFD_CLOEXEC);
		r = s->fd[i] < 0 ? -errno
				 : pt_route_irqfd_assign(v->env.routes, (unsigned)s->gsi[i],
							 s->fd[i], -1);
	}
	if (r < 0)
		undo_routes(v, what, true);
	return r;
}

/*
 * Step 3: VFIO's triggers, one SET_IRQS per run of neighbouring vectors that change:
 * live ones get theirs, others lose it. A run past the enabled count grows the index
 * (only where VFIO can: enable_count enabled all the vectors otherwise).
 */
static int update_triggers(struct pt_vfio_assign *v, const struct pt_assign_irqs *irqs)
{
	struct pt_vfio_irq_state *s = &v->irq;
	int index = vfio_index(s->kind);
	int32_t *fds = malloc(s->nvec * sizeof(*fds));
	unsigned i = 0;
	int r = 0;

	if (!fds)
		return -ENOMEM;
	while (i < s->nvec && !r) {
		unsigned start;

		if ((irqs->vec[i].state == PT_VECTOR_LIVE) == s->on[i]) {
			i++;
			continue;
		}
		for (start = i; i < s->nvec && (irqs->vec[i].state == PT_VECTOR_LIVE) != s->on[i]; i++)
			fds[i - start] = irqs->vec[i].state == PT_VECTOR_LIVE ? s->fd[i] : -1;
		r = pt_vfio_irq_set_triggers(v->dev, index, start, i - start, fds);
		if (r < 0)
			break;
		s->stats.vector_calls++;
		for (unsigned j = start; j < i; j++)
			s->on[j] = fds[j - start] >= 0;
		if (i > s->enabled) {
			s->enabled = i;
			s->stats.grows++;
		}
	}
	free(fds);
	return r;
}

/* Step 4: GSIs of disabled vectors go, now that VFIO no longer signals them. */
static void drop_routes(struct pt_vfio_assign *v, const uint8_t *what)
{
	struct pt_vfio_irq_state *s = &v->irq;
	struct pt_route_table *t = v->env.routes;
	bool any = false;

	pt_route_table_lock(t);
	for (unsigned i = 0; i < s->nvec; i++) {
		if (!(what[i] & DROPPED))
			continue;
		pt_route_msi_remove(t, (unsigned)s->gsi[i]);
		s->gsi[i] = -1;
		close_fd(&s->fd[i]);
		any = true;
	}
	if (any)
		pt_route_table_commit(t);
	pt_route_table_unlock(t);
}

/*
 * The same mode with the same vector count, changed in place (see the top of this
 * file). 0, or -errno with the previous state kept (*ret_broken false) or left half
 * done (*ret_broken true: VFIO refused part of it; the caller starts over).
 */
static int update(struct pt_vfio_assign *v, const struct pt_assign_irqs *irqs, bool *ret_broken)
{
	struct pt_vfio_irq_state *s = &v->irq;
	uint8_t *what = calloc(s->nvec, 1);
	int r;

	*ret_broken = false;
	if (!what)
		return -ENOMEM;
	r = update_routes(v, irqs, what);
	if (!r)
		r = update_irqfds(v, what);
	if (!r) {
		r = update_triggers(v, irqs);
		*ret_broken = r < 0;
	}
	if (!r) {
		drop_routes(v, what);
		memcpy(s->vec, irqs->vec, s->nvec * sizeof(*s->vec));
	}
	free(what);
	return r;
}

static bool same_shape(const struct pt_vfio_irq_state *s, const struct pt_assign_irqs *irqs)
{
	return s->kind == irqs->kind &&
	       (s->kind == PT_ASSIGN_IRQ_MSI || s->kind == PT_ASSIGN_IRQ_MSIX) &&
	       s->nvec == irqs->nvec;
}

/* Everything off, then mode `to`; on failure back to `from` (or off). */
static int switch_mode(struct pt_vfio_assign *v, const struct pt_assign_irqs *to,
		       const struct pt_assign_irqs *from)
{
	int r;

	pt_vfio_irqs_off(v);
	r = mode_on(v, to);
	if (r < 0) {
		pt_err("%s: cannot switch its interrupts to %s: %s; back to %s", v->base.name,
		       pt_assign_irq_kind_name(to->kind), strerror(-r),
		       pt_assign_irq_kind_name(from->kind));
		pt_vfio_irqs_off(v);
		if (mode_on(v, from) < 0) {
			pt_err("%s: and its previous interrupt mode could not be restored: its "
			       "interrupts are off", v->base.name);
			pt_vfio_irqs_off(v);
		}
	}
	return r;
}

int pt_vfio_irq_set(struct pt_assign_dev *d, const struct pt_assign_irqs *irqs)
{
	struct pt_vfio_assign *v = (struct pt_vfio_assign *)d;
	struct pt_assign_irqs old = { .kind = v->irq.kind, .intx_gsi = v->irq.intx_gsi,
				      .nvec = v->irq.nvec };
	struct pt_assign_vector *old_vec = NULL;
	bool broken = false, same = same_shape(&v->irq, irqs);
	int r;

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
	if (same) {
		r = update(v, irqs, &broken);
		if (r < 0)
			pt_err("%s: cannot change its %s vectors in place: %s%s", d->name,
			       pt_assign_irq_kind_name(irqs->kind), strerror(-r),
			       broken ? "; disabling and enabling them all" : "");
		if (broken) {
			v->irq.stats.reenables++;
			r = switch_mode(v, irqs, &old);
		}
	} else {
		r = switch_mode(v, irqs, &old);
	}
	free(old_vec);
	return r;
}

void pt_vfio_irq_stats(struct pt_assign_dev *d, struct pt_vfio_irq_stats *ret)
{
	struct pt_vfio_assign *v = (struct pt_vfio_assign *)d;
	struct pt_vfio_irq_stats st = v->irq.stats;

	st.vfio_vectors = v->irq.enabled;
	st.triggers = 0;
	for (unsigned i = 0; v->irq.on && i < v->irq.nvec; i++)
		st.triggers += v->irq.on[i];
	st.can_grow = pt_vfio_irq_can_grow(v->dev, VFIO_PCI_MSIX_IRQ_INDEX);
	*ret = st;
}
