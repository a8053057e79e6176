/*
 * The legacy backend end to end against a simulated Linux 3.17 (fake_kernel.h) and a
 * sysfs fixture: assign -> INTx (and its mask) -> MSI -> MSI-X -> retarget ->
 * reprogram -> mask, unmask -> off -> MSI-X again -> deassign, with the exact ioctl
 * sequence, the kernel's state and the routing table checked after each step; then a
 * failure injected at every one of those ioctls and at every routing commit, each
 * leaving the kernel, the routes and the descriptors as they were; then refusals and
 * the double's own 3.17 rules.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "assign/legacy.h"
#include "assign/legacy_abi.h"
#include "fake_kernel.h"
#include "fixture.h"
#include "route/describe.h"
#include "route/fake_ops.h"
#include "tap.h"

#define NSTEPS 12
#define DEV_ID 0x300u

struct world {
	struct fixture fix;
	struct fake_kernel k;
	struct fake_kvm rk; /* the routing table's kernel side */
	struct pt_route_table *routes;
	struct pt_assign_env env;
	struct pt_assign_dev *dev;
	struct fk_host_dev *host;
};

static const struct pt_bdf bdf = { 0, 3, 0, 0 };

static void world_init(struct world *w, enum pt_irqchip mode)
{
	memset(w, 0, sizeof(*w));
	fix_create(&w->fix);
	fk_init(&w->k);
	w->host = fk_add_host(&w->k, 0, 3, 0, 8);
	if (pt_route_table_new(&fake_ops, &w->rk, FAKE_MAX_ENTRIES, mode, &w->routes) < 0)
		exit(99);
	/* What KVM holds from the start: its default table, which the model equals. */
	pt_route_table_invalidate(w->routes);
	if (pt_route_table_commit(w->routes) < 0)
		exit(99);
	w->env = (struct pt_assign_env){ .kvm_fd = -1, .vm_fd = -1, .routes = w->routes,
					 .sysroot = w->fix.root };
}

static void world_fini(struct world *w)
{
	pt_assign_release(w->dev);
	w->dev = NULL;
	pt_route_table_free(w->routes);
	fix_remove(&w->fix);
}

static struct pt_assign_vector vec(enum pt_vector_state s, uint32_t apic, uint8_t v)
{
	return (struct pt_assign_vector){ .state = s, .msg = pt_msi_compose(apic, v) };
}

static int irq(struct world *w, enum pt_assign_irq_kind kind, unsigned gsi, unsigned n,
	       const struct pt_assign_vector *v)
{
	struct pt_assign_irqs irqs = { .kind = kind, .intx_gsi = gsi, .nvec = n, .vec = v };

	return w->dev->backend->irq_set(w->dev, &irqs);
}

/* The scenario, one guest action per step. */
static int step(struct world *w, int i)
{
	const enum pt_vector_state L = PT_VECTOR_LIVE, M = PT_VECTOR_MASKED;

	switch (i) {
	case 0:
		return pt_legacy_open(&w->env, &fk_ops, &w->k, &bdf, &w->dev);
	case 1:
		return irq(w, PT_ASSIGN_IRQ_INTX, 10, 0, NULL);
	case 2:
		return w->dev->backend->intx_mask(w->dev, true);
	case 3:
		return w->dev->backend->intx_mask(w->dev, false);
	case 4: {
		struct pt_assign_vector v[] = { vec(L, 0, 0x40) };
		return irq(w, PT_ASSIGN_IRQ_MSI, 0, 1, v);
	}
	case 5: {
		struct pt_assign_vector v[] = { vec(L, 0, 0x50), vec(M, 0, 0x51), vec(L, 0, 0x52) };
		return irq(w, PT_ASSIGN_IRQ_MSIX, 0, 3, v);
	}
	case 6: { /* the guest retargets vector 2 to APIC 1 */
		struct pt_assign_vector v[] = { vec(L, 0, 0x50), vec(M, 0, 0x51), vec(L, 1, 0x52) };
		return irq(w, PT_ASSIGN_IRQ_MSIX, 0, 3, v);
	}
	case 7: { /* ... and unmasks vector 1: a new live set */
		struct pt_assign_vector v[] = { vec(L, 0, 0x50), vec(L, 0, 0x51), vec(L, 1, 0x52) };
		return irq(w, PT_ASSIGN_IRQ_MSIX, 0, 3, v);
	}
	case 8: { /* masks vector 0: out of the kernel's set, its GSI kept */
		struct pt_assign_vector v[] = { vec(M, 0, 0x50), vec(L, 0, 0x51), vec(L, 1, 0x52) };
		return irq(w, PT_ASSIGN_IRQ_MSIX, 0, 3, v);
	}
	case 9: { /* ... and unmasks it: back on the same GSI */
		struct pt_assign_vector v[] = { vec(L, 0, 0x50), vec(L, 0, 0x51), vec(L, 1, 0x52) };
		return irq(w, PT_ASSIGN_IRQ_MSIX, 0, 3, v);
	}
	case 10:
		return irq(w, PT_ASSIGN_IRQ_NONE, 0, 0, NULL);
	case 11: {
		struct pt_assign_vector v[] = { vec(L, 0, 0x60) };
		return irq(w, PT_ASSIGN_IRQ_MSIX, 0, 1, v);
	}
	}
	return -EINVAL;
}

