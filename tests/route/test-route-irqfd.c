/* irqfd bindings and KVM_SIGNAL_MSI against the recording ops: order and refusals. */
#include "config.h"

#include <string.h>

#include "fake_ops.h"
#include "route/irqfd.h"
#include "route/table.h"
#include "tap.h"

static void test_msi_binding(struct tap *t)
{
	struct fake_kvm f = { 0 };
	struct pt_route_table *tab;
	struct pt_msi_msg m = pt_msi_compose(0, 0x41);
	struct pt_route_stats st;
	int gsi, r;

	pt_route_table_new(&fake_ops, &f, 4096, PT_IRQCHIP_KERNEL, &tab);
	pt_route_msi_add(tab, "0000:03:00.0", 0, PT_VECTOR_LIVE, &m, &gsi);
	tap_is_int(t, pt_route_irqfd_assign(tab, (unsigned)gsi, 10, -1), 0,
		   "assign an eventfd to a new MSI route");
	tap_is_str(t, f.log, "RA", "the dirty table was committed before KVM_IRQFD");
	tap_ok(t, f.last_irqfd.fd == 10 && f.last_irqfd.gsi == 24 && f.last_irqfd.flags == 0,
	       "KVM_IRQFD fd 10 gsi 24, edge");
	tap_is_int(t, pt_route_irqfd_of(tab, 24), 10, "the binding is recorded");
	tap_is_int(t, pt_route_irqfd_assign(tab, 24, 11, -1), -EBUSY, "a second binding is -EBUSY");

	pt_route_msi_add(tab, "0000:03:00.0", 1, PT_VECTOR_LIVE, &m, &gsi);
	r = pt_route_irqfd_assign(tab, (unsigned)gsi, 12, 13);
	tap_is_int(t, r, -EINVAL, "resample on an MSI route is refused");
	tap_is_str(t, f.log, "RA", "... before any ioctl");
	tap_is_int(t, pt_route_irqfd_assign(tab, 300, 12, -1), -ENOENT,
		   "an unrouted GSI cannot be bound");
	tap_is_int(t, pt_route_irqfd_assign(tab, 5000, 12, -1), -ENOENT,
		   "nor one beyond the maximum");

	tap_is_int(t, pt_route_msi_remove(tab, 24), 0, "remove the bound route");
	tap_is_str(t, f.log, "RAD", "its irqfd was deassigned first");
	tap_ok(t, f.last_irqfd.fd == 10 && f.last_irqfd.gsi == 24 &&
		  f.last_irqfd.flags == KVM_IRQFD_FLAG_DEASSIGN, "KVM_IRQFD deassign fd 10 gsi 24");
	pt_route_table_stats(tab, &st);
	tap_is_int(t, st.irqfds, 0, "no bindings left");
	tap_is_int(t, pt_route_irqfd_deassign(tab, 24), -ENOENT, "deassign without binding");

	/* GSI 24 is free again, GSI 25 still routed: reuse takes 24, and binds after commit. */
	pt_route_msi_add(tab, "0000:07:00.0", 3, PT_VECTOR_LIVE, &m, &gsi);
	tap_is_int(t, gsi, 24, "GSI 24 is reused by another device");
	tap_is_int(t, pt_route_irqfd_assign(tab, 24, 14, -1), 0, "bind it");
	tap_is_str(t, f.log, "RADRA", "the new route was committed before its binding");

	tap_is_int(t, pt_route_signal_msi(tab, &m), 1, "KVM_SIGNAL_MSI passes the result through");
	tap_ok(t, f.msi_calls == 1 && f.last_msi.address_lo == 0xfee00000 &&
		  f.last_msi.data == 0x41 && f.last_msi.flags == 0,
	       "... with the message's address and data");
	pt_route_table_free(tab);
}

