/*
 * A bare VM for the routing tests and benchmarks: /dev/kvm, a VM with an irqchip, one
 * vCPU that never runs, and its LAPIC's IRR as the witness of delivery. Every call
 * that touches the vCPU is made from the thread that created it (see HOST-KVM.md).
 */
#ifndef PT_TESTS_ROUTE_KVM_VM_H
#define PT_TESTS_ROUTE_KVM_VM_H

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>
#include <linux/kvm.h>

struct kvm_vm {
	int kvm_fd, vm_fd, vcpu_fd;
};

#define LAPIC_SVR 0xf0
#define LAPIC_IRR 0x200

/* Returns 0, or -errno with *why saying which step failed. */
static inline int kvm_vm_open(struct kvm_vm *vm, bool split, const char **why)
{
	*vm = (struct kvm_vm){ -1, -1, -1 };
	vm->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (vm->kvm_fd < 0) {
		*why = "open /dev/kvm";
		return -errno;
	}
	vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
	if (vm->vm_fd < 0) {
		*why = "KVM_CREATE_VM";
		return -errno;
	}
	if (split) {
		struct kvm_enable_cap cap = { .cap = KVM_CAP_SPLIT_IRQCHIP, .args = { 24 } };

		if (ioctl(vm->vm_fd, KVM_ENABLE_CAP, &cap) < 0) {
			*why = "KVM_ENABLE_CAP(KVM_CAP_SPLIT_IRQCHIP)";
			return -errno;
		}
	} else if (ioctl(vm->vm_fd, KVM_CREATE_IRQCHIP, 0) < 0) {
		*why = "KVM_CREATE_IRQCHIP";
		return -errno;
	}
	return 0;
}

static inline void kvm_vm_close(struct kvm_vm *vm)
{
	if (vm->vcpu_fd >= 0)
		close(vm->vcpu_fd);
	if (vm->vm_fd >= 0)
		close(vm->vm_fd);
	if (vm->kvm_fd >= 0)
		close(vm->kvm_fd);
}

static inline uint32_t lapic_reg(const struct kvm_lapic_state *s, unsigned off)
{
	uint32_t v;

	memcpy(&v, &s->regs[off], sizeof(v));
	return v;
}

static inline void lapic_set_reg(struct kvm_lapic_state *s, unsigned off, uint32_t v)
{
	memcpy(&s->regs[off], &v, sizeof(v));
}

/* vCPU 0 with a software-enabled LAPIC (fixed MSIs are dropped otherwise). */
static inline int kvm_vm_add_vcpu(struct kvm_vm *vm)
{
	struct kvm_lapic_state s;

	vm->vcpu_fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, 0);
	if (vm->vcpu_fd < 0)
		return -errno;
	if (ioctl(vm->vcpu_fd, KVM_GET_LAPIC, &s) < 0)
		return -errno;
	lapic_set_reg(&s, LAPIC_SVR, 0x1ff);
	return ioctl(vm->vcpu_fd, KVM_SET_LAPIC, &s) < 0 ? -errno : 0;
}

static inline bool lapic_irr_has(const struct kvm_lapic_state *s, unsigned vector)
{
	return lapic_reg(s, LAPIC_IRR + 0x10 * (vector / 32)) & (1u << (vector % 32));
}

/* Forget pending interrupts: clear IRR and ISR. */
static inline int kvm_vm_clear_irr(struct kvm_vm *vm)
{
	struct kvm_lapic_state s;

	if (ioctl(vm->vcpu_fd, KVM_GET_LAPIC, &s) < 0)
		return -errno;
	for (unsigned i = 0; i < 8; i++) {
		lapic_set_reg(&s, LAPIC_IRR + 0x10 * i, 0);
		lapic_set_reg(&s, 0x100 + 0x10 * i, 0); /* ISR */
	}
	return ioctl(vm->vcpu_fd, KVM_SET_LAPIC, &s) < 0 ? -errno : 0;
}

/* Polls the IRR until vector is pending or timeout_ms passes (irqfds may inject late). */
static inline bool kvm_vm_wait_irr(struct kvm_vm *vm, unsigned vector, unsigned timeout_ms)
{
	struct timespec nap = { 0, 1000 * 1000 };
	struct kvm_lapic_state s;

	for (unsigned ms = 0;; ms++) {
		if (ioctl(vm->vcpu_fd, KVM_GET_LAPIC, &s) == 0 && lapic_irr_has(&s, vector))
			return true;
		if (ms >= timeout_ms)
			return false;
		nanosleep(&nap, NULL);
	}
}

/* Number of vectors pending in the IRR. */
static inline int kvm_vm_irr_count(struct kvm_vm *vm)
{
	struct kvm_lapic_state s;
	int n = 0;

	if (ioctl(vm->vcpu_fd, KVM_GET_LAPIC, &s) < 0)
		return -errno;
	for (unsigned i = 0; i < 8; i++)
		n += __builtin_popcount(lapic_reg(&s, LAPIC_IRR + 0x10 * i));
	return n;
}

#endif
