/* The routing table on a real VM: the ops are the VM fd's ioctls. */
#ifndef PT_ROUTE_KVM_OPS_H
#define PT_ROUTE_KVM_OPS_H

#include "route/table.h"

/* KVM_CHECK_EXTENSION(KVM_CAP_IRQ_ROUTING) on the VM fd: >0, or -EOPNOTSUPP (logged). */
int pt_route_kvm_max_entries(int vm_fd);

/*
 * A table for the VM behind vm_fd (not owned: the caller keeps it open for the table's
 * life), sized from KVM_CAP_IRQ_ROUTING. Create it after the irqchip (see
 * pt_route_table_new()).
 */
int pt_route_table_new_kvm(int vm_fd, enum pt_irqchip mode, struct pt_route_table **ret);

extern const struct pt_route_ops pt_route_kvm_ops; /* opaque: pointer to an int vm fd */

#endif
