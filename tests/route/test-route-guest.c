/*
 * Routing proven by what the test guest (tests/guest/PROTOCOL.md) receives, in a VM of
 * the embedded VMM (libvmm, in-process) on a real KVM:
 * - MSI route + irqfd: the eventfd delivers vector V; a retarget (vector, then CPU)
 *   takes effect; a masked vector gets no GSI; after deassign nothing arrives;
 * - level IOAPIC pin with irqfd + resample: delivered, the resamplefd fires once the
 *   guest has handled it, and nothing is redelivered until the line is asserted again;
 * - 256 MSI routes committed at once all deliver, and the commit count shows one commit.
 * The guest's own end-of-scenario counts (TG irq-count) cross-check every step, and
 * passthru-ctl routes, through the VM's control socket, shows the live table.
 * Skips without /dev/kvm; the testbed runs it (KVM_TESTS).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/pidfile.h"
#include "route/irqfd.h"
#include "route/kvm_ops.h"
#include "route/table.h"
#include "tap.h"
#include "vmm/console.h"
#include "vmm/vm.h"
#include "vmm/vm_control.h"

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

/*
 * Runs passthru-ctl routes [--json] for the running VM, as an administrator would:
 * a definition of the VM (its name) whose socket = the control socket this test
 * serves, and its pidfile held by this process, which is the VM's VMM: passthru-ctl
 * asks only a VMM that is the VM's. Returns its output (free it), or NULL after a
 * failed check.
 */
static char *ctl_routes(struct tap *t, struct run *r, bool json)
{
	char dir[] = "/tmp/pt-route-ctl-XXXXXX", path[256], pidfile[256], cmd[768], *out = NULL;
	struct pt_control_server *srv = NULL;
	size_t len = 0, cap = 0;
	FILE *f, *p;
	int st, pid_fd = -1;

	if (!mkdtemp(dir)) {
		tap_ok(t, 0, "routes: mkdtemp: %s", strerror(errno));
		return NULL;
	}
	snprintf(path, sizeof(path), "%s/route-guest.conf", dir);
	f = fopen(path, "w");
	if (f) {
		fprintf(f, "[vm]\nname = route-guest\nmemory = 64M\nsocket = %s/rg.sock\n", dir);
		fclose(f);
	}
	snprintf(pidfile, sizeof(pidfile), "%s/route-guest.pid", dir);
	pid_fd = pt_pidfile_acquire(pidfile, NULL);
	if (pid_fd < 0) {
		tap_ok(t, 0, "routes: take the pidfile %s: %s", pidfile, strerror(-pid_fd));
		goto out;
	}
	snprintf(path, sizeof(path), "%s/rg.sock", dir);
	if (pt_vm_control_start(r->vm, path, NULL, &srv) < 0) {
		tap_ok(t, 0, "routes: serve the control socket %s", path);
		goto out;
	}
	snprintf(cmd, sizeof(cmd), "PASSTHRU_RUN_DIR='%s' '%s' --config-dir '%s' routes %s "
		 "route-guest", dir, PASSTHRU_CTL, dir, json ? "--json" : "");
	p = popen(cmd, "r");
	if (p) {
		char buf[4096];
		size_t n;

		while ((n = fread(buf, 1, sizeof(buf), p)) > 0) {
			if (len + n + 1 > cap) {
				cap = (len + n + 1) * 2;
				out = realloc(out, cap);
			}
			memcpy(out + len, buf, n);
			len += n;
			out[len] = 0;
		}
		st = pclose(p);
		if (!tap_ok(t, WIFEXITED(st) && WEXITSTATUS(st) == 0 && out,
			    "routes: passthru-ctl routes%s exits 0", json ? " --json" : ""))
			tap_diag("command: %s", cmd);
	}
	pt_control_server_stop(srv);
out:
	pt_pidfile_release(pidfile, pid_fd);
	unlink(path);
	snprintf(path, sizeof(path), "%s/route-guest.conf", dir);
	unlink(path);
	rmdir(dir);
	return out;
}

