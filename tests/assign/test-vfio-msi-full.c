/*
 * The VFIO backend's interrupt switch (src/vfio/irq_state.c) when the VM's routing table
 * fills up halfway through a device's vectors: the switch is refused with -ENOSPC and
 * the table is as it was. The vectors routed before the one that did not fit used to
 * keep their GSIs, owned by the device but freed by nobody, and went to KVM with the
 * next commit.
 *
 * White box, so that it runs on any host (tests/vfio need the testbed's devices): the
 * device object has no fd, since VFIO is never reached on this path before the routes,
 * and the table records instead of calling KVM.
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "route/fake_ops.h"
#include "tap.h"
#include "vfio/backend_impl.h"

#define MAX_ROUTES 64 /* 40 default entries, so 24 MSI routes */
#define OTHERS 21     /* routes another device holds: 3 left */

static bool same_table(const struct pt_route_stats *a, const struct pt_route_stats *b)
{
	return a->entries == b->entries && a->msi_routes == b->msi_routes &&
	       a->dirty == b->dirty && a->commits == b->commits;
}

int main(void)
{
	struct tap t = { 0 };
	struct fake_kvm f = { 0 };
	struct pt_route_table *tab;
	struct pt_route_stats before, after;
	struct pt_vfio_device dev = { .fd = -1, .name = "0000:03:00.0" };
	struct pt_vfio_assign v = { .dev = &dev };
	struct pt_assign_vector vec[5];
	struct pt_assign_irqs irqs = { .kind = PT_ASSIGN_IRQ_MSIX, .nvec = 5, .vec = vec };
	struct pt_msi_msg m = pt_msi_compose(0, 0x50);
	struct capture c;
	const char *log;
	int gsi, r;

	if (pt_route_table_new(&fake_ops, &f, MAX_ROUTES, PT_IRQCHIP_KERNEL, &tab) < 0)
		return 99;
	for (int i = 0; i < OTHERS; i++)
		pt_route_msi_add(tab, "0000:09:00.0", i, PT_VECTOR_LIVE, &m, &gsi);
	tap_is_int(&t, pt_route_table_commit(tab), 0, "another device holds %d of the 24 MSI routes",
		   OTHERS);
	pt_route_table_stats(tab, &before);

	dev.irqs[VFIO_PCI_MSIX_IRQ_INDEX].count = 8;
	strcpy(v.base.name, dev.name);
	v.env.routes = tab;
	pt_vfio_irqs_init(&v);
	for (unsigned i = 0; i < 5; i++)
		vec[i] = (struct pt_assign_vector){ PT_VECTOR_LIVE, pt_msi_compose(0, 0x60 + i) };

	capture_begin(&c);
	r = pt_vfio_irq_set(&v.base, &irqs);
	log = capture_end(&c);
	tap_is_int(&t, r, -ENOSPC, "5 live MSI-X vectors with room for 3: -ENOSPC");
	tap_ok(&t, strstr(log, "0000:03:00.0 vector 3: no GSI left") != NULL,
	       "the message names the device and the vector that did not fit");
	pt_route_table_stats(tab, &after);
	tap_ok(&t, same_table(&before, &after),
	       "the table is unchanged: %u entries (was %u), %u MSI (was %u), %s, %llu commits "
	       "(was %llu)", after.entries, before.entries, after.msi_routes, before.msi_routes,
	       after.dirty ? "dirty" : "clean", (unsigned long long)after.commits,
	       (unsigned long long)before.commits);
	tap_is_int(&t, f.nr, before.entries, "KVM has the table as before");
	tap_is_int(&t, v.irq.kind, PT_ASSIGN_IRQ_NONE, "the device's interrupts are off, as before");
	r = pt_route_msi_add(tab, "0000:0a:00.0", 0, PT_VECTOR_LIVE, &m, &gsi);
	tap_ok(&t, r == 0 && gsi == 24 + OTHERS, "the 3 GSIs are free for another device (got %d)",
	       gsi);

	pt_vfio_irqs_off(&v);
	pt_route_table_free(tab);
	return tap_done(&t);
}