static void test_level_binding(struct tap *t)
{
	struct fake_kvm f = { 0 };
	struct pt_route_table *tab;

	pt_route_table_new(&fake_ops, &f, 4096, PT_IRQCHIP_KERNEL, &tab);
	tap_is_int(t, pt_route_pin_claim(tab, 10, "0000:03:00.0"), 0, "claim GSI 10 for INTx");
	tap_is_int(t, pt_route_pin_claim(tab, 24, "0000:04:00.0"), -ENOENT,
		   "GSI 24 is not a pin");
	tap_is_int(t, pt_route_irqfd_assign(tab, 10, 20, 21), -EINVAL,
		   "a pin binding without its owner's name is refused");
	tap_is_int(t, pt_route_pin_irqfd_assign(tab, 10, "0000:03:00.0", 20, 21), 0,
		   "level binding of 0000:03:00.0 on IOAPIC GSI 10");
	tap_ok(t, f.last_irqfd.gsi == 10 && f.last_irqfd.fd == 20 &&
		  f.last_irqfd.flags == KVM_IRQFD_FLAG_RESAMPLE && f.last_irqfd.resamplefd == 21,
	       "KVM_IRQFD with KVM_IRQFD_FLAG_RESAMPLE and the resamplefd");
	tap_is_str(t, f.log, "A", "no commit was needed: the default route is in the kernel");
	tap_is_int(t, pt_route_pin_irqfd_assign(tab, 10, "0000:03:00.0", 22, 23), -EBUSY,
		   "a second binding of the same device is -EBUSY");
	tap_is_int(t, pt_route_pin_irqfd_assign(tab, 10, "0000:05:00.0", 22, 23), -ENOENT,
		   "a device that did not claim the pin cannot bind it");
	tap_is_int(t, pt_route_pin_release(tab, 10, "0000:03:00.0"), 0, "release the pin");
	tap_is_str(t, f.log, "AD", "... which deassigned its binding");
	tap_is_int(t, pt_route_irqfd_of(tab, 10), -1, "GSI 10 is unbound");
	tap_is_int(t, pt_route_pin_release(tab, 10, "0000:03:00.0"), -ENOENT,
		   "a released pin has no such owner");
	tap_is_int(t, pt_route_pin_owners(tab, 10), 0, "and no owner at all");
	pt_route_table_free(tab);

	pt_route_table_new(&fake_ops, &f, 4096, PT_IRQCHIP_SPLIT, &tab);
	tap_is_int(t, pt_route_irqfd_assign(tab, 10, 20, 21), -ENOENT,
		   "split irqchip: GSI 10 has no route to bind");
	tap_is_int(t, pt_route_pin_claim(tab, 10, "0000:03:00.0"), -ENOENT,
		   "split irqchip: no pin to claim");
	pt_route_table_free(tab);
}

#define DEV_A "0000:00:03.0"
#define DEV_B "0000:00:0b.0"
#define DEV_C "0000:00:13.0"

