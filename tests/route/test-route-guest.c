/*
 * Routing proven by what the test guest (tests/guest/PROTOCOL.md) receives, in a VM of
 * the embedded VMM (libvmm, in-process) on a real KVM:
 * - MSI route + irqfd: the eventfd delivers vector V; a retarget (vector, then CPU)
 *   takes effect; a masked vector gets no GSI; after deassign nothing arrives;
 * - level IOAPIC pin with irqfd + resample: delivered, the resamplefd fires once the
 *   guest has handled it, and nothing is redelivered until the line is asserted again;
 * - 256 MSI routes committed at once all deliver, and the commit count shows one commit.
 * The guest's own end-of-scenario counts (TG irq-count) cross-check every step.
 * Skips without /dev/kvm; the testbed runs it (KVM_TESTS).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "route/irqfd.h"
#include "route/kvm_ops.h"
#include "route/table.h"
#include "tap.h"
#include "vmm/console.h"
#include "vmm/vm.h"

#define STEP_MS 60000     /* one guest step, at most (nested KVM under TCG is slow) */
#define QUIET_MS 1500     /* "nothing arrives" is checked over this long */
#define STOP_VECTOR 0xf0  /* the guest ends irq-wait when this arrives */

struct run {
	struct pt_vm *vm;
	struct pt_route_table *tab;
	struct pt_console_lines con;
	size_t from;          /* console lines before this index were consumed */
	unsigned apic_id[2];  /* of guest CPUs 0 and 1 */
};

static int new_eventfd(void)
{
	int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);

	if (fd < 0) {
		perror("eventfd");
		exit(99);
	}
	return fd;
}

static void fire(int efd)
{
	uint64_t one = 1;

	if (write(efd, &one, sizeof(one)) != sizeof(one))
		tap_diag("eventfd write: %s", strerror(errno));
}

/* Readable within timeout_ms? Consumes the count if so. */
static bool fired(int efd, int timeout_ms)
{
	struct pollfd p = { .fd = efd, .events = POLLIN };
	uint64_t n;

	if (poll(&p, 1, timeout_ms) != 1)
		return false;
	return read(efd, &n, sizeof(n)) == sizeof(n) && n > 0;
}

/*
 * Waits for a line starting with prefix from *from on (advanced past a match). Gives up
 * early when the VM has stopped, so a guest that died fails fast. Returns the line.
 */
static char *wait_line(struct run *r, const char *prefix, size_t *from, int timeout_ms)
{
	for (int waited = 0;; waited += 250) {
		char *line = pt_console_lines_wait(&r->con, prefix, from,
						   timeout_ms - waited < 250 ? timeout_ms - waited : 250);

		if (line)
			return line;
		if (waited + 250 >= timeout_ms)
			return NULL;
		if (!strcmp(pt_vm_state(r->vm), "stopped")) {
			/* Lines may have arrived just before the stop. */
			line = pt_console_lines_wait(&r->con, prefix, from, 0);
			if (!line)
				tap_diag("the VM stopped while waiting for \"%s\"", prefix);
			return line;
		}
	}
}

/* Waits for a line starting with prefix after the consumed ones; true if it came. */
static bool expect_line(struct run *r, const char *prefix, int timeout_ms)
{
	char *line = wait_line(r, prefix, &r->from, timeout_ms);

	free(line);
	return line != NULL;
}

/* True if no line starting with prefix arrives within timeout_ms (consumes nothing). */
static bool no_line(struct run *r, const char *prefix, int timeout_ms)
{
	size_t from = r->from;
	char *line = pt_console_lines_wait(&r->con, prefix, &from, timeout_ms);

	if (line)
		tap_diag("unexpected: %s", line);
	free(line);
	return line == NULL;
}

static int boot(struct tap *t, struct run *r, unsigned vcpus, const char *cmdline)
{
	struct pt_vm_opts o = {
		.name = "route-guest", .memory = 64ULL << 20, .vcpus = vcpus,
		.irqchip = PT_IRQCHIP_KERNEL,
		.console_out = pt_console_lines_out, .console_ctx = &r->con,
	};
	char *line;
	int e;

	memset(r, 0, sizeof(*r));
	pt_console_lines_init(&r->con, -1);
	e = pt_vm_create(&o, &r->vm);
	if (e < 0) {
		tap_ok(t, 0, "pt_vm_create: %s", strerror(-e));
		return e;
	}
	/* The VM owns its table; the test drives that one, as a device backend would. */
	r->tab = *pt_vm_routes(r->vm);
	e = r->tab ? 0 : -ENOENT;
	if (!e)
		e = pt_vm_load_multiboot(r->vm, TEST_GUEST, cmdline);
	if (!e)
		e = pt_vm_start(r->vm);
	if (e < 0) {
		tap_ok(t, 0, "routing table, guest load and start: %s", strerror(-e));
		return e;
	}
	line = wait_line(r, "TG smp ", &r->from, STEP_MS);
	if (line) {
		const char *ids = strstr(line, "apic_ids=");

		if (ids)
			sscanf(ids, "apic_ids=%u,%u", &r->apic_id[0], &r->apic_id[1]);
		free(line);
	}
	if (!expect_line(r, "TG ready scenario=irq-wait", STEP_MS)) {
		struct pt_vm_exit ex = { 0 };
		char *all = pt_console_lines_text(&r->con);

		tap_ok(t, 0, "the guest is ready (%s)", cmdline);
		tap_diag("console:\n%s", all);
		free(all);
		pt_vm_stop(r->vm);
		if (pt_vm_wait(r->vm, STEP_MS, &ex) == 0)
			tap_diag("VM exit: %s: %s", pt_vm_exit_kind_name(ex.kind), ex.detail);
		return -ETIMEDOUT;
	}
	return 0;
}

