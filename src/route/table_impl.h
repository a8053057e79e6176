/* Inside the routing table: for the files of src/route only, never included from outside. */
#ifndef PT_ROUTE_TABLE_IMPL_H
#define PT_ROUTE_TABLE_IMPL_H

#include "route/gsi_alloc.h"
#include "route/table.h"

#define PT_ROUTE_MAX_PINS 2 /* a GSI below 16 drives an IOAPIC pin and a PIC pin */

struct pt_route_pin {
	uint8_t chip; /* enum pt_route_chip */
	uint8_t pin;
};

/* Everything about one GSI. */
struct pt_route_slot {
	uint8_t type;    /* enum pt_route_type */
	uint8_t nr_pins; /* PT_ROUTE_IRQCHIP: entries for this GSI */
	struct pt_route_pin pins[PT_ROUTE_MAX_PINS];
	struct pt_msi_msg msg; /* PT_ROUTE_MSI */
	int owner_vector;      /* PT_ROUTE_NO_VECTOR for pins */
	char owner[PT_ROUTE_OWNER_MAX]; /* "" for KVM's default routes */
	int irqfd;      /* -1 when no eventfd is bound */
	int resamplefd; /* -1 unless a level binding */
};

struct pt_route_table {
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
	struct kvm_irq_routing *buf; /* room for max_entries, reused by every commit */
	uint64_t commits, entries_committed, commit_failures;
};

/* Fill slots 0-23 with KVM's default IRQCHIP routes; returns the entry count. */
unsigned pt_route_default_fill(struct pt_route_slot *slots, enum pt_irqchip mode);

/* Owner name check and copy: -ENAMETOOLONG / -EINVAL (logged). */
int pt_route_owner_set(struct pt_route_slot *s, const char *dev, int vector);

#endif
