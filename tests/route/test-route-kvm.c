/*
 * The routing table against the real KVM: default table, MSI routes and irqfds,
 * retargeting, resample, the table at the kernel's maximum, GSI reuse, KVM_SIGNAL_MSI.
 * Delivery is read from the LAPIC IRR of a vCPU that never runs (no guest needed).
 * Skips without a usable /dev/kvm; the testbed runs it under nested KVM (KVM_TESTS).
 */
#include "config.h"

#include <stdlib.h>
#include <sys/eventfd.h>

#include "kvm_vm.h"
#include "route/irqfd.h"
#include "route/kvm_ops.h"
#include "route/table.h"
#include "tap.h"

#define NO_DELIVERY_MS 100
#define DELIVERY_MS 1000

static void fire(int efd)
{
	uint64_t one = 1;

	if (write(efd, &one, sizeof(one)) != sizeof(one))
		tap_diag("eventfd write failed: %s", strerror(errno));
}

static int new_eventfd(void)
{
	int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);

	if (fd < 0) {
		perror("eventfd");
		exit(99);
	}
	return fd;
}

static uint64_t commits_of(struct pt_route_table *tab)
{
	struct pt_route_stats st;

	pt_route_table_stats(tab, &st);
	return st.commits;
}

static void test_msi_irqfd(struct tap *t, struct kvm_vm *vm, struct pt_route_table *tab)
{
	struct pt_msi_msg m = pt_msi_compose(0, 0x41);
	int efd = new_eventfd(), gsi;

	kvm_vm_clear_irr(vm);
	tap_is_int(t, pt_route_msi_add(tab, "0000:03:00.0", 0, PT_VECTOR_LIVE, &m, &gsi), 0,
		   "MSI route for vector 0x41");
	tap_is_int(t, pt_route_irqfd_assign(tab, (unsigned)gsi, efd, -1), 0, "irqfd on GSI %d", gsi);
	fire(efd);
	tap_ok(t, kvm_vm_wait_irr(vm, 0x41, DELIVERY_MS), "eventfd write -> vector 0x41 pending");

	kvm_vm_clear_irr(vm);
	m = pt_msi_compose(0, 0x42);
	pt_route_msi_update(tab, (unsigned)gsi, &m);
	tap_is_int(t, pt_route_table_commit(tab), 0, "retarget to vector 0x42 and commit");
	fire(efd);
	tap_ok(t, kvm_vm_wait_irr(vm, 0x42, DELIVERY_MS), "the same irqfd now delivers 0x42");
	tap_ok(t, !kvm_vm_wait_irr(vm, 0x41, 0), "... and not 0x41");

	kvm_vm_clear_irr(vm);
	tap_is_int(t, pt_route_irqfd_deassign(tab, (unsigned)gsi), 0, "deassign the irqfd");
	fire(efd);
	tap_ok(t, !kvm_vm_wait_irr(vm, 0x42, NO_DELIVERY_MS), "a write after deassign delivers nothing");
	tap_is_int(t, kvm_vm_irr_count(vm), 0, "IRR empty");
	pt_route_msi_remove(tab, (unsigned)gsi);
	pt_route_table_commit(tab);
	close(efd);
}

static void test_burst(struct tap *t, struct kvm_vm *vm, struct pt_route_table *tab)
{
	enum { N = 256 };
	int efd[N], gsi[N], bad = 0, missed = 0;
	uint64_t before = commits_of(tab);

	for (int i = 0; i < N; i++) {
		/* 192 usable vectors 0x30-0xef: each route is checked on its own below. */
		struct pt_msi_msg m = pt_msi_compose(0, 0x30 + i % 192);

		if (pt_route_msi_add(tab, "0000:05:00.0", i, PT_VECTOR_LIVE, &m, &gsi[i]) < 0)
			bad++;
	}
	tap_is_int(t, bad, 0, "256 MSI routes added");
	tap_is_int(t, pt_route_table_commit(tab), 0, "committed");
	tap_is_int(t, commits_of(tab) - before, 1, "in one KVM_SET_GSI_ROUTING");
	for (int i = 0; i < N; i++) {
		efd[i] = new_eventfd();
		if (pt_route_irqfd_assign(tab, (unsigned)gsi[i], efd[i], -1) < 0)
			bad++;
	}
	tap_is_int(t, bad, 0, "256 irqfds bound");
	tap_is_int(t, commits_of(tab) - before, 1, "binding needed no further commit");
	for (int i = 0; i < N; i++) {
		kvm_vm_clear_irr(vm);
		fire(efd[i]);
		if (!kvm_vm_wait_irr(vm, 0x30 + i % 192, DELIVERY_MS)) {
			if (missed++ < 5)
				tap_diag("route %d (GSI %d) did not deliver", i, gsi[i]);
		}
	}
	tap_is_int(t, missed, 0, "every one of the 256 routes delivers its vector");
	for (int i = 0; i < N; i++) {
		pt_route_msi_remove(tab, (unsigned)gsi[i]);
		close(efd[i]);
	}
	tap_is_int(t, pt_route_table_commit(tab), 0, "removed in one more commit");
}