/* True if want is in text, with runs of spaces counting as one (table columns). */
static bool has(const char *text, const char *want)
{
	char *flat = text ? strdup(text) : NULL, *w = flat;
	bool found;

	for (const char *c = text; flat && *c; c++)
		if (*c != ' ' || w == flat || w[-1] != ' ')
			*w++ = *c;
	if (w)
		*w = 0;
	found = flat && strstr(flat, want);
	free(flat);

	if (!found)
		tap_diag("wanted \"%s\" in:\n%s", want, text ? text : "(nothing)");
	return found;
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
	{
		char *text = ctl_routes(t, &r, false), want[160];

		snprintf(want, sizeof(want), "msi apic %u vector 0x43 fixed edge (addr "
			 "0x00000000:%08x data 0x%04x) 0000:00:03.0 vector 0 fd %d",
			 r.apic_id[1], m.address_lo, m.data, efd);
		tap_ok(t, has(text, want), "msi: passthru-ctl routes shows GSI %d decoded, with "
		       "its owner and irqfd", gsi);
		tap_ok(t, has(text, "41 of "), "msi: ... in a table of 41 entries");
		free(text);
	}

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
	tap_is_int(t, pt_route_pin_irqfd_assign(r.tab, 10, "0000:00:04.0", efd, rfd), 0,
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
	{
		char *json = ctl_routes(t, &r, true);
		json_t *root = json ? json_loads(json, 0, NULL) : NULL, *e, *g10 = NULL;
		size_t i;
		char want[96];

		json_array_foreach(json_object_get(root, "routes"), i, e)
			if (json_integer_value(json_object_get(e, "gsi")) == 10)
				g10 = e;
		tap_ok(t, g10 && json_is_true(json_object_get(g10, "resample")) &&
		       json_integer_value(json_object_get(g10, "irqfd")) == efd &&
		       json_integer_value(json_object_get(g10, "resamplefd")) == rfd &&
		       !strcmp(json_string_value(json_object_get(g10, "owner")) ?: "", "0000:00:04.0"),
		       "level: passthru-ctl routes --json shows GSI 10 with irqfd, resamplefd, owner");
		json_decref(root);
		free(json);
		json = ctl_routes(t, &r, false);
		snprintf(want, sizeof(want), "ioapic pin 10 0000:00:04.0 fd %d, resample fd %d",
			 efd, rfd);
		tap_ok(t, has(json, want), "level: ... and as a table line");
		free(json);
	}
	finish(t, &r, counts, 1);
out:
	cleanup(&r);
	close(efd);
	close(rfd);
}

/*
 * Two devices' INTx on one IOAPIC pin, as KVM shares it: each its own irqfd and
 * resamplefd on GSI 19. Either eventfd raises the level interrupt; the guest's EOI
 * signals both resamplefds (one resampler per GSI); both at once is one assertion;
 * releasing one device's share leaves the other delivering.
 */
static void test_level_shared(struct tap *t)
{
	static const char *const counts[] = { "TG irq-count vec=0x52 cpu=0 count=" };
	char want[64], *line;
	struct run r;
	int efd_a = new_eventfd(), rfd_a = new_eventfd(), efd_b = new_eventfd(),
	    rfd_b = new_eventfd(), n = 0;
	bool again;

	if (boot(t, &r, 1, "scenario=irq-wait ioapic_pin=19:0x52:level stop_vector=0xf0 "
		 "wait_ms=300000 max=6") < 0)
		goto out;
	tap_ok(t, pt_route_pin_claim(r.tab, 19, "0000:00:03.0") == 0 &&
		  pt_route_pin_claim(r.tab, 19, "0000:00:0b.0") == 0,
	       "shared: 00:03.0 and 00:0b.0 both claim GSI 19");
	tap_ok(t, pt_route_pin_irqfd_assign(r.tab, 19, "0000:00:03.0", efd_a, rfd_a) == 0 &&
		  pt_route_pin_irqfd_assign(r.tab, 19, "0000:00:0b.0", efd_b, rfd_b) == 0,
	       "shared: KVM takes two resample irqfds on GSI 19");

	fire(efd_a);
	tap_ok(t, expect_line(&r, "TG irq vec=0x52 cpu=0 count=1", STEP_MS),
	       "shared: A's eventfd delivers vector 0x52");
	tap_ok(t, fired(rfd_a, STEP_MS) && fired(rfd_b, STEP_MS),
	       "shared: the guest's EOI signals both resamplefds");
	tap_ok(t, no_line(&r, "TG irq vec=0x52", QUIET_MS), "shared: no redelivery");

	fire(efd_b);
	tap_ok(t, expect_line(&r, "TG irq vec=0x52 cpu=0 count=2", STEP_MS),
	       "shared: B's eventfd delivers it too");
	tap_ok(t, fired(rfd_a, STEP_MS) && fired(rfd_b, STEP_MS),
	       "shared: ... and its EOI signals both resamplefds again");

	fire(efd_a);
	fire(efd_b);
	tap_ok(t, expect_line(&r, "TG irq vec=0x52 cpu=0 count=3", STEP_MS),
	       "shared: both at once raise the line");
	tap_ok(t, fired(rfd_a, STEP_MS) && fired(rfd_b, STEP_MS),
	       "shared: ... and both devices are resampled");
	/* One source ID for both: one interrupt, unless B's came after the guest's EOI. */
	again = !no_line(&r, "TG irq vec=0x52 cpu=0 count=4", QUIET_MS);
	if (again) {
		tap_diag("the second eventfd was injected after the guest's EOI: two interrupts");
		fired(rfd_a, STEP_MS);
		fired(rfd_b, STEP_MS);
	}
	n = again ? 4 : 3;
	tap_ok(t, no_line(&r, "TG irq vec=0x52 cpu=0 count=5", QUIET_MS),
	       "shared: then the line stays quiet (%d interrupts so far)", n);
	{
		char *json = ctl_routes(t, &r, true), *text;
		json_t *root = json ? json_loads(json, 0, NULL) : NULL, *e, *g = NULL, *o;
		size_t i;

		json_array_foreach(json_object_get(root, "routes"), i, e)
			if (json_integer_value(json_object_get(e, "gsi")) == 19)
				g = e;
		o = json_object_get(g, "owners");
		tap_ok(t, json_array_size(o) == 2 &&
			  json_integer_value(json_object_get(json_array_get(o, 0), "irqfd")) == efd_a &&
			  json_integer_value(json_object_get(json_array_get(o, 1), "resamplefd")) == rfd_b &&
			  !strcmp(json_string_value(json_object_get(g, "owner")) ?: "", "0000:00:03.0"),
			  "shared: routes --json shows both owners of GSI 19 with their irqfds");
		json_decref(root);
		free(json);
		text = ctl_routes(t, &r, false);
		snprintf(want, sizeof(want), "0000:00:03.0; 0000:00:0b.0 fd %d, resample fd %d; fd %d",
			 efd_a, rfd_a, efd_b);
		tap_ok(t, has(text, want), "shared: ... and the table line lists both");
		free(text);
	}

	tap_is_int(t, pt_route_pin_release(r.tab, 19, "0000:00:03.0"), 0,
		   "shared: release A's share");
	tap_ok(t, pt_route_pin_owners(r.tab, 19) == 1 &&
		  pt_route_pin_irqfd_of(r.tab, 19, "0000:00:0b.0") == efd_b,
	       "shared: B still owns GSI 19, bound");
	fire(efd_a);
	tap_ok(t, no_line(&r, "TG irq vec=0x52", QUIET_MS), "shared: A's eventfd no longer delivers");
	fire(efd_b);
	snprintf(want, sizeof(want), "TG irq vec=0x52 cpu=0 count=%d", n + 1);
	tap_ok(t, expect_line(&r, want, STEP_MS), "shared: B's still does");
	tap_ok(t, fired(rfd_b, STEP_MS) && !fired(rfd_a, 0),
	       "shared: ... resampled through B's resamplefd only");
	snprintf(want, sizeof(want), "%s%d", counts[0], n + 1);
	line = want;
	finish(t, &r, (const char *const *)&line, 1);
out:
	cleanup(&r);
	close(efd_a);
	close(rfd_a);
	close(efd_b);
	close(rfd_b);
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
	test_level_shared(&t);
	test_burst(&t);
	return tap_done(&t);
}