static const char *const expected_log[NSTEPS] = {
	"ASSIGN_PCI_DEVICE id=0x300 0:3:0 flags=0x3 = 0",
	"ASSIGN_DEV_IRQ id=0x300 guest_irq=10 flags=0x101 = 0",
	"ASSIGN_SET_INTX_MASK id=0x300 0:3:0 flags=0x7 = 0",
	"ASSIGN_SET_INTX_MASK id=0x300 0:3:0 flags=0x3 = 0",
	"DEASSIGN_DEV_IRQ id=0x300 guest_irq=0 flags=0x101 = 0\n"
	"ASSIGN_DEV_IRQ id=0x300 guest_irq=24 flags=0x202 = 0",
	"DEASSIGN_DEV_IRQ id=0x300 guest_irq=0 flags=0x202 = 0\n"
	"ASSIGN_SET_MSIX_NR id=0x300 nr=2 = 0\n"
	"ASSIGN_SET_MSIX_ENTRY id=0x300 entry=0 gsi=25 = 0\n"
	"ASSIGN_SET_MSIX_ENTRY id=0x300 entry=2 gsi=26 = 0\n"
	"ASSIGN_DEV_IRQ id=0x300 guest_irq=0 flags=0x404 = 0",
	"",
	"DEASSIGN_DEV_IRQ id=0x300 guest_irq=0 flags=0x404 = 0\n"
	"ASSIGN_SET_MSIX_NR id=0x300 nr=3 = 0\n"
	"ASSIGN_SET_MSIX_ENTRY id=0x300 entry=0 gsi=25 = 0\n"
	"ASSIGN_SET_MSIX_ENTRY id=0x300 entry=1 gsi=24 = 0\n"
	"ASSIGN_SET_MSIX_ENTRY id=0x300 entry=2 gsi=26 = 0\n"
	"ASSIGN_DEV_IRQ id=0x300 guest_irq=0 flags=0x404 = 0",
	"DEASSIGN_DEV_IRQ id=0x300 guest_irq=0 flags=0x404 = 0\n"
	"ASSIGN_SET_MSIX_NR id=0x300 nr=2 = 0\n"
	"ASSIGN_SET_MSIX_ENTRY id=0x300 entry=1 gsi=24 = 0\n"
	"ASSIGN_SET_MSIX_ENTRY id=0x300 entry=2 gsi=26 = 0\n"
	"ASSIGN_DEV_IRQ id=0x300 guest_irq=0 flags=0x404 = 0",
	"DEASSIGN_DEV_IRQ id=0x300 guest_irq=0 flags=0x404 = 0\n"
	"ASSIGN_SET_MSIX_NR id=0x300 nr=3 = 0\n"
	"ASSIGN_SET_MSIX_ENTRY id=0x300 entry=0 gsi=25 = 0\n"
	"ASSIGN_SET_MSIX_ENTRY id=0x300 entry=1 gsi=24 = 0\n"
	"ASSIGN_SET_MSIX_ENTRY id=0x300 entry=2 gsi=26 = 0\n"
	"ASSIGN_DEV_IRQ id=0x300 guest_irq=0 flags=0x404 = 0",
	"DEASSIGN_DEV_IRQ id=0x300 guest_irq=0 flags=0x404 = 0",
	"ASSIGN_SET_MSIX_NR id=0x300 nr=1 = 0\n"
	"ASSIGN_SET_MSIX_ENTRY id=0x300 entry=0 gsi=24 = 0\n"
	"ASSIGN_DEV_IRQ id=0x300 guest_irq=0 flags=0x404 = 0",
};

