#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "common/exit_status.h"
#include "common/log.h"
#include "vmm/cond.h"
#include "vmm/dma_map.h"
#include "vmm/serial_out.h"
#include "vmm/e820.h"
#include "vmm/layout.h"
#include "vmm/ram.h"
#include "vmm/assigned.h"
#include "vmm/vm_internal.h"

#define KVM_API 12
#define MIN_MEMORY (4ULL << 20)
#define MAX_VCPUS 254 /* APIC ids 0..n-1 and the IOAPIC's id n must fit in a byte */

const char *pt_vm_exit_kind_name(enum pt_vm_exit_kind kind)
{
	static const char *const names[] = {
		[PT_VM_EXIT_NONE] = "none", [PT_VM_EXIT_STOPPED] = "stopped",
		[PT_VM_EXIT_POWEROFF] = "poweroff", [PT_VM_EXIT_DEBUG] = "debug-exit",
		[PT_VM_EXIT_RESET] = "reset", [PT_VM_EXIT_TRIPLE_FAULT] = "triple-fault",
		[PT_VM_EXIT_CRASH] = "crash", [PT_VM_EXIT_UNHANDLED] = "unhandled",
		[PT_VM_EXIT_ERROR] = "error",
	};

	return (unsigned)kind < sizeof(names) / sizeof(names[0]) ? names[kind] : "?";
}

int pt_vm_exit_status(const struct pt_vm_exit *e)
{
	switch (e->kind) {
	case PT_VM_EXIT_STOPPED:
	case PT_VM_EXIT_POWEROFF:
		return PT_EXIT_OK;
	case PT_VM_EXIT_DEBUG:
		if (!e->code)
			return PT_EXIT_OK;
		return PT_VMM_EXIT_DEBUG_BASE + (int)(e->code < 63 ? e->code : 63);
	case PT_VM_EXIT_RESET:
		return PT_VMM_EXIT_RESET;
	case PT_VM_EXIT_TRIPLE_FAULT:
		return PT_VMM_EXIT_TRIPLE_FAULT;
	case PT_VM_EXIT_CRASH:
		return PT_VMM_EXIT_CRASH;
	case PT_VM_EXIT_UNHANDLED:
		return PT_VMM_EXIT_UNHANDLED;
	default:
		return PT_EXIT_FAILURE;
	}
}

static int kvm_ioctl_retry(int fd, unsigned long req, void *arg)
{
	int r;

	do
		r = ioctl(fd, req, arg);
	while (r < 0 && errno == EINTR);
	return r;
}

static void kick_handler(int sig)
{
	(void)sig;
}

static int install_kick_handler(void)
{
	struct sigaction sa = { .sa_handler = kick_handler };

	sigemptyset(&sa.sa_mask);
	if (sigaction(pt_vcpu_kick_signal(), &sa, NULL) < 0)
		return -errno;
	return 0;
}

static int check_cap(struct pt_vm *vm, int cap, const char *name)
{
	int r = ioctl(vm->vm_fd, KVM_CHECK_EXTENSION, cap);

	if (r < 0) {
		r = -errno;
		pt_err("KVM_CHECK_EXTENSION(%s): %s", name, strerror(-r));
		return r;
	}
	if (r == 0) {
		pt_err("KVM lacks %s, which passthru-vmm needs", name);
		return -EOPNOTSUPP;
	}
	return r;
}

