/*
 * The VM library in-process on real KVM, with the mini guest: boot, Multiboot
 * info, MP table, PCI host bridge, the debug exit, every way a guest can stop,
 * unknown ports and MMIO reported by name, stop while spinning and halted, and
 * the control socket on a running VM.
 */
#include "config.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "kvm-common.h"
#include "vmm/console.h"
#include "vmm/vm.h"
#include "vmm/vm_control.h"

struct run {
	struct pt_vm *vm;
	struct pt_console_lines con;
	struct pt_vm_exit exit;
};

static int start(struct tap *t, struct run *r, const char *scenario, unsigned vcpus,
		 enum pt_irqchip chip)
{
	struct pt_vm_opts o = {
		.name = scenario, .memory = 64ULL << 20, .vcpus = vcpus, .irqchip = chip,
		.console_out = pt_console_lines_out, .console_ctx = &r->con,
	};
	int e;

	pt_console_lines_init(&r->con, -1);
	r->vm = NULL;
	e = pt_vm_create(&o, &r->vm);
	if (e < 0) {
		tap_ok(t, 0, "%s: pt_vm_create: %s", scenario, strerror(-e));
		return e;
	}
	e = pt_vm_load_multiboot(r->vm, MINIGUEST, scenario);
	if (!e)
		e = pt_vm_start(r->vm);
	if (e < 0)
		tap_ok(t, 0, "%s: load and start: %s", scenario, strerror(-e));
	return e;
}

static int finish(struct tap *t, struct run *r, const char *scenario)
{
	int e = pt_vm_wait(r->vm, KVM_TEST_TIMEOUT_MS, &r->exit);

	if (e < 0) {
		tap_ok(t, 0, "%s: the VM stopped within %d s", scenario, KVM_TEST_TIMEOUT_MS / 1000);
		pt_vm_stop(r->vm);
		pt_vm_wait(r->vm, -1, &r->exit);
	} else {
		tap_diag("%s: %s: %s", scenario, pt_vm_exit_kind_name(r->exit.kind), r->exit.detail);
	}
	return e;
}

static void cleanup(struct run *r)
{
	pt_vm_destroy(r->vm);
	pt_console_lines_destroy(&r->con);
}

/* Runs a scenario to its end; returns 0 if it ended by itself. */
static int run_to_end(struct tap *t, struct run *r, const char *scenario, unsigned vcpus)
{
	int e = start(t, r, scenario, vcpus, PT_IRQCHIP_KERNEL);

	if (e < 0) {
		cleanup(r);
		memset(&r->exit, 0, sizeof(r->exit));
		return e;
	}
	return finish(t, r, scenario);
}

static void expect_debug(struct tap *t, const char *scenario, unsigned vcpus, uint32_t code,
			 const char *what)
{
	struct run r;

	if (run_to_end(t, &r, scenario, vcpus) == 0)
		tap_ok(t, r.exit.kind == PT_VM_EXIT_DEBUG && r.exit.code == code,
		       "%s: got %s 0x%x, want debug exit 0x%x", what,
		       pt_vm_exit_kind_name(r.exit.kind), r.exit.code, code);
	if (r.vm)
		cleanup(&r);
}

static void expect_kind(struct tap *t, const char *scenario, enum pt_vm_exit_kind kind,
			const char *needle, const char *what)
{
	struct run r;

	if (run_to_end(t, &r, scenario, 1) == 0) {
		tap_ok(t, r.exit.kind == kind, "%s: ends as %s (got %s)", what,
		       pt_vm_exit_kind_name(kind), pt_vm_exit_kind_name(r.exit.kind));
		tap_ok(t, strstr(r.exit.detail, needle) != NULL, "%s: the report says \"%s\"", what,
		       needle);
	}
	if (r.vm)
		cleanup(&r);
}

static void test_hello(struct tap *t)
{
	struct run r;
	char *line;

	if (start(t, &r, "h", 1, PT_IRQCHIP_KERNEL) < 0) {
		cleanup(&r);
		return;
	}
	line = pt_console_lines_wait(&r.con, "TG hello", NULL, KVM_TEST_TIMEOUT_MS);
	tap_ok(t, line != NULL, "the guest's serial output arrives as a line");
	free(line);
	if (finish(t, &r, "h") == 0) {
		tap_ok(t, r.exit.kind == PT_VM_EXIT_DEBUG && r.exit.code == 0,
		       "it ends with debug exit 0");
		tap_is_int(t, pt_vm_exit_status(&r.exit), 0, "which is exit status 0");
	}
	cleanup(&r);
}

