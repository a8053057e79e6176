/*
 * The legacy ABI against Linux 3.17's include/uapi/linux/kvm.h: each ioctl number
 * rebuilt here from the header's own definition (direction, type 0xAE, number, and the
 * struct's size from its field list), each struct's size and offsets, the capability
 * and flag values; and, where the build machine's <linux/kvm.h> still has them, the
 * same values from it.
 */
#include "config.h"

#include <stddef.h>
#include <linux/kvm.h>

#include "assign/legacy.h"
#include "assign/legacy_abi.h"
#include "tap.h"

/* asm-generic/ioctl.h on x86: nr bits 0-7, type 8-15, size 16-29, dir 30-31. */
#define IOC(dir, nr, size) (((unsigned long)(dir) << 30) | ((unsigned long)(size) << 16) | \
			    (0xAEul << 8) | (unsigned long)(nr))
#define W 1 /* _IOC_WRITE: _IOW */
#define R 2 /* _IOC_READ: _IOR */

/* Field lists of the 3.17 header: __u32 = 4 bytes, __u16 = 2. */
#define SIZE_PCI_DEV (5 * 4 + 11 * 4) /* id, busnr, devfn, flags, segnr; reserved[11] */
#define SIZE_IRQ (4 * 4 + 12 * 4)     /* id, host_irq, guest_irq, flags; reserved[12] */
#define SIZE_MSIX_NR (4 + 2 + 2)      /* id, entry_nr, padding */
#define SIZE_MSIX_ENTRY (4 + 4 + 2 + 3 * 2) /* id, gsi, entry, padding[3] */

