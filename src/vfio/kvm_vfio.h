/*
 * The KVM-VFIO pseudo device (KVM_CREATE_DEVICE type VFIO): tells KVM which VFIO
 * groups the VM uses, so that KVM knows DMA may be non-coherent (and, on some
 * platforms, can program posted interrupts). One per VM, created with the first
 * group; each group is added when its device arrives and removed when it leaves.
 * The device fd is the caller's (the VM object); group fds are borrowed.
 */
#ifndef PT_VFIO_KVM_VFIO_H
#define PT_VFIO_KVM_VFIO_H

/* Creates it on vm_fd; returns its fd or -errno (-ENODEV: KVM lacks it). */
int pt_kvm_vfio_create(int vm_fd);

int pt_kvm_vfio_add_group(int kvm_vfio_fd, int group_fd);
int pt_kvm_vfio_del_group(int kvm_vfio_fd, int group_fd);

#endif