/* Stop works while the guest spins and while it is halted (and APs wait for SIPI). */
static void test_stop(struct tap *t, const char *scenario, const char *line_prefix,
		      unsigned vcpus, enum pt_irqchip chip, const char *what)
{
	struct run r;
	char *line;

	tap_diag("%s: starting", what);
	fflush(stdout);
	if (start(t, &r, scenario, vcpus, chip) < 0) {
		cleanup(&r);
		return;
	}
	tap_diag("%s: started", what);
	fflush(stdout);
	line = pt_console_lines_wait(&r.con, line_prefix, NULL, KVM_TEST_TIMEOUT_MS);
	tap_ok(t, line != NULL, "%s: the guest got there", what);
	free(line);
	usleep(200000);
	tap_is_str(t, pt_vm_state(r.vm), "running", "%s: still running", what);
	pt_vm_stop(r.vm);
	if (pt_vm_wait(r.vm, 10000, &r.exit) == 0)
		tap_ok(t, r.exit.kind == PT_VM_EXIT_STOPPED, "%s: stop ended it (%s)", what,
		       pt_vm_exit_kind_name(r.exit.kind));
	else
		tap_ok(t, 0, "%s: stop ended it within 10 s", what);
	cleanup(&r);
}

static int connect_to(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	memcpy(a.sun_path, path, strlen(path) + 1);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static json_t *request(int fd, const char *req)
{
	char buf[8192];
	size_t n = 0;

	if (write(fd, req, strlen(req)) < 0)
		return NULL;
	while (n + 1 < sizeof(buf)) {
		struct pollfd p = { .fd = fd, .events = POLLIN };

		if (poll(&p, 1, 10000) <= 0 || read(fd, buf + n, 1) != 1)
			return NULL;
		if (buf[n] == '\n')
			break;
		n++;
	}
	return json_loadb(buf, n, 0, NULL);
}

static void test_control(struct tap *t)
{
	struct pt_control_server *srv = NULL;
	char path[] = "/tmp/pt-vmkvm-XXXXXX/vm.sock";
	struct run r;
	json_t *rep;
	char *line;
	int fd;

	memcpy(path, "/tmp/pt-vmkvm-XXXXXX", 20);
	path[20] = 0;
	if (!mkdtemp(path)) {
		tap_ok(t, 0, "mkdtemp");
		return;
	}
	strcat(path, "/vm.sock");
	if (start(t, &r, "s", 2, PT_IRQCHIP_KERNEL) < 0) {
		cleanup(&r);
		return;
	}
	tap_is_int(t, pt_vm_control_start(r.vm, path, NULL, &srv), 0, "control socket on a running VM");
	line = pt_console_lines_wait(&r.con, "TG spinning", NULL, KVM_TEST_TIMEOUT_MS);
	free(line);
	fd = connect_to(path);
	rep = request(fd, "{\"execute\":\"status\",\"id\":\"a\"}\n");
	tap_ok(t, rep && !strcmp(json_string_value(json_object_get(json_object_get(rep, "return"),
		   "state")) ?: "", "running"), "status says running");
	tap_ok(t, rep && json_integer_value(json_object_get(json_object_get(rep, "return"),
		   "vcpus")) == 2, "status says 2 vcpus");
	json_decref(rep);
	rep = request(fd, "{\"execute\":\"routes\"}\n");
	tap_ok(t, rep && json_is_array(json_object_get(json_object_get(rep, "return"), "routes")),
	       "routes returns the table with its list of routes");
	/* KVM's default table for the in-kernel irqchip: PIC and IOAPIC pins, 40 entries. */
	tap_ok(t, rep && json_integer_value(json_object_get(json_object_get(rep, "return"),
		   "entries")) == 40, "routes shows KVM's 40 default IRQCHIP entries");
	json_decref(rep);
	rep = request(fd, "{\"execute\":\"devices\"}\n");
	tap_ok(t, rep && json_array_size(json_object_get(rep, "return")) == 0, "no devices yet");
	json_decref(rep);
	rep = request(fd, "{\"execute\":\"stop\"}\n");
	tap_ok(t, rep && json_is_object(json_object_get(rep, "return")), "stop is acknowledged");
	json_decref(rep);
	if (pt_vm_wait(r.vm, 10000, &r.exit) == 0)
		tap_ok(t, r.exit.kind == PT_VM_EXIT_STOPPED, "the VM stopped on the socket's word");
	else
		tap_ok(t, 0, "the VM stopped within 10 s of \"stop\"");
	rep = request(fd, "{\"execute\":\"status\"}\n");
	tap_ok(t, rep && json_object_get(json_object_get(rep, "return"), "exit"),
	       "status after the stop reports how it ended");
	json_decref(rep);
	close(fd);
	pt_control_server_stop(srv);
	cleanup(&r);
	*strrchr(path, '/') = 0;
	rmdir(path);
}

static void test_echo(struct tap *t)
{
	struct run r;
	char *line;

	if (start(t, &r, "e", 1, PT_IRQCHIP_KERNEL) < 0) {
		cleanup(&r);
		return;
	}
	line = pt_console_lines_wait(&r.con, "TG echo ready", NULL, KVM_TEST_TIMEOUT_MS);
	free(line);
	tap_is_int(t, pt_vm_console_input(r.vm, (const uint8_t *)"abc\n", 4), 4, "console input taken");
	line = pt_console_lines_wait(&r.con, "abc", NULL, KVM_TEST_TIMEOUT_MS);
	tap_ok(t, line != NULL, "the guest read it from the UART and echoed it");
	free(line);
	pt_vm_console_input(r.vm, (const uint8_t *)"q", 1);
	if (finish(t, &r, "e") == 0)
		tap_ok(t, r.exit.kind == PT_VM_EXIT_DEBUG && r.exit.code == 5,
		       "it counted 5 bytes of input (got %u)", r.exit.code);
	cleanup(&r);
}

struct hook {
	int calls;
	uint64_t addr, val;
	unsigned size;
	bool write;
};

static void hook_fn(void *ctx, uint64_t addr, unsigned size, bool write, uint64_t *val)
{
	struct hook *h = ctx;

	h->calls++;
	h->addr = addr;
	h->size = size;
	h->write = write;
	if (write)
		h->val = *val;
	else
		*val = 0xcafe1234;
}

/* A port handler that moves ranges, as a config write moving a BAR does. */
struct move_hook {
	struct pt_vm *vm;
	int calls, del_port, add_port, add_mmio, del_mmio;
};

static void move_fn(void *ctx, uint64_t addr, unsigned size, bool write, uint64_t *val)
{
	struct move_hook *m = ctx;

	(void)addr, (void)size, (void)write, (void)val;
	m->calls++;
	m->add_port = pt_vm_pio_add(m->vm, 0x1240, 8, hook_fn, NULL, "moved I/O BAR");
	m->add_mmio = pt_vm_mmio_add(m->vm, 0xd0002000, 0x1000, hook_fn, NULL, "moved BAR");
	m->del_mmio = pt_vm_mmio_del(m->vm, 0xd0001000);
	m->del_port = pt_vm_pio_del(m->vm, 0x1240);
}

/* What device assignment builds on: memory slots, trapped MMIO and port ranges. */
static void test_device_hooks(struct tap *t)
{
	struct pt_vm_opts o = { .name = "hooks", .memory = 64ULL << 20, .vcpus = 1 };
	struct pt_vm *vm = NULL;
	struct pt_vm_exit ex;
	struct hook h = { 0 };
	uint32_t *page = aligned_alloc(4096, 4096);
	unsigned slot = 0;

	page[0] = 0x5eedf00d;
	/* A memory slot in the PCI hole. */
	if (pt_vm_create(&o, &vm) == 0) {
		tap_is_int(t, pt_vm_map_memory(vm, 0xd0000000, 4096, page, false, &slot), 0,
			   "a page mapped at 0xd0000000");
		tap_is_int(t, pt_vm_map_memory(vm, 0x100000, 4096, page, false, &slot), -EEXIST,
			   "mapping over RAM is refused");
		if (pt_vm_load_multiboot(vm, MINIGUEST, "R") == 0 && pt_vm_start(vm) == 0 &&
		    pt_vm_wait(vm, KVM_TEST_TIMEOUT_MS, &ex) == 0)
			tap_ok(t, ex.kind == PT_VM_EXIT_DEBUG && ex.code == 0x5eedf00d,
			       "the guest reads the mapped page (0x%x)", ex.code);
		else
			tap_ok(t, 0, "the guest reads the mapped page");
		pt_vm_destroy(vm);
	}
	/* Unmapped again: the same read is MMIO to nothing. */
	vm = NULL;
	if (pt_vm_create(&o, &vm) == 0) {
		pt_vm_map_memory(vm, 0xd0000000, 4096, page, false, &slot);
		tap_is_int(t, pt_vm_unmap_memory(vm, slot), 0, "unmapped");
		tap_is_int(t, pt_vm_unmap_memory(vm, slot), -ENOENT, "unmapping twice");
		if (pt_vm_load_multiboot(vm, MINIGUEST, "R") == 0 && pt_vm_start(vm) == 0 &&
		    pt_vm_wait(vm, KVM_TEST_TIMEOUT_MS, &ex) == 0)
			tap_ok(t, ex.kind == PT_VM_EXIT_UNHANDLED && strstr(ex.detail, "KVM_EXIT_MMIO: read"),
			       "after unmapping, the read is reported as MMIO to nothing");
		else
			tap_ok(t, 0, "after unmapping, the read ends the VM");
		pt_vm_destroy(vm);
	}
	/* A trapped MMIO range. */
	vm = NULL;
	if (pt_vm_create(&o, &vm) == 0) {
		tap_is_int(t, pt_vm_mmio_add(vm, 0xd0001000, 0x1000, hook_fn, &h, "test"), 0,
			   "an MMIO range at 0xd0001000");
		if (pt_vm_load_multiboot(vm, MINIGUEST, "D") == 0 && pt_vm_start(vm) == 0 &&
		    pt_vm_wait(vm, KVM_TEST_TIMEOUT_MS, &ex) == 0)
			tap_ok(t, ex.kind == PT_VM_EXIT_DEBUG && ex.code == 0xcafe1234 && h.calls == 1 &&
			       h.addr == 0xd0001000 && h.size == 4 && !h.write,
			       "the guest's 4-byte read reached the handler and got its value");
		else
			tap_ok(t, 0, "the guest's read reached the handler");
		pt_vm_destroy(vm);
	}
	/* A trapped port. */
	vm = NULL;
	memset(&h, 0, sizeof(h));
	if (pt_vm_create(&o, &vm) == 0) {
		tap_is_int(t, pt_vm_pio_add(vm, 0x1234, 1, hook_fn, &h, "test"), 0, "a port at 0x1234");
		tap_is_int(t, pt_vm_pio_add(vm, 0x3fa, 1, hook_fn, &h, "test"), -EEXIST,
			   "a port inside COM1 is refused");
		if (pt_vm_load_multiboot(vm, MINIGUEST, "u") == 0 && pt_vm_start(vm) == 0 &&
		    pt_vm_wait(vm, KVM_TEST_TIMEOUT_MS, &ex) == 0)
			tap_ok(t, h.calls == 1 && h.write && h.val == 0x41 && h.size == 1 &&
			       ex.kind == PT_VM_EXIT_DEBUG && ex.code == 0xbad,
			       "the guest's write to 0x1234 reached the handler, and the guest went on");
		else
			tap_ok(t, 0, "the guest's write reached the handler");
		pt_vm_destroy(vm);
	}
	/* Ranges added and removed from a handler on the vCPU thread: no deadlock. */
	vm = NULL;
	if (pt_vm_create(&o, &vm) == 0) {
		struct move_hook m = { .vm = vm };

		pt_vm_mmio_add(vm, 0xd0001000, 0x1000, hook_fn, &h, "old BAR");
		pt_vm_pio_add(vm, 0x1234, 1, move_fn, &m, "config");
		if (pt_vm_load_multiboot(vm, MINIGUEST, "u") == 0 && pt_vm_start(vm) == 0 &&
		    pt_vm_wait(vm, KVM_TEST_TIMEOUT_MS, &ex) == 0)
			tap_ok(t, m.calls == 1 && !m.add_port && !m.add_mmio && !m.del_mmio &&
			       !m.del_port && ex.kind == PT_VM_EXIT_DEBUG && ex.code == 0xbad,
			       "a handler adds and removes port and MMIO ranges on the vCPU thread, "
			       "and the guest goes on");
		else
			tap_ok(t, 0, "a handler that moves ranges: the VM did not end (deadlock?)");
		pt_vm_destroy(vm);
	}
	free(page);
}

static long read_long(const char *path)
{
	FILE *f = fopen(path, "r");
	long v = -1;

	if (f) {
		if (fscanf(f, "%ld", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

/* Guest RAM on 2 MiB hugepages: reserved here only inside the disposable testbed. */
static void test_hugepages(struct tap *t)
{
	const char *nr = "/proc/sys/vm/nr_hugepages";
	const char *free_path = "/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages";
	struct pt_vm_opts o = { .name = "huge", .memory = 64ULL << 20, .vcpus = 1, .hugepages = true };
	struct pt_vm *vm = NULL;
	struct pt_vm_exit ex;

	if (read_long(free_path) < 32 && getenv("PASSTHRU_TESTBED")) {
		FILE *f = fopen(nr, "w");

		if (f) {
			fprintf(f, "%ld\n", read_long(nr) + 32);
			fclose(f);
		}
	}
	if (read_long(free_path) < 32) {
		tap_skip(t, "hugepages: fewer than 32 free 2 MiB pages (reserve them in %s)", nr);
		return;
	}
	if (pt_vm_create(&o, &vm) < 0) {
		tap_ok(t, 0, "hugepages: a 64 MiB VM on hugepages is created");
		return;
	}
	tap_ok(t, read_long(free_path) >= 0, "hugepages: a 64 MiB VM on hugepages is created");
	if (pt_vm_load_multiboot(vm, MINIGUEST, "m") == 0 && pt_vm_start(vm) == 0 &&
	    pt_vm_wait(vm, KVM_TEST_TIMEOUT_MS, &ex) == 0)
		tap_ok(t, ex.kind == PT_VM_EXIT_DEBUG && ex.code == 63 * 1024,
		       "hugepages: the guest runs and sees its memory");
	else
		tap_ok(t, 0, "hugepages: the guest runs and sees its memory");
	pt_vm_destroy(vm);
}

int main(void)
{
	struct tap t = { 0 };

	kvm_test_require();
	test_hello(&t);
	expect_debug(&t, "m", 1, 63 * 1024, "Multiboot info: mem_upper is 63 MiB in KiB");
	expect_debug(&t, "p", 1, 0x12378086, "PCI 00:00.0 through 0xCF8/0xCFC: the host bridge");
	expect_debug(&t, "P", 1, 0xffffffff, "PCI 00:01.0: nothing there");
	expect_debug(&t, "M", 2, 2 + 2 + 1 + 15 + 31 * 4 + 2, "MP table found at 0xF0000 with all its entries (2 CPUs)");
	expect_debug(&t, "M", 4, 4 + 2 + 1 + 15 + 31 * 4 + 2, "MP table with 4 CPUs");
	expect_kind(&t, "u", PT_VM_EXIT_UNHANDLED, "unknown I/O port 0x1234: out, size 1, value 0x41",
		    "unknown I/O port");
	expect_kind(&t, "w", PT_VM_EXIT_UNHANDLED, "KVM_EXIT_MMIO: write of 4 bytes (0x12345678) to 0xd0000000",
		    "MMIO write to nothing");
	expect_kind(&t, "i", PT_VM_EXIT_UNHANDLED, "KVM_EXIT_INTERNAL_ERROR", "executing from MMIO");
	expect_kind(&t, "d", PT_VM_EXIT_TRIPLE_FAULT, "KVM_EXIT_SHUTDOWN", "ud2 without an IDT");
	expect_kind(&t, "r", PT_VM_EXIT_RESET, "0x64", "reset through the keyboard controller");
	test_echo(&t);
	test_stop(&t, "s", "TG spinning", 1, PT_IRQCHIP_KERNEL, "stop while spinning");
	test_stop(&t, "l", "TG halting", 1, PT_IRQCHIP_KERNEL, "stop while halted");
	test_stop(&t, "l", "TG halting", 4, PT_IRQCHIP_KERNEL, "stop with 4 vCPUs, 3 waiting for SIPI");
	test_stop(&t, "s", "TG spinning", 2, PT_IRQCHIP_SPLIT, "split irqchip: runs and stops");
	test_control(&t);
	test_hugepages(&t);
	test_device_hooks(&t);
	return tap_done(&t);
}
