#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <linux/kvm.h>

#include "common/log.h"
#include "vfio/kvm_vfio.h"

int pt_kvm_vfio_create(int vm_fd)
{
	struct kvm_create_device test = {
		.type = KVM_DEV_TYPE_VFIO,
		.flags = KVM_CREATE_DEVICE_TEST,
	};
	struct kvm_create_device dev = { .type = KVM_DEV_TYPE_VFIO };
	int err;

	/* Probe with the TEST flag: KVM_CAP_DEVICE_CTRL has been seen to read 0 in
	 * nested KVM where the device works. */
	if (ioctl(vm_fd, KVM_CREATE_DEVICE, &test) < 0) {
		err = -errno;
		pt_err("this KVM has no KVM-VFIO device (KVM_CREATE_DEVICE test: %s)",
		       strerror(-err));
		return err == -ENODEV || err == -ENOENT ? -ENODEV : err;
	}
	if (ioctl(vm_fd, KVM_CREATE_DEVICE, &dev) < 0) {
		err = -errno;
		pt_err("KVM_CREATE_DEVICE (VFIO): %s", strerror(-err));
		return err;
	}
	return (int)dev.fd;
}

static int group_attr(int kvm_vfio_fd, int group_fd, uint64_t which)
{
	int32_t fd = group_fd;
	struct kvm_device_attr attr = {
		.group = KVM_DEV_VFIO_GROUP,
		.attr = which,
		.addr = (uintptr_t)&fd,
	};

	return ioctl(kvm_vfio_fd, KVM_SET_DEVICE_ATTR, &attr) < 0 ? -errno : 0;
}

int pt_kvm_vfio_add_group(int kvm_vfio_fd, int group_fd)
{
	int err = group_attr(kvm_vfio_fd, group_fd, KVM_DEV_VFIO_GROUP_ADD);

	if (err < 0)
		pt_err("KVM-VFIO: cannot add the group: %s", strerror(-err));
	return err;
}

int pt_kvm_vfio_del_group(int kvm_vfio_fd, int group_fd)
{
	return group_attr(kvm_vfio_fd, group_fd, KVM_DEV_VFIO_GROUP_DEL);
}