static int setup_irqchip(struct pt_vm *vm)
{
	if (vm->irqchip == PT_IRQCHIP_SPLIT) {
		struct kvm_enable_cap cap = { .cap = KVM_CAP_SPLIT_IRQCHIP, .args = { PT_IOAPIC_PINS } };

		if (check_cap(vm, KVM_CAP_SPLIT_IRQCHIP, "KVM_CAP_SPLIT_IRQCHIP (irqchip = split)") < 0)
			return -EOPNOTSUPP;
		if (ioctl(vm->vm_fd, KVM_ENABLE_CAP, &cap) < 0) {
			pt_err("KVM_ENABLE_CAP(KVM_CAP_SPLIT_IRQCHIP): %m");
			return -errno;
		}
		pt_warn("%s: irqchip = split: only the LAPIC is in the kernel; there is no PIC, "
			"IOAPIC or PIT, so INTx and ISA interrupts are not delivered (devices need MSI)",
			vm->name);
		return 0;
	}
	if (check_cap(vm, KVM_CAP_IRQCHIP, "KVM_CAP_IRQCHIP") < 0)
		return -EOPNOTSUPP;
	if (ioctl(vm->vm_fd, KVM_CREATE_IRQCHIP) < 0) {
		pt_err("KVM_CREATE_IRQCHIP: %m");
		return -errno;
	}
	if (check_cap(vm, KVM_CAP_PIT2, "KVM_CAP_PIT2") < 0)
		return -EOPNOTSUPP;
	{
		/*
		 * KVM_PIT_SPEAKER_DUMMY makes KVM serve port 0x61 too (channel 2's gate
		 * and output, which guests use to calibrate their TSC); without it the
		 * port exits to userspace, which cannot see channel 2's state.
		 */
		struct kvm_pit_config pit = { .flags = KVM_PIT_SPEAKER_DUMMY };

		if (ioctl(vm->vm_fd, KVM_CREATE_PIT2, &pit) < 0) {
			pt_err("KVM_CREATE_PIT2: %m");
			return -errno;
		}
	}
	pt_info("%s: irqchip = kernel: in-kernel PIC, IOAPIC, LAPIC and PIT", vm->name);
	return 0;
}

/* Free 2 MiB huge pages in the host's pool, or -1 if it cannot be read. */
static long free_hugepages(void)
{
	FILE *f = fopen("/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages", "re");
	long n = -1;

	if (!f)
		return -1;
	if (fscanf(f, "%ld", &n) != 1)
		n = -1;
	fclose(f);
	return n;
}

static int setup_memory(struct pt_vm *vm, bool hugepages)
{
	uint64_t low = pt_mem_low_size(vm->memory), high = pt_mem_high_size(vm->memory);
	struct kvm_userspace_memory_region region = { 0 };
	void *ram = NULL;
	int r = pt_ram_map(vm->memory, hugepages, &ram);

	if (r < 0) {
		long avail = hugepages ? free_hugepages() : -1;

		if (hugepages && avail >= 0)
			pt_err("%s: cannot map %llu MiB of 2 MiB hugepages: %s: %llu are needed and "
			       "%ld are free (reserve them first, e.g. sysctl vm.nr_hugepages=%llu)",
			       vm->name, (unsigned long long)(vm->memory >> 20), strerror(-r),
			       (unsigned long long)(vm->memory >> 21), avail,
			       (unsigned long long)(vm->memory >> 21));
		else if (hugepages)
			pt_err("%s: cannot map %llu MiB of 2 MiB hugepages: %s (reserve them first, "
			       "e.g. sysctl vm.nr_hugepages=%llu)", vm->name,
			       (unsigned long long)(vm->memory >> 20), strerror(-r),
			       (unsigned long long)(vm->memory >> 21));
		else
			pt_err("%s: cannot map %llu MiB of guest RAM: %s", vm->name,
			       (unsigned long long)(vm->memory >> 20), strerror(-r));
		return r;
	}
	vm->ram = ram;
	region.slot = 0;
	region.guest_phys_addr = 0;
	region.memory_size = low;
	region.userspace_addr = (uintptr_t)vm->ram;
	if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &region) < 0) {
		pt_err("KVM_SET_USER_MEMORY_REGION (RAM below the PCI hole): %m");
		return -errno;
	}
	if (high) {
		region.slot = 1;
		region.guest_phys_addr = PT_GPA_4G;
		region.memory_size = high;
		region.userspace_addr = (uintptr_t)(vm->ram + low);
		if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &region) < 0) {
			pt_err("KVM_SET_USER_MEMORY_REGION (RAM above 4 GiB): %m");
			return -errno;
		}
	}
	return 0;
}

static int setup_cpuid(struct pt_vm *vm)
{
	for (unsigned n = 64; n <= 4096; n *= 2) {
		struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + n * sizeof(c->entries[0]));

		if (!c)
			return -ENOMEM;
		c->nent = n;
		if (ioctl(vm->kvm_fd, KVM_GET_SUPPORTED_CPUID, c) == 0) {
			vm->cpuid = c;
			return 0;
		}
		free(c);
		if (errno != E2BIG) {
			pt_err("KVM_GET_SUPPORTED_CPUID: %m");
			return -errno;
		}
	}
	pt_err("KVM_GET_SUPPORTED_CPUID: more than 4096 entries");
	return -E2BIG;
}

