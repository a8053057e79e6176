/*
 * Legacy assignment's interrupts on the VM's routing table. The kernel takes the
 * device's host interrupt itself and injects it into a guest GSI:
 *   INTx   KVM_ASSIGN_DEV_IRQ(HOST_INTX | GUEST_INTX) onto the device's IOAPIC pin;
 *   MSI    KVM_ASSIGN_DEV_IRQ(HOST_MSI | GUEST_MSI) onto a GSI with an MSI route;
 *   MSI-X  KVM_ASSIGN_SET_MSIX_NR, one KVM_ASSIGN_SET_MSIX_ENTRY per live vector with
 *          its GSI, then KVM_ASSIGN_DEV_IRQ(HOST_MSIX | GUEST_MSIX).
 * The MSI routes come from the shared table (route/table.h): added and committed before
 * the kernel can inject into them, removed after it stopped. Changing the set of live
 * vectors means deassigning and assigning again (3.17 takes the MSI-X count once per
 * assignment); a retarget of a live vector only updates its route.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "assign/legacy_impl.h"
#include "route/table.h"

#define MSIX_TABLE_MAX 2048 /* entries a PCI MSI-X table can have */

void legacy_irq_state_free(struct legacy_irq_state *s)
{
	free(s->gsi);
	free(s->live);
	free(s->msg);
	s->gsi = NULL;
	s->live = NULL;
	s->msg = NULL;
	s->nvec = 0;
}

static unsigned live_count(const struct legacy_irq_state *s)
{
	unsigned n = 0;

	for (unsigned i = 0; i < s->nvec; i++)
		n += s->live[i];
	return n;
}

/* The vector's GSI, live or masked. */
static int gsi_at(const struct legacy_irq_state *s, unsigned i)
{
	return i < s->nvec ? s->gsi[i] : PT_ROUTE_NO_GSI;
}

/* The GSI the kernel injects the vector into, if it does. */
static int live_gsi_at(const struct legacy_irq_state *s, unsigned i)
{
	return i < s->nvec && s->live[i] ? s->gsi[i] : PT_ROUTE_NO_GSI;
}

/* Would the kernel be told the same thing for both states? */
static bool kernel_same(const struct legacy_irq_state *a, const struct legacy_irq_state *b)
{
	unsigned n = a->nvec > b->nvec ? a->nvec : b->nvec;

	if (a->kind != b->kind)
		return false;
	if (a->kind == PT_ASSIGN_IRQ_INTX)
		return a->intx_gsi == b->intx_gsi;
	for (unsigned i = 0; i < n; i++)
		if (live_gsi_at(a, i) != live_gsi_at(b, i))
			return false;
	return true;
}

static uint32_t irq_flags(enum pt_assign_irq_kind kind)
{
	switch (kind) {
	case PT_ASSIGN_IRQ_INTX:
		return PT_KVM_DEV_IRQ_HOST_INTX | PT_KVM_DEV_IRQ_GUEST_INTX;
	case PT_ASSIGN_IRQ_MSI:
		return PT_KVM_DEV_IRQ_HOST_MSI | PT_KVM_DEV_IRQ_GUEST_MSI;
	case PT_ASSIGN_IRQ_MSIX:
		return PT_KVM_DEV_IRQ_HOST_MSIX | PT_KVM_DEV_IRQ_GUEST_MSIX;
	default:
		return 0;
	}
}

static int unwire(struct legacy_dev *ld, struct legacy_irq_state *s)
{
	struct pt_kvm_assigned_irq irq = {
		.assigned_dev_id = ld->assigned.assigned_dev_id, .flags = irq_flags(s->kind),
	};
	int r;

	if (!s->wired)
		return 0;
	r = legacy_ioctl(ld, PT_KVM_DEASSIGN_DEV_IRQ, &irq, "stop its interrupts");
	if (r < 0)
		return r;
	s->wired = false;
	if (s->kind == PT_ASSIGN_IRQ_MSIX)
		ld->msix_nr_held = false; /* deassigning MSI-X is what clears the count */
	return 0;
}

/*
 * After a failed MSI-X setup Linux 3.17 keeps the count it was given, and a second
 * KVM_ASSIGN_SET_MSIX_NR is EINVAL until an MSI-X interrupt is deassigned: only
 * giving the device back and taking it again clears it (the kernel resets the
 * function on both).
 */
