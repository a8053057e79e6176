#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "common/log.h"
#include "vmm/layout.h"
#include "vmm/vm_internal.h"

int pt_vcpu_kick_signal(void)
{
	return SIGRTMIN + 4;
}

/* The VM's supported CPUID with this vCPU's APIC id in leaves 1, 0xB and 0x1F. */
static int set_cpuid(struct pt_vcpu *v)
{
	const struct kvm_cpuid2 *src = v->vm->cpuid;
	size_t sz = sizeof(*src) + src->nent * sizeof(src->entries[0]);
	struct kvm_cpuid2 *c = malloc(sz);
	int r = 0;

	if (!c)
		return -ENOMEM;
	memcpy(c, src, sz);
	for (unsigned i = 0; i < c->nent; i++) {
		struct kvm_cpuid_entry2 *e = &c->entries[i];

		switch (e->function) {
		case 1:
			e->ebx = (e->ebx & 0x0000ffffu) | (v->vm->n_vcpus & 0xff) << 16 | v->id << 24;
			break;
		case 0xb:
		case 0x1f:
			e->edx = v->id;
			break;
		}
	}
	if (ioctl(v->fd, KVM_SET_CPUID2, c) < 0) {
		r = -errno;
		pt_err("vcpu %u: KVM_SET_CPUID2: %m", v->id);
	}
	free(c);
	return r;
}

static void flat_segment(struct kvm_segment *s, uint16_t sel, uint8_t type, bool code64)
{
	*s = (struct kvm_segment){
		.base = 0, .limit = 0xffffffff, .selector = sel, .type = type, .present = 1,
		.dpl = 0, .db = code64 ? 0 : 1, .s = 1, .l = code64 ? 1 : 0, .g = 1,
	};
}

/* Protected (or long) mode as the loader described it: flat segments, interrupts off. */
static int set_boot_state(struct pt_vcpu *v)
{
	const struct pt_boot *b = &v->vm->boot;
	struct kvm_sregs s;
	struct kvm_regs regs = { 0 };
	bool lm = b->mode == PT_BOOT_LONG64;

	if (ioctl(v->fd, KVM_GET_SREGS, &s) < 0) {
		pt_err("vcpu %u: KVM_GET_SREGS: %m", v->id);
		return -errno;
	}
	flat_segment(&s.cs, 0x10, 0xb, lm);
	flat_segment(&s.ds, 0x18, 0x3, false);
	s.es = s.fs = s.gs = s.ss = s.ds;
	s.gdt.base = b->gdt_base;
	s.gdt.limit = b->gdt_limit;
	s.idt.base = 0;
	s.idt.limit = 0;
	s.cr0 = (s.cr0 | 0x1 | 0x10) & ~(0x60000000ULL); /* PE, ET; caches on (CD, NW off) */
	if (lm) {
		s.cr3 = b->cr3;
		s.cr4 |= 0x20;            /* PAE */
		s.cr0 |= 0x80000000ULL;   /* PG */
		s.efer |= 0x500;          /* LME | LMA */
	}
	if (ioctl(v->fd, KVM_SET_SREGS, &s) < 0) {
		pt_err("vcpu %u: KVM_SET_SREGS: %m", v->id);
		return -errno;
	}
	regs.rflags = 0x2;
	regs.rip = b->rip;
	regs.rax = b->rax;
	regs.rbx = b->rbx;
	regs.rsi = b->rsi;
	regs.rsp = b->rsp;
	if (ioctl(v->fd, KVM_SET_REGS, &regs) < 0) {
		pt_err("vcpu %u: KVM_SET_REGS: %m", v->id);
		return -errno;
	}
	return 0;
}

static void thread_done(struct pt_vcpu *v)
{
	struct pt_vm *vm = v->vm;

	pthread_mutex_lock(&vm->lock);
	vm->live_vcpus--;
	pthread_cond_broadcast(&vm->cond);
	pthread_mutex_unlock(&vm->lock);
}

void *pt_vcpu_thread(void *arg)
{
	struct pt_vcpu *v = arg;
	struct pt_vm *vm = v->vm;
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, pt_vcpu_kick_signal());
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);

	if (set_cpuid(v) < 0) {
		pt_vm_finish(vm, PT_VM_EXIT_ERROR, 0, "vcpu %u: could not set its CPUID", v->id);
		goto out;
	}
	if (v->id == 0 && set_boot_state(v) < 0) {
		pt_vm_finish(vm, PT_VM_EXIT_ERROR, 0, "vcpu 0: could not set the boot registers");
		goto out;
	}
	while (!pt_vm_stopping(vm)) {
		if (ioctl(v->fd, KVM_RUN, 0) < 0) {
			if (errno == EINTR || errno == EAGAIN) {
				/* A kick: look at the stop flag again. */
				__atomic_store_n(&v->run->immediate_exit, 0, __ATOMIC_SEQ_CST);
				continue;
			}
			pt_vm_finish(vm, PT_VM_EXIT_ERROR, 0, "vcpu %u: KVM_RUN failed: %s", v->id,
				     strerror(errno));
			break;
		}
		if (pt_vcpu_handle_exit(v))
			break;
	}
out:
	thread_done(v);
	return NULL;
}
