/*
 * src/vfio against the real kernel: QEMU's edu and e1000e on vfio-pci, in the testbed
 * (an emulated Intel IOMMU). Skips where there is no VFIO or no such device.
 *
 * edu (1234:11e8): container and group, IOVA ranges, regions, config space, BAR0
 * through mmap and through the region file, DMA through the IOMMU both ways, INTx
 * twice (the second one unmasked through an unmask eventfd, as KVM's resamplefd
 * does it), MSI, no reset offered, the KVM-VFIO device, and a second container
 * refused. e1000e (8086:10d3): MSI-X vectors, the MSI-X BAR's mmap areas, reset.
 *
 * Binding to vfio-pci is done here with driver_override as a fixture and undone at
 * the end; passthru-ctl prepare is what does it for real.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>
#include <linux/kvm.h>
#include <linux/pci_regs.h>

#include "tap.h"
#include "vfio/fixture.h"
#include "vfio/container.h"
#include "vfio/device.h"
#include "vfio/irq.h"
#include "vfio/kvm_vfio.h"

#define DMA_IOVA 0x100000
#define DMA_SIZE 0x200000
#define DMA_LEN 2048       /* QEMU 7.2's edu aborts on a full 4096-byte DMA */

/* 1 if fd became readable within ms (and drains it), else 0. */
static int fired(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	uint64_t n;

	if (poll(&p, 1, ms) != 1)
		return 0;
	return read(fd, &n, sizeof(n)) == sizeof(n);
}

static void mmio_write(volatile uint8_t *bar, uint32_t off, uint64_t v, int bytes)
{
	if (bytes == 8)
		*(volatile uint64_t *)(bar + off) = v;
	else
		*(volatile uint32_t *)(bar + off) = (uint32_t)v;
}

static void test_edu_dma(struct tap *t, struct pt_vfio_container *c, struct pt_vfio_device *d,
			 volatile uint8_t *bar)
{
	uint8_t *ram = mmap(NULL, DMA_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			    -1, 0);
	uint16_t cmd;
	int i, r;

	if (ram == MAP_FAILED) {
		tap_skip(t, "DMA: cannot allocate the buffer");
		return;
	}
	r = pt_vfio_container_map(c, DMA_IOVA, DMA_SIZE, ram, true);
	tap_is_int(t, r, 0, "DMA: 2 MiB of our memory mapped at IOVA %#x", DMA_IOVA);
	pt_vfio_config_read(d, PCI_COMMAND, &cmd, 2);
	cmd |= PCI_COMMAND_MASTER | PCI_COMMAND_MEMORY;
	tap_is_int(t, pt_vfio_config_write(d, PCI_COMMAND, &cmd, 2), 0,
		   "DMA: bus mastering on through the config region");
	for (i = 0; i < DMA_LEN; i++)
		ram[i] = (uint8_t)(i * 7 + 3);
	mmio_write(bar, EDU_DMA_SRC, DMA_IOVA, 8);
	mmio_write(bar, EDU_DMA_DST, EDU_BUFFER, 8);
	mmio_write(bar, EDU_DMA_COUNT, DMA_LEN, 8);
	mmio_write(bar, EDU_DMA_CMD, EDU_DMA_START, 8);
	for (i = 0; i < 500 && (*(volatile uint64_t *)(bar + EDU_DMA_CMD) & EDU_DMA_START); i++)
		usleep(10000);
	mmio_write(bar, EDU_DMA_SRC, EDU_BUFFER, 8);
	mmio_write(bar, EDU_DMA_DST, DMA_IOVA + 0x1000, 8);
	mmio_write(bar, EDU_DMA_COUNT, DMA_LEN, 8);
	mmio_write(bar, EDU_DMA_CMD, EDU_DMA_START | EDU_DMA_TO_RAM, 8);
	for (i = 0; i < 500 && (*(volatile uint64_t *)(bar + EDU_DMA_CMD) & EDU_DMA_START); i++)
		usleep(10000);
	tap_ok(t, memcmp(ram, ram + 0x1000, DMA_LEN) == 0,
	       "DMA: %d bytes went to the device and came back through the IOMMU", DMA_LEN);
	tap_is_int(t, pt_vfio_container_unmap(c, DMA_IOVA, DMA_SIZE), 0, "DMA: unmapped");
	munmap(ram, DMA_SIZE);
}