/* What the kernel holds after each step (fk_state_text). */
static const char *const expected_state[NSTEPS] = {
	"iommu_domain=1 | dev 0x300 flags=0x3 irq=0x0 msix_nr=0 | host 0:03:00 enabled=1 intx=0 msi=0 msix=0",
	"iommu_domain=1 | dev 0x300 flags=0x3 irq=0x101 guest_irq=10 msix_nr=0 | host 0:03:00 enabled=1 intx=1 msi=0 msix=0",
	"iommu_domain=1 | dev 0x300 flags=0x7 irq=0x101 guest_irq=10 msix_nr=0 | host 0:03:00 enabled=1 intx=1 msi=0 msix=0",
	"iommu_domain=1 | dev 0x300 flags=0x3 irq=0x101 guest_irq=10 msix_nr=0 | host 0:03:00 enabled=1 intx=1 msi=0 msix=0",
	"iommu_domain=1 | dev 0x300 flags=0x3 irq=0x202 guest_irq=24 msix_nr=0 | host 0:03:00 enabled=1 intx=0 msi=1 msix=0",
	"iommu_domain=1 | dev 0x300 flags=0x3 irq=0x404 guest_irq=0 msix_nr=2 0:25 2:26 | host 0:03:00 enabled=1 intx=0 msi=0 msix=1",
	"iommu_domain=1 | dev 0x300 flags=0x3 irq=0x404 guest_irq=0 msix_nr=2 0:25 2:26 | host 0:03:00 enabled=1 intx=0 msi=0 msix=1",
	"iommu_domain=1 | dev 0x300 flags=0x3 irq=0x404 guest_irq=0 msix_nr=3 0:25 1:24 2:26 | host 0:03:00 enabled=1 intx=0 msi=0 msix=1",
	"iommu_domain=1 | dev 0x300 flags=0x3 irq=0x404 guest_irq=0 msix_nr=2 1:24 2:26 | host 0:03:00 enabled=1 intx=0 msi=0 msix=1",
	"iommu_domain=1 | dev 0x300 flags=0x3 irq=0x404 guest_irq=0 msix_nr=3 0:25 1:24 2:26 | host 0:03:00 enabled=1 intx=0 msi=0 msix=1",
	"iommu_domain=1 | dev 0x300 flags=0x3 irq=0x0 msix_nr=0 | host 0:03:00 enabled=1 intx=0 msi=0 msix=0",
	"iommu_domain=1 | dev 0x300 flags=0x3 irq=0x404 guest_irq=0 msix_nr=1 0:24 | host 0:03:00 enabled=1 intx=0 msi=0 msix=1",
};

/* The routes the table holds beyond KVM's defaults, and pin owners, after each step. */
static const char *const expected_routes[NSTEPS] = {
	"",
	"10:irqchip:0000:03:00.0",
	"10:irqchip:0000:03:00.0",
	"10:irqchip:0000:03:00.0",
	"24:msi:0000:03:00.0/0:apic0:0x40",
	"25:msi:0000:03:00.0/0:apic0:0x50 26:msi:0000:03:00.0/2:apic0:0x52",
	"25:msi:0000:03:00.0/0:apic0:0x50 26:msi:0000:03:00.0/2:apic1:0x52",
	"24:msi:0000:03:00.0/1:apic0:0x51 25:msi:0000:03:00.0/0:apic0:0x50 26:msi:0000:03:00.0/2:apic1:0x52",
	"24:msi:0000:03:00.0/1:apic0:0x51 25:msi:0000:03:00.0/0:apic0:0x50 26:msi:0000:03:00.0/2:apic1:0x52",
	"24:msi:0000:03:00.0/1:apic0:0x51 25:msi:0000:03:00.0/0:apic0:0x50 26:msi:0000:03:00.0/2:apic1:0x52",
	"",
	"24:msi:0000:03:00.0/0:apic0:0x60",
};

struct text {
	char s[2048];
	size_t n;
};

static int describe_one(const struct pt_route_desc *d, void *opaque)
{
	struct text *t = opaque;

	if (t->n >= sizeof(t->s))
		return 0;
	if (d->type == PT_ROUTE_MSI)
		t->n += (size_t)snprintf(t->s + t->n, sizeof(t->s) - t->n, "%s%u:msi:%s/%d:apic%u:0x%x",
					 t->n ? " " : "", d->gsi, d->owner, d->owner_vector,
					 d->msi.dest_id, d->msi.vector);
	else if (strcmp(d->owner, "default") && (d->gsi >= 16 || d->chip == PT_CHIP_IOAPIC))
		t->n += (size_t)snprintf(t->s + t->n, sizeof(t->s) - t->n, "%s%u:irqchip:%s",
					 t->n ? " " : "", d->gsi, d->owner);
	return 0;
}

static const char *routes_text(const struct world *w, struct text *t)
{
	t->n = 0;
	t->s[0] = '\0';
	pt_route_table_describe(w->routes, describe_one, t);
	return t->s;
}

/* Everything a failed step must leave alone: the kernel, the table and what KVM has of it. */
static void snapshot(const struct world *w, char *buf, size_t len)
{
	char k[1024];
	struct text r;
	unsigned long sum = 0;

	for (unsigned i = 0; i < w->rk.nr; i++) {
		const uint32_t *p = (const uint32_t *)&w->rk.entries[i];

		for (size_t j = 0; j < sizeof(w->rk.entries[i]) / 4; j++)
			sum = sum * 31 + p[j];
	}
	snprintf(buf, len, "%s || %s || kvm routes %u sum %lx", fk_state_text(&w->k, k, sizeof(k)),
		 routes_text(w, &r), w->rk.nr, sum);
}

