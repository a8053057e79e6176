/* The device hooks of vm.h: trapped I/O ranges and extra memory slots. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/ioctl.h>

#include "common/log.h"
#include "vmm/e820.h"
#include "vmm/layout.h"
#include "vmm/vm_internal.h"

int pt_vm_pio_add(struct pt_vm *vm, uint16_t base, uint16_t len, pt_vm_io_fn fn, void *ctx,
		  const char *name)
{
	if ((uint32_t)base + len > 0x10000)
		return -EINVAL;
	return pt_iobus_add(&vm->pio, base, len, fn, ctx, name);
}

int pt_vm_pio_del(struct pt_vm *vm, uint16_t base)
{
	return pt_iobus_del(&vm->pio, base);
}

static bool overlaps_ram(const struct pt_vm *vm, uint64_t gpa, uint64_t size)
{
	uint64_t low = pt_mem_low_size(vm->memory), high = pt_mem_high_size(vm->memory);

	return gpa < low || (high && gpa + size > PT_GPA_4G && gpa < PT_GPA_4G + high);
}

int pt_vm_mmio_add(struct pt_vm *vm, uint64_t base, uint64_t len, pt_vm_io_fn fn, void *ctx,
		   const char *name)
{
	if (overlaps_ram(vm, base, len))
		return -EEXIST;
	return pt_iobus_add(&vm->mmio, base, len, fn, ctx, name);
}

int pt_vm_mmio_del(struct pt_vm *vm, uint64_t base)
{
	return pt_iobus_del(&vm->mmio, base);
}

static int slots_init_locked(struct pt_vm *vm)
{
	int n;

	if (vm->slot_used)
		return 0;
	n = ioctl(vm->vm_fd, KVM_CHECK_EXTENSION, KVM_CAP_NR_MEMSLOTS);
	vm->max_slots = n > PT_RAM_SLOTS ? (unsigned)n : 32;
	vm->slot_used = calloc(vm->max_slots, 1);
	vm->slot_gpa = calloc(vm->max_slots, sizeof(uint64_t));
	vm->slot_size = calloc(vm->max_slots, sizeof(uint64_t));
	if (!vm->slot_used || !vm->slot_gpa || !vm->slot_size)
		return -ENOMEM;
	for (unsigned i = 0; i < PT_RAM_SLOTS; i++)
		vm->slot_used[i] = 1;
	return 0;
}

int pt_vm_map_memory(struct pt_vm *vm, uint64_t gpa, uint64_t size, void *hva, bool readonly,
		     unsigned *ret_slot)
{
	struct kvm_userspace_memory_region r = {
		.guest_phys_addr = gpa, .memory_size = size, .userspace_addr = (uintptr_t)hva,
		.flags = readonly ? KVM_MEM_READONLY : 0,
	};
	unsigned slot;
	int e;

	if (!size || (gpa | size | (uintptr_t)hva) & 0xfff || gpa + size < gpa)
		return -EINVAL;
	if (overlaps_ram(vm, gpa, size))
		return -EEXIST;
	pthread_mutex_lock(&vm->slots_lock);
	e = slots_init_locked(vm);
	if (e < 0)
		goto out;
	for (slot = PT_RAM_SLOTS; slot < vm->max_slots; slot++) {
		if (vm->slot_used[slot] && gpa < vm->slot_gpa[slot] + vm->slot_size[slot] &&
		    vm->slot_gpa[slot] < gpa + size) {
			e = -EEXIST;
			goto out;
		}
	}
	for (slot = PT_RAM_SLOTS; slot < vm->max_slots && vm->slot_used[slot]; slot++)
		;
	if (slot == vm->max_slots) {
		pt_err("%s: no memory slot left for %llu bytes at 0x%llx: all %u of KVM's slots "
		       "are in use (KVM_CAP_NR_MEMSLOTS; the first %u are kept for guest RAM, the "
		       "others map device BARs)", vm->name, (unsigned long long)size,
		       (unsigned long long)gpa, vm->max_slots, PT_RAM_SLOTS);
		e = -ENOSPC;
		goto out;
	}
	r.slot = slot;
	if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &r) < 0) {
		e = -errno;
		pt_err("%s: KVM_SET_USER_MEMORY_REGION slot %u at 0x%llx (%llu bytes): %m", vm->name,
		       slot, (unsigned long long)gpa, (unsigned long long)size);
		goto out;
	}
	vm->slot_used[slot] = 1;
	vm->slot_gpa[slot] = gpa;
	vm->slot_size[slot] = size;
	*ret_slot = slot;
out:
	pthread_mutex_unlock(&vm->slots_lock);
	return e;
}

int pt_vm_unmap_memory(struct pt_vm *vm, unsigned slot)
{
	struct kvm_userspace_memory_region r = { .slot = slot, .memory_size = 0 };
	int e = 0;

	pthread_mutex_lock(&vm->slots_lock);
	if (!vm->slot_used || slot < PT_RAM_SLOTS || slot >= vm->max_slots || !vm->slot_used[slot]) {
		e = -ENOENT;
		goto out;
	}
	r.guest_phys_addr = vm->slot_gpa[slot];
	if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &r) < 0) {
		e = -errno;
		goto out;
	}
	vm->slot_used[slot] = 0;
out:
	pthread_mutex_unlock(&vm->slots_lock);
	return e;
}

unsigned pt_vm_memory_slots_used(struct pt_vm *vm)
{
	unsigned n = PT_RAM_SLOTS;

	pthread_mutex_lock(&vm->slots_lock);
	for (unsigned slot = PT_RAM_SLOTS; vm->slot_used && slot < vm->max_slots; slot++)
		n += vm->slot_used[slot];
	pthread_mutex_unlock(&vm->slots_lock);
	return n;
}