static int setup_vcpus(struct pt_vm *vm)
{
	int sz = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);

	if (sz < (int)sizeof(struct kvm_run)) {
		pt_err("KVM_GET_VCPU_MMAP_SIZE: %m");
		return -EIO;
	}
	vm->run_size = (size_t)sz;
	vm->vcpus = calloc(vm->n_vcpus, sizeof(*vm->vcpus));
	if (!vm->vcpus)
		return -ENOMEM;
	for (unsigned i = 0; i < vm->n_vcpus; i++)
		vm->vcpus[i].fd = -1;
	for (unsigned i = 0; i < vm->n_vcpus; i++) {
		struct pt_vcpu *v = &vm->vcpus[i];
		void *run;

		v->vm = vm;
		v->id = i;
		v->fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, (unsigned long)i);
		if (v->fd < 0) {
			pt_err("KVM_CREATE_VCPU %u: %m", i);
			return -errno;
		}
		run = mmap(NULL, vm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, v->fd, 0);
		if (run == MAP_FAILED) {
			pt_err("mmap of vcpu %u's kvm_run: %m", i);
			return -errno;
		}
		v->run = run;
	}
	return 0;
}

static int open_kvm(struct pt_vm *vm, const char *path)
{
	int v;

	vm->kvm_fd = open(path, O_RDWR | O_CLOEXEC);
	if (vm->kvm_fd < 0) {
		int e = errno;

		if (e == ENOENT)
			pt_err("%s does not exist: this host has no KVM (is the kvm_intel or kvm_amd "
			       "module loaded, and virtualization enabled?)", path);
		else
			pt_err("cannot open %s: %s%s", path, strerror(e),
			       e == EACCES ? " (run as root or as a member of the group owning it)" : "");
		return -e;
	}
	v = ioctl(vm->kvm_fd, KVM_GET_API_VERSION, 0);
	if (v < 0) {
		int e = errno;

		pt_err("%s: KVM_GET_API_VERSION: %s", path, strerror(e));
		return -e;
	}
	if (v != KVM_API) {
		pt_err("%s speaks KVM API %d, passthru-vmm needs %d", path, v, KVM_API);
		return -EOPNOTSUPP;
	}
	vm->vm_fd = kvm_ioctl_retry(vm->kvm_fd, KVM_CREATE_VM, 0);
	if (vm->vm_fd < 0) {
		pt_err("KVM_CREATE_VM: %m");
		return -errno;
	}
	return 0;
}

static int check_opts(const struct pt_vm_opts *o)
{
	if (o->memory < MIN_MEMORY || o->memory % (2ULL << 20)) {
		pt_err("guest memory must be a multiple of 2 MiB and at least 4 MiB (got %llu bytes)",
		       (unsigned long long)o->memory);
		return -EINVAL;
	}
	if (o->vcpus < 1 || o->vcpus > MAX_VCPUS) {
		pt_err("vcpus must be 1-%d (got %u)", MAX_VCPUS, o->vcpus);
		return -EINVAL;
	}
	return 0;
}

