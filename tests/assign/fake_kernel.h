/*
 * A simulated Linux 3.17 for the legacy backend's tests (linked into tests only): the
 * KVM_ASSIGN_* ioctls as virt/kvm/assigned-dev.c implements them, with the kernel
 * state they change, behind struct pt_legacy_ops. It validates what the kernel reads
 * field by field (and counts nonzero reserved/padding words, which 3.17 ignores but
 * passthru must not send), keeps 3.17's ordering rules and errnos, records every call,
 * and can fail the Nth call to test rollback.
 */
#ifndef PT_TESTS_ASSIGN_FAKE_KERNEL_H
#define PT_TESTS_ASSIGN_FAKE_KERNEL_H

#include <stdbool.h>
#include <stdint.h>

#include "assign/legacy.h"
#include "assign/legacy_abi.h"

#define FK_HOST_DEVS 4
#define FK_ASSIGNED_MAX 8
#define FK_LOG_MAX 64
#define FK_LOG_LINE 96

/* A PCI function on the simulated host. */
struct fk_host_dev {
	bool present;
	uint32_t seg, bus, devfn;
	bool bridge;              /* hdr_type != PCI_HEADER_TYPE_NORMAL: EPERM */
	int sysfs_perm_errno;     /* probe_sysfs_permissions(): 0 or a -errno */
	bool regions_busy;        /* pci_request_regions(): a host driver holds them */
	bool intx_mask_supported; /* pci_intx_mask_supported() */
	bool has_msi;
	unsigned msix_table_size; /* 0: no MSI-X capability */
	unsigned host_vectors;    /* MSI-X vectors the host can still allocate */
	bool irq_line_busy;       /* request_threaded_irq() on its INTx line fails: EIO */
	/* What the device itself went through. */
	unsigned resets;          /* pci_reset_function() calls */
	bool enabled;             /* pci_enable_device() without disable */
	bool msi_on, msix_on, intx_irq_on;
};

/* struct kvm_assigned_dev_kernel, the parts userspace can observe. */
struct fk_assigned {
	bool used;
	uint32_t id;
	struct fk_host_dev *host;
	uint32_t flags;
	uint32_t irq_requested_type;
	uint32_t guest_irq;
	int irq_source_id;
	unsigned entries_nr;
	bool entries_alloc;       /* host/guest_msix_entries exist */
	struct { uint32_t entry, vector; } guest_msix[PT_KVM_MAX_MSIX_PER_DEV];
};

struct fake_kernel {
	/* KVM_CHECK_EXTENSION answers. */
	int cap_device_assignment, cap_iommu, cap_msi, cap_msix, cap_assign_dev_irq, cap_pci_2_3;
	bool irqchip_in_kernel;
	bool iommu_present;       /* iommu_present(&pci_bus_type) */
	bool iommu_domain;        /* kvm->arch.iommu_domain: created once, kept */
	int irq_sources_free;     /* kvm_request_irq_source_id() slots */
	struct fk_host_dev host[FK_HOST_DEVS];
	struct fk_assigned dev[FK_ASSIGNED_MAX];

	/* Test controls and records. */
	unsigned calls;           /* vm_ioctl calls so far */
	unsigned fail_call;       /* 1-based call to fail before it changes anything; 0: none */
	int fail_errno;           /* what that call returns (-EFAULT: copy_from_user) */
	unsigned abi_violations;  /* nonzero reserved/padding/unknown flag bits sent */
	char log[FK_LOG_MAX][FK_LOG_LINE];
	unsigned nlog;
};

/* A kernel with every capability, an IOMMU, an in-kernel irqchip and no host devices. */
void fk_init(struct fake_kernel *k);

/* Adds a healthy endpoint with MSI, MSI-X (table_size entries) and INTx masking. */
struct fk_host_dev *fk_add_host(struct fake_kernel *k, uint32_t seg, uint32_t bus,
				uint32_t devfn, unsigned table_size);

struct fk_assigned *fk_find(struct fake_kernel *k, uint32_t id);

/* The call log joined with "\n" into buf; returns buf. */
const char *fk_log_text(const struct fake_kernel *k, char *buf, unsigned len);
void fk_log_clear(struct fake_kernel *k);

/*
 * The state userspace can observe (assigned devices, their flags, IRQ types, GSIs,
 * MSI-X entries, the host device's interrupt state), as text: equal texts, equal
 * kernels. Resets are left out (fk_host_dev.resets counts them).
 */
const char *fk_state_text(const struct fake_kernel *k, char *buf, unsigned len);

extern const struct pt_legacy_ops fk_ops; /* opaque: struct fake_kernel * */

#endif
