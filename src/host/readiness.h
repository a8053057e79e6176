/*
 * Host readiness for passthru (passthru-ctl check): one verdict per feature the
 * project uses, each with the evidence it rests on, and three conclusions: is KVM
 * usable, is VFIO device assignment possible, is legacy KVM assignment possible.
 */
#ifndef PT_HOST_READINESS_H
#define PT_HOST_READINESS_H

#include <stdbool.h>

enum pt_check_id {
	PT_CHECK_KVM_DEVICE,        /* /dev/kvm opens */
	PT_CHECK_KVM_API,           /* KVM_GET_API_VERSION == 12 */
	PT_CHECK_IRQ_ROUTING,       /* KVM_CAP_IRQ_ROUTING: value = maximum routes */
	PT_CHECK_IRQFD,
	PT_CHECK_IRQFD_RESAMPLE,
	PT_CHECK_SIGNAL_MSI,
	PT_CHECK_SPLIT_IRQCHIP,
	PT_CHECK_KVM_VFIO_DEVICE,   /* KVM_CAP_DEVICE_CTRL and a test-create of KVM-VFIO */
	PT_CHECK_DEVICE_ASSIGNMENT, /* legacy KVM_CAP_DEVICE_ASSIGNMENT */
	PT_CHECK_IOMMU,             /* /sys/class/iommu has units */
	PT_CHECK_IOMMU_GROUPS,      /* /sys/kernel/iommu_groups is populated: value = count */
	PT_CHECK_VFIO_PCI,          /* vfio-pci loaded or loadable */
	PT_CHECK_VFIO_CONTAINER,    /* /dev/vfio/vfio opens, Type1v2 */
	PT_CHECK_IOMMUFD,           /* /dev/iommu and /dev/vfio/devices (informational) */
	PT_CHECK_INTR_REMAP,        /* interrupt remapping */
	PT_CHECK_MEMLOCK,           /* RLIMIT_MEMLOCK: value = soft limit in bytes */
	PT_CHECK__COUNT
};

enum pt_check_result {
	PT_RESULT_YES,     /* present and working */
	PT_RESULT_NO,      /* absent or not working */
	PT_RESULT_WARNING, /* present, with a limit or a risk the evidence explains */
	PT_RESULT_UNKNOWN, /* the evidence does not tell */
	PT_RESULT_SKIPPED, /* not probed: it needs something that is absent */
};

struct pt_check_item {
	const char *key;   /* stable JSON key: "kvm", "irq_routing", ... */
	const char *label; /* for people: "/dev/kvm", "KVM_CAP_IRQ_ROUTING", ... */
	enum pt_check_result result;
	bool has_value;
	long long value;   /* the number the verdict rests on, when there is one */
	char *evidence;    /* never NULL once probed */
};

struct pt_conclusion {
	bool usable;
	char *why; /* the evidence in one sentence, for both answers */
};

struct pt_readiness {
	struct pt_check_item items[PT_CHECK__COUNT];
	struct pt_conclusion kvm;    /* KVM can run a VM */
	struct pt_conclusion vfio;   /* VFIO can take a device (IOMMU, vfio-pci, container) */
	struct pt_conclusion legacy; /* KVM_ASSIGN_* exists in this kernel */
};

/*
 * Probes the host: the KVM ioctls on SYSROOT/dev/kvm, sysfs and /proc under sysroot,
 * and this process's RLIMIT_MEMLOCK. Returns 0 (every item filled, even when the host
 * lacks everything) or -ENOMEM.
 */
int pt_readiness_probe(const char *sysroot, struct pt_readiness **ret);

/*
 * Only the VFIO items (PT_CHECK_VFIO_PCI, PT_CHECK_VFIO_CONTAINER), for prepare: the
 * same evidence check shows, without the KVM probes. The others stay unprobed (no
 * evidence) and the conclusions empty. 0 or -ENOMEM.
 */
int pt_readiness_probe_vfio(const char *sysroot, struct pt_readiness **ret);

void pt_readiness_free(struct pt_readiness *r);

const char *pt_check_result_name(enum pt_check_result r);

#endif
