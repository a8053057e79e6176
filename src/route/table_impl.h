/* Inside the routing table: for the files of src/route only, never included from outside. */
#ifndef PT_ROUTE_TABLE_IMPL_H
#define PT_ROUTE_TABLE_IMPL_H

#include <pthread.h>

#include "route/gsi_alloc.h"
#include "route/table.h"

#define PT_ROUTE_MAX_PINS 2 /* a GSI below 16 drives an IOAPIC pin and a PIC pin */

struct pt_route_pin {
	uint8_t chip; /* enum pt_route_chip */
	uint8_t pin;
};

/*
 * Everything about one GSI. Owner and binding here are an MSI GSI's; an IRQCHIP GSI's
 * owners and bindings are its struct pt_route_pin_share list (several devices).
 */
struct pt_route_slot {
	uint8_t type;    /* enum pt_route_type */
	uint8_t nr_pins; /* PT_ROUTE_IRQCHIP: entries for this GSI */
	struct pt_route_pin pins[PT_ROUTE_MAX_PINS];
	struct pt_msi_msg msg; /* PT_ROUTE_MSI */
	int owner_vector;      /* PT_ROUTE_NO_VECTOR for pins */
	char owner[PT_ROUTE_OWNER_MAX]; /* MSI only; "" for KVM's default routes */
	int irqfd;      /* MSI only: -1 when no eventfd is bound */
	int resamplefd; /* always -1: resample is for pins */
};

/* One device's share of an IRQCHIP GSI (its INTx) and its binding there. */
struct pt_route_pin_share {
	char owner[PT_ROUTE_OWNER_MAX];
	int irqfd;      /* -1 while unbound */
	int resamplefd; /* -1 unless a level binding */
};

/*
 * The devices sharing one IRQCHIP GSI, in claim order. Not part of the undo log: they
 * are not routes (KVM's route for the pin never changes), and bindings are kernel state.
 */
struct pt_route_pin_owners {
	unsigned nr;
	struct pt_route_pin_share share[PT_ROUTE_PIN_OWNERS_MAX];
};

/* A slot as it was at the last good commit, for rolling a failed one back. */
struct pt_route_undo {
	unsigned gsi;
	struct pt_route_slot old;
};

struct pt_route_table {
	pthread_mutex_t lock; /* recursive: public calls nest (irqfd_assign commits) */
	const struct pt_route_ops *ops;
	void *opaque;
	int vm_fd; /* pt_route_table_new_kvm() only: what opaque points to */
	enum pt_irqchip mode;
	unsigned max_entries;
	unsigned nr_entries;
	unsigned nr_msi;
	unsigned nr_irqfds;
	bool dirty;
	struct pt_gsi_alloc msi_gsis;
	struct pt_route_slot *slots; /* max_entries, indexed by GSI */
	struct pt_route_pin_owners pin_owners[PT_ROUTE_IOAPIC_PINS]; /* indexed by GSI */
	struct kvm_irq_routing *buf; /* room for max_entries, reused by every commit */
	struct pt_route_undo *undo;  /* slots changed since the last good commit */
	unsigned nr_undo;
	uint8_t *logged;             /* per GSI: already in undo */
	uint64_t commits, entries_committed, commit_failures;
};

/* The table's lock; the mutex is logically mutable even in a const table. */
static inline void pt_route_lock(const struct pt_route_table *t)
{
	pthread_mutex_lock((pthread_mutex_t *)&t->lock);
}

static inline void pt_route_unlock(const struct pt_route_table *t)
{
	pthread_mutex_unlock((pthread_mutex_t *)&t->lock);
}

/* Records slot gsi's committed state before its route changes (first change only). */
void pt_route_slot_touch(struct pt_route_table *t, unsigned gsi);

/* Fill slots 0-23 with KVM's default IRQCHIP routes; returns the entry count. */
unsigned pt_route_default_fill(struct pt_route_slot *slots, enum pt_irqchip mode);

/* Owner name check and copy: -ENAMETOOLONG / -EINVAL (logged). */
int pt_route_owner_set(struct pt_route_slot *s, const char *dev, int vector);
int pt_route_owner_check(const char *dev);

/* dev's share of IRQCHIP GSI gsi, or NULL (also for a GSI that is no IRQCHIP route). */
struct pt_route_pin_share *pt_route_pin_share_of(const struct pt_route_table *t,
						 unsigned gsi, const char *dev);

#endif
