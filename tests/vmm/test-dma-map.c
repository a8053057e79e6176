/*
 * Guest RAM mapped for DMA while the guest runs (vmm/dma_map.h), on a fake backend
 * whose map_ram the test holds or fails, with the test guest in a VM of the embedded
 * VMM on a real KVM:
 * - a device given before the start is assigned without its map, with Bus Master
 *   Enable cleared (the fake's device had it set); the map runs once the VM starts;
 * - the guest finds the device and reads its register through a trapped BAR while
 *   the map is held, but its write that sets Bus Master Enable waits: the device
 *   never sees BME before the map is done, and sees it after;
 * - a map that fails ends the VM as an error naming the device and the error (exit
 *   status 1), and the device never sees BME;
 * - the background map faults guest RAM in before it pins it (every page is resident
 *   when the backend's map_ram is called);
 * - a guest that only turns on decoding (no master=1) reads the register while the
 *   map is held: nothing but BME waits;
 * - on a kernel that refuses MADV_POPULATE_WRITE (before Linux 5.14; this test's own
 *   madvise refuses it) the map goes on without faulting in, and the guest passes;
 * - a device added to a running VM maps before pt_vm_assign_device returns.
 * Skips without /dev/kvm; the testbed runs it (KVM_TESTS).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <linux/pci_regs.h>

#include "common/exit_status.h"
#include "tap.h"
#include "vmm/assigned.h"
#include "vmm/console.h"
#include "vmm/dma_map.h"
#include "vmm/vm.h"

#define STEP_MS 60000 /* one guest step, at most (nested KVM under TCG is slow) */
#define HOLD_MS 1000  /* how long the map is held once the guest found the device */
#define ID_VALUE 0x010000edu

/* One fake device: a config space, a 4 KiB trapped BAR0 with an ID register at 0. */
struct fake {
	struct pt_assign_dev dev; /* first, as backends embed it */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	uint8_t cfg[256];
	bool hold;          /* map_ram waits while set */
	int map_result;     /* what map_ram returns */
	size_t maps;        /* map_ram calls that finished */
	bool mapped;        /* a map succeeded */
	bool bme_early;     /* BME reached the device before a map succeeded */
	bool bme_seen;      /* BME reached the device */
	size_t absent;      /* pages of the RAM not resident at the last map_ram call */
};

static struct fake fake;

/* The VMM's madvise calls come here (the executable's symbol wins): a kernel without
 * MADV_POPULATE_WRITE when refuse_populate is set. */
static bool refuse_populate;
static unsigned populate_calls;

int madvise(void *addr, size_t len, int advice)
{
	if (advice == 23 /* MADV_POPULATE_WRITE */) {
		__atomic_add_fetch(&populate_calls, 1, __ATOMIC_SEQ_CST);
		if (__atomic_load_n(&refuse_populate, __ATOMIC_SEQ_CST)) {
			errno = EINVAL;
			return -1;
		}
	}
	return (int)syscall(SYS_madvise, addr, len, advice);
}

static int fake_open(const struct pt_assign_env *env, const struct pt_bdf *bdf, int fd,
		     struct pt_assign_dev **ret)
{
	(void)env;
	(void)fd;
	fake.dev.bdf = *bdf;
	pt_bdf_format(bdf, fake.dev.name);
	*ret = &fake.dev;
	return 0;
}

static int fake_map_ram(struct pt_assign_dev *d, uint64_t gpa, uint64_t size, void *hva)
{
	int r;

	size_t pages = size / (size_t)getpagesize(), absent = 0;
	unsigned char *vec = calloc(pages ? pages : 1, 1);

	(void)d;
	if (!vec || mincore(hva, size, vec) < 0)
		absent = pages ? pages : 1;
	for (size_t i = 0; vec && i < pages; i++)
		absent += !(vec[i] & 1);
	free(vec);
	pthread_mutex_lock(&fake.lock);
	fake.absent = absent;
	while (fake.hold)
		pthread_cond_wait(&fake.cond, &fake.lock);
	r = fake.map_result;
	fake.maps++;
	fake.mapped |= r == 0;
	pthread_mutex_unlock(&fake.lock);
	if (r < 0)
		fprintf(stderr, "fake: map of %#llx+%#llx fails: %s\n", (unsigned long long)gpa,
			(unsigned long long)size, strerror(-r));
	return r;
}