static int set_ioapic_pin(struct kvm_vm *vm, unsigned pin, uint8_t vector, bool level)
{
	struct kvm_irqchip chip = { .chip_id = KVM_IRQCHIP_IOAPIC };

	if (ioctl(vm->vm_fd, KVM_GET_IRQCHIP, &chip) < 0)
		return -errno;
	/* Unmasked, physical destination APIC 0, fixed delivery. */
	chip.chip.ioapic.redirtbl[pin].bits = vector | (level ? 1u << 15 : 0);
	return ioctl(vm->vm_fd, KVM_SET_IRQCHIP, &chip) < 0 ? -errno : 0;
}

static void test_resample(struct tap *t, struct kvm_vm *vm, struct pt_route_table *tab)
{
	struct pt_msi_msg m = pt_msi_compose(0, 0x70);
	int efd = new_eventfd(), rfd = new_eventfd(), gsi;

	kvm_vm_clear_irr(vm);
	tap_is_int(t, set_ioapic_pin(vm, 10, 0x61, true), 0, "IOAPIC pin 10: vector 0x61, level");
	pt_route_pin_claim(tab, 10, "0000:03:00.0");
	tap_is_int(t, pt_route_pin_irqfd_assign(tab, 10, "0000:03:00.0", efd, rfd), 0,
		   "KVM accepts irqfd + resample on IOAPIC GSI 10");
	fire(efd);
	tap_ok(t, kvm_vm_wait_irr(vm, 0x61, DELIVERY_MS), "asserting the line delivers 0x61");
	tap_is_int(t, pt_route_pin_release(tab, 10, "0000:03:00.0"), 0, "release the pin (deassigns)");
	tap_is_int(t, pt_route_irqfd_of(tab, 10), -1, "GSI 10 unbound");

	pt_route_msi_add(tab, "0000:03:00.0", 0, PT_VECTOR_LIVE, &m, &gsi);
	tap_is_int(t, pt_route_irqfd_assign(tab, (unsigned)gsi, efd, rfd), -EINVAL,
		   "resample on an MSI GSI is refused by the table");
	tap_is_int(t, pt_route_irqfd_of(tab, (unsigned)gsi), -1, "... nothing was bound");
	pt_route_msi_remove(tab, (unsigned)gsi);
	pt_route_table_commit(tab);
	close(efd);
	close(rfd);
}

