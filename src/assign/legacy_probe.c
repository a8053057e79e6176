/* Which parts of legacy device assignment this kernel has (KVM_CHECK_EXTENSION). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <linux/kvm.h>
#include <unistd.h>

#include "assign/legacy.h"
#include "assign/legacy_abi.h"

int pt_legacy_probe(const struct pt_legacy_ops *ops, void *opaque, struct pt_legacy_caps *ret)
{
	static const unsigned long caps[] = {
		PT_KVM_CAP_DEVICE_ASSIGNMENT, PT_KVM_CAP_IOMMU, PT_KVM_CAP_DEVICE_MSI,
		PT_KVM_CAP_DEVICE_MSIX, PT_KVM_CAP_ASSIGN_DEV_IRQ, PT_KVM_CAP_PCI_2_3,
	};
	int v[6];

	for (unsigned i = 0; i < 6; i++) {
		v[i] = ops->check_extension(opaque, caps[i]);
		if (v[i] < 0)
			return v[i];
	}
	*ret = (struct pt_legacy_caps){
		.device_assignment = v[0], .iommu = v[1], .device_msi = v[2],
		.device_msix = v[3], .assign_dev_irq = v[4], .pci_2_3 = v[5],
	};
	return 0;
}

int pt_legacy_probe_path(const char *kvm_path, struct pt_legacy_caps *ret)
{
	struct pt_legacy_kvm_fds fds = { .vm_fd = -1 };
	int r;

	fds.kvm_fd = open(kvm_path ? kvm_path : "/dev/kvm", O_RDWR | O_CLOEXEC);
	if (fds.kvm_fd < 0)
		return -errno;
	r = pt_legacy_probe(&pt_legacy_kvm_ops, &fds, ret);
	close(fds.kvm_fd);
	return r;
}

bool pt_legacy_caps_usable(const struct pt_legacy_caps *c)
{
	return c->device_assignment > 0 && c->iommu > 0 && c->assign_dev_irq > 0;
}

const char *pt_legacy_caps_why_not(const struct pt_legacy_caps *c, char *buf, unsigned len)
{
	if (c->device_assignment <= 0)
		snprintf(buf, len, "KVM_CAP_DEVICE_ASSIGNMENT = %d: this kernel has no legacy "
			 "KVM_ASSIGN_* device assignment (the interface was removed in Linux 4.12)",
			 c->device_assignment);
	else if (c->iommu <= 0)
		snprintf(buf, len, "KVM_CAP_IOMMU = %d: KVM finds no IOMMU, and legacy assignment "
			 "needs one (enable intel_iommu=on or amd_iommu=on)",
			 c->iommu);
	else if (c->assign_dev_irq <= 0)
		snprintf(buf, len, "KVM_CAP_ASSIGN_DEV_IRQ = %d: this kernel's legacy assignment "
			 "predates KVM_ASSIGN_DEV_IRQ (Linux 2.6.31)",
			 c->assign_dev_irq);
	else
		return NULL;
	return buf;
}

uint32_t pt_legacy_dev_id(const struct pt_bdf *bdf)
{
	return (uint32_t)bdf->domain << 16 | (uint32_t)bdf->bus << 8 |
	       (uint32_t)(bdf->dev << 3 | bdf->func);
}

const char *pt_legacy_ioctl_name(unsigned long request)
{
	switch (request) {
	case PT_KVM_ASSIGN_PCI_DEVICE: return "KVM_ASSIGN_PCI_DEVICE";
	case PT_KVM_ASSIGN_IRQ: return "KVM_ASSIGN_IRQ";
	case PT_KVM_ASSIGN_DEV_IRQ: return "KVM_ASSIGN_DEV_IRQ";
	case PT_KVM_DEASSIGN_PCI_DEVICE: return "KVM_DEASSIGN_PCI_DEVICE";
	case PT_KVM_ASSIGN_SET_MSIX_NR: return "KVM_ASSIGN_SET_MSIX_NR";
	case PT_KVM_ASSIGN_SET_MSIX_ENTRY: return "KVM_ASSIGN_SET_MSIX_ENTRY";
	case PT_KVM_DEASSIGN_DEV_IRQ: return "KVM_DEASSIGN_DEV_IRQ";
	case PT_KVM_ASSIGN_SET_INTX_MASK: return "KVM_ASSIGN_SET_INTX_MASK";
	default: return NULL;
	}
}

static int kvm_check_extension(void *opaque, unsigned long cap)
{
	const struct pt_legacy_kvm_fds *fds = opaque;
	int r = ioctl(fds->kvm_fd, KVM_CHECK_EXTENSION, cap);

	return r < 0 ? -errno : r;
}

static int kvm_vm_ioctl(void *opaque, unsigned long request, void *arg)
{
	const struct pt_legacy_kvm_fds *fds = opaque;
	int r = ioctl(fds->vm_fd, request, arg);

	return r < 0 ? -errno : r;
}

const struct pt_legacy_ops pt_legacy_kvm_ops = {
	.check_extension = kvm_check_extension,
	.vm_ioctl = kvm_vm_ioctl,
};