int pt_vm_create(const struct pt_vm_opts *opts, struct pt_vm **ret)
{
	struct pt_vm *vm;
	int r, epoll_err;

	r = check_opts(opts);
	if (r < 0)
		return r;
	vm = calloc(1, sizeof(*vm));
	if (!vm)
		return -ENOMEM;
	vm->kvm_fd = vm->vm_fd = vm->exit_efd = -1;
	vm->requests_epfd = epoll_create1(EPOLL_CLOEXEC);
	epoll_err = vm->requests_epfd < 0 ? errno : 0;
	pthread_mutex_init(&vm->lock, NULL);
	pthread_mutex_init(&vm->assign_lock, NULL);
	pt_cond_init_monotonic(&vm->cond);
	pthread_mutex_init(&vm->serial_lock, NULL);
	pt_serial_out_init(vm);
	pthread_mutex_init(&vm->slots_lock, NULL);
	pt_vm_dma_init(vm);
	pt_iobus_init(&vm->pio);
	pt_iobus_init(&vm->mmio);
	vm->name = strdup(opts->name ? opts->name : "vm");
	vm->memory = opts->memory;
	vm->n_vcpus = opts->vcpus;
	vm->irqchip = opts->irqchip;
	vm->console_out = opts->console_out;
	vm->console_ctx = opts->console_ctx;
	vm->console_kind = strdup(opts->console_kind ? opts->console_kind : "none");
	vm->console_path = opts->console_path ? strdup(opts->console_path) : NULL;
	if (!vm->name || !vm->console_kind || (opts->console_path && !vm->console_path)) {
		r = -ENOMEM;
		goto fail;
	}
	/* Without it the host's requests to release a device would go unheard. */
	if (epoll_err) {
		pt_err("%s: epoll_create1 (the devices' release requests): %s", vm->name,
		       strerror(epoll_err));
		r = -epoll_err;
		goto fail;
	}
	vm->exit_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (vm->exit_efd < 0) {
		r = -errno;
		pt_err("%s: eventfd for the VM's exit: %m", vm->name);
		goto fail;
	}
	r = install_kick_handler();
	if (r < 0)
		goto fail;
	r = open_kvm(vm, opts->kvm_path ? opts->kvm_path : "/dev/kvm");
	if (r < 0)
		goto fail;
	r = check_cap(vm, KVM_CAP_IMMEDIATE_EXIT, "KVM_CAP_IMMEDIATE_EXIT");
	if (r < 0)
		goto fail;
	if (ioctl(vm->vm_fd, KVM_SET_TSS_ADDR, (unsigned long)PT_GPA_TSS) < 0) {
		pt_err("KVM_SET_TSS_ADDR: %m");
		r = -errno;
		goto fail;
	}
	if (ioctl(vm->vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_SET_IDENTITY_MAP_ADDR) > 0) {
		uint64_t addr = PT_GPA_IDENTITY_MAP;

		if (ioctl(vm->vm_fd, KVM_SET_IDENTITY_MAP_ADDR, &addr) < 0) {
			pt_err("KVM_SET_IDENTITY_MAP_ADDR: %m");
			r = -errno;
			goto fail;
		}
	}
	r = setup_irqchip(vm);
	if (r < 0)
		goto fail;
	r = pt_vm_routes_init(vm);
	if (r < 0)
		goto fail;
	r = setup_memory(vm, opts->hugepages);
	if (r < 0)
		goto fail;
	r = setup_cpuid(vm);
	if (r < 0)
		goto fail;
	r = setup_vcpus(vm);
	if (r < 0)
		goto fail;
	r = pt_vm_devices_init(vm);
	if (r < 0)
		goto fail;
	*ret = vm;
	return 0;
fail:
	pt_vm_destroy(vm);
	return r;
}

void pt_vm_destroy(struct pt_vm *vm)
{
	if (!vm)
		return;
	if (vm->started && !vm->joined) {
		pt_vm_stop(vm);
		pt_vm_wait(vm, -1, NULL);
	}
	pt_vm_dma_join(vm);        /* the background map done, before the devices go */
	pt_vm_release_devices(vm); /* before the routes and the VM fd they use */
	pt_vm_routes_free(vm);
	for (unsigned i = 0; vm->vcpus && i < vm->n_vcpus; i++) {
		if (vm->vcpus[i].run)
			munmap(vm->vcpus[i].run, vm->run_size);
		if (vm->vcpus[i].fd >= 0)
			close(vm->vcpus[i].fd);
	}
	free(vm->vcpus);
	free(vm->cpuid);
	if (vm->pci_ready)
		pt_pci_bus_destroy(&vm->pci);
	pt_iobus_destroy(&vm->pio);
	pt_iobus_destroy(&vm->mmio);
	if (vm->vm_fd >= 0)
		close(vm->vm_fd);
	pt_ram_unmap(vm->ram, vm->memory);
	if (vm->kvm_fd >= 0)
		close(vm->kvm_fd);
	if (vm->exit_efd >= 0)
		close(vm->exit_efd);
	if (vm->requests_epfd >= 0)
		close(vm->requests_epfd);
	pthread_mutex_destroy(&vm->assign_lock);
	free(vm->slot_used);
	free(vm->slot_gpa);
	free(vm->slot_size);
	pthread_mutex_destroy(&vm->slots_lock);
	pt_vm_dma_free(vm);
	pt_serial_out_free(vm);
	pthread_mutex_destroy(&vm->serial_lock);
	pthread_cond_destroy(&vm->cond);
	pthread_mutex_destroy(&vm->lock);
	free(vm->name);
	free(vm->console_kind);
	free(vm->console_path);
	free(vm);
}