static int fake_config_read(struct pt_assign_dev *d, unsigned off, unsigned len, uint32_t *val)
{
	(void)d;
	*val = 0;
	pthread_mutex_lock(&fake.lock);
	for (unsigned i = 0; i < len && off + i < sizeof(fake.cfg); i++)
		*val |= (uint32_t)fake.cfg[off + i] << (8 * i);
	pthread_mutex_unlock(&fake.lock);
	return 0;
}

static int fake_config_write(struct pt_assign_dev *d, unsigned off, unsigned len, uint32_t val)
{
	(void)d;
	pthread_mutex_lock(&fake.lock);
	for (unsigned i = 0; i < len && off + i < sizeof(fake.cfg); i++)
		fake.cfg[off + i] = (uint8_t)(val >> (8 * i));
	if (fake.cfg[PCI_COMMAND] & PCI_COMMAND_MASTER) {
		fake.bme_seen = true;
		fake.bme_early |= !fake.mapped;
	}
	pthread_mutex_unlock(&fake.lock);
	return 0;
}

static int fake_region_info(struct pt_assign_dev *d, unsigned index, struct pt_assign_region *ret)
{
	(void)d;
	*ret = (struct pt_assign_region){ 0 };
	if (index == 0)
		*ret = (struct pt_assign_region){ .size = 4096, .flags = PT_REGION_MMIO | PT_REGION_RW };
	return 0;
}

static int fake_region_rw(struct pt_assign_dev *d, unsigned index, uint64_t off, unsigned len,
			  bool write, uint64_t *val)
{
	(void)d;
	(void)len;
	if (index != 0)
		return -EINVAL;
	if (!write)
		*val = off == 0 ? ID_VALUE : 0;
	return 0;
}

static int fake_irq_set(struct pt_assign_dev *d, const struct pt_assign_irqs *irqs)
{
	(void)d;
	(void)irqs;
	return 0;
}

static const struct pt_assign_backend fake_backend = {
	.name = "fake", .open = fake_open, .map_ram = fake_map_ram,
	.config_read = fake_config_read, .config_write = fake_config_write,
	.region_info = fake_region_info, .region_rw = fake_region_rw, .irq_set = fake_irq_set,
};

/* edu's identity, INTx pin A, no capabilities; BME set as a last user might leave it. */
static void fake_reset(bool hold, int map_result)
{
	pthread_mutex_lock(&fake.lock);
	memset(fake.cfg, 0, sizeof(fake.cfg));
	fake.cfg[0] = 0x34, fake.cfg[1] = 0x12, fake.cfg[2] = 0xe8, fake.cfg[3] = 0x11;
	fake.cfg[PCI_COMMAND] = PCI_COMMAND_MASTER;
	fake.cfg[PCI_CLASS_DEVICE] = 0x00, fake.cfg[PCI_CLASS_DEVICE + 1] = 0xff;
	fake.cfg[PCI_INTERRUPT_PIN] = 1;
	fake.hold = hold;
	fake.map_result = map_result;
	fake.maps = 0;
	fake.mapped = fake.bme_early = fake.bme_seen = false;
	fake.dev.backend = &fake_backend;
	pthread_mutex_unlock(&fake.lock);
}

static void fake_release_map(void)
{
	pthread_mutex_lock(&fake.lock);
	fake.hold = false;
	pthread_cond_broadcast(&fake.cond);
	pthread_mutex_unlock(&fake.lock);
}

static bool fake_get(bool *field)
{
	bool v;

	pthread_mutex_lock(&fake.lock);
	v = *field;
	pthread_mutex_unlock(&fake.lock);
	return v;
}

static size_t fake_count(const size_t *field)
{
	size_t n;

	pthread_mutex_lock(&fake.lock);
	n = *field;
	pthread_mutex_unlock(&fake.lock);
	return n;
}

