/*
 * The routing table without KVM: default entries, encoding, GSI allocation and the
 * batched commit, through the recording ops of fake_ops.h.
 */
#include "config.h"

#include <stdint.h>

#include "fake_ops.h"
#include "route/gsi_alloc.h"
#include "route/table.h"
#include "tap.h"

static struct kvm_irq_routing *encode_all(const struct pt_route_table *t, unsigned *ret_total)
{
	struct pt_route_stats st;
	struct kvm_irq_routing *r;

	pt_route_table_stats(t, &st);
	r = calloc(1, pt_route_encoded_size(st.max_entries));
	if (!r)
		exit(99);
	*ret_total = pt_route_table_encode(t, r, st.max_entries);
	return r;
}

/* KVM's default x86 table, written out the long way as the kernel source lists it. */
static void test_default_table(struct tap *t)
{
	struct fake_kvm f = { 0 };
	struct pt_route_table *tab;
	struct kvm_irq_routing *r;
	unsigned total, bad = 0, i = 0;

	tap_is_int(t, pt_route_table_new(&fake_ops, &f, 4096, PT_IRQCHIP_KERNEL, &tab), 0,
		   "table with an in-kernel irqchip");
	r = encode_all(tab, &total);
	tap_is_int(t, total, 40, "default table: 40 entries (16 x IOAPIC+PIC, 8 x IOAPIC)");
	tap_is_int(t, r->nr, 40, "encoded nr is 40");
	tap_is_int(t, r->flags, 0, "encoded flags are 0");
	for (unsigned gsi = 0; gsi < 24; gsi++) {
		const struct kvm_irq_routing_entry *e = &r->entries[i++];

		if (e->gsi != gsi || e->type != KVM_IRQ_ROUTING_IRQCHIP ||
		    e->u.irqchip.irqchip != KVM_IRQCHIP_IOAPIC || e->u.irqchip.pin != gsi) {
			tap_diag("entry %u: gsi %u chip %u pin %u", i - 1, e->gsi,
				 e->u.irqchip.irqchip, e->u.irqchip.pin);
			bad++;
		}
		if (gsi >= 16)
			continue;
		e = &r->entries[i++];
		if (e->gsi != gsi || e->type != KVM_IRQ_ROUTING_IRQCHIP ||
		    e->u.irqchip.irqchip != (gsi < 8 ? KVM_IRQCHIP_PIC_MASTER : KVM_IRQCHIP_PIC_SLAVE) ||
		    e->u.irqchip.pin != (gsi & 7)) {
			tap_diag("entry %u: gsi %u chip %u pin %u", i - 1, e->gsi,
				 e->u.irqchip.irqchip, e->u.irqchip.pin);
			bad++;
		}
	}
	tap_is_int(t, bad, 0, "GSI n < 16 -> IOAPIC pin n then PIC pin n%%8; 16-23 -> IOAPIC only");
	/* Spot checks of the entries that are easy to get wrong. */
	tap_ok(t, r->entries[4].gsi == 2 && r->entries[4].u.irqchip.irqchip == KVM_IRQCHIP_IOAPIC &&
		  r->entries[4].u.irqchip.pin == 2, "GSI 2 is IOAPIC pin 2 (no ISA override)");
	tap_ok(t, r->entries[17].gsi == 8 && r->entries[17].u.irqchip.irqchip == KVM_IRQCHIP_PIC_SLAVE &&
		  r->entries[17].u.irqchip.pin == 0, "GSI 8 is slave PIC pin 0");
	tap_ok(t, r->entries[39].gsi == 23 && r->entries[39].u.irqchip.pin == 23,
	       "the last entry is IOAPIC pin 23");
	tap_ok(t, !pt_route_table_dirty(tab), "a new table mirrors the kernel's: clean");
	tap_is_int(t, pt_route_table_commit(tab), 0, "commit of a clean table succeeds");
	tap_is_int(t, f.routing_calls, 0, "... without an ioctl");
	pt_route_table_invalidate(tab);
	tap_is_int(t, pt_route_table_commit(tab), 0, "commit after invalidate");
	tap_ok(t, f.routing_calls == 1 && f.nr == 40, "... sends the 40 entries once");
	free(r);
	pt_route_table_free(tab);

	tap_is_int(t, pt_route_table_new(&fake_ops, &f, 4096, PT_IRQCHIP_SPLIT, &tab), 0,
		   "table with a split irqchip");
	r = encode_all(tab, &total);
	tap_is_int(t, total, 0, "split irqchip: no IRQCHIP entries");
	free(r);
	pt_route_table_free(tab);

	tap_is_int(t, pt_route_table_new(&fake_ops, &f, 40, PT_IRQCHIP_KERNEL, &tab), -EINVAL,
		   "a maximum with no room for MSIs is refused");
}