static void kick_all(struct pt_vm *vm)
{
	for (unsigned i = 0; i < vm->n_vcpus; i++) {
		struct pt_vcpu *v = &vm->vcpus[i];

		if (!v->thread_started)
			continue;
		/* Set before the signal: if it lands before KVM_RUN, KVM_RUN returns at once. */
		__atomic_store_n(&v->run->immediate_exit, 1, __ATOMIC_SEQ_CST);
		if (!pthread_equal(v->thread, pthread_self()))
			pthread_kill(v->thread, pt_vcpu_kick_signal());
	}
}

void pt_vm_finish(struct pt_vm *vm, enum pt_vm_exit_kind kind, uint32_t code, const char *fmt, ...)
{
	bool first;

	pthread_mutex_lock(&vm->lock);
	first = vm->exit.kind == PT_VM_EXIT_NONE;
	if (first) {
		va_list ap;
		uint64_t one = 1;

		vm->exit.kind = kind;
		vm->exit.code = code;
		va_start(ap, fmt);
		vsnprintf(vm->exit.detail, sizeof(vm->exit.detail), fmt, ap);
		va_end(ap);
		vm->stopping = true;
		if (write(vm->exit_efd, &one, sizeof(one)) < 0)
			pt_warn("writing the exit eventfd: %m (the main loop sees the VM's end "
				"within a second)");
		if (kind == PT_VM_EXIT_UNHANDLED || kind == PT_VM_EXIT_ERROR ||
		    kind == PT_VM_EXIT_TRIPLE_FAULT || kind == PT_VM_EXIT_CRASH)
			pt_err("%s: %s", vm->name, vm->exit.detail);
		else
			pt_info("%s: %s", vm->name, vm->exit.detail);
		kick_all(vm);
		pt_vm_dma_wake(vm);
	}
	pthread_mutex_unlock(&vm->lock);
}

bool pt_vm_stopping(struct pt_vm *vm)
{
	bool s;

	pthread_mutex_lock(&vm->lock);
	s = vm->stopping;
	pthread_mutex_unlock(&vm->lock);
	return s;
}

void pt_vm_stop(struct pt_vm *vm)
{
	pt_vm_finish(vm, PT_VM_EXIT_STOPPED, 0, "stopped on request");
}

int pt_vm_start(struct pt_vm *vm)
{
	sigset_t all, old;
	int r = 0;

	if (vm->started)
		return -EALREADY;
	if (!vm->boot.loaded) {
		pt_err("%s: no guest loaded", vm->name);
		return -EINVAL;
	}
	clock_gettime(CLOCK_MONOTONIC, &vm->start_time);
	/* The devices' DMA map, if one waits, runs beside the guest (dma_map.h). */
	pt_vm_dma_start(vm);
	/* Without its thread, the serial port hands on every byte at once (serial_out.h). */
	if (pt_serial_out_start(vm) < 0)
		pt_warn("%s: no thread for the console's output: it goes out a byte at a time",
			vm->name);
	/* Threads start with every signal blocked; each unblocks its kick signal itself. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pthread_mutex_lock(&vm->lock);
	vm->started = true;
	for (unsigned i = 0; i < vm->n_vcpus; i++) {
		struct pt_vcpu *v = &vm->vcpus[i];

		r = -pthread_create(&v->thread, NULL, pt_vcpu_thread, v);
		if (r < 0) {
			pt_err("%s: cannot start the thread of vcpu %u: %s", vm->name, i, strerror(-r));
			break;
		}
		v->thread_started = true;
		vm->live_vcpus++;
	}
	pthread_mutex_unlock(&vm->lock);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r < 0)
		pt_vm_finish(vm, PT_VM_EXIT_ERROR, 0, "cannot start the vCPU threads");
	return 0;
}

int pt_vm_wait(struct pt_vm *vm, int timeout_ms, struct pt_vm_exit *ret)
{
	struct timespec deadline;
	int r = 0;

	if (!vm->started)
		return -EINVAL;
	if (timeout_ms >= 0)
		deadline = pt_cond_deadline_ms((unsigned)timeout_ms);
	pthread_mutex_lock(&vm->lock);
	while (r == 0 && (vm->exit.kind == PT_VM_EXIT_NONE || vm->live_vcpus)) {
		if (timeout_ms < 0)
			pthread_cond_wait(&vm->cond, &vm->lock);
		else
			r = pthread_cond_timedwait(&vm->cond, &vm->lock, &deadline);
	}
	pthread_mutex_unlock(&vm->lock);
	if (r)
		return -ETIMEDOUT;
	if (!vm->joined) {
		for (unsigned i = 0; i < vm->n_vcpus; i++)
			if (vm->vcpus[i].thread_started)
				pthread_join(vm->vcpus[i].thread, NULL);
		vm->joined = true;
		pt_serial_out_stop(vm); /* the guest's last output, out before the VM's end is told */
	}
	if (ret)
		*ret = vm->exit;
	return 0;
}

