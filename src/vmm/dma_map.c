#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/log.h"
#include "vmm/assigned.h"
#include "vmm/cond.h"
#include "vmm/dma_map.h"
#include "vmm/thread.h"
#include "vmm/vm_internal.h"

void pt_vm_dma_init(struct pt_vm *vm)
{
	pthread_mutex_init(&vm->dma_lock, NULL);
	pt_cond_init_monotonic(&vm->dma_cond);
	vm->dma_state = PT_VM_DMA_NONE;
}

void pt_vm_dma_join(struct pt_vm *vm)
{
	if (vm->dma_thread_started) {
		pthread_join(vm->dma_thread, NULL);
		vm->dma_thread_started = false;
	}
}

void pt_vm_dma_free(struct pt_vm *vm)
{
	pthread_cond_destroy(&vm->dma_cond);
	pthread_mutex_destroy(&vm->dma_lock);
}

bool pt_vm_dma_defer(struct pt_vm *vm)
{
	bool defer;

	pthread_mutex_lock(&vm->dma_lock);
	defer = !vm->dma_launched;
	if (defer)
		vm->dma_state = PT_VM_DMA_PENDING;
	pthread_mutex_unlock(&vm->dma_lock);
	return defer;
}

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23 /* Linux 5.14 */
#endif

/* Guest RAM is faulted in this much at a time, from the top down (a huge page). */
#define FAULT_CHUNK (2ull << 20)

/*
 * Under dma_lock: the next chunk of guest RAM to fault in, [*off, *off + *len), taken
 * from the top; false when none is left or the VM stops.
 */
static bool claim_chunk(struct pt_vm *vm, uint64_t *off, uint64_t *len)
{
	uint64_t left = vm->dma_unfaulted;

	if (!left || vm->dma_stop)
		return false;
	*off = left > FAULT_CHUNK ? (left - 1) & ~(FAULT_CHUNK - 1) : 0;
	*len = left - *off;
	vm->dma_unfaulted = *off;
	return true;
}

/*
 * Faults in (zeroes) chunks of guest RAM until none is left, with dma_lock held on
 * entry and return. Any thread may: the faulter, the map thread, or a vCPU that would
 * otherwise sleep at its Bus Master Enable write. Contents stay as they are (the guest
 * runs). A kernel without MADV_POPULATE_WRITE, or a failure, ends it for every thread:
 * the pin faults in the rest and says what is wrong. The last chunk in flight to end,
 * with none left to claim, wakes the map thread, which pins only then.
 */
static void fault_in_locked(struct pt_vm *vm)
{
	uint64_t off, len;

	while (claim_chunk(vm, &off, &len)) {
		int r;

		vm->dma_faulting++;
		pthread_mutex_unlock(&vm->dma_lock);
		r = madvise(vm->ram + off, len, MADV_POPULATE_WRITE);
		pthread_mutex_lock(&vm->dma_lock);
		if (r < 0)
			vm->dma_unfaulted = 0;
		if (!--vm->dma_faulting && !vm->dma_unfaulted)
			pthread_cond_broadcast(&vm->dma_cond);
	}
}

/* How long the map yields the CPU to the vCPUs before it takes its share. */
#define YIELD_MS 500

/* Faults in at the lowest priority until no chunk is left (the map's first part). */
static void *faulter_thread(void *arg)
{
	struct pt_vm *vm = arg;

	if (setpriority(PRIO_PROCESS, (id_t)gettid(), 19) < 0)
		pt_debug("%s: the fault-in keeps the VM's priority: %m", vm->name);
	pthread_mutex_lock(&vm->dma_lock);
	fault_in_locked(vm);
	pthread_mutex_unlock(&vm->dma_lock);
	return NULL;
}

/*
 * The background map: every assigned device's, under assign_lock (VFIO maps once a
 * VM). Pinning faults in and zeroes every page the guest has not touched, the bulk of
 * the work: it is done first, from the top of RAM down (the guest starts at the
 * bottom), by a faulter thread at the lowest priority, so that on a busy CPU the
 * vCPUs go first; after YIELD_MS the map thread itself, at the VM's priority, takes
 * chunks too, so that a guest that keeps its CPU busy does not hold the map (and so
 * passthru-ctl start, which waits for it) back for long. A vCPU that waits for the
 * map takes chunks too. Then the pin finds the pages there.
 * background: false when the caller maps before the guest runs (no thread).
 */