static int clear_held_msix_nr(struct legacy_dev *ld)
{
	struct pt_kvm_assigned_pci_dev mask;
	int r;

	pt_warn("%s: the kernel still holds the MSI-X count of a failed setup; re-assigning "
		"the device to clear it (KVM resets the function)", ld->base.name);
	r = legacy_deassign(ld);
	if (r < 0)
		return r;
	r = legacy_assign(ld);
	if (r < 0) {
		pt_err("%s: the device is no longer assigned to the VM: detach it", ld->base.name);
		return r;
	}
	ld->msix_nr_held = false;
	if (!ld->intx_masked)
		return 0;
	mask = ld->assigned;
	mask.flags |= PT_KVM_DEV_ASSIGN_MASK_INTX;
	return legacy_ioctl(ld, PT_KVM_ASSIGN_SET_INTX_MASK, &mask, "mask INTx again");
}

static int wire_msix(struct legacy_dev *ld, struct legacy_irq_state *s, unsigned n)
{
	struct pt_kvm_assigned_msix_nr nr = {
		.assigned_dev_id = ld->assigned.assigned_dev_id, .entry_nr = (uint16_t)n,
	};
	int r;

	if (ld->msix_nr_held) {
		r = clear_held_msix_nr(ld);
		if (r < 0)
			return r;
	}
	r = legacy_ioctl(ld, PT_KVM_ASSIGN_SET_MSIX_NR, &nr, "MSI-X vector count");
	if (r < 0) {
		/* ENOMEM (and EINVAL for a count already held) leave a count behind. */
		ld->msix_nr_held = r == -ENOMEM || r == -EINVAL;
		return r;
	}
	ld->msix_nr_held = true;
	for (unsigned i = 0; i < s->nvec; i++) {
		struct pt_kvm_assigned_msix_entry e = {
			.assigned_dev_id = ld->assigned.assigned_dev_id,
			.gsi = (uint32_t)s->gsi[i], .entry = (uint16_t)i,
		};

		if (!s->live[i])
			continue;
		r = legacy_ioctl(ld, PT_KVM_ASSIGN_SET_MSIX_ENTRY, &e, "MSI-X entry to GSI");
		if (r < 0)
			return r;
	}
	return 0;
}

static int wire(struct legacy_dev *ld, struct legacy_irq_state *s)
{
	struct pt_kvm_assigned_irq irq = {
		.assigned_dev_id = ld->assigned.assigned_dev_id, .flags = irq_flags(s->kind),
	};
	unsigned n = live_count(s);
	int r;

	s->wired = false;
	switch (s->kind) {
	case PT_ASSIGN_IRQ_INTX:
		irq.guest_irq = s->intx_gsi;
		break;
	case PT_ASSIGN_IRQ_MSI:
		if (!n)
			return 0; /* masked or disabled: nothing to inject */
		irq.guest_irq = (uint32_t)s->gsi[0];
		break;
	case PT_ASSIGN_IRQ_MSIX:
		if (!n)
			return 0;
		r = wire_msix(ld, s, n);
		if (r < 0)
			return r;
		break;
	default:
		return 0;
	}
	r = legacy_ioctl(ld, PT_KVM_ASSIGN_DEV_IRQ, &irq, pt_assign_irq_kind_name(s->kind));
	if (r < 0 && r != -EEXIST) {
		/* The host half may have gone in before the guest half failed: take it out. */
		struct pt_kvm_assigned_irq undo = irq;
		int r2 = ld->ops->vm_ioctl(ld->opaque, PT_KVM_DEASSIGN_DEV_IRQ, &undo);

		if (r2 == 0 && s->kind == PT_ASSIGN_IRQ_MSIX)
			ld->msix_nr_held = false;
		return r;
	}
	if (r < 0)
		return r; /* EEXIST: something else is assigned; leave it alone */
	if (s->kind == PT_ASSIGN_IRQ_MSIX)
		ld->msix_nr_held = false;
	s->wired = true;
	return 0;
}

/* After a failed wire(): the previous mode back, and no MSI-X count left held. */
static void restore(struct legacy_dev *ld, struct legacy_irq_state *old)
{
	int r = ld->msix_nr_held ? clear_held_msix_nr(ld) : 0;

	if (r == 0)
		r = wire(ld, old);
	if (r < 0)
		pt_err("%s: its previous interrupts (%s) could not be restored", ld->base.name,
		       pt_assign_irq_kind_name(old->kind));
}

