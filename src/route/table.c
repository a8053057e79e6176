/* The routing table model: MSI routes, pin owners, dirty tracking and the batched commit. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "route/irqfd.h"
#include "route/table_impl.h"

int pt_route_table_new(const struct pt_route_ops *ops, void *opaque, unsigned max_entries,
		       enum pt_irqchip mode, struct pt_route_table **ret)
{
	struct pt_route_table *t;
	int r;

	if (max_entries <= PT_ROUTE_IOAPIC_PINS + PT_ROUTE_PIC_IRQS) {
		pt_err("KVM allows %u GSI routes; at least %u are needed for the irqchip's pins "
		       "and MSIs", max_entries, PT_ROUTE_IOAPIC_PINS + PT_ROUTE_PIC_IRQS + 1);
		return -EINVAL;
	}
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	*t = (struct pt_route_table){
		.ops = ops, .opaque = opaque, .vm_fd = -1, .mode = mode,
		.max_entries = max_entries,
	};
	t->slots = calloc(max_entries, sizeof(*t->slots));
	t->buf = malloc(pt_route_encoded_size(max_entries));
	t->undo = calloc(max_entries, sizeof(*t->undo));
	t->logged = calloc(max_entries, 1);
	if (!t->slots || !t->buf || !t->undo || !t->logged) {
		r = -ENOMEM;
		goto fail;
	}
	r = pt_gsi_alloc_init(&t->msi_gsis, PT_ROUTE_IOAPIC_PINS, max_entries);
	if (r < 0)
		goto fail;
	for (unsigned gsi = 0; gsi < max_entries; gsi++) {
		t->slots[gsi].irqfd = -1;
		t->slots[gsi].resamplefd = -1;
		t->slots[gsi].owner_vector = PT_ROUTE_NO_VECTOR;
	}
	t->nr_entries = pt_route_default_fill(t->slots, mode);
	{
		pthread_mutexattr_t attr;

		pthread_mutexattr_init(&attr);
		pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
		pthread_mutex_init(&t->lock, &attr);
		pthread_mutexattr_destroy(&attr);
	}
	*ret = t;
	return 0;
fail:
	free(t->logged);
	free(t->undo);
	free(t->buf);
	free(t->slots);
	free(t);
	return r;
}

void pt_route_table_free(struct pt_route_table *t)
{
	if (!t)
		return;
	pt_gsi_alloc_fini(&t->msi_gsis);
	pthread_mutex_destroy(&t->lock);
	free(t->logged);
	free(t->undo);
	free(t->buf);
	free(t->slots);
	free(t);
}

void pt_route_slot_touch(struct pt_route_table *t, unsigned gsi)
{
	if (t->logged[gsi])
		return;
	t->logged[gsi] = 1;
	t->undo[t->nr_undo].gsi = gsi;
	t->undo[t->nr_undo].old = t->slots[gsi];
	t->nr_undo++;
}

static void undo_forget(struct pt_route_table *t)
{
	for (unsigned i = 0; i < t->nr_undo; i++)
		t->logged[t->undo[i].gsi] = 0;
	t->nr_undo = 0;
}

/*
 * KVM refused the table: put every route changed since the last good commit back as
 * it was, so the model equals the kernel again and the next commit (another device's)
 * does not fail on the same entries. irqfd bindings are the kernel's current ones and
 * stay as they are.
 */
static void rollback(struct pt_route_table *t)
{
	for (unsigned i = t->nr_undo; i-- > 0;) {
		unsigned gsi = t->undo[i].gsi;
		struct pt_route_slot *s = &t->slots[gsi], old = t->undo[i].old;
		bool was_msi = old.type == PT_ROUTE_MSI, is_msi = s->type == PT_ROUTE_MSI;

		old.irqfd = s->irqfd;
		old.resamplefd = s->resamplefd;
		if (was_msi && !is_msi)
			pt_gsi_alloc_take(&t->msi_gsis, gsi);
		else if (!was_msi && is_msi)
			pt_gsi_alloc_put(&t->msi_gsis, gsi);
		t->nr_entries += (old.type != PT_ROUTE_NONE) - (s->type != PT_ROUTE_NONE);
		t->nr_msi += was_msi - is_msi;
		*s = old;
	}
	undo_forget(t);
	t->dirty = false;
}

