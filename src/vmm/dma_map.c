#include "config.h"

#include <errno.h>
#include <signal.h>
#include <string.h>

#include "common/clock.h"
#include "common/log.h"
#include "vmm/assigned.h"
#include "vmm/dma_map.h"
#include "vmm/vm_internal.h"

void pt_vm_dma_init(struct pt_vm *vm)
{
	pthread_mutex_init(&vm->dma_lock, NULL);
	pthread_cond_init(&vm->dma_cond, NULL);
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

/* The background map: every assigned device's, under assign_lock (VFIO maps once a VM). */
static void *map_thread(void *arg)
{
	struct pt_vm *vm = arg;
	long long t0;
	char who[64] = "";
	int r;

	pthread_mutex_lock(&vm->assign_lock);
	t0 = pt_monotonic_us();
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
	return NULL;
}

void pt_vm_dma_start(struct pt_vm *vm)
{
	bool pending;
	sigset_t all, old;
	int r;

	pthread_mutex_lock(&vm->dma_lock);
	vm->dma_launched = true;
	pending = vm->dma_state == PT_VM_DMA_PENDING;
	if (pending)
		vm->dma_state = PT_VM_DMA_MAPPING;
	pthread_mutex_unlock(&vm->dma_lock);
	if (!pending)
		return;
	/* Like the vCPUs' threads, it takes no signal: the main thread handles them. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	r = pthread_create(&vm->dma_thread, NULL, map_thread, vm);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r == 0) {
		vm->dma_thread_started = true;
		return;
	}
	pt_warn("%s: no thread to map guest RAM for DMA (%s): mapping it before the guest runs",
		vm->name, strerror(r));
	map_thread(vm);
}

int pt_vm_dma_wait(struct pt_vm *vm)
{
	int r = 0;

	pthread_mutex_lock(&vm->dma_lock);
	while (vm->dma_state == PT_VM_DMA_MAPPING && !vm->dma_stop) {
		r = 1;
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