static int validate(struct legacy_dev *ld, const struct pt_assign_irqs *irqs)
{
	const char *name = ld->base.name;
	unsigned live = 0;

	if (irqs->kind != PT_ASSIGN_IRQ_NONE &&
	    pt_route_table_mode(ld->routes) != PT_IRQCHIP_KERNEL) {
		pt_err("%s: legacy assignment injects interrupts through the in-kernel PIC and "
		       "IOAPIC: use irqchip = kernel (a split irqchip has none)", name);
		return -EOPNOTSUPP;
	}
	for (unsigned i = 0; i < irqs->nvec; i++)
		live += irqs->vec[i].state == PT_VECTOR_LIVE;
	switch (irqs->kind) {
	case PT_ASSIGN_IRQ_NONE:
		return 0;
	case PT_ASSIGN_IRQ_INTX:
		if (irqs->intx_gsi < PT_ROUTE_IOAPIC_PINS)
			return 0;
		pt_err("%s: INTx on GSI %u: the device's pin must be an IOAPIC pin (GSI 0-%u)",
		       name, irqs->intx_gsi, PT_ROUTE_IOAPIC_PINS - 1);
		return -EINVAL;
	case PT_ASSIGN_IRQ_MSI:
		if (ld->caps.device_msi <= 0) {
			pt_err("%s: this kernel cannot inject MSI for assigned devices "
			       "(KVM_CAP_DEVICE_MSI = 0): leave the guest on INTx", name);
			return -EOPNOTSUPP;
		}
		if (irqs->nvec <= 1)
			return 0;
		pt_err("%s: the guest enabled %u MSI vectors; legacy assignment delivers one "
		       "(advertise Multiple Message Capable = 1)", name, irqs->nvec);
		return -EOPNOTSUPP;
	case PT_ASSIGN_IRQ_MSIX:
		if (ld->caps.device_msix <= 0) {
			pt_err("%s: this kernel cannot inject MSI-X for assigned devices "
			       "(KVM_CAP_DEVICE_MSIX = 0): leave the guest on MSI or INTx", name);
			return -EOPNOTSUPP;
		}
		if (irqs->nvec <= MSIX_TABLE_MAX && live <= PT_KVM_MAX_MSIX_PER_DEV)
			return 0;
		pt_err("%s: %u MSI-X entries, %u of them live: legacy assignment takes at most %u "
		       "live vectors of a table of at most %u", name, irqs->nvec, live,
		       PT_KVM_MAX_MSIX_PER_DEV, MSIX_TABLE_MAX);
		return -EINVAL;
	}
	pt_err("%s: unknown interrupt mode %d", name, (int)irqs->kind);
	return -EINVAL;
}

/* What the routing table had before a change, to put it back. */
struct route_undo {
	bool pin_claimed;
	unsigned nvec;
	bool *added;                /* per vector: GSI allocated by this change */
	struct pt_msi_msg *old_msg; /* per vector: kept GSI, its message before */
};

static void routes_undo(struct legacy_dev *ld, const struct legacy_irq_state *nw,
			const struct route_undo *u, bool committed)
{
	for (unsigned i = 0; i < u->nvec; i++) {
		if (nw->gsi[i] < 0)
			continue;
		if (u->added[i])
			pt_route_msi_remove(ld->routes, (unsigned)nw->gsi[i]);
		else
			pt_route_msi_update(ld->routes, (unsigned)nw->gsi[i], &u->old_msg[i]);
	}
	if (u->pin_claimed)
		pt_route_pin_release(ld->routes, nw->intx_gsi, ld->base.name);
	if (committed && pt_route_table_commit(ld->routes) < 0)
		pt_warn("%s: the kernel keeps the routes of the failed change until the next "
			"commit", ld->base.name);
}

/* Routes for every live vector of nw (reusing old's GSIs), committed once. */
static int routes_apply(struct legacy_dev *ld, const struct legacy_irq_state *old,
			struct legacy_irq_state *nw, const struct pt_assign_irqs *irqs,
			struct route_undo *u)
{
	int r = 0;

	if (nw->kind == PT_ASSIGN_IRQ_INTX &&
	    !(old->kind == PT_ASSIGN_IRQ_INTX && old->intx_gsi == nw->intx_gsi)) {
		r = pt_route_pin_claim(ld->routes, nw->intx_gsi, ld->base.name);
		if (r < 0)
			return r;
		u->pin_claimed = true;
	}
	for (unsigned i = 0; i < nw->nvec; i++) {
		const struct pt_assign_vector *v = &irqs->vec[i];
		int keep = old->kind == nw->kind ? gsi_at(old, i) : PT_ROUTE_NO_GSI;

		/* Disabled: no GSI. Masked: keeps one it had (guests mask often), gets none. */
		if (v->state == PT_VECTOR_DISABLED || (v->state == PT_VECTOR_MASKED && keep < 0))
			continue;
		if (keep >= 0) {
			u->old_msg[i] = old->msg[i];
			r = pt_route_msi_update(ld->routes, (unsigned)keep, &v->msg);
			nw->gsi[i] = keep;
		} else {
			r = pt_route_msi_add(ld->routes, ld->base.name, (int)i, PT_VECTOR_LIVE,
					     &v->msg, &nw->gsi[i]);
			u->added[i] = r == 0;
		}
		if (r < 0)
			goto fail;
		nw->msg[i] = v->msg;
		nw->live[i] = v->state == PT_VECTOR_LIVE;
	}
	r = pt_route_table_commit(ld->routes);
	if (r == 0)
		return 0;
fail:
	routes_undo(ld, nw, u, false);
	return r;
}

