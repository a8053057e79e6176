/*
 * What a vCPU does with each KVM_RUN exit: I/O and MMIO go to the buses;
 * everything else is either a documented way for the guest to stop (system
 * events, triple fault) or reported by name with its data, and the VM stops.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#include "common/log.h"
#include "vmm/exit_names.h"
#include "vmm/layout.h"
#include "vmm/vm_internal.h"

static const char *exit_name(uint32_t reason)
{
	const char *n = pt_kvm_exit_name(reason);

	return n ? n : "an exit reason <linux/kvm.h> does not name";
}

static uint64_t vcpu_rip(struct pt_vcpu *v)
{
	struct kvm_regs regs;

	return ioctl(v->fd, KVM_GET_REGS, &regs) < 0 ? ~0ULL : regs.rip;
}

/* Up to 15 bytes at the guest's RIP (through its page tables), as hex, into buf. */
static void code_at_rip(struct pt_vcpu *v, char *buf, size_t size)
{
	struct kvm_sregs s;
	struct kvm_translation t = { 0 };
	uint8_t *p;
	size_t off = 0;
	uint64_t rip = vcpu_rip(v);

	buf[0] = 0;
	if (rip == ~0ULL || ioctl(v->fd, KVM_GET_SREGS, &s) < 0)
		return;
	t.linear_address = s.cs.base + rip;
	if (ioctl(v->fd, KVM_TRANSLATE, &t) < 0 || !t.valid)
		return;
	p = pt_vm_gpa_to_hva(v->vm, t.physical_address, 15);
	if (!p) {
		snprintf(buf, size, " (rip maps to 0x%" PRIx64 ", which is not RAM)",
			 (uint64_t)t.physical_address);
		return;
	}
	off += (size_t)snprintf(buf, size, ", code at rip:");
	for (int i = 0; i < 15 && off + 4 < size; i++)
		off += (size_t)snprintf(buf + off, size - off, " %02x", p[i]);
}

static bool handle_io(struct pt_vcpu *v)
{
	struct kvm_run *run = v->run;
	uint8_t *data = (uint8_t *)run + run->io.data_offset;
	bool out = run->io.direction == KVM_EXIT_IO_OUT;
	unsigned size = run->io.size;

	for (uint32_t i = 0; i < run->io.count; i++, data += size) {
		uint64_t val = 0;

		if (out)
			memcpy(&val, data, size);
		if (pt_iobus_access(&v->vm->pio, run->io.port, size, out, &val) < 0) {
			if (out)
				pt_vm_finish(v->vm, PT_VM_EXIT_UNHANDLED, 0,
					     "vcpu %u: KVM_EXIT_IO: unknown I/O port 0x%04x: out, "
					     "size %u, value 0x%0*" PRIx64 " (rip 0x%" PRIx64 ")",
					     v->id, run->io.port, size, (int)size * 2, val, vcpu_rip(v));
			else
				pt_vm_finish(v->vm, PT_VM_EXIT_UNHANDLED, 0,
					     "vcpu %u: KVM_EXIT_IO: unknown I/O port 0x%04x: in, "
					     "size %u (rip 0x%" PRIx64 ")",
					     v->id, run->io.port, size, vcpu_rip(v));
			return true;
		}
		if (!out)
			memcpy(data, &val, size);
	}
	return pt_vm_stopping(v->vm);
}

static const char *mmio_hint(uint64_t addr, enum pt_irqchip chip)
{
	if (addr >= PT_GPA_IOAPIC && addr < PT_GPA_IOAPIC + 0x1000 && chip == PT_IRQCHIP_SPLIT)
		return " (the IOAPIC: with irqchip = split there is none)";
	if (addr >= PT_GPA_PCI_HOLE && addr < PT_GPA_4G)
		return " (in the PCI hole, outside every BAR)";
	return "";
}