static void test_edu_irqs(struct tap *t, struct pt_vfio_device *d, volatile uint8_t *bar)
{
	int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK), ufd = eventfd(0, EFD_CLOEXEC);
	int32_t fd = efd;
	uint64_t one = 1;

	tap_ok(t, d->irqs[VFIO_PCI_INTX_IRQ_INDEX].count == 1 &&
		  d->irqs[VFIO_PCI_MSI_IRQ_INDEX].count >= 1,
	       "IRQs: one INTx, MSI vectors %u", d->irqs[VFIO_PCI_MSI_IRQ_INDEX].count);
	tap_is_int(t, pt_vfio_irq_set_triggers(d, VFIO_PCI_INTX_IRQ_INDEX, 0, 1, &fd), 0,
		   "INTx: trigger eventfd set");
	mmio_write(bar, EDU_IRQ_RAISE, 1, 4);
	tap_ok(t, fired(efd, 5000), "INTx: raising edu's interrupt signals the eventfd");
	mmio_write(bar, EDU_IRQ_ACK, 1, 4);
	tap_is_int(t, pt_vfio_irq_unmask(d, VFIO_PCI_INTX_IRQ_INDEX), 0, "INTx: unmasked");
	tap_is_int(t, pt_vfio_irq_set_unmask_fd(d, VFIO_PCI_INTX_IRQ_INDEX, ufd), 0,
		   "INTx: unmask eventfd set (KVM's resamplefd takes this place)");
	mmio_write(bar, EDU_IRQ_RAISE, 1, 4);
	tap_ok(t, fired(efd, 5000), "INTx: a second interrupt arrives");
	mmio_write(bar, EDU_IRQ_ACK, 1, 4);
	mmio_write(bar, EDU_IRQ_RAISE, 1, 4);
	tap_ok(t, !fired(efd, 300), "INTx: masked until unmasked: nothing while the line waits");
	mmio_write(bar, EDU_IRQ_ACK, 1, 4);
	if (write(ufd, &one, sizeof(one)) != sizeof(one))
		tap_diag("write to the unmask eventfd failed");
	mmio_write(bar, EDU_IRQ_RAISE, 1, 4);
	tap_ok(t, fired(efd, 5000), "INTx: after a signal on the unmask eventfd, the next arrives");
	mmio_write(bar, EDU_IRQ_ACK, 1, 4);
	tap_is_int(t, pt_vfio_irq_disable(d, VFIO_PCI_INTX_IRQ_INDEX), 0, "INTx: disabled");

	tap_is_int(t, pt_vfio_irq_set_triggers(d, VFIO_PCI_MSI_IRQ_INDEX, 0, 1, &fd), 0,
		   "MSI: one vector enabled with its eventfd");
	mmio_write(bar, EDU_IRQ_RAISE, 1, 4);
	tap_ok(t, fired(efd, 5000), "MSI: edu's interrupt arrives as the MSI vector's eventfd");
	mmio_write(bar, EDU_IRQ_ACK, 1, 4);
	tap_is_int(t, pt_vfio_irq_set_triggers(d, VFIO_PCI_MSI_IRQ_INDEX, 0, 2, (int32_t[]){ fd, fd }),
		   -ERANGE, "MSI: more vectors than the device has are refused before the kernel");
	tap_is_int(t, pt_vfio_irq_disable(d, VFIO_PCI_MSI_IRQ_INDEX), 0, "MSI: disabled");
	close(efd);
	close(ufd);
}

static void test_kvm_vfio(struct tap *t, int group_fd)
{
	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC), vm, dev;

	if (kvm < 0) {
		tap_skip(t, "KVM-VFIO: no /dev/kvm");
		return;
	}
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	dev = vm < 0 ? -1 : pt_kvm_vfio_create(vm);
	tap_ok(t, dev >= 0, "KVM-VFIO: the device is created on a VM");
	if (dev >= 0) {
		tap_is_int(t, pt_kvm_vfio_add_group(dev, group_fd), 0, "KVM-VFIO: group added");
		tap_is_int(t, pt_kvm_vfio_del_group(dev, group_fd), 0, "KVM-VFIO: group removed");
		close(dev);
	}
	if (vm >= 0)
		close(vm);
	close(kvm);
}

