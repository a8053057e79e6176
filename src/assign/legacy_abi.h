/*
 * The legacy device-assignment ABI of KVM (KVM_ASSIGN_*), byte- and number-exact as
 * Linux 3.17's include/uapi/linux/kvm.h has it (../shared/reference/ holds that header).
 * Linux 4.12 removed the code behind it and later headers drop the definitions, so the
 * project keeps its own copy under PT_ names: nothing here can clash with <linux/kvm.h>,
 * whichever version the build machine has. Every size, offset and ioctl number is
 * checked at compile time against the value the 3.17 header's definitions give
 * (x86: _IOC = dir << 30 | size << 16 | type << 8 | nr, _IOR dir 2, _IOW dir 1).
 */
#ifndef PT_ASSIGN_LEGACY_ABI_H
#define PT_ASSIGN_LEGACY_ABI_H

#include <stddef.h>
#include <stdint.h>
#include <linux/ioctl.h>

/* KVM_CHECK_EXTENSION numbers. */
#define PT_KVM_CAP_DEVICE_ASSIGNMENT 17
#define PT_KVM_CAP_IOMMU 18
#define PT_KVM_CAP_DEVICE_MSI 20   /* __KVM_HAVE_MSI (x86) */
#define PT_KVM_CAP_DEVICE_DEASSIGNMENT 27
#define PT_KVM_CAP_DEVICE_MSIX 28  /* __KVM_HAVE_MSIX (x86) */
#define PT_KVM_CAP_ASSIGN_DEV_IRQ 29
#define PT_KVM_CAP_PCI_2_3 75

/* struct pt_kvm_assigned_pci_dev.flags */
#define PT_KVM_DEV_ASSIGN_ENABLE_IOMMU (1u << 0)
#define PT_KVM_DEV_ASSIGN_PCI_2_3 (1u << 1)
#define PT_KVM_DEV_ASSIGN_MASK_INTX (1u << 2)

/* struct pt_kvm_assigned_irq.flags: one host type and/or one guest type per call. */
#define PT_KVM_DEV_IRQ_HOST_INTX (1u << 0)
#define PT_KVM_DEV_IRQ_HOST_MSI (1u << 1)
#define PT_KVM_DEV_IRQ_HOST_MSIX (1u << 2)
#define PT_KVM_DEV_IRQ_GUEST_INTX (1u << 8)
#define PT_KVM_DEV_IRQ_GUEST_MSI (1u << 9)
#define PT_KVM_DEV_IRQ_GUEST_MSIX (1u << 10)
#define PT_KVM_DEV_IRQ_HOST_MASK 0x00ffu
#define PT_KVM_DEV_IRQ_GUEST_MASK 0xff00u

#define PT_KVM_MAX_MSIX_PER_DEV 256

struct pt_kvm_assigned_pci_dev {
	uint32_t assigned_dev_id;
	uint32_t busnr;
	uint32_t devfn;
	uint32_t flags;
	uint32_t segnr;
	uint32_t reserved[11]; /* a union of this one array in the 3.17 header */
};

struct pt_kvm_assigned_irq {
	uint32_t assigned_dev_id;
	uint32_t host_irq; /* ignored (legacy field) */
	uint32_t guest_irq;
	uint32_t flags;
	uint32_t reserved[12]; /* a union of this one array in the 3.17 header */
};

struct pt_kvm_assigned_msix_nr {
	uint32_t assigned_dev_id;
	uint16_t entry_nr;
	uint16_t padding;
};

struct pt_kvm_assigned_msix_entry {
	uint32_t assigned_dev_id;
	uint32_t gsi;
	uint16_t entry; /* the index of the entry in the device's MSI-X table */
	uint16_t padding[3];
};

#define PT_KVMIO 0xAE

/* Declared _IOR in 3.17 although the kernel only reads the struct: the number is what counts. */
#define PT_KVM_ASSIGN_PCI_DEVICE _IOR(PT_KVMIO, 0x69, struct pt_kvm_assigned_pci_dev)
/* The pre-2.6.31 KVM_ASSIGN_IRQ (__KVM_DEPRECATED_VM_R_0x70); 3.17 answers -EOPNOTSUPP. */
#define PT_KVM_ASSIGN_IRQ _IOR(PT_KVMIO, 0x70, struct pt_kvm_assigned_irq)
#define PT_KVM_ASSIGN_DEV_IRQ _IOW(PT_KVMIO, 0x70, struct pt_kvm_assigned_irq)
#define PT_KVM_DEASSIGN_PCI_DEVICE _IOW(PT_KVMIO, 0x72, struct pt_kvm_assigned_pci_dev)
#define PT_KVM_ASSIGN_SET_MSIX_NR _IOW(PT_KVMIO, 0x73, struct pt_kvm_assigned_msix_nr)
#define PT_KVM_ASSIGN_SET_MSIX_ENTRY _IOW(PT_KVMIO, 0x74, struct pt_kvm_assigned_msix_entry)
#define PT_KVM_DEASSIGN_DEV_IRQ _IOW(PT_KVMIO, 0x75, struct pt_kvm_assigned_irq)
#define PT_KVM_ASSIGN_SET_INTX_MASK _IOW(PT_KVMIO, 0xa4, struct pt_kvm_assigned_pci_dev)