/* Calls the clean scenario makes in each step. */
static unsigned calls_in_step[NSTEPS];

static void clean_run(struct tap *t)
{
	struct world w;
	char log[2048], st[1024];
	struct text r;
	struct pt_route_stats stats;
	int fds = fix_count_fds();

	world_init(&w, PT_IRQCHIP_KERNEL);
	for (int i = 0; i < NSTEPS; i++) {
		unsigned before = w.k.calls;
		uint64_t commits;
		int rc;

		pt_route_table_stats(w.routes, &stats);
		commits = stats.commits;
		fk_log_clear(&w.k);
		rc = step(&w, i);
		calls_in_step[i] = w.k.calls - before;
		tap_is_int(t, rc, 0, "step %d succeeds", i);
		tap_is_str(t, fk_log_text(&w.k, log, sizeof(log)), expected_log[i],
			   "step %d: the ioctls 3.17 needs, in order", i);
		tap_is_str(t, fk_state_text(&w.k, st, sizeof(st)), expected_state[i],
			   "step %d: the kernel's state", i);
		tap_is_str(t, routes_text(&w, &r), expected_routes[i], "step %d: the routing table", i);
		pt_route_table_stats(w.routes, &stats);
		if (i == 6)
			tap_is_int(t, stats.commits - commits, 1,
				   "the retarget is one routing commit and no legacy ioctl");
		tap_ok(t, !stats.dirty, "step %d: the table is committed", i);
	}
	tap_is_int(t, pt_legacy_assign_flags(w.dev), PT_KVM_DEV_ASSIGN_ENABLE_IOMMU | PT_KVM_DEV_ASSIGN_PCI_2_3,
		   "assigned with the IOMMU flag and PCI 2.3 INTx masking");
	fk_log_clear(&w.k);
	pt_assign_release(w.dev);
	w.dev = NULL;
	tap_is_str(t, fk_log_text(&w.k, log, sizeof(log)),
		   "DEASSIGN_DEV_IRQ id=0x300 guest_irq=0 flags=0x404 = 0\n"
		   "DEASSIGN_PCI_DEVICE id=0x300 0:3:0 flags=0x3 = 0",
		   "release: interrupts, then the device");
	tap_is_str(t, fk_state_text(&w.k, st, sizeof(st)),
		   "iommu_domain=1 | host 0:03:00 enabled=0 intx=0 msi=0 msix=0",
		   "release: the kernel holds nothing of the device");
	tap_is_str(t, routes_text(&w, &r), "", "release: its routes are gone");
	tap_is_int(t, w.host->resets, 2, "the kernel reset the function at assign and at deassign");
	tap_is_int(t, w.k.abi_violations, 0, "no reserved or padding word was ever nonzero");
	world_fini(&w);
	tap_is_int(t, fix_count_fds(), fds, "no descriptor leaked");
}

/* Failure at call k of the scenario: that step fails and changes nothing, a retry works. */
static void fail_every_call(struct tap *t)
{
	unsigned total = 0, call = 0;

	for (int i = 0; i < NSTEPS; i++)
		total += calls_in_step[i];
	for (unsigned k = 1; k <= total; k++) {
		struct world w, clean;
		char before[2048], after[2048], want[2048];
		int fds = fix_count_fds(), failed_step = -1, s;
		unsigned resets;
		bool ok = true;

		world_init(&w, PT_IRQCHIP_KERNEL);
		world_init(&clean, PT_IRQCHIP_KERNEL);
		w.k.fail_call = k;
		w.k.fail_errno = -EIO;
		for (s = 0, call = 0; s < NSTEPS; s++) {
			snapshot(&w, before, sizeof(before));
			resets = w.host->resets;
			if (step(&w, s) < 0) {
				failed_step = s;
				break;
			}
			ok &= step(&clean, s) == 0;
			call += calls_in_step[s];
		}
		snapshot(&w, after, sizeof(after));
		tap_ok(t, failed_step >= 0 && k > call && k <= call + calls_in_step[failed_step],
		       "call %u fails: step %d fails (calls %u-%u)", k, failed_step, call + 1,
		       failed_step >= 0 ? call + calls_in_step[failed_step] : 0);
		if (!tap_ok(t, !strcmp(before, after), "call %u fails: kernel and routes as before step %d",
			    k, failed_step)) {
			tap_diag("before: %s", before);
			tap_diag("after:  %s", after);
			tap_diag("%s", fk_log_text(&w.k, after, sizeof(after)));
		}
		/*
		 * 3.17 keeps an accepted SET_MSIX_NR count until MSI-X is deassigned: only a
		 * failure after one needs the device re-assigned (two function resets).
		 */
		if (failed_step >= 0) {
			const char *nr = strstr(expected_log[failed_step], "ASSIGN_SET_MSIX_NR");
			unsigned line = 1;

			for (const char *p = expected_log[failed_step]; nr && p < nr; p++)
				line += *p == '\n';
			tap_is_int(t, w.host->resets - resets, nr && k - call > line ? 2 : 0,
				   "call %u: function resets while recovering", k);
		}
		w.k.fail_call = 0;
		if (failed_step >= 0) {
			tap_ok(t, step(&w, failed_step) == 0 && step(&clean, failed_step) == 0 && ok,
			       "call %u: the step works when retried", k);
			snapshot(&w, after, sizeof(after));
			snapshot(&clean, want, sizeof(want));
			tap_is_str(t, after, want, "call %u: the retry reaches the clean run's state", k);
		}
		world_fini(&w);
		world_fini(&clean);
		tap_is_int(t, fix_count_fds(), fds, "call %u: no descriptor leaked", k);
	}
}