/* INTx of several devices on one pin: each its own binding; one goes, the others stay. */
static void test_shared_pin(struct tap *t)
{
	struct fake_kvm f = { 0 };
	struct pt_route_table *tab;
	struct pt_route_stats st;

	pt_route_table_new(&fake_ops, &f, 4096, PT_IRQCHIP_KERNEL, &tab);
	tap_is_int(t, pt_route_pin_claim(tab, 19, DEV_A), 0, "shared: A claims GSI 19");
	tap_is_int(t, pt_route_pin_claim(tab, 19, DEV_B), 0, "shared: B claims it too");
	tap_is_int(t, pt_route_pin_claim(tab, 19, DEV_A), 0, "shared: A again: it owns it already");
	tap_is_int(t, pt_route_pin_owners(tab, 19), 2, "shared: two owners");
	tap_is_int(t, pt_route_pin_owners(tab, 24), -ENOENT, "shared: GSI 24 is no pin");
	tap_ok(t, !pt_route_table_dirty(tab) && f.nlog == 0, "shared: claims send nothing to KVM");

	tap_is_int(t, pt_route_pin_irqfd_assign(tab, 19, DEV_A, 30, 31), 0, "shared: A binds fd 30/31");
	tap_is_int(t, pt_route_pin_irqfd_assign(tab, 19, DEV_B, 32, 33), 0, "shared: B binds fd 32/33");
	tap_ok(t, f.last_irqfd.gsi == 19 && f.last_irqfd.fd == 32 &&
		  f.last_irqfd.flags == KVM_IRQFD_FLAG_RESAMPLE && f.last_irqfd.resamplefd == 33,
	       "shared: B's KVM_IRQFD: its own eventfd and resamplefd on GSI 19");
	tap_is_str(t, f.log, "AA", "shared: two irqfds on one GSI, no commit");
	pt_route_table_stats(tab, &st);
	tap_is_int(t, st.irqfds, 2, "shared: the statistics count both bindings");
	tap_is_int(t, pt_route_pin_irqfd_of(tab, 19, DEV_A), 30, "shared: A's eventfd is 30");
	tap_is_int(t, pt_route_pin_irqfd_of(tab, 19, DEV_B), 32, "shared: B's eventfd is 32");
	tap_is_int(t, pt_route_irqfd_of(tab, 19), 30, "shared: the GSI's first binding is A's");

	/* A goes first: B keeps its binding and becomes the first owner. */
	tap_is_int(t, pt_route_pin_release(tab, 19, DEV_A), 0, "shared: release A");
	tap_ok(t, !strcmp(f.log, "AAD") && f.last_irqfd.fd == 30 && f.last_irqfd.gsi == 19 &&
		  f.last_irqfd.flags == KVM_IRQFD_FLAG_DEASSIGN,
	       "shared: ... one KVM_IRQFD deassign, of A's fd 30 (log %s)", f.log);
	tap_is_int(t, pt_route_pin_owners(tab, 19), 1, "shared: B still owns GSI 19");
	tap_is_int(t, pt_route_pin_irqfd_of(tab, 19, DEV_B), 32, "shared: ... bound to fd 32");
	tap_is_int(t, pt_route_irqfd_of(tab, 19), 32, "shared: ... now the GSI's first binding");
	tap_is_int(t, pt_route_pin_irqfd_of(tab, 19, DEV_A), -1, "shared: A has none");
	tap_is_int(t, pt_route_pin_release(tab, 19, DEV_A), -ENOENT, "shared: A cannot go twice");

	/* A comes back (a guest switching back from MSI), C joins; C goes from the middle. */
	tap_is_int(t, pt_route_pin_claim(tab, 19, DEV_C), 0, "shared: C claims GSI 19");
	tap_is_int(t, pt_route_pin_claim(tab, 19, DEV_A), 0, "shared: A claims it again");
	tap_is_int(t, pt_route_pin_irqfd_assign(tab, 19, DEV_C, 34, 35), 0, "shared: C binds fd 34");
	tap_is_int(t, pt_route_pin_irqfd_assign(tab, 19, DEV_A, 36, 37), 0, "shared: A binds fd 36");
	tap_is_int(t, pt_route_pin_release(tab, 19, DEV_C), 0, "shared: release C (the middle one)");
	tap_ok(t, f.last_irqfd.fd == 34 && f.last_irqfd.flags == KVM_IRQFD_FLAG_DEASSIGN,
	       "shared: ... its fd 34 was deassigned");
	tap_ok(t, pt_route_pin_owners(tab, 19) == 2 && pt_route_pin_irqfd_of(tab, 19, DEV_B) == 32 &&
		  pt_route_pin_irqfd_of(tab, 19, DEV_A) == 36,
	       "shared: B (fd 32) and A (fd 36) are left as they were");

	/* A KVM_IRQFD deassign that fails leaves the share as the kernel has it. */
	f.fail_irqfd = -EIO;
	tap_is_int(t, pt_route_pin_release(tab, 19, DEV_B), -EIO,
		   "shared: B's release fails when KVM refuses the deassign");
	tap_ok(t, pt_route_pin_owners(tab, 19) == 2 && pt_route_pin_irqfd_of(tab, 19, DEV_B) == 32,
	       "shared: ... and B still owns the pin, bound to fd 32");
	f.fail_irqfd = -EBADF;
	tap_is_int(t, pt_route_pin_irqfd_assign(tab, 19, DEV_C, 34, 35), -ENOENT,
		   "shared: C, released, cannot bind");
	f.fail_irqfd = 0;

	tap_is_int(t, pt_route_pin_release(tab, 19, DEV_B), 0, "shared: release B");
	tap_is_int(t, pt_route_pin_release(tab, 19, DEV_A), 0, "shared: release A");
	pt_route_table_stats(tab, &st);
	tap_ok(t, pt_route_pin_owners(tab, 19) == 0 && st.irqfds == 0,
	       "shared: no owner and no binding left");
	tap_is_int(t, pt_route_pin_irqfd_assign(tab, 19, DEV_B, 32, 33), -ENOENT,
		   "shared: an unclaimed pin cannot be bound");
	pt_route_table_free(tab);
}