/* Sizes and offsets of the 3.17 structs (all __u32/__u16 fields, no implicit padding). */
_Static_assert(sizeof(struct pt_kvm_assigned_pci_dev) == 64, "kvm_assigned_pci_dev is 64 bytes");
_Static_assert(offsetof(struct pt_kvm_assigned_pci_dev, busnr) == 4, "busnr at 4");
_Static_assert(offsetof(struct pt_kvm_assigned_pci_dev, devfn) == 8, "devfn at 8");
_Static_assert(offsetof(struct pt_kvm_assigned_pci_dev, flags) == 12, "flags at 12");
_Static_assert(offsetof(struct pt_kvm_assigned_pci_dev, segnr) == 16, "segnr at 16");
_Static_assert(offsetof(struct pt_kvm_assigned_pci_dev, reserved) == 20, "reserved at 20");
_Static_assert(sizeof(struct pt_kvm_assigned_irq) == 64, "kvm_assigned_irq is 64 bytes");
_Static_assert(offsetof(struct pt_kvm_assigned_irq, host_irq) == 4, "host_irq at 4");
_Static_assert(offsetof(struct pt_kvm_assigned_irq, guest_irq) == 8, "guest_irq at 8");
_Static_assert(offsetof(struct pt_kvm_assigned_irq, flags) == 12, "flags at 12");
_Static_assert(offsetof(struct pt_kvm_assigned_irq, reserved) == 16, "reserved at 16");
_Static_assert(sizeof(struct pt_kvm_assigned_msix_nr) == 8, "kvm_assigned_msix_nr is 8 bytes");
_Static_assert(offsetof(struct pt_kvm_assigned_msix_nr, entry_nr) == 4, "entry_nr at 4");
_Static_assert(offsetof(struct pt_kvm_assigned_msix_nr, padding) == 6, "padding at 6");
_Static_assert(sizeof(struct pt_kvm_assigned_msix_entry) == 16, "kvm_assigned_msix_entry is 16 bytes");
_Static_assert(offsetof(struct pt_kvm_assigned_msix_entry, gsi) == 4, "gsi at 4");
_Static_assert(offsetof(struct pt_kvm_assigned_msix_entry, entry) == 8, "entry at 8");
_Static_assert(offsetof(struct pt_kvm_assigned_msix_entry, padding) == 10, "padding at 10");

/* The numbers: (dir << 30) | (size << 16) | (0xAE << 8) | nr. */
_Static_assert(PT_KVM_ASSIGN_PCI_DEVICE == 0x8040ae69u, "KVM_ASSIGN_PCI_DEVICE: _IOR, 64 bytes, 0x69");
_Static_assert(PT_KVM_ASSIGN_IRQ == 0x8040ae70u, "KVM_ASSIGN_IRQ: _IOR, 64 bytes, 0x70");
_Static_assert(PT_KVM_ASSIGN_DEV_IRQ == 0x4040ae70u, "KVM_ASSIGN_DEV_IRQ: _IOW, 64 bytes, 0x70");
_Static_assert(PT_KVM_DEASSIGN_PCI_DEVICE == 0x4040ae72u, "KVM_DEASSIGN_PCI_DEVICE: _IOW, 64 bytes, 0x72");
_Static_assert(PT_KVM_ASSIGN_SET_MSIX_NR == 0x4008ae73u, "KVM_ASSIGN_SET_MSIX_NR: _IOW, 8 bytes, 0x73");
_Static_assert(PT_KVM_ASSIGN_SET_MSIX_ENTRY == 0x4010ae74u, "KVM_ASSIGN_SET_MSIX_ENTRY: _IOW, 16 bytes, 0x74");
_Static_assert(PT_KVM_DEASSIGN_DEV_IRQ == 0x4040ae75u, "KVM_DEASSIGN_DEV_IRQ: _IOW, 64 bytes, 0x75");
_Static_assert(PT_KVM_ASSIGN_SET_INTX_MASK == 0x4040aea4u, "KVM_ASSIGN_SET_INTX_MASK: _IOW, 64 bytes, 0xa4");

/* "KVM_ASSIGN_PCI_DEVICE", ... for an ioctl number above; NULL for any other. */
const char *pt_legacy_ioctl_name(unsigned long request);

#endif