/* Stops irq-wait with the stop vector and checks the guest's final counts. */
static void finish(struct tap *t, struct run *r, const char *const *counts, size_t n)
{
	struct pt_msi_msg stop = pt_msi_compose(r->apic_id[0], STOP_VECTOR);
	struct pt_vm_exit ex;
	size_t result_from;

	tap_ok(t, pt_route_signal_msi(r->tab, &stop) > 0,
	       "KVM_SIGNAL_MSI of the stop vector is delivered");
	result_from = r->from;
	for (size_t i = 0; i < n; i++) {
		size_t from = result_from;
		char *line = wait_line(r, counts[i], &from, STEP_MS);

		tap_ok(t, line != NULL, "the guest counted: %s", counts[i]);
		free(line);
	}
	tap_ok(t, expect_line(r, "TG result scenario=irq-wait status=PASS", STEP_MS),
	       "irq-wait passes (no storm)");
	if (pt_vm_wait(r->vm, STEP_MS, &ex) < 0) {
		pt_vm_stop(r->vm);
		pt_vm_wait(r->vm, -1, &ex);
	}
}

static void cleanup(struct run *r)
{
	pt_vm_destroy(r->vm);
	pt_console_lines_destroy(&r->con);
}

static void test_msi(struct tap *t)
{
	static const char *const counts[] = {
		"TG irq-count vec=0x41 cpu=0 count=1", "TG irq-count vec=0x42 cpu=0 count=1",
		"TG irq-count vec=0x43 cpu=1 count=1",
	};
	struct pt_msi_msg m;
	struct run r;
	int efd = new_eventfd(), gsi, masked_gsi;

	if (boot(t, &r, 2, "scenario=irq-wait smp=1 vectors=0x41-0x43 stop_vector=0xf0 "
		 "wait_ms=300000 max=3") < 0)
		goto out;
	m = pt_msi_compose(r.apic_id[0], 0x41);
	pt_route_msi_add(r.tab, "0000:00:03.0", 0, PT_VECTOR_MASKED, &m, &masked_gsi);
	tap_is_int(t, masked_gsi, PT_ROUTE_NO_GSI, "msi: a masked vector gets no GSI");
	tap_ok(t, !pt_route_table_dirty(r.tab), "msi: ... and changes nothing");
	pt_route_msi_add(r.tab, "0000:00:03.0", 0, PT_VECTOR_LIVE, &m, &gsi);
	tap_is_int(t, pt_route_irqfd_assign(r.tab, (unsigned)gsi, efd, -1), 0,
		   "msi: unmasked: route GSI %d to vector 0x41, bind an irqfd", gsi);
	fire(efd);
	tap_ok(t, expect_line(&r, "TG irq vec=0x41 cpu=0 count=1", STEP_MS),
	       "msi: the eventfd write reaches the guest as vector 0x41 on CPU 0");

	m = pt_msi_compose(r.apic_id[0], 0x42);
	pt_route_msi_update(r.tab, (unsigned)gsi, &m);
	tap_is_int(t, pt_route_table_commit(r.tab), 0, "msi: retarget to vector 0x42");
	fire(efd);
	tap_ok(t, expect_line(&r, "TG irq vec=0x42 cpu=0 count=1", STEP_MS),
	       "msi: the same eventfd now delivers 0x42");

	m = pt_msi_compose(r.apic_id[1], 0x43);
	pt_route_msi_update(r.tab, (unsigned)gsi, &m);
	tap_is_int(t, pt_route_table_commit(r.tab), 0, "msi: retarget to CPU 1 (APIC %u), 0x43",
		   r.apic_id[1]);
	fire(efd);
	tap_ok(t, expect_line(&r, "TG irq vec=0x43 cpu=1 count=1", STEP_MS),
	       "msi: ... and 0x43 arrives on CPU 1");

	tap_is_int(t, pt_route_irqfd_deassign(r.tab, (unsigned)gsi), 0, "msi: deassign the irqfd");
	fire(efd);
	tap_ok(t, no_line(&r, "TG irq vec=", QUIET_MS), "msi: a write after deassign delivers nothing");
	finish(t, &r, counts, sizeof(counts) / sizeof(counts[0]));
out:
	cleanup(&r);
	close(efd);
}

