#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>

#include "common/log.h"
#include "route/kvm_ops.h"
#include "route/table_impl.h"

static int vm_fd_of(void *opaque)
{
	return *(const int *)opaque;
}

static int kvm_set_gsi_routing(void *opaque, const struct kvm_irq_routing *routing)
{
	return ioctl(vm_fd_of(opaque), KVM_SET_GSI_ROUTING, routing) < 0 ? -errno : 0;
}

static int kvm_irqfd(void *opaque, const struct kvm_irqfd *req)
{
	return ioctl(vm_fd_of(opaque), KVM_IRQFD, req) < 0 ? -errno : 0;
}

static int kvm_signal_msi(void *opaque, const struct kvm_msi *msi)
{
	int r = ioctl(vm_fd_of(opaque), KVM_SIGNAL_MSI, msi);

	return r < 0 ? -errno : r;
}

const struct pt_route_ops pt_route_kvm_ops = {
	.set_gsi_routing = kvm_set_gsi_routing,
	.irqfd = kvm_irqfd,
	.signal_msi = kvm_signal_msi,
};

int pt_route_kvm_max_entries(int vm_fd)
{
	int r = ioctl(vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_IRQ_ROUTING);

	if (r < 0) {
		r = -errno;
		pt_err("KVM_CHECK_EXTENSION(KVM_CAP_IRQ_ROUTING) on VM fd %d failed: %s", vm_fd,
		       strerror(-r));
		return r;
	}
	if (r == 0) {
		pt_err("this KVM has no GSI routing (KVM_CAP_IRQ_ROUTING is 0): interrupts "
		       "cannot be routed to the guest");
		return -EOPNOTSUPP;
	}
	return r;
}

int pt_route_table_new_kvm(int vm_fd, enum pt_irqchip mode, struct pt_route_table **ret)
{
	struct pt_route_table *t;
	int max, r;

	max = pt_route_kvm_max_entries(vm_fd);
	if (max < 0)
		return max;
	r = pt_route_table_new(&pt_route_kvm_ops, NULL, (unsigned)max, mode, &t);
	if (r < 0)
		return r;
	t->vm_fd = vm_fd;
	t->opaque = &t->vm_fd;
	*ret = t;
	return 0;
}
