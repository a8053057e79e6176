/*
 * The routing table at the kernel's limit, on a real VM fd: filled to
 * KVM_CAP_IRQ_ROUTING entries with MSI routes, one more is refused with a message that
 * names the device, the vector and the counts, and leaves the table and the kernel's
 * routes as they were (the first and the last route still deliver); a burst that runs
 * out halfway through a device's vectors is abandoned whole; with the split irqchip
 * the GSI numbers run out at the same maximum. Skips without a usable /dev/kvm; the
 * testbed runs it under nested KVM (KVM_TESTS).
 */
#include "config.h"

#include <stdlib.h>
#include <sys/eventfd.h>

#include "fake_ops.h" /* struct capture: what the table logged */
#include "kvm_vm.h"
#include "route/irqfd.h"
#include "route/kvm_ops.h"
#include "route/table.h"
#include "tap.h"

#define DELIVERY_MS 1000
#define FIRST_VEC 0x41
#define LAST_VEC 0x42
#define OTHER_VEC 0x30

static int new_eventfd(void)
{
	int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);

	if (fd < 0) {
		perror("eventfd");
		exit(99);
	}
	return fd;
}

static bool delivers(struct kvm_vm *vm, int efd, unsigned vector)
{
	uint64_t one = 1;

	kvm_vm_clear_irr(vm);
	if (write(efd, &one, sizeof(one)) != sizeof(one))
		return false;
	return kvm_vm_wait_irr(vm, vector, DELIVERY_MS);
}

static bool same_table(const struct pt_route_stats *a, const struct pt_route_stats *b)
{
	return a->entries == b->entries && a->msi_routes == b->msi_routes &&
	       a->irqfds == b->irqfds && a->dirty == b->dirty && a->commits == b->commits &&
	       a->commit_failures == b->commit_failures;
}

/* Adds routes for vectors 0..n-1 of dev; the number that failed. */
static unsigned add_many(struct pt_route_table *tab, const char *dev, unsigned n)
{
	unsigned bad = 0;

	for (unsigned i = 0; i < n; i++) {
		struct pt_msi_msg m = pt_msi_compose(0, i == 0 ? FIRST_VEC :
							i == n - 1 ? LAST_VEC : OTHER_VEC);
		int gsi;

		if (pt_route_msi_add(tab, dev, (int)i, PT_VECTOR_LIVE, &m, &gsi) < 0)
			bad++;
	}
	return bad;
}

static void test_one_more(struct tap *t, struct kvm_vm *vm, struct pt_route_table *tab,
			  unsigned max)
{
	struct pt_msi_msg m = pt_msi_compose(0, 0x50);
	struct pt_route_stats before, after;
	int efd_first = new_eventfd(), efd_last = new_eventfd(), gsi = -7, r;
	unsigned nmsi = max - 40, last = 24 + nmsi - 1; /* 16 GSIs have two entries */
	struct capture c;
	char want[128];
	const char *log;

	tap_is_int(t, add_many(tab, "0000:03:00.0", nmsi), 0, "%u MSI routes beside the 40 "
		   "defaults", nmsi);
	tap_is_int(t, pt_route_table_commit(tab), 0, "KVM takes the full table of %u entries", max);
	tap_is_int(t, pt_route_irqfd_assign(tab, 24, efd_first, -1), 0, "irqfd on the first (GSI 24)");
	tap_is_int(t, pt_route_irqfd_assign(tab, last, efd_last, -1), 0,
		   "irqfd on the last (GSI %u)", last);
	pt_route_table_stats(tab, &before);

	capture_begin(&c);
	r = pt_route_msi_add(tab, "0000:04:00.0", 7, PT_VECTOR_LIVE, &m, &gsi);
	log = capture_end(&c);
	tap_is_int(t, r, -ENOSPC, "one route more: -ENOSPC");
	tap_is_int(t, gsi, -7, "... and no GSI handed out");
	snprintf(want, sizeof(want), "%u of %u routing entries in use (%u MSI routes", max, max,
		 nmsi);
	tap_ok(t, strstr(log, "0000:04:00.0 vector 7: no GSI left") && strstr(log, want) &&
	       strstr(log, "KVM_CAP_IRQ_ROUTING"),
	       "the message names the device, the vector, the counts and the limit");
	pt_route_table_stats(tab, &after);
	tap_ok(t, same_table(&before, &after) && !after.dirty,
	       "the table is unchanged: %u entries, %u MSI, %u irqfds, clean", after.entries,
	       after.msi_routes, after.irqfds);
	tap_is_int(t, pt_route_table_commit(tab), 0, "a commit after the refusal");
	pt_route_table_stats(tab, &after);
	tap_is_int(t, after.commits, before.commits, "... sends nothing");
	tap_ok(t, delivers(vm, efd_first, FIRST_VEC), "the first route still delivers 0x%x",
	       FIRST_VEC);
	tap_ok(t, delivers(vm, efd_last, LAST_VEC), "the last route still delivers 0x%x", LAST_VEC);
	pt_route_irqfd_deassign(tab, 24);
	pt_route_irqfd_deassign(tab, last);
	close(efd_first);
	close(efd_last);
}