/* The old state's routes that the new one does not use. */
static void routes_drop_old(struct legacy_dev *ld, const struct legacy_irq_state *old,
			    const struct legacy_irq_state *nw)
{
	for (unsigned i = 0; i < old->nvec; i++) {
		int g = old->gsi[i];
		bool kept = false;

		if (g < 0)
			continue;
		for (unsigned j = 0; j < nw->nvec && !kept && old->kind == nw->kind; j++)
			kept = nw->gsi[j] == g;
		if (!kept)
			pt_route_msi_remove(ld->routes, (unsigned)g);
	}
	if (old->kind == PT_ASSIGN_IRQ_INTX &&
	    !(nw->kind == PT_ASSIGN_IRQ_INTX && nw->intx_gsi == old->intx_gsi))
		pt_route_pin_release(ld->routes, old->intx_gsi, ld->base.name);
	if (pt_route_table_commit(ld->routes) < 0)
		pt_warn("%s: routes no longer used stay in the kernel until the next commit",
			ld->base.name);
}

static int state_new(const struct pt_assign_irqs *irqs, struct legacy_irq_state *ret)
{
	unsigned n = irqs->kind == PT_ASSIGN_IRQ_MSI || irqs->kind == PT_ASSIGN_IRQ_MSIX ?
			     irqs->nvec : 0;

	*ret = (struct legacy_irq_state){ .kind = irqs->kind, .intx_gsi = irqs->intx_gsi, .nvec = n };
	if (!n)
		return 0;
	ret->gsi = malloc(n * sizeof(*ret->gsi));
	ret->live = calloc(n, sizeof(*ret->live));
	ret->msg = calloc(n, sizeof(*ret->msg));
	if (!ret->gsi || !ret->live || !ret->msg) {
		legacy_irq_state_free(ret);
		return -ENOMEM;
	}
	for (unsigned i = 0; i < n; i++)
		ret->gsi[i] = PT_ROUTE_NO_GSI;
	return 0;
}

int legacy_irq_set(struct pt_assign_dev *d, const struct pt_assign_irqs *irqs)
{
	struct legacy_dev *ld = legacy_of(d);
	struct legacy_irq_state *old = &ld->irq, nw;
	struct route_undo u = { 0 };
	int r;

	r = validate(ld, irqs);
	if (r < 0)
		return r;
	r = state_new(irqs, &nw);
	if (r < 0)
		return r;
	u.nvec = nw.nvec;
	u.added = calloc(nw.nvec + 1, sizeof(*u.added));
	u.old_msg = calloc(nw.nvec + 1, sizeof(*u.old_msg));
	if (!u.added || !u.old_msg) {
		r = -ENOMEM;
		goto out;
	}
	r = routes_apply(ld, old, &nw, irqs, &u);
	if (r < 0)
		goto out;
	if (kernel_same(old, &nw)) {
		nw.wired = old->wired;
	} else {
		r = unwire(ld, old);
		if (r == 0) {
			r = wire(ld, &nw);
			if (r < 0)
				restore(ld, old);
		}
		if (r < 0) {
			routes_undo(ld, &nw, &u, true);
			goto out;
		}
	}
	routes_drop_old(ld, old, &nw);
	legacy_irq_state_free(old);
	*old = nw;
	nw = (struct legacy_irq_state){ 0 };
out:
	legacy_irq_state_free(&nw);
	free(u.added);
	free(u.old_msg);
	return r;
}

int legacy_intx_mask(struct pt_assign_dev *d, bool masked)
{
	struct legacy_dev *ld = legacy_of(d);
	struct pt_kvm_assigned_pci_dev a = ld->assigned;
	int r;

	if (masked)
		a.flags |= PT_KVM_DEV_ASSIGN_MASK_INTX;
	r = legacy_ioctl(ld, PT_KVM_ASSIGN_SET_INTX_MASK, &a, masked ? "mask INTx" : "unmask INTx");
	if (r == 0)
		ld->intx_masked = masked;
	return r;
}