/* Whether this kernel faults in ranges on request (MADV_POPULATE_WRITE, Linux 5.14). */
static bool kernel_populates(void)
{
	size_t len = (size_t)getpagesize();
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	bool ok;

	if (p == MAP_FAILED)
		return false;
	ok = madvise(p, len, 23 /* MADV_POPULATE_WRITE */) == 0;
	munmap(p, len);
	return ok;
}

struct run {
	struct pt_vm *vm;
	struct pt_console_lines con;
	size_t from;
};

static int vm_new(struct tap *t, struct run *r, const char *name)
{
	struct pt_vm_opts o = {
		.name = name, .memory = 64ULL << 20, .vcpus = 1, .irqchip = PT_IRQCHIP_KERNEL,
		.console_out = pt_console_lines_out, .console_ctx = &r->con,
	};
	int e;

	pt_console_lines_init(&r->con, -1);
	r->vm = NULL;
	r->from = 0;
	e = pt_vm_create(&o, &r->vm);
	if (e < 0)
		tap_ok(t, 0, "%s: pt_vm_create: %s", name, strerror(-e));
	return e;
}

static void vm_end(struct run *r)
{
	pt_vm_destroy(r->vm);
	pt_console_lines_destroy(&r->con);
}

static int assign(struct pt_vm *vm)
{
	struct pt_bdf bdf = { .domain = 0xffff, .bus = 0xfe, .dev = 0x1f, .func = 0 };

	return pt_vm_assign_device(vm, &fake_backend, &bdf, -1, -1, -1, NULL);
}

/* The VM ends as the guest's pass (its debug-exit write of 0). */
static void guest_passes(struct tap *t, struct run *r, const char *what)
{
	struct pt_vm_exit ex;

	if (pt_vm_wait(r->vm, STEP_MS, &ex) == 0)
		tap_ok(t, ex.kind == PT_VM_EXIT_DEBUG && ex.code == 0, "%s: the guest passes (%s: %s)",
		       what, pt_vm_exit_kind_name(ex.kind), ex.detail);
	else
		tap_ok(t, 0, "%s: the VM ends", what);
}

#define RESCAN "scenario=rescan find=0x1234:0x11e8 master=1 bar_read=0:0 wait_ms=20000"
#define RESCAN_DECODE "scenario=rescan find=0x1234:0x11e8 bar_read=0:0 wait_ms=20000"

/* The map held while the guest runs: BME waits for it, everything else does not. */
static void test_held(struct tap *t)
{
	struct run r;
	uint32_t cmd = 0;
	char *line;

	fake_reset(true, 0);
	if (vm_new(t, &r, "held") < 0)
		return;
	tap_is_int(t, assign(r.vm), 0, "held: the device is assigned before the start");
	tap_is_int(t, (long long)fake_count(&fake.maps), 0, "held: without mapping guest RAM");
	tap_ok(t, fake_config_read(&fake.dev, PCI_COMMAND, 2, &cmd) == 0 &&
	       !(cmd & PCI_COMMAND_MASTER),
	       "held: Bus Master Enable, set on the device, was cleared at assignment");
	tap_is_str(t, pt_vm_dma_state_name(pt_vm_dma_state(r.vm)), "pending",
		   "held: the map is pending");
	if (pt_vm_load_multiboot(r.vm, TEST_GUEST, RESCAN) < 0 || pt_vm_start(r.vm) < 0) {
		tap_ok(t, 0, "held: load and start");
		fake_release_map();
		vm_end(&r);
		return;
	}
	tap_is_str(t, pt_vm_dma_state_name(pt_vm_dma_state(r.vm)), "mapping",
		   "held: the map runs once the VM has started");
	line = pt_console_lines_wait(&r.con, "TG pci bdf=", &r.from, STEP_MS);
	tap_ok(t, line && strstr(line, "vendor=0x1234 device=0x11e8"),
	       "held: the guest finds the device while the map is held: %s", line ? line : "nothing");
	free(line);
	usleep(HOLD_MS * 1000);
	line = pt_console_lines_wait(&r.con, "TG result", &r.from, 0);
	tap_ok(t, !line, "held: %d ms later the guest is still at its Bus Master Enable write",
	       HOLD_MS);
	free(line);
	tap_ok(t, !fake_get(&fake.bme_seen), "held: and the device has not seen BME");
	fake_release_map();
	line = pt_console_lines_wait(&r.con, "TG result", &r.from, STEP_MS);
	tap_ok(t, line && strstr(line, "status=PASS") && strstr(line, "read 0x10000ed"),
	       "held: once mapped, the guest goes on and reads the register: %s",
	       line ? line : "nothing");
	free(line);
	tap_ok(t, fake_get(&fake.bme_seen) && !fake_get(&fake.bme_early),
	       "held: the device saw BME, and only after the map");
	tap_is_str(t, pt_vm_dma_state_name(pt_vm_dma_state(r.vm)), "mapped", "held: state mapped");
	if (kernel_populates())
		tap_is_int(t, (long long)fake_count(&fake.absent), 0,
			   "held: every page of guest RAM was resident when the pin began");
	else
		tap_skip(t, "held: guest RAM faulted in first: no MADV_POPULATE_WRITE here");
	guest_passes(t, &r, "held");
	vm_end(&r);
}