int pt_route_table_commit(struct pt_route_table *t)
{
	unsigned n;
	int r = 0;

	pt_route_lock(t);
	if (!t->dirty)
		goto out;
	n = pt_route_table_encode(t, t->buf, t->max_entries);
	/* The allocator keeps the entry count within the maximum. */
	if (n > t->max_entries || n != t->nr_entries) {
		pt_err("internal error: routing table has %u entries, expected %u (max %u)",
		       n, t->nr_entries, t->max_entries);
		r = -EOVERFLOW;
		goto out;
	}
	r = t->ops->set_gsi_routing(t->opaque, t->buf);
	if (r < 0) {
		t->commit_failures++;
		pt_err("KVM_SET_GSI_ROUTING with %u entries (%u MSI) failed: %s; the %u routes "
		       "changed since the last commit are back as they were", n, t->nr_msi,
		       strerror(-r), t->nr_undo);
		rollback(t);
		goto out;
	}
	t->commits++;
	t->entries_committed += n;
	t->dirty = false;
	undo_forget(t);
out:
	pt_route_unlock(t);
	return r;
}

void pt_route_table_abandon(struct pt_route_table *t)
{
	pt_route_lock(t);
	rollback(t);
	pt_route_unlock(t);
}

void pt_route_table_invalidate(struct pt_route_table *t)
{
	pt_route_lock(t);
	t->dirty = true;
	pt_route_unlock(t);
}

bool pt_route_table_dirty(const struct pt_route_table *t)
{
	bool d;

	pt_route_lock(t);
	d = t->dirty;
	pt_route_unlock(t);
	return d;
}

void pt_route_table_lock(struct pt_route_table *t)
{
	pt_route_lock(t);
}

void pt_route_table_unlock(struct pt_route_table *t)
{
	pt_route_unlock(t);
}

enum pt_irqchip pt_route_table_mode(const struct pt_route_table *t)
{
	return t->mode;
}

void pt_route_table_stats(const struct pt_route_table *t, struct pt_route_stats *ret)
{
	pt_route_lock(t);
	*ret = (struct pt_route_stats){
		.commits = t->commits,
		.entries_committed = t->entries_committed,
		.commit_failures = t->commit_failures,
		.entries = t->nr_entries,
		.max_entries = t->max_entries,
		.msi_routes = t->nr_msi,
		.irqfds = t->nr_irqfds,
		.dirty = t->dirty,
	};
	pt_route_unlock(t);
}

int pt_route_owner_check(const char *dev)
{
	if (!dev || !*dev) {
		pt_err("a routed interrupt needs an owner device name");
		return -EINVAL;
	}
	if (strlen(dev) >= PT_ROUTE_OWNER_MAX) {
		pt_err("device name \"%s\" is too long for the routing table (at most %d characters)",
		       dev, PT_ROUTE_OWNER_MAX - 1);
		return -ENAMETOOLONG;
	}
	return 0;
}

int pt_route_owner_set(struct pt_route_slot *s, const char *dev, int vector)
{
	int r = pt_route_owner_check(dev);

	if (r < 0)
		return r;
	memcpy(s->owner, dev, strlen(dev) + 1);
	s->owner_vector = vector;
	return 0;
}

static struct pt_route_slot *msi_slot(struct pt_route_table *t, unsigned gsi, const char *what)
{
	if (gsi < t->max_entries && t->slots[gsi].type == PT_ROUTE_MSI)
		return &t->slots[gsi];
	pt_err("%s: GSI %u has no MSI route (MSI routes are on allocated GSIs %u-%u)", what, gsi,
	       PT_ROUTE_IOAPIC_PINS, t->max_entries - 1);
	return NULL;
}

static int msi_add_locked(struct pt_route_table *t, const char *dev, int vector,
			  enum pt_vector_state state, const struct pt_msi_msg *msg, int *ret_gsi)
{
	struct pt_route_slot *s;
	unsigned gsi;
	int r;