/* A failed KVM_SET_GSI_ROUTING: the step fails before any legacy ioctl. */
static void fail_every_commit(struct tap *t)
{
	static const int steps[] = { 4, 5, 6, 7, 11 };

	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		struct world w;
		char before[2048], after[2048];
		unsigned calls;

		world_init(&w, PT_IRQCHIP_KERNEL);
		for (int s = 0; s < steps[i]; s++)
			if (step(&w, s) < 0)
				exit(99);
		snapshot(&w, before, sizeof(before));
		calls = w.k.calls;
		w.rk.fail_routing = -ENOMEM;
		tap_is_int(t, step(&w, steps[i]), -ENOMEM, "step %d: a failed routing commit fails it",
			   steps[i]);
		tap_is_int(t, w.k.calls - calls, 0, "step %d: no legacy ioctl after the failed commit",
			   steps[i]);
		snapshot(&w, after, sizeof(after));
		tap_is_str(t, after, before, "step %d: kernel and routes as before", steps[i]);
		tap_is_int(t, step(&w, steps[i]), 0, "step %d: works when retried", steps[i]);
		world_fini(&w);
	}
}

static void refusals(struct tap *t)
{
	struct world w;
	struct capture c;
	char st[1024];
	int fds = fix_count_fds();
	struct pt_assign_vector v[257];

	/* A kernel without the interface: refused before any ioctl. */
	world_init(&w, PT_IRQCHIP_KERNEL);
	w.k.cap_device_assignment = 0;
	capture_begin(&c);
	tap_is_int(t, step(&w, 0), -EOPNOTSUPP, "no KVM_CAP_DEVICE_ASSIGNMENT: open refused");
	tap_ok(t, strstr(capture_end(&c), "removed in Linux 4.12") != NULL &&
		  strstr(c.text, "use backend = vfio") != NULL,
	       "the message says it was removed in Linux 4.12 and to use backend = vfio");
	tap_is_int(t, w.k.calls, 0, "no ioctl was made");
	w.k.cap_device_assignment = 1;
	w.k.cap_iommu = 0;
	capture_begin(&c);
	tap_is_int(t, step(&w, 0), -EOPNOTSUPP, "no KVM_CAP_IOMMU: open refused");
	tap_ok(t, strstr(capture_end(&c), "KVM_CAP_IOMMU = 0") != NULL, "the message names KVM_CAP_IOMMU");
	w.k.cap_iommu = 1;
	w.k.cap_pci_2_3 = 0;
	tap_is_int(t, step(&w, 0), 0, "without KVM_CAP_PCI_2_3 it still assigns");
	tap_is_int(t, pt_legacy_assign_flags(w.dev), PT_KVM_DEV_ASSIGN_ENABLE_IOMMU,
		   "... without asking for PCI 2.3 INTx masking");
	pt_assign_release(w.dev);
	w.dev = NULL;
	w.k.cap_pci_2_3 = 1;

	/* The host side refuses. */
	w.host->regions_busy = true;
	capture_begin(&c);
	tap_is_int(t, step(&w, 0), -EBUSY, "a host driver holds the device: EBUSY");
	tap_ok(t, strstr(capture_end(&c), "pci-stub") != NULL, "the message says to bind it to pci-stub");
	w.host->regions_busy = false;
	w.host->bridge = true;
	tap_is_int(t, step(&w, 0), -EPERM, "a bridge: EPERM, as 3.17 answers");
	w.host->bridge = false;
	tap_is_str(t, fk_state_text(&w.k, st, sizeof(st)),
		   "iommu_domain=1 | host 0:03:00 enabled=0 intx=0 msi=0 msix=0",
		   "after the refusals the kernel holds no device");
	{
		struct pt_bdf other = { 0, 4, 0, 0 };
		unsigned calls = w.k.calls;

		capture_begin(&c);
		tap_is_int(t, pt_legacy_open(&w.env, &fk_ops, &w.k, &other, &w.dev), -ENOENT,
			   "a function sysfs does not have: ENOENT");
		tap_ok(t, strstr(capture_end(&c), "no such PCI function") != NULL, "... said so");
		tap_is_int(t, w.k.calls - calls, 0, "... before any ioctl");
	}

	/* Interrupt modes the legacy interface cannot do, refused before any call. */
	tap_is_int(t, step(&w, 0), 0, "assigned again");
	fk_log_clear(&w.k);
	v[0] = vec(PT_VECTOR_LIVE, 0, 0x40);
	v[1] = vec(PT_VECTOR_LIVE, 0, 0x41);
	tap_is_int(t, irq(&w, PT_ASSIGN_IRQ_MSI, 0, 2, v), -EOPNOTSUPP, "two MSI vectors: refused");
	tap_is_int(t, irq(&w, PT_ASSIGN_IRQ_INTX, 24, 0, NULL), -EINVAL, "INTx on GSI 24: refused");
	for (int i = 0; i < 257; i++)
		v[i] = vec(PT_VECTOR_LIVE, 0, (uint8_t)(0x30 + i));
	tap_is_int(t, irq(&w, PT_ASSIGN_IRQ_MSIX, 0, 257, v), -EINVAL, "257 live MSI-X vectors: refused");
	tap_is_int(t, w.k.nlog, 0, "no ioctl for any of them");
	w.k.cap_msi = 0;
	pt_assign_release(w.dev);
	w.dev = NULL;
	tap_is_int(t, step(&w, 0), 0, "assigned on a kernel without KVM_CAP_DEVICE_MSI");
	tap_is_int(t, step(&w, 4), -EOPNOTSUPP, "MSI refused there");
	world_fini(&w);

	world_init(&w, PT_IRQCHIP_SPLIT);
	tap_is_int(t, step(&w, 0), 0, "assigned in a VM with a split irqchip");
	capture_begin(&c);
	tap_is_int(t, step(&w, 1), -EOPNOTSUPP, "INTx refused with a split irqchip");
	tap_ok(t, strstr(capture_end(&c), "irqchip = kernel") != NULL, "... saying to use irqchip = kernel");
	world_fini(&w);
	tap_is_int(t, fix_count_fds(), fds, "refusals leak no descriptor");
}