/* Room for 3 routes, a device asks for 5: none of them stays. */
static void test_burst_overflow(struct tap *t, struct pt_route_table *tab)
{
	struct pt_route_stats before, after;
	struct pt_msi_msg m = pt_msi_compose(0, 0x60);
	unsigned added = 0;
	int r = 0, gsi;

	for (unsigned g = 100; g < 103; g++)
		pt_route_msi_remove(tab, g);
	tap_is_int(t, pt_route_table_commit(tab), 0, "three GSIs freed (100-102)");
	pt_route_table_stats(tab, &before);

	pt_route_table_lock(tab);
	for (int v = 0; v < 5 && !r; v++) {
		r = pt_route_msi_add(tab, "0000:05:00.0", v, PT_VECTOR_LIVE, &m, &gsi);
		added += r == 0;
	}
	tap_ok(t, added == 3 && r == -ENOSPC, "5 vectors: 3 get GSIs, the 4th -ENOSPC (%u, %d)",
	       added, r);
	pt_route_table_abandon(tab);
	pt_route_table_unlock(tab);
	pt_route_table_stats(tab, &after);
	tap_ok(t, same_table(&before, &after) && !after.dirty,
	       "abandoned: the table is as before the burst (%u entries, %u MSI, clean)",
	       after.entries, after.msi_routes);
	r = pt_route_msi_add(tab, "0000:06:00.0", 0, PT_VECTOR_LIVE, &m, &gsi);
	tap_ok(t, r == 0 && gsi == 100, "GSI 100 is free again for the next device (got %d)", gsi);
	tap_is_int(t, pt_route_table_commit(tab), 0, "... and KVM takes that table");
}

static void test_split(struct tap *t, unsigned max)
{
	struct pt_msi_msg m = pt_msi_compose(0, 0x70);
	struct pt_route_table *tab;
	struct kvm_vm vm;
	const char *why = "", *log;
	struct capture c;
	char want[64];
	unsigned n = 0;
	int gsi, r;

	r = kvm_vm_open(&vm, true, &why);
	if (r < 0) {
		tap_skip(t, "split irqchip: %s: %s", why, strerror(-r));
		kvm_vm_close(&vm);
		return;
	}
	r = pt_route_table_new_kvm(vm.vm_fd, PT_IRQCHIP_SPLIT, &tab);
	tap_is_int(t, r, 0, "split irqchip: a table from KVM_CAP_IRQ_ROUTING");
	if (r < 0) {
		kvm_vm_close(&vm);
		return;
	}
	while (n <= max && pt_route_msi_add(tab, "0000:03:00.0", (int)n, PT_VECTOR_LIVE, &m,
					    &gsi) == 0)
		n++;
	tap_is_int(t, n, max - 24, "split irqchip: %u MSI routes, on GSIs 24-%u", max - 24, max - 1);
	tap_is_int(t, pt_route_table_commit(tab), 0, "... which KVM takes");
	capture_begin(&c);
	r = pt_route_msi_add(tab, "0000:03:00.0", (int)n, PT_VECTOR_LIVE, &m, &gsi);
	log = capture_end(&c);
	snprintf(want, sizeof(want), "MSI GSIs (24-%u) in use", max - 1);
	tap_ok(t, r == -ENOSPC && strstr(log, want), "one more: -ENOSPC naming the GSI range");
	pt_route_table_free(tab);
	kvm_vm_close(&vm);
}

int main(void)
{
	struct tap t = { 0 };
	struct pt_route_table *tab;
	struct pt_route_stats st;
	struct kvm_vm vm;
	const char *why = "";
	int r;

	r = kvm_vm_open(&vm, false, &why);
	if (r < 0)
		tap_skip_all("%s: %s (this test needs KVM; the testbed runs it)", why, strerror(-r));
	r = kvm_vm_add_vcpu(&vm);
	if (r < 0)
		tap_skip_all("vCPU with an enabled LAPIC: %s", strerror(-r));
	r = pt_route_table_new_kvm(vm.vm_fd, PT_IRQCHIP_KERNEL, &tab);
	tap_is_int(&t, r, 0, "routing table from KVM_CAP_IRQ_ROUTING");
	if (r < 0)
		return tap_done(&t);
	pt_route_table_stats(tab, &st);
	tap_diag("KVM_CAP_IRQ_ROUTING: %u", st.max_entries);

	test_one_more(&t, &vm, tab, st.max_entries);
	test_burst_overflow(&t, tab);
	test_split(&t, st.max_entries);

	pt_route_table_free(tab);
	kvm_vm_close(&vm);
	return tap_done(&t);
}
