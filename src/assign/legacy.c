/*
 * The legacy device-assignment backend: KVM_ASSIGN_PCI_DEVICE and friends, as Linux
 * 2.6.26-4.11 offered them (ABI in legacy_abi.h). The kernel owns the device's DMA
 * mapping (every memory slot goes into the VM's IOMMU domain) and its host interrupt;
 * passthru only tells it where each interrupt goes (legacy_irq.c) and reaches config
 * space and BARs through sysfs (legacy_sysfs.c).
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "assign/legacy_impl.h"

int legacy_ioctl(struct legacy_dev *ld, unsigned long request, void *arg, const char *what)
{
	int r = ld->ops->vm_ioctl(ld->opaque, request, arg);

	if (r < 0)
		pt_err("%s: %s (%s) failed: %s", ld->base.name, pt_legacy_ioctl_name(request), what,
		       strerror(-r));
	else if (r > 0) {
		/* pci_enable_msix() answers a positive count when fewer vectors are free. */
		pt_err("%s: %s (%s) failed: only %d host vectors are available", ld->base.name,
		       pt_legacy_ioctl_name(request), what, r);
		r = -ENOSPC;
	}
	return r;
}

int legacy_assign(struct legacy_dev *ld)
{
	struct pt_kvm_assigned_pci_dev a = ld->assigned;
	int r = legacy_ioctl(ld, PT_KVM_ASSIGN_PCI_DEVICE, &a, "give the device to the VM");

	if (r == -EPERM || r == -EACCES)
		pt_err("%s: the kernel refuses it: it must be an endpoint (not a bridge) and this "
		       "process needs read-write access to its sysfs resource files", ld->base.name);
	else if (r == -EBUSY)
		pt_err("%s: a host driver still holds it: bind it to pci-stub first "
		       "(passthru-ctl prepare)", ld->base.name);
	else if (r == -ENODEV)
		pt_err("%s: KVM could not attach it to the VM's IOMMU domain", ld->base.name);
	return r;
}

int legacy_deassign(struct legacy_dev *ld)
{
	struct pt_kvm_assigned_pci_dev a = ld->assigned;

	return legacy_ioctl(ld, PT_KVM_DEASSIGN_PCI_DEVICE, &a, "give the device back");
}

static void legacy_free(struct legacy_dev *ld)
{
	legacy_sysfs_close(ld);
	legacy_irq_state_free(&ld->irq);
	free(ld);
}

int pt_legacy_open(const struct pt_assign_env *env, const struct pt_legacy_ops *ops,
		   void *opaque, const struct pt_bdf *bdf, struct pt_assign_dev **ret)
{
	char why[256];
	struct legacy_dev *ld;
	int r;

	ld = calloc(1, sizeof(*ld));
	if (!ld)
		return -ENOMEM;
	ld->base.backend = &pt_assign_legacy;
	ld->base.bdf = *bdf;
	pt_bdf_format(bdf, ld->base.name);
	ld->ops = ops;
	ld->fds = (struct pt_legacy_kvm_fds){ .kvm_fd = env->kvm_fd, .vm_fd = env->vm_fd };
	ld->opaque = opaque ? opaque : &ld->fds;
	ld->routes = env->routes;
	ld->config_fd = -1;
	for (unsigned i = 0; i < PT_ASSIGN_REGIONS; i++)
		ld->regions[i].fd = -1;

	r = pt_legacy_probe(ops, ld->opaque, &ld->caps);
	if (r < 0) {
		pt_err("%s: KVM_CHECK_EXTENSION failed: %s", ld->base.name, strerror(-r));
		goto fail;
	}
	if (!pt_legacy_caps_usable(&ld->caps)) {
		pt_err("%s: backend = legacy cannot be used: %s; use backend = vfio", ld->base.name,
		       pt_legacy_caps_why_not(&ld->caps, why, sizeof(why)));
		r = -EOPNOTSUPP;
		goto fail;
	}
	/* Reads only: nothing on the host changes before KVM_ASSIGN_PCI_DEVICE. */
	r = legacy_sysfs_open(ld, env->sysroot);
	if (r < 0)
		goto fail;
	ld->assigned = (struct pt_kvm_assigned_pci_dev){
		.assigned_dev_id = pt_legacy_dev_id(bdf),
		.segnr = bdf->domain,
		.busnr = bdf->bus,
		.devfn = (uint32_t)(bdf->dev << 3 | bdf->func),
		.flags = PT_KVM_DEV_ASSIGN_ENABLE_IOMMU |
			 (ld->caps.pci_2_3 > 0 ? PT_KVM_DEV_ASSIGN_PCI_2_3 : 0),
	};
	r = legacy_assign(ld);
	if (r < 0)
		goto fail;
	pt_debug("%s: assigned through KVM_ASSIGN_PCI_DEVICE (id 0x%x, flags 0x%x)",
		 ld->base.name, ld->assigned.assigned_dev_id, ld->assigned.flags);
	*ret = &ld->base;
	return 0;
fail:
	legacy_free(ld);
	return r;
}

uint32_t pt_legacy_assign_flags(const struct pt_assign_dev *d)
{
	return ((const struct legacy_dev *)d)->assigned.flags;
}

static int legacy_open_kvm(const struct pt_assign_env *env, const struct pt_bdf *bdf,
			   int handed_fd, struct pt_assign_dev **ret)
{
	if (handed_fd >= 0) {
		pt_err("legacy assignment takes no file descriptor from passthru-ctl (got %d)",
		       handed_fd);
		return -EINVAL;
	}
	return pt_legacy_open(env, &pt_legacy_kvm_ops, NULL, bdf, ret);
}

static void legacy_release(struct pt_assign_dev *d)
{
	struct legacy_dev *ld = legacy_of(d);
	struct pt_assign_irqs none = { .kind = PT_ASSIGN_IRQ_NONE };

	if (!d)
		return;
	/* Reverse order of setup: interrupts, then the device, then our descriptors. */
	if (ld->irq.kind != PT_ASSIGN_IRQ_NONE && legacy_irq_set(d, &none) < 0)
		pt_warn("%s: interrupts could not be switched off one by one; deassigning the "
			"device frees them", d->name);
	if (legacy_deassign(ld) < 0)
		pt_warn("%s: KVM keeps the device until the VM ends", d->name);
	legacy_free(ld);
}

const struct pt_assign_backend pt_assign_legacy = {
	.name = "legacy",
	.open = legacy_open_kvm,
	.map_ram = NULL, /* KVM maps every memory slot into the VM's IOMMU domain itself */
	.config_read = legacy_config_read,
	.config_write = legacy_config_write,
	.region_info = legacy_region_info,
	.region_mmap = legacy_region_mmap,
	.region_rw = legacy_region_rw,
	.irq_set = legacy_irq_set,
	.intx_mask = legacy_intx_mask,
	.reset = legacy_reset,
	.release = legacy_release,
};