/* The most devices one pin keeps, and names that do not fit. */
static void test_shared_limits(struct tap *t)
{
	struct fake_kvm f = { 0 };
	struct pt_route_table *tab;
	char name[32], big[64];
	int bad = 0;

	pt_route_table_new(&fake_ops, &f, 4096, PT_IRQCHIP_KERNEL, &tab);
	for (int i = 0; i < PT_ROUTE_PIN_OWNERS_MAX; i++) {
		snprintf(name, sizeof(name), "dev%d", i);
		bad += pt_route_pin_claim(tab, 16, name) != 0;
		bad += pt_route_pin_irqfd_assign(tab, 16, name, 100 + 2 * i, 101 + 2 * i) != 0;
	}
	tap_is_int(t, bad, 0, "limits: %d devices share GSI 16, each bound", PT_ROUTE_PIN_OWNERS_MAX);
	tap_is_int(t, pt_route_pin_claim(tab, 16, "one-more"), -ENOSPC, "limits: one more is -ENOSPC");
	tap_is_int(t, pt_route_pin_owners(tab, 16), PT_ROUTE_PIN_OWNERS_MAX, "limits: ... nothing changed");
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	tap_is_int(t, pt_route_pin_claim(tab, 17, big), -ENAMETOOLONG, "limits: a name too long");
	tap_is_int(t, pt_route_pin_claim(tab, 17, ""), -EINVAL, "limits: an empty name");
	tap_is_int(t, pt_route_pin_owners(tab, 17), 0, "limits: GSI 17 has no owner");
	pt_route_table_free(tab);
}

/*
 * A refused commit puts routes back, and only routes: the owners of a shared pin and
 * their bindings are as before (KVM's pin route never changed, bindings are the
 * kernel's). The burst's own claim is released by its caller, as backends do.
 */
static void test_shared_rollback(struct tap *t)
{
	struct fake_kvm f = { 0 };
	struct pt_route_table *tab;
	struct pt_msi_msg m = pt_msi_compose(0, 0x44);
	struct pt_route_stats st;
	int gsi;

	pt_route_table_new(&fake_ops, &f, 4096, PT_IRQCHIP_KERNEL, &tab);
	pt_route_pin_claim(tab, 18, DEV_A);
	pt_route_pin_irqfd_assign(tab, 18, DEV_A, 40, 41);

	/* B's burst: its pin, one MSI route, a commit KVM refuses. */
	pt_route_table_lock(tab);
	tap_is_int(t, pt_route_pin_claim(tab, 18, DEV_B), 0, "rollback: B claims GSI 18 too");
	pt_route_msi_add(tab, DEV_B, 0, PT_VECTOR_LIVE, &m, &gsi);
	f.fail_routing = -EINVAL;
	tap_is_int(t, pt_route_table_commit(tab), -EINVAL, "rollback: KVM refuses the commit");
	pt_route_table_unlock(tab);
	pt_route_table_stats(tab, &st);
	tap_ok(t, !st.dirty && st.msi_routes == 0 && st.entries == 40,
	       "rollback: B's MSI route is gone, the table clean");
	tap_ok(t, pt_route_pin_owners(tab, 18) == 2 && pt_route_pin_irqfd_of(tab, 18, DEV_A) == 40 &&
		  st.irqfds == 1, "rollback: both owners kept, A still bound to fd 40");
	tap_is_str(t, f.log, "AR", "rollback: no KVM_IRQFD call: A's binding was never touched");
	tap_is_int(t, pt_route_pin_release(tab, 18, DEV_B), 0, "rollback: B's caller releases its claim");
	tap_ok(t, pt_route_pin_owners(tab, 18) == 1 && pt_route_pin_irqfd_of(tab, 18, DEV_A) == 40,
	       "rollback: A alone, still bound");

	/* B binds while the table is dirty and the commit first is refused: nothing bound. */
	pt_route_pin_claim(tab, 18, DEV_B);
	pt_route_msi_add(tab, DEV_B, 0, PT_VECTOR_LIVE, &m, &gsi);
	f.fail_routing = -ENOMEM;
	tap_is_int(t, pt_route_pin_irqfd_assign(tab, 18, DEV_B, 42, 43), -ENOMEM,
		   "rollback: B's binding fails with the commit before it");
	tap_is_str(t, f.log, "ARR", "rollback: ... and never reached KVM_IRQFD");
	tap_ok(t, pt_route_pin_irqfd_of(tab, 18, DEV_B) == -1 &&
		  pt_route_pin_irqfd_of(tab, 18, DEV_A) == 40,
	       "rollback: B is unbound, A keeps fd 40");
	tap_is_int(t, pt_route_pin_irqfd_assign(tab, 18, DEV_B, 42, 43), 0,
		   "rollback: the next try binds B");
	tap_is_str(t, f.log, "ARRA", "rollback: ... with no commit needed (the table is clean)");
	pt_route_table_free(tab);
}

int main(void)
{
	struct tap t = { 0 };

	test_msi_binding(&t);
	test_level_binding(&t);
	test_shared_pin(&t);
	test_shared_limits(&t);
	test_shared_rollback(&t);
	return tap_done(&t);
}
