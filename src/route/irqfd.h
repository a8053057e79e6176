/*
 * Eventfds bound to GSIs (KVM_IRQFD), and MSIs raised from userspace (KVM_SIGNAL_MSI).
 *
 * An MSI GSI carries at most one binding. An IRQCHIP GSI (an IOAPIC pin, for INTx)
 * carries one per device that shares it: each owner (pt_route_pin_claim()) binds its
 * own eventfd, with its own resamplefd. The route is always in the kernel before the
 * eventfd that uses it: assigning commits a dirty table first. Removing an MSI route or
 * releasing a device's share of a pin deassigns that binding first (route/table.h).
 *
 * Several level bindings on one GSI are what KVM itself supports (virt/kvm/eventfd.c):
 * resample irqfds on the same GSI join one resampler and assert the line with one
 * shared IRQ source ID (KVM_IRQFD_RESAMPLE_IRQ_SOURCE_ID), so the line is the OR of
 * the devices' eventfds. At the guest's EOI the resampler de-asserts the line once and
 * signals every resamplefd on that GSI; each device's VFIO unmask (ACTION_UNMASK on
 * the resamplefd) then re-raises its eventfd if the device still asserts INTx. Taking
 * one binding away leaves the others in the resampler; the line is de-asserted only
 * when the last one goes (until then, a share released while asserted keeps the line
 * up until the next EOI: one spurious interrupt at most).
 */
#ifndef PT_ROUTE_IRQFD_H
#define PT_ROUTE_IRQFD_H

#include "route/table.h"

/*
 * Bind eventfd to MSI GSI gsi (edge). -ENOENT if the GSI has no route, -EBUSY if it is
 * already bound, -EINVAL (logged) for a level binding (resamplefd >= 0: KVM accepts it
 * on an MSI GSI but never signals the resamplefd) and for an IRQCHIP GSI, whose
 * bindings belong to the devices sharing it (pt_route_pin_irqfd_assign()).
 */
int pt_route_irqfd_assign(struct pt_route_table *t, unsigned gsi, int eventfd, int resamplefd);
/* Unbind MSI GSI gsi: -ENOENT if it has no binding, -EINVAL for an IRQCHIP GSI. */
int pt_route_irqfd_deassign(struct pt_route_table *t, unsigned gsi);

/*
 * Bind device dev's eventfd to the IRQCHIP GSI it claimed. With resamplefd >= 0 the
 * binding is level-triggered (KVM_IRQFD_FLAG_RESAMPLE): KVM asserts the line, lowers it
 * at the guest's EOI and signals resamplefd (and every other resamplefd on the GSI)
 * then. -ENOENT if dev has not claimed the GSI, -EBUSY if dev's share is bound already.
 */
int pt_route_pin_irqfd_assign(struct pt_route_table *t, unsigned gsi, const char *dev,
			      int eventfd, int resamplefd);
/* Unbind dev's share of the pin (it stays an owner): -ENOENT if it has no binding. */
int pt_route_pin_irqfd_deassign(struct pt_route_table *t, unsigned gsi, const char *dev);

/* The eventfd bound to gsi (an IRQCHIP GSI: its first bound owner's), or -1. */
int pt_route_irqfd_of(const struct pt_route_table *t, unsigned gsi);
/* The eventfd dev bound to IRQCHIP GSI gsi, or -1. */
int pt_route_pin_irqfd_of(const struct pt_route_table *t, unsigned gsi, const char *dev);

/* Deliver one MSI now: >0 delivered, 0 not delivered (e.g. no such APIC), or -errno. */
int pt_route_signal_msi(struct pt_route_table *t, const struct pt_msi_msg *msg);

#endif