/* The double's own 3.17 rules, call by call. */
static int call(struct fake_kernel *k, unsigned long req, void *arg)
{
	return fk_ops.vm_ioctl(k, req, arg);
}

static void double_rules(struct tap *t)
{
	struct fake_kernel k;
	struct pt_kvm_assigned_pci_dev a = { .assigned_dev_id = 7, .busnr = 3, .flags = 1 };
	struct pt_kvm_assigned_irq i = { .assigned_dev_id = 7 };
	struct pt_kvm_assigned_msix_nr nr = { .assigned_dev_id = 7 };
	struct pt_kvm_assigned_msix_entry e = { .assigned_dev_id = 7 };

	fk_init(&k);
	fk_add_host(&k, 0, 3, 0, 4);
	a.flags = 0;
	tap_is_int(t, call(&k, PT_KVM_ASSIGN_PCI_DEVICE, &a), -EINVAL, "assign without the IOMMU flag: EINVAL");
	a.flags = 1;
	a.busnr = 4;
	tap_is_int(t, call(&k, PT_KVM_ASSIGN_PCI_DEVICE, &a), -EINVAL, "assign of a missing device: EINVAL");
	a.busnr = 3;
	tap_is_int(t, call(&k, PT_KVM_ASSIGN_PCI_DEVICE, &a), 0, "assign");
	tap_is_int(t, call(&k, PT_KVM_ASSIGN_PCI_DEVICE, &a), -EEXIST, "assign twice: EEXIST");
	tap_is_int(t, call(&k, PT_KVM_DEASSIGN_DEV_IRQ, &i), -ENXIO, "deassign with no IRQ: ENXIO");
	e.entry = 0;
	e.gsi = 30;
	tap_is_int(t, call(&k, PT_KVM_ASSIGN_SET_MSIX_ENTRY, &e), -ENOSPC, "MSI-X entry before the count: ENOSPC");
	nr.entry_nr = 0;
	tap_is_int(t, call(&k, PT_KVM_ASSIGN_SET_MSIX_NR, &nr), -EINVAL, "MSI-X count 0: EINVAL");
	nr.entry_nr = 2;
	tap_is_int(t, call(&k, PT_KVM_ASSIGN_SET_MSIX_NR, &nr), 0, "MSI-X count 2");
	tap_is_int(t, call(&k, PT_KVM_ASSIGN_SET_MSIX_NR, &nr), -EINVAL, "MSI-X count twice: EINVAL");
	tap_is_int(t, call(&k, PT_KVM_ASSIGN_SET_MSIX_ENTRY, &e), 0, "entry 0 -> GSI 30");
	i.flags = PT_KVM_DEV_IRQ_HOST_MSIX | PT_KVM_DEV_IRQ_GUEST_MSIX;
	tap_is_int(t, call(&k, PT_KVM_ASSIGN_DEV_IRQ, &i), -EINVAL,
		   "MSI-X with a slot unfilled (entry 0 twice): EINVAL");
	e.entry = 2;
	e.gsi = 31;
	tap_is_int(t, call(&k, PT_KVM_ASSIGN_SET_MSIX_ENTRY, &e), 0, "entry 2 -> GSI 31");
	e.entry = 3;
	tap_is_int(t, call(&k, PT_KVM_ASSIGN_SET_MSIX_ENTRY, &e), -ENOSPC, "a third entry for a count of 2: ENOSPC");
	e.entry = 2;
	e.gsi = 32;
	tap_is_int(t, call(&k, PT_KVM_ASSIGN_SET_MSIX_ENTRY, &e), 0, "entry 2 again updates its GSI");
	i.flags = PT_KVM_DEV_IRQ_HOST_MSIX | PT_KVM_DEV_IRQ_HOST_MSI;
	tap_is_int(t, call(&k, PT_KVM_ASSIGN_DEV_IRQ, &i), -EINVAL, "two host types at once: EINVAL");
	i.flags = PT_KVM_DEV_IRQ_HOST_MSIX | PT_KVM_DEV_IRQ_GUEST_MSIX;
	tap_is_int(t, call(&k, PT_KVM_ASSIGN_DEV_IRQ, &i), 0, "MSI-X with both entries");
	tap_is_int(t, call(&k, PT_KVM_ASSIGN_DEV_IRQ, &i), -EEXIST, "MSI-X twice: EEXIST");
	tap_is_int(t, call(&k, PT_KVM_DEASSIGN_DEV_IRQ, &i), 0, "deassign MSI-X");
	tap_is_int(t, fk_find(&k, 7)->entries_nr, 0, "... which clears the count");
	nr.entry_nr = 300;
	tap_is_int(t, call(&k, PT_KVM_ASSIGN_SET_MSIX_NR, &nr), -EINVAL, "MSI-X count 300: EINVAL");
	tap_is_int(t, fk_find(&k, 7)->entries_nr, 300, "... yet 3.17 keeps it (stored before the check)");
	i.assigned_dev_id = 8;
	tap_is_int(t, call(&k, PT_KVM_ASSIGN_DEV_IRQ, &i), -ENODEV, "IRQ of an unknown id: ENODEV");
	a.assigned_dev_id = 8;
	tap_is_int(t, call(&k, PT_KVM_ASSIGN_SET_INTX_MASK, &a), -ENODEV, "INTx mask of an unknown id: ENODEV");
	tap_is_int(t, call(&k, PT_KVM_DEASSIGN_PCI_DEVICE, &a), -EINVAL, "deassign of an unknown id: EINVAL");
	tap_is_int(t, call(&k, PT_KVM_ASSIGN_IRQ, &i), -EOPNOTSUPP, "the old KVM_ASSIGN_IRQ: EOPNOTSUPP");
	tap_is_int(t, call(&k, 0xae7fu, &i), -ENOTTY, "an unknown ioctl: ENOTTY");
	tap_is_int(t, k.abi_violations, 0, "no reserved word used so far");
	a.assigned_dev_id = 7;
	a.reserved[3] = 1;
	call(&k, PT_KVM_ASSIGN_SET_INTX_MASK, &a);
	tap_is_int(t, k.abi_violations, 1, "a nonzero reserved word is counted");
	k.irqchip_in_kernel = false;
	i.assigned_dev_id = 7;
	i.flags = PT_KVM_DEV_IRQ_HOST_INTX | PT_KVM_DEV_IRQ_GUEST_INTX;
	tap_is_int(t, call(&k, PT_KVM_ASSIGN_DEV_IRQ, &i), -EINVAL, "no in-kernel irqchip: EINVAL");
	k.cap_device_assignment = 0;
	tap_is_int(t, call(&k, PT_KVM_ASSIGN_PCI_DEVICE, &a), -ENOTTY, "a kernel without the interface: ENOTTY");
}