/* A guest that reads a register without bus mastering does not wait for the map. */
static void test_decode_only(struct tap *t)
{
	struct run r;
	char *line;

	fake_reset(true, 0);
	if (vm_new(t, &r, "decode") < 0)
		return;
	if (assign(r.vm) < 0 || pt_vm_load_multiboot(r.vm, TEST_GUEST, RESCAN_DECODE) < 0 ||
	    pt_vm_start(r.vm) < 0) {
		tap_ok(t, 0, "decode: assign, load and start");
		fake_release_map();
		vm_end(&r);
		return;
	}
	line = pt_console_lines_wait(&r.con, "TG result", &r.from, STEP_MS);
	tap_ok(t, line && strstr(line, "status=PASS") && strstr(line, "read 0x10000ed"),
	       "decode: with the map held, the guest reads the register: %s",
	       line ? line : "nothing");
	free(line);
	tap_is_str(t, pt_vm_dma_state_name(pt_vm_dma_state(r.vm)), "mapping",
		   "decode: the map was still held then");
	tap_ok(t, !fake_get(&fake.bme_seen), "decode: the device never saw BME");
	fake_release_map();
	guest_passes(t, &r, "decode");
	vm_end(&r);
}

/* A kernel without MADV_POPULATE_WRITE: the pin faults in, the map still ends. */
static void test_no_populate(struct tap *t)
{
	struct run r;
	unsigned n;
	char *line;

	fake_reset(false, 0);
	__atomic_store_n(&populate_calls, 0, __ATOMIC_SEQ_CST);
	__atomic_store_n(&refuse_populate, true, __ATOMIC_SEQ_CST);
	if (vm_new(t, &r, "old-kernel") < 0)
		goto out;
	if (assign(r.vm) < 0 || pt_vm_load_multiboot(r.vm, TEST_GUEST, RESCAN) < 0 ||
	    pt_vm_start(r.vm) < 0) {
		tap_ok(t, 0, "old kernel: assign, load and start");
		vm_end(&r);
		goto out;
	}
	line = pt_console_lines_wait(&r.con, "TG result", &r.from, STEP_MS);
	tap_ok(t, line && strstr(line, "status=PASS") && strstr(line, "read 0x10000ed"),
	       "old kernel: the guest gets past its BME write and reads the register: %s",
	       line ? line : "nothing");
	free(line);
	guest_passes(t, &r, "old kernel");
	n = __atomic_load_n(&populate_calls, __ATOMIC_SEQ_CST);
	tap_ok(t, n >= 1 && n <= 2, "old kernel: a refused MADV_POPULATE_WRITE ended the faulting "
	       "in, at most one call a thread (%u calls)", n);
	tap_is_str(t, pt_vm_dma_state_name(pt_vm_dma_state(r.vm)), "mapped",
		   "old kernel: state mapped");
	vm_end(&r);
out:
	__atomic_store_n(&refuse_populate, false, __ATOMIC_SEQ_CST);
}