	if (state != PT_VECTOR_LIVE) {
		/* Lazy allocation: a GSI only for a vector that can fire. */
		*ret_gsi = PT_ROUTE_NO_GSI;
		return 0;
	}
	if (vector < 0) {
		pt_err("%s: MSI vector index %d is negative", dev ? dev : "(null)", vector);
		return -EINVAL;
	}
	if (t->nr_entries >= t->max_entries) {
		pt_err("%s vector %d: no GSI left for its MSI route: %u of %u routing entries in "
		       "use (%u MSI routes, %u for the irqchip pins; the maximum is KVM's "
		       "KVM_CAP_IRQ_ROUTING); have the guest enable fewer vectors or assign fewer "
		       "devices", dev ? dev : "(null)", vector, t->nr_entries, t->max_entries,
		       t->nr_msi, t->nr_entries - t->nr_msi);
		return -ENOSPC;
	}
	if (pt_gsi_alloc_get(&t->msi_gsis, &gsi) < 0) {
		pt_err("%s vector %d: no GSI left for its MSI route: %u of %u MSI GSIs (%u-%u) in "
		       "use, %u of %u routing entries (the maximum is KVM's KVM_CAP_IRQ_ROUTING); "
		       "have the guest enable fewer vectors or assign fewer devices",
		       dev ? dev : "(null)", vector, t->msi_gsis.used,
		       pt_gsi_alloc_capacity(&t->msi_gsis), PT_ROUTE_IOAPIC_PINS,
		       t->max_entries - 1, t->nr_entries, t->max_entries);
		return -ENOSPC;
	}
	s = &t->slots[gsi];
	pt_route_slot_touch(t, gsi);
	r = pt_route_owner_set(s, dev, vector);
	if (r < 0) {
		pt_gsi_alloc_put(&t->msi_gsis, gsi);
		return r;
	}
	s->type = PT_ROUTE_MSI;
	s->msg = *msg;
	t->nr_entries++;
	t->nr_msi++;
	t->dirty = true;
	*ret_gsi = (int)gsi;
	return 0;
}

static int msi_update_locked(struct pt_route_table *t, unsigned gsi,
			     const struct pt_msi_msg *msg)
{
	struct pt_route_slot *s = msi_slot(t, gsi, "MSI route update");

	if (!s)
		return -ENOENT;
	if (pt_msi_msg_equal(&s->msg, msg))
		return 0;
	pt_route_slot_touch(t, gsi);
	s->msg = *msg;
	t->dirty = true;
	return 0;
}

static int msi_remove_locked(struct pt_route_table *t, unsigned gsi)
{
	struct pt_route_slot *s = msi_slot(t, gsi, "MSI route removal");
	int r;

	if (!s)
		return -ENOENT;
	/* An irqfd left on a freed GSI would fire into the next owner's route. */
	if (s->irqfd >= 0) {
		r = pt_route_irqfd_deassign(t, gsi);
		if (r < 0)
			return r;
	}
	pt_route_slot_touch(t, gsi);
	pt_gsi_alloc_put(&t->msi_gsis, gsi);
	*s = (struct pt_route_slot){
		.type = PT_ROUTE_NONE, .owner_vector = PT_ROUTE_NO_VECTOR,
		.irqfd = -1, .resamplefd = -1,
	};
	t->nr_entries--;
	t->nr_msi--;
	t->dirty = true;
	return 0;
}

static bool is_pin(const struct pt_route_table *t, unsigned gsi)
{
	return gsi < PT_ROUTE_IOAPIC_PINS && gsi < t->max_entries &&
	       t->slots[gsi].type == PT_ROUTE_IRQCHIP;
}

struct pt_route_pin_share *pt_route_pin_share_of(const struct pt_route_table *t,
						 unsigned gsi, const char *dev)
{
	/* The table is const to lookups; its shares are the caller's to change. */
	struct pt_route_pin_owners *o;

	if (!is_pin(t, gsi) || !dev)
		return NULL;
	o = (struct pt_route_pin_owners *)&t->pin_owners[gsi];
	for (unsigned i = 0; i < o->nr; i++)
		if (!strcmp(o->share[i].owner, dev))
			return &o->share[i];
	return NULL;
}

