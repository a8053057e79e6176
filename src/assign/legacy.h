/*
 * The legacy backend's own API: what it asks of the kernel, through an ops table so
 * tests can put a simulated Linux 3.17 in place of /dev/kvm (tests/assign/), and the
 * capability probe that passthru-ctl and passthru-vmm use to refuse backend = legacy
 * on kernels without it (every kernel since Linux 4.12).
 */
#ifndef PT_ASSIGN_LEGACY_H
#define PT_ASSIGN_LEGACY_H

#include <stdbool.h>
#include <stdint.h>

#include "assign/backend.h"

/* The kernel side. Each returns >= 0 (check_extension: the capability's value) or -errno. */
struct pt_legacy_ops {
	/* KVM_CHECK_EXTENSION on /dev/kvm (every kernel answers it there). */
	int (*check_extension)(void *opaque, unsigned long cap);
	/* One KVM_ASSIGN_* / KVM_DEASSIGN_* ioctl on the VM fd; arg points to its struct. */
	int (*vm_ioctl)(void *opaque, unsigned long request, void *arg);
};

/* The real ops: ioctls on these descriptors (not owned). */
struct pt_legacy_kvm_fds {
	int kvm_fd;
	int vm_fd;
};
extern const struct pt_legacy_ops pt_legacy_kvm_ops; /* opaque: struct pt_legacy_kvm_fds * */

/* What KVM_CHECK_EXTENSION answered (0: absent). */
struct pt_legacy_caps {
	int device_assignment; /* KVM_CAP_DEVICE_ASSIGNMENT */
	int iommu;             /* KVM_CAP_IOMMU: an IOMMU KVM can use */
	int device_msi;        /* KVM_CAP_DEVICE_MSI */
	int device_msix;       /* KVM_CAP_DEVICE_MSIX */
	int assign_dev_irq;    /* KVM_CAP_ASSIGN_DEV_IRQ */
	int pci_2_3;           /* KVM_CAP_PCI_2_3: INTx masked in the device (shareable line) */
};

/* Asks every capability above. 0, or the first -errno of check_extension. */
int pt_legacy_probe(const struct pt_legacy_ops *ops, void *opaque, struct pt_legacy_caps *ret);

/*
 * Opens kvm_path (NULL: /dev/kvm) and probes it. -errno of open(2) when it cannot be
 * opened (nothing logged: the caller says what it needed it for).
 */
int pt_legacy_probe_path(const char *kvm_path, struct pt_legacy_caps *ret);

/* The kernel offers what the backend needs: assignment, an IOMMU, KVM_ASSIGN_DEV_IRQ. */
bool pt_legacy_caps_usable(const struct pt_legacy_caps *c);

/*
 * Why not, in one phrase starting with the capability that is missing, e.g.
 * "KVM_CAP_DEVICE_ASSIGNMENT = 0: ... (the interface was removed in Linux 4.12)".
 * NULL when usable. Static text plus the numbers, written into buf.
 */
const char *pt_legacy_caps_why_not(const struct pt_legacy_caps *c, char *buf, unsigned len);

/* assigned_dev_id for a function: segment << 16 | bus << 8 | devfn (unique per host). */
uint32_t pt_legacy_dev_id(const struct pt_bdf *bdf);

/*
 * The backend's open with explicit kernel ops (tests) and their opaque, which must
 * outlive the device; opaque NULL means env->kvm_fd and env->vm_fd (what
 * pt_assign_legacy.open does with pt_legacy_kvm_ops).
 */
int pt_legacy_open(const struct pt_assign_env *env, const struct pt_legacy_ops *ops,
		   void *opaque, const struct pt_bdf *bdf, struct pt_assign_dev **ret);

/* The flags the device was assigned with (PT_KVM_DEV_ASSIGN_*), for display and tests. */
uint32_t pt_legacy_assign_flags(const struct pt_assign_dev *d);

#endif
