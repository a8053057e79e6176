/*
 * The Intel MultiProcessor Specification 1.4 tables: how a guest OS without ACPI
 * finds its CPUs, the IOAPIC, and which IOAPIC pin each PCI INTx and ISA IRQ uses.
 */
#ifndef PT_VMM_MPTABLE_H
#define PT_VMM_MPTABLE_H

#include <stddef.h>
#include <stdint.h>

#define PT_MP_BUS_PCI 0
#define PT_MP_BUS_ISA 1

struct pt_mp_pci_irq {
	uint8_t dev;  /* PCI device (slot) on bus 0 */
	uint8_t pin;  /* 1-4 = INTA-INTD */
	uint8_t gsi;  /* IOAPIC input */
};

struct pt_mptable_desc {
	unsigned n_cpus;        /* APIC ids 0..n_cpus-1, id 0 is the boot CPU */
	uint32_t cpu_signature; /* CPUID.1:EAX */
	uint32_t cpu_features;  /* CPUID.1:EDX */
	uint32_t lapic_addr;
	int ioapic_id;          /* -1: no IOAPIC (split irqchip): no interrupt entries */
	uint32_t ioapic_addr;
	size_t n_pci_irqs;
	const struct pt_mp_pci_irq *pci_irqs;
};

/*
 * Writes the floating pointer structure followed by the configuration table into
 * buf, which the guest sees at guest-physical address gpa. Returns the number of
 * bytes written, or -ENOSPC if size is too small, -EINVAL for a bad description.
 */
long pt_mptable_build(void *buf, size_t size, uint32_t gpa, const struct pt_mptable_desc *d);

/* The size pt_mptable_build needs for this description. */
size_t pt_mptable_size(const struct pt_mptable_desc *d);

#endif
