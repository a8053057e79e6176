/*
 * The live table for people: one description per kernel routing entry, and the JSON form
 * the VMM's control socket returns for the `routes` verb.
 */
#ifndef PT_ROUTE_DESCRIBE_H
#define PT_ROUTE_DESCRIBE_H

#include <stdbool.h>
#include <jansson.h>

#include "route/msi.h"
#include "route/table.h"

/* One owner of a route, with its binding. */
struct pt_route_owner_desc {
	const char *name;
	int vector;     /* MSI/MSI-X vector index, or PT_ROUTE_NO_VECTOR (a pin's INTx) */
	int irqfd;      /* bound eventfd, or -1 */
	int resamplefd; /* -1 unless a level binding */
};

/*
 * owner, owner_vector, irqfd and resamplefd are the first owner's (what a route with
 * one owner has); owners lists them all: several devices may share an IRQCHIP pin.
 */
struct pt_route_desc {
	unsigned gsi;
	enum pt_route_type type;   /* PT_ROUTE_IRQCHIP or PT_ROUTE_MSI */
	enum pt_route_chip chip;   /* IRQCHIP */
	unsigned pin;              /* IRQCHIP */
	struct pt_msi_msg msg;     /* MSI, as programmed */
	struct pt_msi_decoded msi; /* MSI, decoded */
	const char *owner;         /* device name, or "default" for KVM's own routes */
	int owner_vector;          /* MSI/MSI-X vector index, or PT_ROUTE_NO_VECTOR */
	int irqfd;                 /* bound eventfd, or -1 */
	int resamplefd;            /* -1 unless a level binding */
	bool resample;
	unsigned nr_owners;                       /* 0 for KVM's default routes */
	const struct pt_route_owner_desc *owners; /* valid during the callback only */
};

/* Returning nonzero stops the walk; pt_route_table_describe() then returns that value. */
typedef int (*pt_route_desc_fn)(const struct pt_route_desc *d, void *opaque);

/* Calls fn for every entry in the order the kernel gets them; 0 when all were seen. */
int pt_route_table_describe(const struct pt_route_table *t, pt_route_desc_fn fn, void *opaque);

const char *pt_route_type_name(enum pt_route_type type); /* "irqchip", "msi", "none" */
const char *pt_route_chip_name(enum pt_route_chip chip); /* "pic-master", "pic-slave", "ioapic" */

/*
 * {"irqchip": "kernel"|"split", "max_entries", "entries", "msi_routes", "irqfds",
 *  "dirty", "commits", "entries_committed", "routes": [{"gsi", "type", "owner",
 *  "owner_vector", "irqfd", "resample", "resamplefd", "owners": [{"device", "vector",
 *  "irqfd", "resamplefd"}], and "chip", "pin" (irqchip) or "address_lo", "address_hi",
 *  "data", "dest_apic", "dest_mode", "vector", "delivery", "trigger", "valid" (msi)}]}.
 *  "owner" and the binding keys beside it are the first owner's; "owners" has every
 *  owner (several on a shared INTx pin, none on KVM's default routes). Absent values
 *  are null. A new reference, or NULL if out of memory.
 */
json_t *pt_route_table_to_json(const struct pt_route_table *t);

#endif
