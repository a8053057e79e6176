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

/* Where a binding is kept: an MSI slot's fields or a device's share of a pin. */
struct binding {
	const char *owner; /* for messages */
	int *irqfd, *resamplefd;
};

/* KVM_IRQFD for gsi, the route committed first; records it in *b. */
static int bind_locked(struct pt_route_table *t, unsigned gsi, const struct binding *b,
		       int eventfd, int resamplefd)
{
	struct kvm_irqfd req;
	int r;

	if (eventfd < 0) {
		pt_err("GSI %u (%s): invalid eventfd %d", gsi, b->owner, eventfd);
		return -EBADF;
	}
	if (*b->irqfd >= 0) {
		pt_err("GSI %u (%s) is already bound to eventfd %d", gsi, b->owner, *b->irqfd);
		return -EBUSY;
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
		       resamplefd >= 0 ? " with resample" : "", gsi, b->owner, strerror(-r));
		return r;
	}
	*b->irqfd = eventfd;
	*b->resamplefd = resamplefd >= 0 ? resamplefd : -1;
	t->nr_irqfds++;
	return 0;
}

static int unbind_locked(struct pt_route_table *t, unsigned gsi, const struct binding *b)
{
	struct kvm_irqfd req;
	int r;

	if (*b->irqfd < 0)
		return -ENOENT;
	memset(&req, 0, sizeof(req));
	req.fd = (uint32_t)*b->irqfd;
	req.gsi = gsi;
	req.flags = KVM_IRQFD_FLAG_DEASSIGN;
	r = t->ops->irqfd(t->opaque, &req);
	if (r < 0) {
		pt_err("KVM_IRQFD: unbinding eventfd %d from GSI %u (%s) failed: %s", *b->irqfd,
		       gsi, b->owner, strerror(-r));
		return r;
	}
	*b->irqfd = -1;
	*b->resamplefd = -1;
	t->nr_irqfds--;
	return 0;
}

static int pin_refused(unsigned gsi, const char *what)
{
	pt_err("cannot %s GSI %u without naming the device: it is an irqchip pin, whose "
	       "bindings belong to the devices sharing it (pt_route_pin_irqfd_assign)", what, gsi);
	return -EINVAL;
}

static int irqfd_assign_locked(struct pt_route_table *t, unsigned gsi, int eventfd,
			       int resamplefd)
{
	struct pt_route_slot *s;

	if (gsi >= t->max_entries || t->slots[gsi].type == PT_ROUTE_NONE) {
		pt_err("cannot bind eventfd %d to GSI %u: the GSI has no route (add the route "
		       "first)", eventfd, gsi);
		return -ENOENT;
	}
	s = &t->slots[gsi];
	if (s->type == PT_ROUTE_IRQCHIP)
		return pin_refused(gsi, "bind an eventfd to");
	if (resamplefd >= 0) {
		pt_err("GSI %u (%s): a level-triggered (resample) binding needs an irqchip pin "
		       "route, and this GSI is an MSI route: KVM would accept it but never signal "
		       "the resamplefd. Bind MSIs without resample.", gsi, owner_name(s));
		return -EINVAL;
	}
	return bind_locked(t, gsi, &(struct binding){ owner_name(s), &s->irqfd, &s->resamplefd },
			   eventfd, -1);
}

static int irqfd_deassign_locked(struct pt_route_table *t, unsigned gsi)
{
	struct pt_route_slot *s;

	if (gsi >= t->max_entries)
		return -ENOENT;
	s = &t->slots[gsi];
	if (s->type == PT_ROUTE_IRQCHIP)
		return pin_refused(gsi, "unbind");
	return unbind_locked(t, gsi, &(struct binding){ owner_name(s), &s->irqfd,
							&s->resamplefd });
}

static int pin_irqfd_assign_locked(struct pt_route_table *t, unsigned gsi, const char *dev,
				   int eventfd, int resamplefd)
{
	struct pt_route_pin_share *sh = pt_route_pin_share_of(t, gsi, dev);

	if (!sh) {
		pt_err("cannot bind eventfd %d to GSI %u for %s: %s", eventfd, gsi,
		       dev ? dev : "(null)",
		       gsi < t->max_entries && t->slots[gsi].type == PT_ROUTE_IRQCHIP ?
		       "the device has not claimed the pin" : "the GSI is not an irqchip pin");
		return -ENOENT;
	}
	return bind_locked(t, gsi, &(struct binding){ sh->owner, &sh->irqfd, &sh->resamplefd },
			   eventfd, resamplefd);
}

static int pin_irqfd_deassign_locked(struct pt_route_table *t, unsigned gsi, const char *dev)
{
	struct pt_route_pin_share *sh = pt_route_pin_share_of(t, gsi, dev);

	if (!sh)
		return -ENOENT;
	return unbind_locked(t, gsi, &(struct binding){ sh->owner, &sh->irqfd, &sh->resamplefd });
}

static int irqfd_of_locked(const struct pt_route_table *t, unsigned gsi)
{
	if (gsi >= t->max_entries)
		return -1;
	if (gsi < PT_ROUTE_IOAPIC_PINS && t->slots[gsi].type == PT_ROUTE_IRQCHIP) {
		const struct pt_route_pin_owners *o = &t->pin_owners[gsi];

		for (unsigned i = 0; i < o->nr; i++)
			if (o->share[i].irqfd >= 0)
				return o->share[i].irqfd;
		return -1;
	}
	return t->slots[gsi].irqfd;
}

/* The public calls: each under the table's lock (route/table.h). */
#define LOCKED(t, call) ({ int _r; pt_route_lock(t); _r = (call); pt_route_unlock(t); _r; })

int pt_route_irqfd_assign(struct pt_route_table *t, unsigned gsi, int eventfd, int resamplefd)
{
	return LOCKED(t, irqfd_assign_locked(t, gsi, eventfd, resamplefd));
}

int pt_route_irqfd_deassign(struct pt_route_table *t, unsigned gsi)
{
	return LOCKED(t, irqfd_deassign_locked(t, gsi));
}

int pt_route_pin_irqfd_assign(struct pt_route_table *t, unsigned gsi, const char *dev,
			      int eventfd, int resamplefd)
{
	return LOCKED(t, pin_irqfd_assign_locked(t, gsi, dev, eventfd, resamplefd));
}

int pt_route_pin_irqfd_deassign(struct pt_route_table *t, unsigned gsi, const char *dev)
{
	return LOCKED(t, pin_irqfd_deassign_locked(t, gsi, dev));
}

int pt_route_irqfd_of(const struct pt_route_table *t, unsigned gsi)
{
	return LOCKED(t, irqfd_of_locked(t, gsi));
}

int pt_route_pin_irqfd_of(const struct pt_route_table *t, unsigned gsi, const char *dev)
{
	const struct pt_route_pin_share *sh;
	int fd;

	pt_route_lock(t);
	sh = pt_route_pin_share_of(t, gsi, dev);
	fd = sh ? sh->irqfd : -1;
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