static void test_encode_msi(struct tap *t)
{
	struct fake_kvm f = { 0 };
	struct pt_route_table *tab;
	struct kvm_irq_routing *r, *small;
	struct pt_msi_msg m1 = { .address_lo = 0xfee01000, .address_hi = 0, .data = 0x41 };
	struct pt_msi_msg m2 = { .address_lo = 0xfee00000, .address_hi = 0x100, .data = 0x8042,
				 .flags = KVM_MSI_VALID_DEVID, .devid = 0x0310 };
	unsigned total;
	int g1, g2;

	pt_route_table_new(&fake_ops, &f, 4096, PT_IRQCHIP_KERNEL, &tab);
	pt_route_msi_add(tab, "0000:03:00.0", 0, PT_VECTOR_LIVE, &m1, &g1);
	pt_route_msi_add(tab, "0000:03:00.0", 1, PT_VECTOR_LIVE, &m2, &g2);
	r = encode_all(tab, &total);
	tap_is_int(t, total, 42, "two MSI routes after the 40 defaults");
	tap_ok(t, r->entries[40].gsi == 24 && r->entries[40].type == KVM_IRQ_ROUTING_MSI &&
		  r->entries[40].flags == 0 && r->entries[40].u.msi.address_lo == 0xfee01000 &&
		  r->entries[40].u.msi.address_hi == 0 && r->entries[40].u.msi.data == 0x41 &&
		  r->entries[40].u.msi.devid == 0, "MSI entry: gsi 24, address/data, no devid");
	tap_ok(t, r->entries[41].gsi == 25 && r->entries[41].flags == KVM_MSI_VALID_DEVID &&
		  r->entries[41].u.msi.address_hi == 0x100 && r->entries[41].u.msi.data == 0x8042 &&
		  r->entries[41].u.msi.devid == 0x0310, "MSI entry with a devid carries the flag");
	tap_is_int(t, pt_route_encoded_size(42),
		   sizeof(struct kvm_irq_routing) + 42 * sizeof(struct kvm_irq_routing_entry),
		   "encoded size: header + flexible array");
	small = calloc(1, pt_route_encoded_size(10));
	total = pt_route_table_encode(tab, small, 10);
	tap_ok(t, total == 42 && small->nr == 10 && small->entries[9].gsi == 4,
	       "encoding into 10 entries: nr 10, returns the 42 needed");
	free(small);
	free(r);
	pt_route_table_free(tab);
}

static void test_gsi_alloc(struct tap *t)
{
	struct pt_gsi_alloc a;
	unsigned g, n = 0, last = 0;
	int r = 0;

	tap_is_int(t, pt_gsi_alloc_init(&a, 24, 24 + 130), 0, "allocator over 130 GSIs (3 words)");
	while ((r = pt_gsi_alloc_get(&a, &g)) == 0) {
		if (g != 24 + n)
			break;
		last = g;
		n++;
	}
	tap_ok(t, n == 130 && last == 153 && r == -ENOSPC,
	       "hands out 24..153 in order, then -ENOSPC (got %u, last %u, r %d)", n, last, r);
	tap_is_int(t, pt_gsi_alloc_put(&a, 100), 0, "free 100");
	tap_is_int(t, pt_gsi_alloc_put(&a, 30), 0, "free 30");
	tap_is_int(t, pt_gsi_alloc_put(&a, 30), -EINVAL, "double free is refused");
	tap_is_int(t, pt_gsi_alloc_put(&a, 154), -EINVAL, "free out of range is refused");
	pt_gsi_alloc_get(&a, &g);
	tap_is_int(t, g, 30, "lowest free first: 30");
	pt_gsi_alloc_get(&a, &g);
	tap_is_int(t, g, 100, "then 100");
	tap_is_int(t, a.used, 130, "used count follows");
	pt_gsi_alloc_fini(&a);
}

