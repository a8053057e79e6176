/*
 * The VFIO backend of src/assign/backend.h: one assigned PCI function on top of
 * libvfio (container, device, irq) and the VM's routing table.
 *
 * open takes the group fd passthru-ctl handed over, puts the group in the VM's
 * container (vm_share.h: one per VM, with the VM's one KVM-VFIO device, created by
 * its first device and freed with its last), tells KVM through the KVM-VFIO device,
 * and opens the device; the VMM resets it next (reset.c). Guest RAM is mapped into
 * the container once per VM, whatever the number of devices. Interrupts never pass
 * through this process: INTx is an irqfd with resample on the device's IOAPIC pin,
 * its resamplefd VFIO's unmask eventfd; MSI and MSI-X vectors are irqfds on MSI
 * routes (irq_state.c).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/pci_regs.h>

#include "common/log.h"
#include "vfio/backend_impl.h"
#include "vfio/group.h"
#include "vfio/kvm_vfio.h"
#include "vfio/request.h"

static struct pt_vfio_assign *to_vfio(struct pt_assign_dev *d)
{
	return (struct pt_vfio_assign *)d;
}

/* The group number behind an fd: its /dev/vfio/N name. */
static int group_id_of(int fd)
{
	char link[64], target[PATH_MAX];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, target, sizeof(target) - 1);
	if (n < 0)
		return -errno;
	target[n] = 0;
	if (strncmp(target, "/dev/vfio/", 10) || target[10] < '0' || target[10] > '9')
		return -EINVAL;
	return atoi(target + 10);
}

/*
 * A copy of the group fd of the VM's function in bdf's IOMMU group (its sysfs
 * iommu_group link), for a second function of a group the VM holds: VFIO opens a
 * group once. A new fd, or -errno (said): -ESRCH when the VM holds no such group.
 */
static int held_group_fd(const struct pt_assign_env *env, const struct pt_bdf *bdf)
{
	const struct pt_vfio_vm_share *s = env->vm_state ? *env->vm_state : NULL;
	const struct pt_reset_member *m;
	char name[PT_BDF_STRLEN], holder[PT_BDF_STRLEN];
	int group, fd;

	pt_bdf_format(bdf, name);
	if (!s) {
		pt_err("%s: the VM holds no VFIO group, so it has none to take it from: hand "
		       "its /dev/vfio/GROUP fd over (passthru-ctl attach does)", name);
		return -ESRCH;
	}
	group = pt_vfio_group_number(bdf);
	if (group < 0) {
		pt_err("%s: its IOMMU group cannot be told (/sys/bus/pci/devices/%s/iommu_group: "
		       "%s)", name, name, strerror(-group));
		return group == -ENOENT ? -ENODEV : group;
	}
	m = pt_vfio_share_group_member(s, group);
	if (!m) {
		pt_err("%s: the VM holds no function of its IOMMU group %d, so it has no group "
		       "to take it from: hand its /dev/vfio/%d fd over (passthru-ctl attach does)",
		       name, group, group);
		return -ESRCH;
	}
	fd = fcntl(m->group_fd, F_DUPFD_CLOEXEC, 3);
	if (fd < 0) {
		int e = errno;

		pt_err("%s: copying the fd of IOMMU group %d: %s", name, group, strerror(e));
		return -e;
	}
	pt_info("%s: IOMMU group %d is the VM's through %s: no fd of its own needed", name,
		group, pt_bdf_format(&m->bdf, holder));
	return fd;
}

static int vfio_open_fd(const struct pt_assign_env *env, const struct pt_bdf *bdf,
			int handed_fd, struct pt_assign_dev **ret);

static int vfio_open(const struct pt_assign_env *env, const struct pt_bdf *bdf, int handed_fd,
		     struct pt_assign_dev **ret)
{
	int fd, r;