static void test_edu(struct tap *t, const struct bound *b)
{
	struct pt_iova_range ranges[PT_VFIO_MAX_IOVA_RANGES];
	struct pt_vfio_container *c = NULL, *c2 = NULL;
	struct pt_vfio_device *d = NULL;
	uint16_t ids[2] = { 0, 0 };
	int group, n, msi_window_free = 1;
	uint32_t id = 0;
	volatile uint8_t *bar;

	group = open_group(b->group);
	tap_ok(t, group >= 0, "edu %s: /dev/vfio/%d opens", b->bdf, b->group);
	tap_is_int(t, pt_vfio_container_open(NULL, &c), 0, "container: opened, Type1 offered");
	if (group < 0 || !c)
		goto out;
	tap_is_int(t, pt_vfio_container_add_group(c, group, b->group), 0, "container: group joins");
	tap_is_str(t, pt_vfio_container_iommu_name(c), "Type1v2", "container: Type1v2 chosen");
	n = pt_vfio_container_iova_ranges(c, ranges, PT_VFIO_MAX_IOVA_RANGES);
	for (int i = 0; i < n; i++)
		if (ranges[i].start <= 0xfee00000 && ranges[i].end >= 0xfee00000)
			msi_window_free = 0;
	tap_ok(t, n >= 1 && msi_window_free,
	       "container: %d IOVA ranges, none covering the MSI window at 0xfee00000", n);
	tap_is_int(t, pt_vfio_container_open(NULL, &c2), 0, "a second container opens");
	if (c2)
		tap_is_int(t, pt_vfio_container_add_group(c2, group, b->group), -EBUSY,
			   "but the group, already in a container, is refused");
	pt_vfio_container_free(c2);

	tap_is_int(t, pt_vfio_device_open(group, b->bdf, &d), 0, "device: opened by its address");
	if (!d)
		goto out;
	tap_ok(t, d->n_regions >= VFIO_PCI_CONFIG_REGION_INDEX + 1, "device: %u regions", d->n_regions);
	tap_ok(t, d->regions[0].size == 1 << 20 && d->regions[0].n_areas == 1 &&
		  d->regions[0].areas[0].size == 1 << 20,
	       "device: BAR0 is 1 MiB, mmap-able whole (size %#llx, %d areas)",
	       (unsigned long long)d->regions[0].size, d->regions[0].n_areas);
	tap_ok(t, d->regions[VFIO_PCI_VGA_REGION_INDEX].size == 0, "device: no VGA region");
	pt_vfio_config_read(d, PCI_VENDOR_ID, ids, sizeof(ids));
	tap_ok(t, ids[0] == 0x1234 && ids[1] == 0x11e8, "config: reads %04x:%04x", ids[0], ids[1]);
	tap_is_int(t, pt_vfio_config_read(d, 0x1000, ids, 2), -ERANGE,
		   "config: a read past the region is refused");
	pt_vfio_device_read(d, VFIO_PCI_BAR0_REGION_INDEX, EDU_ID, &id, 4);
	tap_is_int(t, id, 0x010000ed, "BAR0 through the region file: edu's ID register");
	bar = pt_vfio_device_mmap(d, VFIO_PCI_BAR0_REGION_INDEX, 0);
	tap_ok(t, bar != MAP_FAILED, "BAR0: mmap'ed");
	if (bar == MAP_FAILED)
		goto out;
	tap_is_int(t, *(volatile uint32_t *)(bar + EDU_ID), 0x010000ed,
		   "BAR0 through the mapping: the same ID register");
	test_edu_dma(t, c, d, bar);
	test_edu_irqs(t, d, bar);
	tap_ok(t, !pt_vfio_device_can_reset(d) && pt_vfio_device_reset(d) == -ENOTTY,
	       "reset: edu offers none, and that is said (-ENOTTY)");
	munmap((void *)bar, 1 << 20);
	pt_vfio_device_close(d);
	d = NULL;
	test_kvm_vfio(t, group);
	tap_is_int(t, pt_vfio_container_remove_group(c, group, b->group), 0, "container: group leaves");
out:
	pt_vfio_device_close(d);
	pt_vfio_container_free(c);
	if (group >= 0)
		close(group);
}

static void test_e1000e(struct tap *t, const struct bound *b)
{
	struct pt_vfio_container *c = NULL;
	struct pt_vfio_device *d = NULL;
	int group = open_group(b->group), msix_bar = -1;
	uint8_t pos = 0, cap[2];
	uint32_t table = 0;

	if (group < 0 || pt_vfio_container_open(NULL, &c) < 0 ||
	    pt_vfio_container_add_group(c, group, b->group) < 0 ||
	    pt_vfio_device_open(group, b->bdf, &d) < 0) {
		tap_ok(t, 0, "e1000e %s: opened through VFIO", b->bdf);
		goto out;
	}
	tap_ok(t, 1, "e1000e %s: opened through VFIO", b->bdf);
	tap_ok(t, d->irqs[VFIO_PCI_MSIX_IRQ_INDEX].count == 5, "e1000e: %u MSI-X vectors",
	       d->irqs[VFIO_PCI_MSIX_IRQ_INDEX].count);
	/* Find the MSI-X capability and the BAR its table lives in. */
	pt_vfio_config_read(d, PCI_CAPABILITY_LIST, &pos, 1);
	for (int i = 0; i < 48 && pos >= 0x40; i++) {
		pt_vfio_config_read(d, pos, cap, 2);
		if (cap[0] == PCI_CAP_ID_MSIX) {
			pt_vfio_config_read(d, pos + PCI_MSIX_TABLE, &table, 4);
			msix_bar = (int)(table & PCI_MSIX_TABLE_BIR);
			break;
		}
		pos = cap[1];
	}
	tap_ok(t, msix_bar >= 0 && d->regions[msix_bar].size > 0,
	       "e1000e: the MSI-X table is in BAR%d at %#x", msix_bar, table & ~7u);
	if (msix_bar >= 0)
		tap_ok(t, d->regions[msix_bar].msix_mappable || d->regions[msix_bar].n_areas > 1 ||
			  d->regions[msix_bar].n_areas == 0,
		       "e1000e: that BAR is mmap-able around the table, or whole with MSIX_MAPPABLE "
		       "(mappable %d, %d areas)", d->regions[msix_bar].msix_mappable,
		       d->regions[msix_bar].n_areas);
	tap_ok(t, pt_vfio_device_can_reset(d), "e1000e: offers a reset");
	tap_is_int(t, pt_vfio_device_reset(d), 0, "e1000e: VFIO_DEVICE_RESET works");
out:
	pt_vfio_device_close(d);
	pt_vfio_container_free(c);
	if (group >= 0)
		close(group);
}

int main(void)
{
	return run_device_tests(test_edu, test_e1000e);
}