static void test_table_alloc(struct tap *t)
{
	struct fake_kvm f = { 0 };
	struct pt_route_table *tab;
	struct pt_msi_msg m = pt_msi_compose(0, 0x50);
	struct pt_route_stats st;
	struct capture c;
	const char *log;
	int gsi, r, n = 0;

	pt_route_table_new(&fake_ops, &f, 64, PT_IRQCHIP_KERNEL, &tab);
	r = pt_route_msi_add(tab, "0000:03:00.0", 0, PT_VECTOR_MASKED, &m, &gsi);
	tap_ok(t, r == 0 && gsi == PT_ROUTE_NO_GSI, "a masked vector gets no GSI");
	r = pt_route_msi_add(tab, "0000:03:00.0", 0, PT_VECTOR_DISABLED, &m, &gsi);
	tap_ok(t, r == 0 && gsi == PT_ROUTE_NO_GSI, "a disabled vector gets no GSI");
	tap_ok(t, !pt_route_table_dirty(tab), "... and the table stays clean");

	for (;;) {
		r = pt_route_msi_add(tab, "0000:03:00.0", n, PT_VECTOR_LIVE, &m, &gsi);
		if (r < 0 || gsi != 24 + n)
			break;
		n++;
	}
	tap_ok(t, n == 24 && r == -ENOSPC, "max 64: 24 MSI routes fit beside the 40 defaults");
	capture_begin(&c);
	r = pt_route_msi_add(tab, "0000:04:00.1", 7, PT_VECTOR_LIVE, &m, &gsi);
	log = capture_end(&c);
	tap_is_int(t, r, -ENOSPC, "one more is -ENOSPC");
	tap_ok(t, strstr(log, "0000:04:00.1") && strstr(log, "vector 7"),
	       "the error names the device and vector");
	tap_ok(t, strstr(log, "64 of 64") && strstr(log, "24 MSI"), "... and the counts");

	tap_is_int(t, pt_route_msi_remove(tab, 30), 0, "free GSI 30");
	tap_is_int(t, pt_route_msi_remove(tab, 30), -ENOENT, "freeing it again is -ENOENT");
	tap_is_int(t, pt_route_msi_remove(tab, 5), -ENOENT, "an IOAPIC pin is not an MSI route");
	tap_is_int(t, pt_route_msi_remove(tab, 64), -ENOENT, "beyond the maximum is -ENOENT");
	r = pt_route_msi_add(tab, "0000:04:00.1", 7, PT_VECTOR_LIVE, &m, &gsi);
	tap_ok(t, r == 0 && gsi == 30, "the freed GSI is reused (got %d)", gsi);

	pt_route_msi_remove(tab, 40);
	r = pt_route_msi_add(tab, "a-device-name-that-is-far-too-long-to-keep", 1, PT_VECTOR_LIVE,
			     &m, &gsi);
	tap_is_int(t, r, -ENAMETOOLONG, "an overlong owner name is refused");
	r = pt_route_msi_add(tab, "vdev", 1, PT_VECTOR_LIVE, &m, &gsi);
	tap_ok(t, r == 0 && gsi == 40, "... without leaking its GSI");
	pt_route_table_stats(tab, &st);
	tap_ok(t, st.entries == 64 && st.msi_routes == 24, "stats: 64 entries, 24 MSI");
	pt_route_table_free(tab);

	/* Split irqchip: no pins, so the GSI numbers run out before the entries. */
	pt_route_table_new(&fake_ops, &f, 64, PT_IRQCHIP_SPLIT, &tab);
	n = 0;
	while (n < 100 && pt_route_msi_add(tab, "0000:03:00.0", n, PT_VECTOR_LIVE, &m, &gsi) == 0)
		n++;
	tap_is_int(t, n, 40, "split irqchip, max 64: GSIs 24-63 for MSIs");
	capture_begin(&c);
	r = pt_route_msi_add(tab, "0000:03:00.0", 40, PT_VECTOR_LIVE, &m, &gsi);
	log = capture_end(&c);
	tap_ok(t, r == -ENOSPC && strstr(log, "40 of 40 MSI GSIs (24-63)"),
	       "... then -ENOSPC naming the GSI range");
	pt_route_table_free(tab);

	/* The real maximum: 4096 entries, 4056 of them MSI with the in-kernel irqchip. */
	pt_route_table_new(&fake_ops, &f, 4096, PT_IRQCHIP_KERNEL, &tab);
	n = 0;
	while (pt_route_msi_add(tab, "0000:03:00.0", n, PT_VECTOR_LIVE, &m, &gsi) == 0)
		n++;
	tap_is_int(t, n, 4056, "max 4096: 4056 MSI routes");
	tap_is_int(t, pt_route_table_commit(tab), 0, "the full table commits");
	tap_is_int(t, f.nr, 4096, "... with 4096 entries");
	tap_is_int(t, gsi, 4079, "the last GSI handed out is 4079");
	pt_route_table_free(tab);
}

