/*
 * The guest-physical memory map every passthru guest sees (documented in
 * passthru-vmm(8)). Boot data lives below 1 MiB; RAM above 3 GiB moves above
 * 4 GiB so that the 32-bit PCI hole, the IOAPIC and the LAPIC stay free.
 */
#ifndef PT_VMM_LAYOUT_H
#define PT_VMM_LAYOUT_H

#define PT_GPA_GDT		0x00000500ULL	/* boot GDT (Linux boot protocol selectors) */
#define PT_GPA_ZERO_PAGE	0x00007000ULL	/* Linux boot_params */
#define PT_GPA_MBI		0x00009000ULL	/* Multiboot information structure */
#define PT_GPA_MBI_MMAP		0x00009100ULL	/* Multiboot memory map (up to 16 entries) */
#define PT_GPA_MBI_NAME		0x00009300ULL	/* boot loader name */
#define PT_GPA_PAGETABLES	0x00010000ULL	/* PML4, PDPT, 4 PDs: identity map of 4 GiB */
#define PT_GPA_CMDLINE		0x00020000ULL	/* kernel command line */
#define PT_CMDLINE_MAX		4096
#define PT_GPA_EBDA		0x0009fc00ULL	/* end of conventional RAM (639 KiB) */
#define PT_GPA_BIOS		0x000f0000ULL	/* reserved "BIOS" area: the MP table */
#define PT_GPA_HIGH		0x00100000ULL	/* 1 MiB: kernels load here */

#define PT_GPA_PCI_HOLE		0xc0000000ULL	/* RAM ends here below 4 GiB */
#define PT_GPA_PCI_MMIO_END	0xfec00000ULL	/* BARs are allocated in [hole, this) */
#define PT_GPA_IOAPIC		0xfec00000ULL
#define PT_GPA_LAPIC		0xfee00000ULL
#define PT_GPA_IDENTITY_MAP	0xfffbc000ULL	/* KVM_SET_IDENTITY_MAP_ADDR (1 page) */
#define PT_GPA_TSS		0xfffbd000ULL	/* KVM_SET_TSS_ADDR (3 pages) */
#define PT_GPA_4G		0x100000000ULL
#define PT_GPA_PCI_MMIO64_SIZE	0x1000000000ULL	/* 64 GiB for 64-bit BARs, above RAM */

#define PT_PCI_IO_START		0xc000		/* I/O BARs are allocated in [this, 0x10000) */
#define PT_PCI_IO_END		0x10000

#define PT_IOAPIC_PINS		24
#define PT_PCI_GSI_BASE		16		/* INTA-D of the slots swizzle onto pins 16-23 */

#endif