static void test_level(struct tap *t)
{
	static const char *const counts[] = { "TG irq-count vec=0x50 cpu=0 count=2" };
	struct run r;
	int efd = new_eventfd(), rfd = new_eventfd();

	if (boot(t, &r, 1, "scenario=irq-wait ioapic_pin=10:0x50:level stop_vector=0xf0 "
		 "wait_ms=300000 max=2") < 0)
		goto out;
	tap_is_int(t, pt_route_pin_claim(r.tab, 10, "0000:00:04.0"), 0, "level: claim GSI 10");
	tap_is_int(t, pt_route_irqfd_assign(r.tab, 10, efd, rfd), 0,
		   "level: irqfd + resamplefd on IOAPIC GSI 10");
	tap_ok(t, !fired(rfd, 0), "level: the resamplefd is quiet before any interrupt");
	fire(efd);
	tap_ok(t, expect_line(&r, "TG irq vec=0x50 cpu=0 count=1", STEP_MS),
	       "level: asserting the line delivers vector 0x50");
	tap_ok(t, fired(rfd, STEP_MS), "level: the resamplefd fires after the guest handled it");
	tap_ok(t, no_line(&r, "TG irq vec=0x50", QUIET_MS),
	       "level: no redelivery while the line is not asserted again");
	tap_ok(t, !fired(rfd, 0), "level: ... and no further resample");
	fire(efd);
	tap_ok(t, expect_line(&r, "TG irq vec=0x50 cpu=0 count=2", STEP_MS),
	       "level: asserting it again delivers it again");
	tap_ok(t, fired(rfd, STEP_MS), "level: ... followed by another resample");
	finish(t, &r, counts, 1);
out:
	cleanup(&r);
	close(efd);
	close(rfd);
}

static void test_burst(struct tap *t)
{
	enum { N = 256, NVEC = 192 };
	static const char *const counts[] = {
		"TG irq-count vec=0x30 cpu=0 count=2", "TG irq-count vec=0x6f cpu=0 count=2",
		"TG irq-count vec=0x70 cpu=0 count=1", "TG irq-count vec=0xef cpu=0 count=1",
	};
	struct pt_route_stats st;
	struct run r;
	int efd[N], gsi[N], bad = 0, missed = 0;

	for (int i = 0; i < N; i++)
		efd[i] = new_eventfd();
	if (boot(t, &r, 1, "scenario=irq-wait vectors=0x30-0xef stop_vector=0xf0 "
		 "wait_ms=600000 max=2") < 0)
		goto out;
	for (int i = 0; i < N; i++) {
		struct pt_msi_msg m = pt_msi_compose(r.apic_id[0], 0x30 + i % NVEC);

		if (pt_route_msi_add(r.tab, "0000:00:05.0", i, PT_VECTOR_LIVE, &m, &gsi[i]) < 0)
			bad++;
	}
	for (int i = 0; i < N; i++)
		if (pt_route_irqfd_assign(r.tab, (unsigned)gsi[i], efd[i], -1) < 0)
			bad++;
	tap_is_int(t, bad, 0, "burst: 256 MSI routes and irqfds");
	pt_route_table_stats(r.tab, &st);
	tap_ok(t, st.commits == 1 && st.entries_committed == 40 + N,
	       "burst: one KVM_SET_GSI_ROUTING carried them all (%llu commits, %llu entries)",
	       (unsigned long long)st.commits, (unsigned long long)st.entries_committed);
	for (int i = 0; i < N; i++) {
		char want[64];

		snprintf(want, sizeof(want), "TG irq vec=0x%02x cpu=0 count=%d", 0x30 + i % NVEC,
			 i < NVEC ? 1 : 2);
		fire(efd[i]);
		if (!expect_line(&r, want, STEP_MS) && missed++ < 5)
			tap_diag("route %d (GSI %d): no \"%s\"", i, gsi[i], want);
	}
	tap_is_int(t, missed, 0, "burst: every one of the 256 routes delivered its vector");
	finish(t, &r, counts, sizeof(counts) / sizeof(counts[0]));
out:
	cleanup(&r);
	for (int i = 0; i < N; i++)
		close(efd[i]);
}

int main(void)
{
	struct tap t = { 0 };
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		tap_skip_all("cannot open /dev/kvm (%s): the testbed runs this test", strerror(errno));
	close(fd);
	if (access(TEST_GUEST, R_OK) < 0)
		tap_skip_all("the test guest %s was not built", TEST_GUEST);

	test_msi(&t);
	test_level(&t);
	test_burst(&t);
	return tap_done(&t);
}