static void test_commit_batching(struct tap *t)
{
	struct fake_kvm f = { 0 };
	struct pt_route_table *tab;
	struct pt_route_stats st;
	int gsi[256], bad = 0;

	pt_route_table_new(&fake_ops, &f, 4096, PT_IRQCHIP_KERNEL, &tab);
	for (int v = 0; v < 256; v++) {
		struct pt_msi_msg m = pt_msi_compose(0, 0x20 + (v % 200));

		if (pt_route_msi_add(tab, "0000:05:00.0", v, PT_VECTOR_LIVE, &m, &gsi[v]) < 0 ||
		    gsi[v] != 24 + v)
			bad++;
	}
	tap_is_int(t, bad, 0, "256 routes on GSIs 24-279");
	tap_ok(t, pt_route_table_dirty(tab), "the table is dirty");
	tap_is_int(t, f.routing_calls, 0, "no ioctl before the commit");
	tap_is_int(t, pt_route_table_commit(tab), 0, "commit");
	pt_route_table_stats(tab, &st);
	tap_ok(t, f.routing_calls == 1 && st.commits == 1 && st.entries_committed == 296,
	       "one KVM_SET_GSI_ROUTING with 296 entries (calls %d, commits %llu, entries %llu)",
	       f.routing_calls, (unsigned long long)st.commits,
	       (unsigned long long)st.entries_committed);
	tap_ok(t, f.entries[295].gsi == 279 && f.entries[295].u.msi.data == 0x20 + 255 % 200,
	       "the kernel got the last route");
	pt_route_table_commit(tab);
	tap_is_int(t, f.routing_calls, 1, "a second commit without changes does nothing");

	struct pt_msi_msg same = pt_msi_compose(0, 0x20), other = pt_msi_compose(1, 0x33);

	tap_is_int(t, pt_route_msi_update(tab, 24, &same), 0, "update with the same message");
	tap_ok(t, !pt_route_table_dirty(tab), "... leaves the table clean");
	tap_is_int(t, pt_route_msi_update(tab, 24, &other), 0, "retarget GSI 24");
	tap_ok(t, pt_route_table_dirty(tab), "... makes it dirty");
	tap_is_int(t, pt_route_msi_update(tab, 3, &other), -ENOENT, "updating a pin is -ENOENT");
	f.fail_routing = -EINVAL;
	tap_is_int(t, pt_route_table_commit(tab), -EINVAL, "a failed commit returns the error");
	pt_route_table_stats(tab, &st);
	tap_ok(t, !st.dirty && st.commit_failures == 1 && st.commits == 1 && st.msi_routes == 256,
	       "... rolls the burst back: clean again, counted as a failure, 256 MSI routes");
	tap_is_int(t, pt_route_msi_update(tab, 24, &same), 0, "GSI 24 has its committed message back");
	tap_ok(t, !pt_route_table_dirty(tab), "... (updating to it changes nothing)");

	/* The next device's burst is not poisoned by the refused one. */
	int extra = PT_ROUTE_NO_GSI, extra2 = PT_ROUTE_NO_GSI;

	f.fail_routing = 0;
	pt_route_msi_add(tab, "0000:05:00.0", 0, PT_VECTOR_LIVE, &other, &extra);
	tap_is_int(t, pt_route_table_commit(tab), 0, "another device's commit succeeds");
	tap_ok(t, f.entries[f.nr - 1].gsi == (unsigned)extra && f.entries[40].u.msi.data == 0x20,
	       "the kernel has its route, and GSI 24 as committed before");

	/* A refused burst that added and removed routes: the GSIs come back as they were. */
	pt_route_msi_remove(tab, (unsigned)extra);
	pt_route_msi_add(tab, "0000:06:00.0", 0, PT_VECTOR_LIVE, &other, &extra2);
	f.fail_routing = -EINVAL;
	pt_route_table_commit(tab);
	pt_route_table_stats(tab, &st);
	tap_ok(t, st.msi_routes == 257 && st.entries == 297 && !st.dirty,
	       "a refused add + remove: 257 MSI routes and 297 entries again (%u, %u)",
	       st.msi_routes, st.entries);
	tap_is_int(t, pt_route_msi_update(tab, (unsigned)extra, &other), 0,
		   "the removed route is back on its GSI");
	f.fail_routing = 0;
	int again = PT_ROUTE_NO_GSI;

	pt_route_msi_add(tab, "0000:06:00.0", 0, PT_VECTOR_LIVE, &other, &again);
	tap_ok(t, again != extra && again >= 24,
	       "the rolled-back GSI is free for the next add, the restored one is not (got %d)",
	       again);
	pt_route_msi_remove(tab, (unsigned)again);
	pt_route_msi_remove(tab, (unsigned)extra);
	for (int v = 0; v < 256; v++)
		pt_route_msi_remove(tab, (unsigned)gsi[v]);
	pt_route_table_commit(tab);
	pt_route_table_stats(tab, &st);
	tap_ok(t, f.nr == 40 && st.commits == 3 && st.msi_routes == 0,
	       "removing them all is one more commit back to the 40 defaults");
	pt_route_table_free(tab);
}