	if (handed_fd != PT_ASSIGN_FD_HELD)
		return vfio_open_fd(env, bdf, handed_fd, ret);
	fd = held_group_fd(env, bdf);
	if (fd < 0)
		return fd;
	r = vfio_open_fd(env, bdf, fd, ret);
	if (r < 0)
		close(fd);
	return r;
}

static int vfio_open_fd(const struct pt_assign_env *env, const struct pt_bdf *bdf,
			int handed_fd, struct pt_assign_dev **ret)
{
	struct pt_vfio_assign *v;
	int r;

	v = calloc(1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	v->base.backend = &pt_assign_vfio;
	v->base.bdf = *bdf;
	pt_bdf_format(bdf, v->base.name);
	v->env = *env;
	v->group_fd = handed_fd;
	v->share_slot = env->vm_state ? env->vm_state : &v->own_share;
	v->request_fd = -1;
	v->error_fd = -1;
	pt_vfio_irqs_init(v);
	v->group_id = group_id_of(handed_fd);
	if (v->group_id < 0) {
		pt_err("%s: fd %d is not an open /dev/vfio/GROUP (passthru-ctl opens it)",
		       v->base.name, handed_fd);
		r = -EBADF;
		goto fail;
	}
	r = pt_vfio_share_get(v->share_slot, env->vm_fd, &v->share);
	if (r < 0)
		goto fail;
	if (pt_vfio_share_group_member(v->share, v->group_id)) {
		/* Another function of this group is the VM's: the group is in already. */
		v->group_shared = true;
		pt_info("%s: IOMMU group %d is in the VM already (another of its functions)",
			v->base.name, v->group_id);
	} else {
		r = pt_vfio_container_add_group(v->share->container, v->group_fd, v->group_id);
		if (r < 0)
			goto fail;
		v->in_container = true;
	}
	if (!v->group_shared && v->share->kvm_vfio_fd >= 0) {
		r = pt_kvm_vfio_add_group(v->share->kvm_vfio_fd, v->group_fd);
		if (r < 0)
			goto fail;
		v->in_kvm = true;
	}
	r = pt_vfio_device_open(v->group_fd, v->base.name, &v->dev);
	if (r < 0)
		goto fail;
	r = pt_vfio_share_add_member(v->share, bdf, v->group_id, v->group_fd);
	if (r < 0)
		goto fail;
	v->member = true;
	r = pt_vfio_request_on(v->dev);
	v->request_fd = r >= 0 ? r : -1;
	r = pt_vfio_error_on(v->dev);
	v->error_fd = r >= 0 ? r : -1;
	*ret = &v->base;
	return 0;
fail:
	/* Undone with the fd (out of KVM and the container), which stays the caller's. */
	v->group_fd_borrowed = true;
	pt_assign_vfio.release(&v->base);
	return r;
}

static int vfio_map_ram(struct pt_assign_dev *d, uint64_t gpa, uint64_t size, void *hva)
{
	struct pt_vfio_assign *v = to_vfio(d);
	int r = pt_vfio_share_map_ram(v->share, d->name, gpa, size, hva);

	if (r < 0 && r != -EADDRNOTAVAIL)
		pt_err("%s: guest RAM at %#llx (%llu MiB) is not reachable by its DMA", d->name,
		       (unsigned long long)gpa, (unsigned long long)(size >> 20));
	return r;
}

static int vfio_config_read(struct pt_assign_dev *d, unsigned off, unsigned len,
			    uint32_t *ret_val)
{
	uint32_t val = 0;
	int r;

	if (len != 1 && len != 2 && len != 4)
		return -EINVAL;
	r = pt_vfio_config_read(to_vfio(d)->dev, off, &val, len);
	if (r < 0)
		return r;
	*ret_val = val;
	return 0;
}

static int vfio_config_write(struct pt_assign_dev *d, unsigned off, unsigned len, uint32_t val)
{
	if (len != 1 && len != 2 && len != 4)
		return -EINVAL;
	return pt_vfio_config_write(to_vfio(d)->dev, off, &val, len);
}

static int vfio_region_info(struct pt_assign_dev *d, unsigned index, struct pt_assign_region *ret)
{
	struct pt_vfio_assign *v = to_vfio(d);
	const struct pt_vfio_region *r;
	struct pt_assign_region out = { 0 };
	unsigned vfio_index = index == PT_ASSIGN_REGION_ROM ? VFIO_PCI_ROM_REGION_INDEX : index;
	uint32_t bar = 0;

	if (index >= PT_ASSIGN_REGIONS)
		return -EINVAL;
	r = &v->dev->regions[vfio_index];
	out.size = r->size;
	if (!r->size) {
		*ret = out;
		return 0;
	}
	if (index < PT_ASSIGN_REGION_BARS) {
		pt_vfio_config_read(v->dev, PCI_BASE_ADDRESS_0 + 4 * index, &bar, 4);
		if (!(bar & PCI_BASE_ADDRESS_SPACE_IO)) {
			out.flags |= PT_REGION_MMIO;
			if ((bar & PCI_BASE_ADDRESS_MEM_TYPE_MASK) == PCI_BASE_ADDRESS_MEM_TYPE_64)
				out.flags |= PT_REGION_MEM64;
			if (bar & PCI_BASE_ADDRESS_MEM_PREFETCH)
				out.flags |= PT_REGION_PREFETCH;
		}
	} else {
		out.flags |= PT_REGION_MMIO;
	}
	if ((r->flags & VFIO_REGION_INFO_FLAG_MMAP) && r->n_areas > 0) {
		out.flags |= PT_REGION_MMAP;
		for (int i = 0; i < r->n_areas && out.n_areas < PT_ASSIGN_MMAP_AREAS; i++) {
			out.areas[out.n_areas].offset = r->areas[i].offset;
			out.areas[out.n_areas].size = r->areas[i].size;
			out.n_areas++;
		}
	}
	if (r->flags & (VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE))
		out.flags |= PT_REGION_RW;
	*ret = out;
	return 0;
}

/*
 * The whole region as one address range: a reservation the size of the region with
 * each mmap-able area mapped over it at its offset (VFIO leaves the MSI-X table out
 * of a sparse BAR; the VMM traps those pages anyway).
 */
static int vfio_region_mmap(struct pt_assign_dev *d, unsigned index, void **ret_addr)
{
	struct pt_vfio_assign *v = to_vfio(d);
	const struct pt_vfio_region *r;
	uint8_t *base;

	if (index >= PT_ASSIGN_REGION_BARS)
		return -EINVAL;
	r = &v->dev->regions[index];
	if (!r->size || !(r->flags & VFIO_REGION_INFO_FLAG_MMAP) || !r->n_areas)
		return -ENOTSUP;
	if (v->maps[index]) {
		*ret_addr = v->maps[index];
		return 0;
	}
	base = mmap(NULL, r->size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (base == MAP_FAILED)
		return -errno;
	for (int i = 0; i < r->n_areas; i++) {
		void *want = base + r->areas[i].offset;
		int prot = (r->flags & VFIO_REGION_INFO_FLAG_READ ? PROT_READ : 0) |
			   (r->flags & VFIO_REGION_INFO_FLAG_WRITE ? PROT_WRITE : 0);
		void *got = mmap(want, r->areas[i].size, prot, MAP_SHARED | MAP_FIXED, v->dev->fd,
				 (off_t)(r->offset + r->areas[i].offset));

		if (got == MAP_FAILED) {
			int e = -errno;

			pt_err("%s: cannot map %s area %d (%#llx bytes at %#llx): %s", d->name,
			       pt_vfio_region_name((int)index), i,
			       (unsigned long long)r->areas[i].size,
			       (unsigned long long)r->areas[i].offset, strerror(-e));
			munmap(base, r->size);
			return e;
		}
	}
	v->maps[index] = base;
	*ret_addr = base;
	return 0;
}

static int vfio_region_rw(struct pt_assign_dev *d, unsigned index, uint64_t off, unsigned len,
			  bool write, uint64_t *val)
{
	struct pt_vfio_assign *v = to_vfio(d);
	unsigned vfio_index = index == PT_ASSIGN_REGION_ROM ? VFIO_PCI_ROM_REGION_INDEX : index;

	if (index >= PT_ASSIGN_REGIONS || (len != 1 && len != 2 && len != 4 && len != 8))
		return -EINVAL;
	if (write)
		return pt_vfio_device_write(v->dev, (int)vfio_index, off, val, len);
	*val = 0;
	return pt_vfio_device_read(v->dev, (int)vfio_index, off, val, len);
}

static int vfio_intx_mask(struct pt_assign_dev *d, bool masked)
{
	struct pt_vfio_assign *v = to_vfio(d);
	int r = masked ? pt_vfio_irq_mask(v->dev, VFIO_PCI_INTX_IRQ_INDEX)
		       : pt_vfio_irq_unmask(v->dev, VFIO_PCI_INTX_IRQ_INDEX);

	if (r < 0)
		pt_err("%s: cannot %s INTx: %s", d->name, masked ? "mask" : "unmask", strerror(-r));
	return r;
}

static int vfio_request_fd(struct pt_assign_dev *d)
{
	int fd = to_vfio(d)->request_fd;

	return fd >= 0 ? fd : -ENOTSUP;
}

static int vfio_error_fd(struct pt_assign_dev *d)
{
	int fd = to_vfio(d)->error_fd;

	return fd >= 0 ? fd : -ENOTSUP;
}

static void vfio_release(struct pt_assign_dev *d)
{
	struct pt_vfio_assign *v = to_vfio(d);

	if (!d)
		return;
	if (v->dev)
		pt_vfio_irqs_off(v);
	if (v->request_fd >= 0) {
		pt_vfio_request_off(v->dev);
		close(v->request_fd);
	}
	if (v->error_fd >= 0) {
		pt_vfio_error_off(v->dev);
		close(v->error_fd);
	}
	for (unsigned i = 0; i < PT_ASSIGN_REGION_BARS; i++)
		if (v->maps[i])
			munmap(v->maps[i], v->dev->regions[i].size);
	pt_vfio_device_close(v->dev);
	if (v->member)
		pt_vfio_share_del_member(v->share, &d->bdf);
	/* The group leaves with the last of the VM's functions in it, whichever that is. */
	if (v->share && pt_vfio_share_group_member(v->share, v->group_id)) {
		v->in_kvm = v->in_container = false;
	} else if (v->group_shared) {
		v->in_kvm = v->share->kvm_vfio_fd >= 0;
		v->in_container = true;
	}
	if (v->in_kvm)
		pt_kvm_vfio_del_group(v->share->kvm_vfio_fd, v->group_fd);
	if (v->in_container)
		pt_vfio_container_remove_group(v->share->container, v->group_fd, v->group_id);
	if (v->share)
		pt_vfio_share_put(v->share_slot);
	if (v->group_fd >= 0 && !v->group_fd_borrowed)
		close(v->group_fd);
	free(v);
}

const struct pt_assign_backend pt_assign_vfio = {
	.name = "vfio",
	.open = vfio_open,
	.map_ram = vfio_map_ram,
	.config_read = vfio_config_read,
	.config_write = vfio_config_write,
	.region_info = vfio_region_info,
	.region_mmap = vfio_region_mmap,
	.region_rw = vfio_region_rw,
	.irq_set = pt_vfio_irq_set,
	.intx_mask = vfio_intx_mask,
	.reset = pt_vfio_reset,
	.release = vfio_release,
	.request_fd = vfio_request_fd,
	.error_fd = vfio_error_fd,
};