static bool handle_mmio(struct pt_vcpu *v)
{
	struct kvm_run *run = v->run;
	uint64_t val = 0;
	unsigned len = run->mmio.len;

	if (len > 8)
		len = 8;
	if (run->mmio.is_write)
		memcpy(&val, run->mmio.data, len);
	if (pt_iobus_access(&v->vm->mmio, run->mmio.phys_addr, len, run->mmio.is_write, &val) < 0) {
		if (run->mmio.is_write)
			pt_vm_finish(v->vm, PT_VM_EXIT_UNHANDLED, 0,
				     "vcpu %u: KVM_EXIT_MMIO: write of %u bytes (0x%" PRIx64 ") to "
				     "0x%llx, where nothing is mapped%s (rip 0x%" PRIx64 ")",
				     v->id, len, val, (unsigned long long)run->mmio.phys_addr,
				     mmio_hint(run->mmio.phys_addr, v->vm->irqchip), vcpu_rip(v));
		else
			pt_vm_finish(v->vm, PT_VM_EXIT_UNHANDLED, 0,
				     "vcpu %u: KVM_EXIT_MMIO: read of %u bytes from 0x%llx, where "
				     "nothing is mapped%s (rip 0x%" PRIx64 ")",
				     v->id, len, (unsigned long long)run->mmio.phys_addr,
				     mmio_hint(run->mmio.phys_addr, v->vm->irqchip), vcpu_rip(v));
		return true;
	}
	if (!run->mmio.is_write)
		memcpy(run->mmio.data, &val, len);
	return pt_vm_stopping(v->vm);
}

static void report_internal_error(struct pt_vcpu *v)
{
	struct kvm_run *run = v->run;
	uint32_t sub = run->internal.suberror;
	const char *name = pt_kvm_internal_error_name(sub);
	char insn[96] = "", data[200] = "", code[160];
	size_t off = 0;

	if (sub == KVM_INTERNAL_ERROR_EMULATION &&
	    (run->emulation_failure.flags & KVM_INTERNAL_ERROR_EMULATION_FLAG_INSTRUCTION_BYTES)) {
		unsigned n = run->emulation_failure.insn_size;

		if (n > sizeof(run->emulation_failure.insn_bytes))
			n = sizeof(run->emulation_failure.insn_bytes);
		off = (size_t)snprintf(insn, sizeof(insn), ", instruction bytes:");
		for (unsigned i = 0; i < n && off + 4 < sizeof(insn); i++)
			off += (size_t)snprintf(insn + off, sizeof(insn) - off, " %02x",
						run->emulation_failure.insn_bytes[i]);
	} else if (run->internal.ndata) {
		uint32_t n = run->internal.ndata;

		if (n > sizeof(run->internal.data) / sizeof(run->internal.data[0]))
			n = sizeof(run->internal.data) / sizeof(run->internal.data[0]);
		off = (size_t)snprintf(data, sizeof(data), ", data:");
		for (uint32_t i = 0; i < n && off + 20 < sizeof(data); i++)
			off += (size_t)snprintf(data + off, sizeof(data) - off, " 0x%llx",
						(unsigned long long)run->internal.data[i]);
	}
	code_at_rip(v, code, sizeof(code));
	pt_vm_finish(v->vm, PT_VM_EXIT_UNHANDLED, 0,
		     "vcpu %u: KVM_EXIT_INTERNAL_ERROR: suberror %u %s (%s) at rip 0x%" PRIx64 "%s%s%s",
		     v->id, sub, name ? name : "(unknown)", pt_kvm_internal_error_desc(sub),
		     vcpu_rip(v), insn, data, code);
}

static bool handle_system_event(struct pt_vcpu *v)
{
	uint32_t type = v->run->system_event.type;
	const char *name = pt_kvm_system_event_name(type);

	switch (type) {
	case KVM_SYSTEM_EVENT_SHUTDOWN:
		pt_vm_finish(v->vm, PT_VM_EXIT_POWEROFF, 0,
			     "vcpu %u: KVM_EXIT_SYSTEM_EVENT: KVM_SYSTEM_EVENT_SHUTDOWN: the guest "
			     "powered off", v->id);
		break;
	case KVM_SYSTEM_EVENT_RESET:
		pt_vm_finish(v->vm, PT_VM_EXIT_RESET, 0,
			     "vcpu %u: KVM_EXIT_SYSTEM_EVENT: KVM_SYSTEM_EVENT_RESET: the guest asked "
			     "for a reset", v->id);
		break;
	case KVM_SYSTEM_EVENT_CRASH:
		pt_vm_finish(v->vm, PT_VM_EXIT_CRASH, 0,
			     "vcpu %u: KVM_EXIT_SYSTEM_EVENT: KVM_SYSTEM_EVENT_CRASH: the guest crashed",
			     v->id);
		break;
	default:
		pt_vm_finish(v->vm, PT_VM_EXIT_UNHANDLED, 0,
			     "vcpu %u: KVM_EXIT_SYSTEM_EVENT: %s (type %u), which passthru-vmm does "
			     "not handle", v->id, name ? name : "unknown event", type);
		break;
	}
	return true;
}