static int pin_claim_locked(struct pt_route_table *t, unsigned gsi, const char *dev)
{
	struct pt_route_pin_owners *o;
	struct pt_route_pin_share *s;
	int r;

	if (!is_pin(t, gsi)) {
		pt_err("%s: GSI %u is not an irqchip pin%s", dev ? dev : "(null)", gsi,
		       t->mode == PT_IRQCHIP_SPLIT ? " (the irqchip is split: its IOAPIC is in "
		       "userspace)" : " (IOAPIC pins are GSI 0-23)");
		return -ENOENT;
	}
	r = pt_route_owner_check(dev);
	if (r < 0)
		return r;
	if (pt_route_pin_share_of(t, gsi, dev))
		return 0;
	o = &t->pin_owners[gsi];
	if (o->nr == PT_ROUTE_PIN_OWNERS_MAX) {
		pt_err("%s: GSI %u is shared by %u devices already, the most the routing table "
		       "keeps for one pin: put the device in a slot that swizzles onto another pin",
		       dev, gsi, o->nr);
		return -ENOSPC;
	}
	if (o->nr)
		pt_info("%s: INTx on GSI %u, shared with %s%s", dev, gsi, o->share[0].owner,
			o->nr > 1 ? " and others" : "");
	/* Only the owners change: KVM's route stays as it was, nothing to commit. */
	s = &o->share[o->nr++];
	memcpy(s->owner, dev, strlen(dev) + 1);
	s->irqfd = -1;
	s->resamplefd = -1;
	return 0;
}

static int pin_release_locked(struct pt_route_table *t, unsigned gsi, const char *dev)
{
	struct pt_route_pin_share *s = pt_route_pin_share_of(t, gsi, dev);
	struct pt_route_pin_owners *o;
	int r;

	if (!s)
		return -ENOENT;
	/* As for MSI GSIs: the pin's next user must not inherit this device's eventfd. */
	if (s->irqfd >= 0) {
		r = pt_route_pin_irqfd_deassign(t, gsi, dev);
		if (r < 0)
			return r;
	}
	o = &t->pin_owners[gsi];
	memmove(s, s + 1, (size_t)(&o->share[o->nr] - (s + 1)) * sizeof(*s));
	o->nr--;
	return 0;
}

static int pin_owners_locked(const struct pt_route_table *t, unsigned gsi)
{
	return is_pin(t, gsi) ? (int)t->pin_owners[gsi].nr : -ENOENT;
}

/* The public calls: each under the table's lock (route/table.h). */
#define LOCKED(t, call) ({ int _r; pt_route_lock(t); _r = (call); pt_route_unlock(t); _r; })

int pt_route_msi_add(struct pt_route_table *t, const char *dev, int vector,
		     enum pt_vector_state state, const struct pt_msi_msg *msg, int *ret_gsi)
{
	return LOCKED(t, msi_add_locked(t, dev, vector, state, msg, ret_gsi));
}

int pt_route_msi_update(struct pt_route_table *t, unsigned gsi, const struct pt_msi_msg *msg)
{
	return LOCKED(t, msi_update_locked(t, gsi, msg));
}

int pt_route_msi_remove(struct pt_route_table *t, unsigned gsi)
{
	return LOCKED(t, msi_remove_locked(t, gsi));
}

int pt_route_pin_claim(struct pt_route_table *t, unsigned gsi, const char *dev)
{
	return LOCKED(t, pin_claim_locked(t, gsi, dev));
}

int pt_route_pin_release(struct pt_route_table *t, unsigned gsi, const char *dev)
{
	return LOCKED(t, pin_release_locked(t, gsi, dev));
}

int pt_route_pin_owners(const struct pt_route_table *t, unsigned gsi)
{
	return LOCKED(t, pin_owners_locked(t, gsi));
}
