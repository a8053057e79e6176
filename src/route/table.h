/*
 * The VM's GSI routing table, as userspace keeps it and KVM_SET_GSI_ROUTING takes it.
 *
 * KVM_SET_GSI_ROUTING replaces the kernel's whole table, so this model starts from the
 * IRQCHIP entries KVM installs for its in-kernel irqchip (GSI 0-15: IOAPIC pin and PIC
 * pin; GSI 16-23: IOAPIC pin) and adds MSI entries on GSIs allocated above the IOAPIC
 * pins. Changes only mark the table dirty; pt_route_table_commit() sends the whole table
 * in one ioctl, so a burst of vector updates costs one commit. irqfd bindings
 * (route/irqfd.h) and descriptions (route/describe.h) work on the same object.
 *
 * The kernel calls go through struct pt_route_ops, so the model is testable without
 * KVM; pt_route_table_new_kvm() uses the real ioctls on a VM file descriptor.
 *
 * Thread-safe: every call takes the table's lock (a recursive mutex), so the control
 * thread can describe the table while vCPU threads change it. A device's burst (its
 * changes and the commit that ends it) should hold pt_route_table_lock() throughout,
 * so that a commit carries that device's changes only: when KVM refuses a commit,
 * every route changed since the last good one is put back as it was (the GSIs the
 * burst got are free again) and the error goes to the caller, so one device's bad
 * route never fails the next device's commit.
 */
#ifndef PT_ROUTE_TABLE_H
#define PT_ROUTE_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/kvm.h>

#include "config/vm_def.h" /* enum pt_irqchip: PT_IRQCHIP_KERNEL, PT_IRQCHIP_SPLIT */
#include "route/msi.h"

#define PT_ROUTE_IOAPIC_PINS 24 /* GSI 0-23; MSI GSIs start here */
#define PT_ROUTE_PIC_IRQS 16    /* GSI 0-15 also drive a PIC pin */
#define PT_ROUTE_NO_GSI (-1)
#define PT_ROUTE_NO_VECTOR (-1)
#define PT_ROUTE_OWNER_MAX 32   /* owner device name, NUL included */

struct pt_route_table;

enum pt_route_type { PT_ROUTE_NONE, PT_ROUTE_IRQCHIP, PT_ROUTE_MSI };

enum pt_route_chip {
	PT_CHIP_PIC_MASTER = KVM_IRQCHIP_PIC_MASTER,
	PT_CHIP_PIC_SLAVE = KVM_IRQCHIP_PIC_SLAVE,
	PT_CHIP_IOAPIC = KVM_IRQCHIP_IOAPIC,
};

/*
 * What the guest has done with an MSI or MSI-X vector. Only a live vector (enabled,
 * and neither it nor its function masked) gets a GSI: with 4096 routes per VM, eager
 * allocation runs out (17 functions x 257 vectors do not fit).
 */
enum pt_vector_state { PT_VECTOR_DISABLED, PT_VECTOR_MASKED, PT_VECTOR_LIVE };

/* The kernel side; each returns 0 (signal_msi: >0 delivered, 0 not) or -errno. */
struct pt_route_ops {
	int (*set_gsi_routing)(void *opaque, const struct kvm_irq_routing *routing);
	int (*irqfd)(void *opaque, const struct kvm_irqfd *req);
	int (*signal_msi)(void *opaque, const struct kvm_msi *msi);
};

struct pt_route_stats {
	uint64_t commits;           /* successful KVM_SET_GSI_ROUTING calls */
	uint64_t entries_committed; /* sum of the entry counts they carried */
	uint64_t commit_failures;
	unsigned entries;           /* entries in the table now */
	unsigned max_entries;       /* KVM_CAP_IRQ_ROUTING: entries, and GSIs 0..max-1 */
	unsigned msi_routes;
	unsigned irqfds;
	bool dirty;                 /* changes not yet committed */
};

/*
 * A table driven through ops (opaque is passed back to them). max_entries is what
 * KVM_CHECK_EXTENSION(KVM_CAP_IRQ_ROUTING) reports. The table starts equal to what KVM
 * installed when the irqchip was created, so it starts clean: create it after
 * KVM_CREATE_IRQCHIP / KVM_ENABLE_CAP(KVM_CAP_SPLIT_IRQCHIP).
 */
int pt_route_table_new(const struct pt_route_ops *ops, void *opaque, unsigned max_entries,
		       enum pt_irqchip mode, struct pt_route_table **ret);