static void test_max_and_reuse(struct tap *t, struct kvm_vm *vm, struct pt_route_table *tab,
			       unsigned max)
{
	struct pt_msi_msg m = pt_msi_compose(0, 0x80);
	struct kvm_irq_routing *big;
	int gsi, n = 0, r, efd_old = new_eventfd(), efd_new = new_eventfd();

	while ((r = pt_route_msi_add(tab, "0000:06:00.0", n, PT_VECTOR_LIVE, &m, &gsi)) == 0)
		n++;
	tap_is_int(t, r, -ENOSPC, "the allocator stops with -ENOSPC");
	tap_is_int(t, n, (int)max - 40, "after %u MSI routes (max %u - 40 defaults)", max - 40, max);
	tap_is_int(t, pt_route_table_commit(tab), 0, "KVM takes the full %u-entry table", max);

	/* What the allocator protects from: one entry more is the kernel's EINVAL. */
	big = calloc(1, pt_route_encoded_size(max + 1));
	pt_route_table_encode(tab, big, max + 1);
	big->entries[max] = big->entries[max - 1];
	big->entries[max].gsi = 4; /* a valid GSI: only the count is wrong */
	big->nr = max + 1;
	r = ioctl(vm->vm_fd, KVM_SET_GSI_ROUTING, big) < 0 ? -errno : 0;
	tap_is_int(t, r, -EINVAL, "KVM refuses %u entries itself (EINVAL)", max + 1);
	free(big);
	pt_route_table_invalidate(tab); /* the failed call may have left nothing changed */
	pt_route_table_commit(tab);

	/* Reuse: GSI 30 bound to one device, freed, reallocated to another. */
	pt_route_irqfd_assign(tab, 30, efd_old, -1);
	tap_is_int(t, pt_route_msi_remove(tab, 30), 0, "free GSI 30 (bound)");
	tap_is_int(t, pt_route_irqfd_of(tab, 30), -1, "its irqfd was deassigned");
	m = pt_msi_compose(0, 0x90);
	r = pt_route_msi_add(tab, "0000:07:00.0", 0, PT_VECTOR_LIVE, &m, &gsi);
	tap_ok(t, r == 0 && gsi == 30, "the next route reuses GSI 30 (got %d)", gsi);
	tap_is_int(t, pt_route_irqfd_assign(tab, 30, efd_new, -1), 0, "bind the new owner's eventfd");
	kvm_vm_clear_irr(vm);
	fire(efd_old);
	tap_ok(t, !kvm_vm_wait_irr(vm, 0x90, NO_DELIVERY_MS),
	       "the old owner's eventfd no longer reaches GSI 30");
	fire(efd_new);
	tap_ok(t, kvm_vm_wait_irr(vm, 0x90, DELIVERY_MS), "the new one delivers 0x90");
	for (unsigned g = 24; g < 24 + (unsigned)n; g++)
		pt_route_msi_remove(tab, g);
	pt_route_table_commit(tab);
	close(efd_old);
	close(efd_new);
}

static void test_signal_msi(struct tap *t, struct kvm_vm *vm, struct pt_route_table *tab)
{
	struct pt_msi_msg m = pt_msi_compose(0, 0xa3);

	kvm_vm_clear_irr(vm);
	tap_ok(t, pt_route_signal_msi(tab, &m) > 0, "KVM_SIGNAL_MSI to APIC 0: delivered");
	tap_ok(t, kvm_vm_wait_irr(vm, 0xa3, DELIVERY_MS), "vector 0xa3 pending");
	m = pt_msi_compose(7, 0xa4);
	tap_is_int(t, pt_route_signal_msi(tab, &m), 0, "to APIC 7, which does not exist: 0");
}

static void test_split(struct tap *t)
{
	struct pt_route_table *tab;
	struct pt_msi_msg m = pt_msi_compose(0, 0x41);
	struct kvm_vm vm;
	const char *why = "";
	int r, gsi;

	r = kvm_vm_open(&vm, true, &why);
	if (r < 0) {
		tap_skip(t, "split irqchip: %s: %s", why, strerror(-r));
		kvm_vm_close(&vm);
		return;
	}
	tap_is_int(t, pt_route_table_new_kvm(vm.vm_fd, PT_IRQCHIP_SPLIT, &tab), 0,
		   "split irqchip: table");
	pt_route_msi_add(tab, "0000:03:00.0", 0, PT_VECTOR_LIVE, &m, &gsi);
	tap_is_int(t, pt_route_table_commit(tab), 0, "split irqchip: KVM takes an MSI-only table");
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
	pt_route_table_invalidate(tab);
	tap_is_int(&t, pt_route_table_commit(tab), 0, "KVM accepts our default table");

	test_msi_irqfd(&t, &vm, tab);
	test_burst(&t, &vm, tab);
	test_resample(&t, &vm, tab);
	test_signal_msi(&t, &vm, tab);
	test_max_and_reuse(&t, &vm, tab, st.max_entries);
	test_split(&t);

	pt_route_table_free(tab);
	kvm_vm_close(&vm);
	return tap_done(&t);
}
