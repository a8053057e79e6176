#include "config.h"

#include <linux/kvm.h>

#include "common/cleanup.h"
#include "vmm/exit_names.h"

#define NAME(x) [x] = #x

static const char *const exit_names[] = {
	NAME(KVM_EXIT_UNKNOWN),
	NAME(KVM_EXIT_EXCEPTION),
	NAME(KVM_EXIT_IO),
	NAME(KVM_EXIT_HYPERCALL),
	NAME(KVM_EXIT_DEBUG),
	NAME(KVM_EXIT_HLT),
	NAME(KVM_EXIT_MMIO),
	NAME(KVM_EXIT_IRQ_WINDOW_OPEN),
	NAME(KVM_EXIT_SHUTDOWN),
	NAME(KVM_EXIT_FAIL_ENTRY),
	NAME(KVM_EXIT_INTR),
	NAME(KVM_EXIT_SET_TPR),
	NAME(KVM_EXIT_TPR_ACCESS),
	NAME(KVM_EXIT_S390_SIEIC),
	NAME(KVM_EXIT_S390_RESET),
	NAME(KVM_EXIT_DCR),
	NAME(KVM_EXIT_NMI),
	NAME(KVM_EXIT_INTERNAL_ERROR),
	NAME(KVM_EXIT_OSI),
	NAME(KVM_EXIT_PAPR_HCALL),
	NAME(KVM_EXIT_S390_UCONTROL),
	NAME(KVM_EXIT_WATCHDOG),
	NAME(KVM_EXIT_S390_TSCH),
	NAME(KVM_EXIT_EPR),
	NAME(KVM_EXIT_SYSTEM_EVENT),
	NAME(KVM_EXIT_S390_STSI),
	NAME(KVM_EXIT_IOAPIC_EOI),
	NAME(KVM_EXIT_HYPERV),
	NAME(KVM_EXIT_ARM_NISV),
	NAME(KVM_EXIT_X86_RDMSR),
	NAME(KVM_EXIT_X86_WRMSR),
	NAME(KVM_EXIT_DIRTY_RING_FULL),
	NAME(KVM_EXIT_AP_RESET_HOLD),
	NAME(KVM_EXIT_X86_BUS_LOCK),
	NAME(KVM_EXIT_XEN),
	NAME(KVM_EXIT_RISCV_SBI),
	NAME(KVM_EXIT_RISCV_CSR),
	NAME(KVM_EXIT_NOTIFY),
};

const char *pt_kvm_exit_name(uint32_t reason)
{
	return reason < ARRAY_SIZE(exit_names) ? exit_names[reason] : NULL;
}

static const struct {
	const char *name, *desc;
} internal_errors[] = {
	[KVM_INTERNAL_ERROR_EMULATION] = { "KVM_INTERNAL_ERROR_EMULATION",
		"KVM's instruction emulator failed" },
	[KVM_INTERNAL_ERROR_SIMUL_EX] = { "KVM_INTERNAL_ERROR_SIMUL_EX",
		"an exception was raised while delivering another one" },
	[KVM_INTERNAL_ERROR_DELIVERY_EV] = { "KVM_INTERNAL_ERROR_DELIVERY_EV",
		"an exit happened while an event was being delivered" },
	[KVM_INTERNAL_ERROR_UNEXPECTED_EXIT_REASON] = { "KVM_INTERNAL_ERROR_UNEXPECTED_EXIT_REASON",
		"the hardware reported an exit reason KVM does not handle" },
};

const char *pt_kvm_internal_error_name(uint32_t suberror)
{
	return suberror < ARRAY_SIZE(internal_errors) ? internal_errors[suberror].name : NULL;
}

const char *pt_kvm_internal_error_desc(uint32_t suberror)
{
	return suberror < ARRAY_SIZE(internal_errors) && internal_errors[suberror].desc ?
		internal_errors[suberror].desc : "unknown suberror";
}

static const char *const system_events[] = {
	NAME(KVM_SYSTEM_EVENT_SHUTDOWN),
	NAME(KVM_SYSTEM_EVENT_RESET),
	NAME(KVM_SYSTEM_EVENT_CRASH),
	NAME(KVM_SYSTEM_EVENT_WAKEUP),
	NAME(KVM_SYSTEM_EVENT_SUSPEND),
	NAME(KVM_SYSTEM_EVENT_SEV_TERM),
};

const char *pt_kvm_system_event_name(uint32_t type)
{
	return type < ARRAY_SIZE(system_events) ? system_events[type] : NULL;
}