bool pt_vcpu_handle_exit(struct pt_vcpu *v)
{
	struct kvm_run *run = v->run;
	struct pt_vm *vm = v->vm;
	uint32_t reason = run->exit_reason;

	switch (reason) {
	case KVM_EXIT_IO:
		return handle_io(v);
	case KVM_EXIT_MMIO:
		return handle_mmio(v);
	case KVM_EXIT_INTR:
		/* A signal interrupted KVM_RUN: the loop looks at the stop flag. */
		return false;
	case KVM_EXIT_SHUTDOWN:
		pt_vm_finish(vm, PT_VM_EXIT_TRIPLE_FAULT, 0,
			     "vcpu %u: KVM_EXIT_SHUTDOWN: triple fault (the guest met an exception it "
			     "could not deliver; KVM has reset the vCPU's registers by now)", v->id);
		return true;
	case KVM_EXIT_SYSTEM_EVENT:
		return handle_system_event(v);
	case KVM_EXIT_INTERNAL_ERROR:
		report_internal_error(v);
		return true;
	case KVM_EXIT_FAIL_ENTRY:
		pt_vm_finish(vm, PT_VM_EXIT_UNHANDLED, 0,
			     "vcpu %u: KVM_EXIT_FAIL_ENTRY: the hardware refused to enter the guest, "
			     "hardware_entry_failure_reason 0x%llx (cpu %u)", v->id,
			     (unsigned long long)run->fail_entry.hardware_entry_failure_reason,
			     run->fail_entry.cpu);
		return true;
	case KVM_EXIT_UNKNOWN:
		pt_vm_finish(vm, PT_VM_EXIT_UNHANDLED, 0,
			     "vcpu %u: KVM_EXIT_UNKNOWN: hardware_exit_reason 0x%llx", v->id,
			     (unsigned long long)run->hw.hardware_exit_reason);
		return true;
	case KVM_EXIT_EXCEPTION:
		pt_vm_finish(vm, PT_VM_EXIT_UNHANDLED, 0,
			     "vcpu %u: KVM_EXIT_EXCEPTION: exception %u, error code 0x%x (rip 0x%"
			     PRIx64 ")", v->id, run->ex.exception, run->ex.error_code, vcpu_rip(v));
		return true;
	case KVM_EXIT_DEBUG:
		pt_vm_finish(vm, PT_VM_EXIT_UNHANDLED, 0,
			     "vcpu %u: KVM_EXIT_DEBUG: exception %u at pc 0x%llx, dr6 0x%llx, dr7 "
			     "0x%llx (no debugger is attached)", v->id, run->debug.arch.exception,
			     (unsigned long long)run->debug.arch.pc,
			     (unsigned long long)run->debug.arch.dr6,
			     (unsigned long long)run->debug.arch.dr7);
		return true;
	case KVM_EXIT_HYPERCALL:
		pt_vm_finish(vm, PT_VM_EXIT_UNHANDLED, 0,
			     "vcpu %u: KVM_EXIT_HYPERCALL: nr %llu, args 0x%llx 0x%llx 0x%llx "
			     "(passthru-vmm offers no hypercalls)", v->id,
			     (unsigned long long)run->hypercall.nr,
			     (unsigned long long)run->hypercall.args[0],
			     (unsigned long long)run->hypercall.args[1],
			     (unsigned long long)run->hypercall.args[2]);
		return true;
	case KVM_EXIT_HLT:
		pt_vm_finish(vm, PT_VM_EXIT_UNHANDLED, 0,
			     "vcpu %u: KVM_EXIT_HLT: the guest halted with no in-kernel LAPIC to wake "
			     "it (rip 0x%" PRIx64 ")", v->id, vcpu_rip(v));
		return true;
	case KVM_EXIT_X86_RDMSR:
	case KVM_EXIT_X86_WRMSR:
		/* Only with KVM_CAP_X86_USER_SPACE_MSR, which passthru-vmm does not enable. */
		pt_vm_finish(vm, PT_VM_EXIT_UNHANDLED, 0,
			     "vcpu %u: %s: MSR 0x%x, data 0x%llx, reason %u (userspace MSR handling "
			     "is not enabled)", v->id, exit_name(reason), run->msr.index,
			     (unsigned long long)run->msr.data, run->msr.reason);
		return true;
	default:
		/* Every other exit needs a capability passthru-vmm never enables, or another arch. */
		pt_vm_finish(vm, PT_VM_EXIT_UNHANDLED, 0,
			     "vcpu %u: %s (exit reason %u), which passthru-vmm does not handle "
			     "(rip 0x%" PRIx64 ")", v->id, exit_name(reason), reason, vcpu_rip(v));
		return true;
	}
}