int pt_vm_run(struct pt_vm *vm, struct pt_vm_exit *ret)
{
	int r = pt_vm_start(vm);

	return r < 0 ? r : pt_vm_wait(vm, -1, ret);
}

int pt_vm_exit_fd(const struct pt_vm *vm) { return vm->exit_efd; }
int pt_vm_fd(const struct pt_vm *vm) { return vm->vm_fd; }
int pt_vm_kvm_fd(const struct pt_vm *vm) { return vm->kvm_fd; }
const char *pt_vm_name(const struct pt_vm *vm) { return vm->name; }
uint64_t pt_vm_memory(const struct pt_vm *vm) { return vm->memory; }
unsigned pt_vm_vcpus(const struct pt_vm *vm) { return vm->n_vcpus; }
enum pt_irqchip pt_vm_irqchip(const struct pt_vm *vm) { return vm->irqchip; }
struct pt_pci_bus *pt_vm_pci_bus(struct pt_vm *vm) { return &vm->pci; }
struct pt_route_table **pt_vm_routes(struct pt_vm *vm) { return &vm->routes; }

void *pt_vm_gpa_to_hva(struct pt_vm *vm, uint64_t gpa, uint64_t len)
{
	uint64_t low = pt_mem_low_size(vm->memory), high = pt_mem_high_size(vm->memory);

	if (gpa + len < gpa)
		return NULL;
	if (gpa + len <= low)
		return vm->ram + gpa;
	if (gpa >= PT_GPA_4G && gpa - PT_GPA_4G + len <= high)
		return vm->ram + low + (gpa - PT_GPA_4G);
	return NULL;
}

const char *pt_vm_console_kind(const struct pt_vm *vm) { return vm->console_kind; }
const char *pt_vm_console_path(const struct pt_vm *vm) { return vm->console_path; }

double pt_vm_uptime(const struct pt_vm *vm)
{
	struct timespec now;

	if (!vm->started)
		return 0;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - vm->start_time.tv_sec) +
	       (double)(now.tv_nsec - vm->start_time.tv_nsec) / 1e9;
}

const char *pt_vm_state(struct pt_vm *vm)
{
	const char *s;

	pthread_mutex_lock(&vm->lock);
	if (!vm->started)
		s = "created";
	else if (!vm->stopping)
		s = "running";
	else if (vm->live_vcpus)
		s = "stopping";
	else
		s = "stopped";
	pthread_mutex_unlock(&vm->lock);
	return s;
}

int pt_vm_irq_line(struct pt_vm *vm, unsigned gsi, bool level)
{
	struct kvm_irq_level l = { .irq = gsi, .level = level };

	if (ioctl(vm->vm_fd, KVM_IRQ_LINE, &l) < 0)
		return -errno;
	return 0;
}

size_t pt_vm_console_input(struct pt_vm *vm, const uint8_t *buf, size_t n)
{
	size_t taken;

	pthread_mutex_lock(&vm->serial_lock);
	taken = pt_uart_receive(&vm->uart, buf, n);
	pthread_mutex_unlock(&vm->serial_lock);
	return taken;
}