/* A burst that cannot finish is abandoned: adds, updates and removes all undone, no ioctl. */
static void test_abandon(struct tap *t)
{
	struct fake_kvm f = { 0 };
	struct pt_route_table *tab;
	struct pt_route_stats before, after;
	struct pt_msi_msg a = pt_msi_compose(0, 0x40), b = pt_msi_compose(1, 0x41);
	int g1, g2, g3;

	pt_route_table_new(&fake_ops, &f, 4096, PT_IRQCHIP_KERNEL, &tab);
	pt_route_msi_add(tab, "0000:03:00.0", 0, PT_VECTOR_LIVE, &a, &g1);
	pt_route_msi_add(tab, "0000:03:00.0", 1, PT_VECTOR_LIVE, &a, &g2);
	pt_route_table_commit(tab);
	pt_route_table_stats(tab, &before);

	pt_route_table_lock(tab);
	pt_route_msi_update(tab, (unsigned)g1, &b);
	pt_route_msi_remove(tab, (unsigned)g2);
	pt_route_msi_add(tab, "0000:04:00.0", 0, PT_VECTOR_LIVE, &b, &g3);
	pt_route_table_abandon(tab);
	pt_route_table_unlock(tab);
	pt_route_table_stats(tab, &after);
	tap_ok(t, after.entries == before.entries && after.msi_routes == 2 && !after.dirty &&
	       after.commits == before.commits && f.routing_calls == 1,
	       "abandon: %u entries, %u MSI routes, clean, no ioctl", after.entries,
	       after.msi_routes);
	tap_is_int(t, pt_route_msi_update(tab, (unsigned)g1, &a), 0,
		   "the updated route has its committed message back");
	tap_ok(t, !pt_route_table_dirty(tab), "... (setting it again changes nothing)");
	tap_is_int(t, pt_route_msi_update(tab, (unsigned)g2, &a), 0, "the removed route is back");
	pt_route_msi_add(tab, "0000:05:00.0", 0, PT_VECTOR_LIVE, &b, &g3);
	tap_is_int(t, g3, g2 + 1, "the added route's GSI is free again");
	pt_route_table_free(tab);
}

int main(void)
{
	struct tap t = { 0 };

	test_default_table(&t);
	test_encode_msi(&t);
	test_gsi_alloc(&t);
	test_table_alloc(&t);
	test_commit_batching(&t);
	test_abandon(&t);
	return tap_done(&t);
}