int main(void)
{
	struct tap t = { 0 };
	static const struct { unsigned long got, want; const char *name; } ioctls[] = {
		{ PT_KVM_ASSIGN_PCI_DEVICE, IOC(R, 0x69, SIZE_PCI_DEV), "KVM_ASSIGN_PCI_DEVICE (_IOR 0x69)" },
		{ PT_KVM_ASSIGN_IRQ, IOC(R, 0x70, SIZE_IRQ), "KVM_ASSIGN_IRQ (_IOR 0x70, deprecated)" },
		{ PT_KVM_ASSIGN_DEV_IRQ, IOC(W, 0x70, SIZE_IRQ), "KVM_ASSIGN_DEV_IRQ (_IOW 0x70)" },
		{ PT_KVM_DEASSIGN_PCI_DEVICE, IOC(W, 0x72, SIZE_PCI_DEV), "KVM_DEASSIGN_PCI_DEVICE (_IOW 0x72)" },
		{ PT_KVM_ASSIGN_SET_MSIX_NR, IOC(W, 0x73, SIZE_MSIX_NR), "KVM_ASSIGN_SET_MSIX_NR (_IOW 0x73)" },
		{ PT_KVM_ASSIGN_SET_MSIX_ENTRY, IOC(W, 0x74, SIZE_MSIX_ENTRY), "KVM_ASSIGN_SET_MSIX_ENTRY (_IOW 0x74)" },
		{ PT_KVM_DEASSIGN_DEV_IRQ, IOC(W, 0x75, SIZE_IRQ), "KVM_DEASSIGN_DEV_IRQ (_IOW 0x75)" },
		{ PT_KVM_ASSIGN_SET_INTX_MASK, IOC(W, 0xa4, SIZE_PCI_DEV), "KVM_ASSIGN_SET_INTX_MASK (_IOW 0xa4)" },
	};

	for (size_t i = 0; i < sizeof(ioctls) / sizeof(ioctls[0]); i++) {
		if (!tap_ok(&t, ioctls[i].got == ioctls[i].want, "%s = 0x%lx", ioctls[i].name, ioctls[i].want))
			tap_diag("  got 0x%lx", ioctls[i].got);
		tap_ok(&t, pt_legacy_ioctl_name(ioctls[i].got) != NULL, "%s has a name for messages",
		       ioctls[i].name);
	}
	tap_ok(&t, pt_legacy_ioctl_name(KVM_IRQFD) == NULL, "KVM_IRQFD is not a legacy ioctl");

	tap_is_int(&t, sizeof(struct pt_kvm_assigned_pci_dev), SIZE_PCI_DEV, "kvm_assigned_pci_dev size");
	tap_is_int(&t, offsetof(struct pt_kvm_assigned_pci_dev, segnr), 16, "segnr offset");
	tap_is_int(&t, sizeof(struct pt_kvm_assigned_irq), SIZE_IRQ, "kvm_assigned_irq size");
	tap_is_int(&t, offsetof(struct pt_kvm_assigned_irq, flags), 12, "kvm_assigned_irq.flags offset");
	tap_is_int(&t, sizeof(struct pt_kvm_assigned_msix_nr), SIZE_MSIX_NR, "kvm_assigned_msix_nr size");
	tap_is_int(&t, offsetof(struct pt_kvm_assigned_msix_nr, entry_nr), 4, "entry_nr offset");
	tap_is_int(&t, sizeof(struct pt_kvm_assigned_msix_entry), SIZE_MSIX_ENTRY, "kvm_assigned_msix_entry size");
	tap_is_int(&t, offsetof(struct pt_kvm_assigned_msix_entry, entry), 8, "msix entry.entry offset");

	/* Values as the 3.17 header writes them. */
	tap_is_int(&t, PT_KVM_CAP_DEVICE_ASSIGNMENT, 17, "KVM_CAP_DEVICE_ASSIGNMENT");
	tap_is_int(&t, PT_KVM_CAP_IOMMU, 18, "KVM_CAP_IOMMU");
	tap_is_int(&t, PT_KVM_CAP_DEVICE_MSI, 20, "KVM_CAP_DEVICE_MSI");
	tap_is_int(&t, PT_KVM_CAP_DEVICE_MSIX, 28, "KVM_CAP_DEVICE_MSIX");
	tap_is_int(&t, PT_KVM_CAP_ASSIGN_DEV_IRQ, 29, "KVM_CAP_ASSIGN_DEV_IRQ");
	tap_is_int(&t, PT_KVM_CAP_PCI_2_3, 75, "KVM_CAP_PCI_2_3");
	tap_is_int(&t, PT_KVM_DEV_ASSIGN_ENABLE_IOMMU | PT_KVM_DEV_ASSIGN_PCI_2_3 << 4 |
		   PT_KVM_DEV_ASSIGN_MASK_INTX << 8, 1 | 2 << 4 | 4 << 8, "KVM_DEV_ASSIGN_* bits 0, 1, 2");
	tap_is_int(&t, PT_KVM_DEV_IRQ_HOST_INTX | PT_KVM_DEV_IRQ_HOST_MSI | PT_KVM_DEV_IRQ_HOST_MSIX,
		   0x7, "KVM_DEV_IRQ_HOST_* bits 0-2");
	tap_is_int(&t, PT_KVM_DEV_IRQ_GUEST_INTX | PT_KVM_DEV_IRQ_GUEST_MSI | PT_KVM_DEV_IRQ_GUEST_MSIX,
		   0x700, "KVM_DEV_IRQ_GUEST_* bits 8-10");
	tap_is_int(&t, PT_KVM_DEV_IRQ_HOST_MASK, 0x00ff, "KVM_DEV_IRQ_HOST_MASK");
	tap_is_int(&t, PT_KVM_DEV_IRQ_GUEST_MASK, 0xff00, "KVM_DEV_IRQ_GUEST_MASK");
	tap_is_int(&t, PT_KVM_MAX_MSIX_PER_DEV, 256, "KVM_MAX_MSIX_PER_DEV");

	/* assigned_dev_id: segment << 16 | bus << 8 | devfn. */
	tap_is_int(&t, pt_legacy_dev_id(&(struct pt_bdf){ 0x0001, 0x03, 0x1f, 7 }), 0x103ff,
		   "assigned_dev_id of 0001:03:1f.7");
	tap_is_int(&t, pt_legacy_dev_id(&(struct pt_bdf){ 0xffff, 0xff, 0, 1 }), 0xffffff01,
		   "assigned_dev_id of ffff:ff:00.1");

#ifdef KVM_ASSIGN_PCI_DEVICE
	/* This machine's <linux/kvm.h> still carries the old definitions: they must agree. */
	tap_is_int(&t, KVM_ASSIGN_PCI_DEVICE, PT_KVM_ASSIGN_PCI_DEVICE, "system KVM_ASSIGN_PCI_DEVICE agrees");
	tap_is_int(&t, KVM_ASSIGN_DEV_IRQ, PT_KVM_ASSIGN_DEV_IRQ, "system KVM_ASSIGN_DEV_IRQ agrees");
	tap_is_int(&t, KVM_DEASSIGN_PCI_DEVICE, PT_KVM_DEASSIGN_PCI_DEVICE, "system KVM_DEASSIGN_PCI_DEVICE agrees");
	tap_is_int(&t, KVM_DEASSIGN_DEV_IRQ, PT_KVM_DEASSIGN_DEV_IRQ, "system KVM_DEASSIGN_DEV_IRQ agrees");
	tap_is_int(&t, KVM_ASSIGN_SET_MSIX_NR, PT_KVM_ASSIGN_SET_MSIX_NR, "system KVM_ASSIGN_SET_MSIX_NR agrees");
	tap_is_int(&t, KVM_ASSIGN_SET_MSIX_ENTRY, PT_KVM_ASSIGN_SET_MSIX_ENTRY, "system KVM_ASSIGN_SET_MSIX_ENTRY agrees");
	tap_is_int(&t, KVM_ASSIGN_SET_INTX_MASK, PT_KVM_ASSIGN_SET_INTX_MASK, "system KVM_ASSIGN_SET_INTX_MASK agrees");
	tap_is_int(&t, sizeof(struct kvm_assigned_msix_entry), sizeof(struct pt_kvm_assigned_msix_entry),
		   "system kvm_assigned_msix_entry size agrees");
#else
	tap_skip(&t, "this machine's <linux/kvm.h> no longer defines KVM_ASSIGN_*: nothing to cross-check");
#endif
#ifdef KVM_CAP_PCI_2_3
	tap_is_int(&t, KVM_CAP_PCI_2_3, PT_KVM_CAP_PCI_2_3, "system KVM_CAP_PCI_2_3 agrees");
#endif
	return tap_done(&t);
}
