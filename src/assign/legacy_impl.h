/* Inside the legacy backend: for the files of src/assign/legacy*.c only. */
#ifndef PT_ASSIGN_LEGACY_IMPL_H
#define PT_ASSIGN_LEGACY_IMPL_H

#include "assign/legacy.h"
#include "assign/legacy_abi.h"

/* The interrupts as the kernel and the routing table have them now. */
struct legacy_irq_state {
	enum pt_assign_irq_kind kind;
	unsigned intx_gsi;       /* INTX */
	unsigned nvec;           /* MSI, MSI-X: vectors the guest gave */
	int *gsi;                /* per vector: its MSI route's GSI, or PT_ROUTE_NO_GSI */
	bool *live;              /* per vector: the kernel injects into gsi (else masked) */
	struct pt_msi_msg *msg;  /* per vector, as routed */
	bool wired;              /* KVM_ASSIGN_DEV_IRQ in force for this state */
};

struct legacy_region {
	struct pt_assign_region info;
	int fd;       /* sysfs resourceN, opened at first use */
	void *map;    /* MMIO: the whole region, mapped at first use */
};

struct legacy_dev {
	struct pt_assign_dev base;
	const struct pt_legacy_ops *ops;
	void *opaque;
	struct pt_legacy_kvm_fds fds;   /* pt_assign_legacy.open: what opaque points to */
	struct pt_route_table *routes;
	struct pt_legacy_caps caps;
	struct pt_kvm_assigned_pci_dev assigned; /* as sent: id, address, flags */
	char *sysfs;                    /* SYSROOT/sys/bus/pci/devices/BDF */
	int config_fd;
	struct legacy_region regions[PT_ASSIGN_REGIONS];
	struct legacy_irq_state irq;
	bool intx_masked;
	/*
	 * Linux 3.17 keeps the count of a KVM_ASSIGN_SET_MSIX_NR until an MSI-X interrupt
	 * is deassigned; after a failed MSI-X setup nothing else clears it.
	 */
	bool msix_nr_held;
};

static inline struct legacy_dev *legacy_of(struct pt_assign_dev *d)
{
	return (struct legacy_dev *)d;
}

/* One ioctl, logged on failure with the device and what it was for. */
int legacy_ioctl(struct legacy_dev *ld, unsigned long request, void *arg, const char *what);

/* KVM_ASSIGN_PCI_DEVICE / KVM_DEASSIGN_PCI_DEVICE with ld->assigned. */
int legacy_assign(struct legacy_dev *ld);
int legacy_deassign(struct legacy_dev *ld);

/* legacy_irq.c */
int legacy_irq_set(struct pt_assign_dev *d, const struct pt_assign_irqs *irqs);
int legacy_intx_mask(struct pt_assign_dev *d, bool masked);
void legacy_irq_state_free(struct legacy_irq_state *s);

/* legacy_sysfs.c: config space and BARs through SYSROOT/sys/bus/pci/devices/BDF. */
int legacy_sysfs_open(struct legacy_dev *ld, const char *sysroot);
void legacy_sysfs_close(struct legacy_dev *ld);
int legacy_config_read(struct pt_assign_dev *d, unsigned off, unsigned len, uint32_t *ret_val);
int legacy_config_write(struct pt_assign_dev *d, unsigned off, unsigned len, uint32_t val);
int legacy_region_info(struct pt_assign_dev *d, unsigned index, struct pt_assign_region *ret);
int legacy_region_mmap(struct pt_assign_dev *d, unsigned index, void **ret_addr);
int legacy_region_rw(struct pt_assign_dev *d, unsigned index, uint64_t off, unsigned len,
		     bool write, uint64_t *val);
int legacy_reset(struct pt_assign_dev *d, struct pt_assign_reset *ret);

#endif