/* The map fails while the guest runs: the VM ends with the error, BME never passes. */
static void test_failed(struct tap *t)
{
	struct run r;
	struct pt_vm_exit ex;
	char *line;

	fake_reset(true, -ENOMEM);
	if (vm_new(t, &r, "failed") < 0)
		return;
	tap_is_int(t, assign(r.vm), 0, "failed: the device is assigned before the start");
	if (pt_vm_load_multiboot(r.vm, TEST_GUEST, RESCAN) < 0 || pt_vm_start(r.vm) < 0) {
		tap_ok(t, 0, "failed: load and start");
		fake_release_map();
		vm_end(&r);
		return;
	}
	line = pt_console_lines_wait(&r.con, "TG pci bdf=", &r.from, STEP_MS);
	tap_ok(t, line != NULL, "failed: the guest finds the device");
	free(line);
	usleep(HOLD_MS * 1000 / 4);
	fake_release_map();
	if (pt_vm_wait(r.vm, STEP_MS, &ex) < 0) {
		tap_ok(t, 0, "failed: the VM ends");
		pt_vm_stop(r.vm);
		pt_vm_wait(r.vm, -1, &ex);
	} else {
		tap_ok(t, ex.kind == PT_VM_EXIT_ERROR, "failed: the VM ends as an error (%s)",
		       pt_vm_exit_kind_name(ex.kind));
		tap_ok(t, strstr(ex.detail, "could not be mapped for the DMA of ffff:fe:1f.0:") &&
		       strstr(ex.detail, strerror(ENOMEM)), "failed: naming device and error: %s",
		       ex.detail);
		tap_is_int(t, pt_vm_exit_status(&ex), PT_EXIT_FAILURE,
			   "failed: exit status %d, as for a device that cannot be assigned",
			   PT_EXIT_FAILURE);
	}
	line = pt_console_lines_wait(&r.con, "TG result", &r.from, 0);
	tap_ok(t, !line, "failed: the guest never got past its Bus Master Enable write");
	free(line);
	tap_ok(t, !fake_get(&fake.bme_seen), "failed: the device never saw BME");
	tap_is_str(t, pt_vm_dma_state_name(pt_vm_dma_state(r.vm)), "failed", "failed: state failed");
	vm_end(&r);
}

/* A device added to a running VM maps at once, as before. */
static void test_running(struct tap *t)
{
	struct run r;

	fake_reset(false, 0);
	if (vm_new(t, &r, "running") < 0)
		return;
	if (pt_vm_load_multiboot(r.vm, TEST_GUEST, "scenario=spin") < 0 || pt_vm_start(r.vm) < 0) {
		tap_ok(t, 0, "running: load and start");
		vm_end(&r);
		return;
	}
	tap_is_str(t, pt_vm_dma_state_name(pt_vm_dma_state(r.vm)), "none",
		   "running: no device, nothing to map");
	tap_is_int(t, assign(r.vm), 0, "running: a device added to the running VM");
	tap_is_int(t, (long long)fake_count(&fake.maps), 1, "running: guest RAM mapped before the add returned");
	tap_is_str(t, pt_vm_dma_state_name(pt_vm_dma_state(r.vm)), "none",
		   "running: no background map");
	pt_vm_stop(r.vm);
	pt_vm_wait(r.vm, -1, NULL);
	vm_end(&r);
}

int main(void)
{
	struct tap t = { 0 };
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		tap_skip_all("cannot open /dev/kvm (%s): run it in the testbed (make check-testbed)",
			     strerror(errno));
	close(fd);
	if (access(TEST_GUEST, R_OK) < 0)
		tap_skip_all("the test guest %s was not built", TEST_GUEST);
	pthread_mutex_init(&fake.lock, NULL);
	pthread_cond_init(&fake.cond, NULL);
	test_held(&t);
	test_decode_only(&t);
	test_no_populate(&t);
	test_failed(&t);
	test_running(&t);
	return tap_done(&t);
}