static void map_guest_ram(struct pt_vm *vm, bool background)
{
	long long t0;
	char who[64] = "";
	bool faulter;
	int r;

	pthread_mutex_lock(&vm->assign_lock);
	t0 = pt_monotonic_us();
	faulter = background && pt_vmm_thread_create(&vm->dma_faulter, faulter_thread, vm) == 0;
	pthread_mutex_lock(&vm->dma_lock);
	if (faulter) {
		struct timespec until = pt_cond_deadline_ms(YIELD_MS);

		while (vm->dma_unfaulted && !vm->dma_stop &&
		       pthread_cond_timedwait(&vm->dma_cond, &vm->dma_lock, &until) == 0)
			;
	}
	fault_in_locked(vm);
	/* Chunks other threads still fault in: the pin finds every page there. */
	while (vm->dma_faulting && !vm->dma_stop)
		pthread_cond_wait(&vm->dma_cond, &vm->dma_lock);
	pthread_mutex_unlock(&vm->dma_lock);
	if (faulter)
		pthread_join(vm->dma_faulter, NULL);
	r = pt_vm_assigned_map_ram(vm, who, sizeof(who));
	/* The VM's end first, so that a waiting BME write finds it stopping. */
	if (r < 0)
		pt_vm_finish(vm, PT_VM_EXIT_ERROR, 0, "guest RAM could not be mapped for the DMA of "
			     "%s: %s", who, strerror(-r));
	pthread_mutex_lock(&vm->dma_lock);
	vm->dma_state = r < 0 ? PT_VM_DMA_FAILED : PT_VM_DMA_DONE;
	pthread_cond_broadcast(&vm->dma_cond);
	pthread_mutex_unlock(&vm->dma_lock);
	pthread_mutex_unlock(&vm->assign_lock);
	if (r == 0)
		pt_info("%s: guest RAM mapped for DMA in %.1f ms while the guest ran", vm->name,
			(double)(pt_monotonic_us() - t0) / 1e3);
}

static void *map_thread(void *arg)
{
	map_guest_ram(arg, true);
	return NULL;
}

void pt_vm_dma_start(struct pt_vm *vm)
{
	bool pending;
	int r;

	pthread_mutex_lock(&vm->dma_lock);
	vm->dma_launched = true;
	pending = vm->dma_state == PT_VM_DMA_PENDING;
	if (pending) {
		vm->dma_state = PT_VM_DMA_MAPPING;
		vm->dma_unfaulted = vm->memory;
	}
	pthread_mutex_unlock(&vm->dma_lock);
	if (!pending)
		return;
	r = pt_vmm_thread_create(&vm->dma_thread, map_thread, vm);
	if (r == 0) {
		vm->dma_thread_started = true;
		return;
	}
	pt_warn("%s: no thread to map guest RAM for DMA (%s): mapping it before the guest runs",
		vm->name, strerror(r));
	map_guest_ram(vm, false);
}

int pt_vm_dma_wait(struct pt_vm *vm)
{
	int r = 0;

	pthread_mutex_lock(&vm->dma_lock);
	while (vm->dma_state == PT_VM_DMA_MAPPING && !vm->dma_stop) {
		r = 1;
		if (vm->dma_unfaulted)
			fault_in_locked(vm);
		else
			pthread_cond_wait(&vm->dma_cond, &vm->dma_lock);
	}
	if (vm->dma_state == PT_VM_DMA_FAILED)
		r = -EIO;
	else if (vm->dma_state == PT_VM_DMA_MAPPING)
		r = -ESHUTDOWN;
	pthread_mutex_unlock(&vm->dma_lock);
	return r;
}

void pt_vm_dma_wake(struct pt_vm *vm)
{
	pthread_mutex_lock(&vm->dma_lock);
	vm->dma_stop = true;
	pthread_cond_broadcast(&vm->dma_cond);
	pthread_mutex_unlock(&vm->dma_lock);
}

enum pt_vm_dma_state pt_vm_dma_state(struct pt_vm *vm)
{
	enum pt_vm_dma_state s;

	pthread_mutex_lock(&vm->dma_lock);
	s = vm->dma_state;
	pthread_mutex_unlock(&vm->dma_lock);
	return s;
}

const char *pt_vm_dma_state_name(enum pt_vm_dma_state s)
{
	static const char *const names[] = { "none", "pending", "mapping", "mapped", "failed" };

	return (unsigned)s < sizeof(names) / sizeof(names[0]) ? names[s] : "?";
}