static void sysfs_access(struct tap *t)
{
	struct world w;
	struct pt_assign_region reg;
	uint32_t v32 = 0;
	uint64_t v64 = 0;
	void *map = NULL;
	char path[256], buf[8] = { 0 };
	struct pt_assign_reset rst;
	int fd, rc;

	world_init(&w, PT_IRQCHIP_KERNEL);
	if (step(&w, 0) < 0)
		exit(99);
	const struct pt_assign_backend *b = w.dev->backend;

	rc = b->config_read(w.dev, 0, 4, &v32);
	tap_ok(t, rc == 0 && v32 == 0x10d38086,
	       "config: vendor and device ID through sysfs config (0x%08x)", v32);
	rc = b->config_write(w.dev, 0x40, 2, 0xbeef);
	rc = rc ? rc : b->config_read(w.dev, 0x40, 1, &v32);
	tap_ok(t, rc == 0 && v32 == 0xef, "config: a write reads back (0x%x)", v32);
	tap_is_int(t, b->config_read(w.dev, 3, 2, &v32), -EINVAL, "config: an unaligned read is refused");
	rc = b->region_info(w.dev, 0, &reg);
	tap_ok(t, rc == 0 && reg.size == 4096 &&
		  reg.flags == (PT_REGION_MMIO | PT_REGION_MMAP | PT_REGION_RW) && reg.n_areas == 1 &&
		  reg.areas[0].offset == 0 && reg.areas[0].size == 4096,
	       "BAR 0: 4 KiB of mappable memory (flags 0x%x)", reg.flags);
	tap_ok(t, b->region_info(w.dev, 1, &reg) == 0 && reg.size == 0, "BAR 1: absent");
	tap_ok(t, b->region_info(w.dev, 2, &reg) == 0 && reg.size == 32 && reg.flags == PT_REGION_RW,
	       "BAR 2: 32 I/O ports, forwarded");
	tap_ok(t, b->region_mmap(w.dev, 0, &map) == 0 && map, "BAR 0 maps");
	if (map)
		((volatile uint32_t *)map)[4] = 0x12345678;
	v64 = 0;
	tap_ok(t, b->region_rw(w.dev, 0, 0x10, 4, false, &v64) == 0 && v64 == 0x12345678,
	       "BAR 0: a trapped read sees the mapped write");
	v64 = 0xa5;
	tap_ok(t, b->region_rw(w.dev, 2, 4, 1, true, &v64) == 0, "BAR 2: a port write");
	snprintf(path, sizeof(path), "%s/resource2", w.fix.dev);
	fd = open(path, O_RDONLY);
	tap_ok(t, fd >= 0 && pread(fd, buf, 1, 4) == 1 && (uint8_t)buf[0] == 0xa5,
	       "... lands in resource2 at offset 4");
	if (fd >= 0)
		close(fd);
	tap_is_int(t, b->region_mmap(w.dev, 2, &map), -EINVAL, "BAR 2 (I/O) cannot be mapped");
	tap_is_int(t, b->region_rw(w.dev, 2, 32, 1, false, &v64), -EINVAL, "a port past the BAR is refused");
	tap_is_int(t, b->reset(w.dev, &rst), 0, "reset writes sysfs reset");
	snprintf(path, sizeof(path), "%s/reset", w.fix.dev);
	fd = open(path, O_RDONLY);
	tap_ok(t, fd >= 0 && read(fd, buf, 2) == 1 && buf[0] == '1', "... a \"1\"");
	if (fd >= 0)
		close(fd);
	tap_is_str(t, rst.method, "function", "no reset_method file (before 5.15): \"function\"");
	fix_write(&w.fix, "reset_method", "pm bus\n", 7);
	tap_is_int(t, pt_assign_reset(w.dev, "at assignment", &rst), 0, "reset through the VMM's wrapper");
	tap_is_str(t, rst.method, "pm", "reset_method \"pm bus\": the kernel uses pm");
	unlink(path);
	tap_is_int(t, pt_assign_reset(w.dev, "before release", &rst), 0,
		   "no sysfs reset file: no reset, and no error");
	tap_ok(t, !strcmp(rst.method, "none") && strstr(rst.detail, "knows no reset"),
	       "... \"none\", saying why (%s)", rst.detail);
	mkdir(path, 0755); /* a reset file that cannot be written */
	tap_is_int(t, pt_assign_reset(w.dev, "at assignment", &rst), -EISDIR,
		   "a reset that fails is an error");
	tap_ok(t, !strcmp(rst.method, "pm") && strstr(rst.detail, "Is a directory"),
	       "... naming the method tried and what failed (%s: %s)", rst.method, rst.detail);
	rmdir(path);
	tap_ok(t, b->map_ram == NULL, "map_ram: KVM maps the memory slots into the IOMMU itself");
	world_fini(&w);
}

int main(void)
{
	struct tap t = { 0 };

	clean_run(&t);
	fail_every_call(&t);
	fail_every_commit(&t);
	refusals(&t);
	double_rules(&t);
	sysfs_access(&t);
	return tap_done(&t);
}
