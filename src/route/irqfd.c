#include "config.h"

#include <assert.h>
#include <errno.h>
#include <string.h>

#include "common/log.h"
#include "route/irqfd.h"
#include "route/table_impl.h"

static const char *owner_name(const struct pt_route_slot *s)
{
	return s->owner[0] ? s->owner : "default";
}

static int irqfd_assign_locked(struct pt_route_table *t, unsigned gsi, int eventfd,
			       int resamplefd)
{
	struct pt_route_slot *s;
	struct kvm_irqfd req;
	int r;

	if (gsi >= t->max_entries || t->slots[gsi].type == PT_ROUTE_NONE) {
		pt_err("cannot bind eventfd %d to GSI %u: the GSI has no route (add the route "
		       "first)", eventfd, gsi);
		return -ENOENT;
	}
	s = &t->slots[gsi];
	if (eventfd < 0) {
		pt_err("GSI %u (%s): invalid eventfd %d", gsi, owner_name(s), eventfd);
		return -EBADF;
	}
	if (s->irqfd >= 0) {
		pt_err("GSI %u (%s) is already bound to eventfd %d", gsi, owner_name(s), s->irqfd);
		return -EBUSY;
	}
	if (resamplefd >= 0 && s->type != PT_ROUTE_IRQCHIP) {
		pt_err("GSI %u (%s): a level-triggered (resample) binding needs an irqchip pin "
		       "route, and this GSI is an MSI route: KVM would accept it but never signal "
		       "the resamplefd. Bind MSIs without resample.", gsi, owner_name(s));
		return -EINVAL;
	}
	/* The route must be in the kernel before the eventfd that uses it. */
	if (t->dirty) {
		r = pt_route_table_commit(t);
		if (r < 0)
			return r;
	}
	assert(!t->dirty);

	memset(&req, 0, sizeof(req));
	req.fd = (uint32_t)eventfd;
	req.gsi = gsi;
	if (resamplefd >= 0) {
		req.flags = KVM_IRQFD_FLAG_RESAMPLE;
		req.resamplefd = (uint32_t)resamplefd;
	}
	r = t->ops->irqfd(t->opaque, &req);
	if (r < 0) {
		pt_err("KVM_IRQFD: binding eventfd %d%s to GSI %u (%s) failed: %s", eventfd,
		       resamplefd >= 0 ? " with resample" : "", gsi, owner_name(s), strerror(-r));
		return r;
	}
	s->irqfd = eventfd;
	s->resamplefd = resamplefd >= 0 ? resamplefd : -1;
	t->nr_irqfds++;
	return 0;
}

static int irqfd_deassign_locked(struct pt_route_table *t, unsigned gsi)
{
	struct pt_route_slot *s;
	struct kvm_irqfd req;
	int r;

	if (gsi >= t->max_entries || t->slots[gsi].irqfd < 0)
		return -ENOENT;
	s = &t->slots[gsi];
	memset(&req, 0, sizeof(req));
	req.fd = (uint32_t)s->irqfd;
	req.gsi = gsi;
	req.flags = KVM_IRQFD_FLAG_DEASSIGN;
	r = t->ops->irqfd(t->opaque, &req);
	if (r < 0) {
		pt_err("KVM_IRQFD: unbinding eventfd %d from GSI %u (%s) failed: %s", s->irqfd, gsi,
		       owner_name(s), strerror(-r));
		return r;
	}
	s->irqfd = -1;
	s->resamplefd = -1;
	t->nr_irqfds--;
	return 0;
}

int pt_route_irqfd_assign(struct pt_route_table *t, unsigned gsi, int eventfd, int resamplefd)
{
	int r;

	pt_route_lock(t);
	r = irqfd_assign_locked(t, gsi, eventfd, resamplefd);
	pt_route_unlock(t);
	return r;
}

int pt_route_irqfd_deassign(struct pt_route_table *t, unsigned gsi)
{
	int r;

	pt_route_lock(t);
	r = irqfd_deassign_locked(t, gsi);
	pt_route_unlock(t);
	return r;
}

int pt_route_irqfd_of(const struct pt_route_table *t, unsigned gsi)
{
	int fd;

	pt_route_lock(t);
	fd = gsi < t->max_entries ? t->slots[gsi].irqfd : -1;
	pt_route_unlock(t);
	return fd;
}

int pt_route_signal_msi(struct pt_route_table *t, const struct pt_msi_msg *msg)
{
	struct kvm_msi m;

	memset(&m, 0, sizeof(m));
	m.address_lo = msg->address_lo;
	m.address_hi = msg->address_hi;
	m.data = msg->data;
	m.flags = msg->flags;
	if (msg->flags & KVM_MSI_VALID_DEVID)
		m.devid = msg->devid;
	return t->ops->signal_msi(t->opaque, &m);
}
