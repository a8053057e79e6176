/* irqfd bindings and KVM_SIGNAL_MSI against the recording ops: order and refusals. */
#include "config.h"

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
	tap_is_int(t, pt_route_pin_claim(tab, 10, "0000:04:00.0"), -EBUSY,
		   "another device cannot claim it");
	tap_is_int(t, pt_route_pin_claim(tab, 24, "0000:04:00.0"), -ENOENT,
		   "GSI 24 is not a pin");
	tap_is_int(t, pt_route_irqfd_assign(tab, 10, 20, 21), 0, "level binding on IOAPIC GSI 10");
	tap_ok(t, f.last_irqfd.gsi == 10 && f.last_irqfd.fd == 20 &&
		  f.last_irqfd.flags == KVM_IRQFD_FLAG_RESAMPLE && f.last_irqfd.resamplefd == 21,
	       "KVM_IRQFD with KVM_IRQFD_FLAG_RESAMPLE and the resamplefd");
	tap_is_str(t, f.log, "A", "no commit was needed: the default route is in the kernel");
	tap_is_int(t, pt_route_pin_release(tab, 10), 0, "release the pin");
	tap_is_str(t, f.log, "AD", "... which deassigned its binding");
	tap_is_int(t, pt_route_pin_release(tab, 10), -ENOENT, "a released pin has no owner");
	pt_route_table_free(tab);

	pt_route_table_new(&fake_ops, &f, 4096, PT_IRQCHIP_SPLIT, &tab);
	tap_is_int(t, pt_route_irqfd_assign(tab, 10, 20, 21), -ENOENT,
		   "split irqchip: GSI 10 has no route to bind");
	tap_is_int(t, pt_route_pin_claim(tab, 10, "0000:03:00.0"), -ENOENT,
		   "split irqchip: no pin to claim");
	pt_route_table_free(tab);
}

int main(void)
{
	struct tap t = { 0 };

	test_msi_binding(&t);
	test_level_binding(&t);
	return tap_done(&t);
}
