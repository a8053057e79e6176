/*
 * Eventfds bound to GSIs (KVM_IRQFD), and MSIs raised from userspace (KVM_SIGNAL_MSI).
 *
 * A GSI carries at most one binding here. The route is always in the kernel before the
 * eventfd that uses it: assigning commits a dirty table first. Removing an MSI route or
 * releasing a pin deassigns its binding first (route/table.h).
 */
#ifndef PT_ROUTE_IRQFD_H
#define PT_ROUTE_IRQFD_H

#include "route/table.h"

/*
 * Bind eventfd to gsi. With resamplefd >= 0 the binding is level-triggered
 * (KVM_IRQFD_FLAG_RESAMPLE): KVM asserts the line, lowers it at the guest's EOI and
 * signals resamplefd then. Level bindings are refused (-EINVAL, logged) on anything but
 * an IRQCHIP route: KVM accepts them on MSI or unrouted GSIs but never signals the
 * resamplefd. -ENOENT if the GSI has no route, -EBUSY if it is already bound.
 */
int pt_route_irqfd_assign(struct pt_route_table *t, unsigned gsi, int eventfd, int resamplefd);
int pt_route_irqfd_deassign(struct pt_route_table *t, unsigned gsi);

/* The eventfd bound to gsi, or -1. */
int pt_route_irqfd_of(const struct pt_route_table *t, unsigned gsi);

/* Deliver one MSI now: >0 delivered, 0 not delivered (e.g. no such APIC), or -errno. */
int pt_route_signal_msi(struct pt_route_table *t, const struct pt_msi_msg *msg);

#endif