/* Releases memory only: no ioctl (closing the VM fd drops routes and irqfds). */
void pt_route_table_free(struct pt_route_table *t);

/*
 * One KVM_SET_GSI_ROUTING with the whole table if anything changed, else nothing. On
 * failure the routes changed since the last good commit are rolled back (logged).
 */
int pt_route_table_commit(struct pt_route_table *t);
/*
 * Drops every change since the last good commit, as a refused commit does: for a burst
 * that cannot be finished (the table filled up halfway through a device's vectors).
 * The table is again what KVM has, clean, and the GSIs the burst got are free.
 */
void pt_route_table_abandon(struct pt_route_table *t);
/* Hold the lock across a burst of changes and its commit (may nest). */
void pt_route_table_lock(struct pt_route_table *t);
void pt_route_table_unlock(struct pt_route_table *t);
/* Forget what the kernel has: the next commit sends the table even if unchanged. */
void pt_route_table_invalidate(struct pt_route_table *t);
bool pt_route_table_dirty(const struct pt_route_table *t);
void pt_route_table_stats(const struct pt_route_table *t, struct pt_route_stats *ret);
enum pt_irqchip pt_route_table_mode(const struct pt_route_table *t);

/*
 * Route MSI/MSI-X vector `vector` of device `dev` (a BDF or an emulated device's name,
 * shorter than PT_ROUTE_OWNER_MAX). For a live vector, allocates the lowest free GSI
 * above the IOAPIC pins and returns it in *ret_gsi; for a disabled or masked one,
 * allocates nothing and returns 0 with *ret_gsi = PT_ROUTE_NO_GSI: call again at the
 * unmask. -ENOSPC (logged, naming the device and the counts) when the table is full.
 */
int pt_route_msi_add(struct pt_route_table *t, const char *dev, int vector,
		     enum pt_vector_state state, const struct pt_msi_msg *msg, int *ret_gsi);
/* New address/data for an MSI GSI (the guest retargeted it); dirty only if it differs. */
int pt_route_msi_update(struct pt_route_table *t, unsigned gsi, const struct pt_msi_msg *msg);
/* Deassigns the GSI's irqfd if any, then drops the route; the GSI becomes reusable. */
int pt_route_msi_remove(struct pt_route_table *t, unsigned gsi);

/*
 * INTx pins are shared. PCI INTx is level-triggered and shareable, and a guest has more
 * INTx functions than IOAPIC pins, so an IRQCHIP GSI may have up to
 * PT_ROUTE_PIN_OWNERS_MAX owners (devices), each with at most one binding of its own
 * (pt_route_pin_irqfd_assign() in route/irqfd.h). KVM's route for the pin is its
 * default one and never changes: claiming and releasing send nothing to KVM and are
 * not undone by a refused commit. MSI GSIs keep a single owner.
 *
 * pt_route_pin_claim() adds dev to the GSI's owners (0 if it is one already).
 * -ENOENT if the GSI has no IRQCHIP route (split irqchip, or above the IOAPIC pins),
 * -ENOSPC if PT_ROUTE_PIN_OWNERS_MAX devices share it already.
 */
#define PT_ROUTE_PIN_OWNERS_MAX 32 /* one per slot of a PCI bus */
int pt_route_pin_claim(struct pt_route_table *t, unsigned gsi, const char *dev);
/*
 * Takes dev's share of the pin: its binding is deassigned first (the pin's next user
 * must not inherit its eventfd), then dev is no longer an owner. The other owners and
 * their bindings stay as they are. -ENOENT if dev does not own the GSI; the -errno of
 * KVM_IRQFD if the deassign failed (dev then still owns it, bound).
 */
int pt_route_pin_release(struct pt_route_table *t, unsigned gsi, const char *dev);
/* How many devices share irqchip GSI gsi (0 for KVM's default routes), or -ENOENT. */
int pt_route_pin_owners(const struct pt_route_table *t, unsigned gsi);

/*
 * The table encoded for KVM_SET_GSI_ROUTING: writes at most cap entries to out->entries,
 * sets out->nr and out->flags (0) and returns the number of entries the whole table
 * needs (like snprintf). Entries come in GSI order; a GSI below 16 gives its IOAPIC
 * entry, then its PIC entry, as KVM's own default table does.
 */
unsigned pt_route_table_encode(const struct pt_route_table *t, struct kvm_irq_routing *out,
			       unsigned cap);
/* Bytes for a struct kvm_irq_routing with nr entries. */
size_t pt_route_encoded_size(unsigned nr);

#endif
