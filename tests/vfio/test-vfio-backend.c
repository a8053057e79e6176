/*
 * The VFIO backend (src/vfio/backend.c) through src/assign/backend.h, against the real
 * kernel in the testbed: edu and e1000e on vfio-pci, a KVM VM with its irqchip and a
 * vCPU that never runs, whose LAPIC IRR witnesses every interrupt the device sends
 * through the routing table's irqfds (no guest needed). Skips without VFIO and KVM.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <linux/pci_regs.h>
#include <linux/vfio.h>

#include "route/irqfd.h"
#include "route/kvm_ops.h"
#include "route/kvm_vm.h"
#include "tap.h"
#include "vfio/backend.h"
#include "vfio/fixture.h"

#define DELIVERY_MS 5000
#define RAM_GPA 0x100000
#define RAM_SIZE 0x200000

static int reg_write(struct pt_assign_dev *d, uint64_t off, uint64_t v, unsigned len)
{
	return d->backend->region_rw(d, 0, off, len, true, &v);
}

static uint64_t reg_read(struct pt_assign_dev *d, uint64_t off, unsigned len)
{
	uint64_t v = ~0ULL;

	d->backend->region_rw(d, 0, off, len, false, &v);
	return v;
}

static int set_ioapic_pin(struct kvm_vm *vm, unsigned pin, unsigned vector)
{
	struct kvm_irqchip chip = { .chip_id = KVM_IRQCHIP_IOAPIC };

	if (ioctl(vm->vm_fd, KVM_GET_IRQCHIP, &chip) < 0)
		return -errno;
	memset(&chip.chip.ioapic.redirtbl[pin], 0, sizeof(chip.chip.ioapic.redirtbl[pin]));
	chip.chip.ioapic.redirtbl[pin].fields.vector = vector;
	chip.chip.ioapic.redirtbl[pin].fields.trig_mode = 1;
	return ioctl(vm->vm_fd, KVM_SET_IRQCHIP, &chip) < 0 ? -errno : 0;
}

/* A VM with its irqchip, a vCPU that never runs, and its routing table. */
static int open_vm(struct tap *t, struct kvm_vm *vm, struct pt_route_table **tab)
{
	const char *why = "";

	if (kvm_vm_open(vm, false, &why) < 0 || kvm_vm_add_vcpu(vm) < 0 ||
	    pt_route_table_new_kvm(vm->vm_fd, PT_IRQCHIP_KERNEL, tab) < 0) {
		tap_skip(t, "no KVM VM here (%s)", why);
		kvm_vm_close(vm);
		return -1;
	}
	return 0;
}

static void test_regions_and_dma(struct tap *t, struct pt_assign_dev *d)
{
	struct pt_assign_region r;
	uint32_t ids = 0, cmd = 0;
	uint8_t *ram;
	void *bar = NULL;
	int i;

	tap_is_int(t, d->backend->region_info(d, 0, &r), 0, "region_info BAR0");
	tap_ok(t, r.size == 1 << 20 && (r.flags & PT_REGION_MMIO) && (r.flags & PT_REGION_MMAP) &&
		  (r.flags & PT_REGION_RW) && !(r.flags & PT_REGION_MEM64) && r.n_areas == 1,
	       "BAR0: 1 MiB, 32-bit memory, mmap-able whole, forwardable (flags %#x)", r.flags);
	d->backend->region_info(d, 1, &r);
	tap_ok(t, r.size == 0, "BAR1 does not exist");
	tap_is_int(t, d->backend->config_read(d, 0, 4, &ids), 0, "config_read");
	tap_is_int(t, ids, 0x11e81234, "the IDs 1234:11e8");
	tap_is_int(t, reg_read(d, 0, 4), 0x010000ed, "a forwarded read of the ID register");
	tap_is_int(t, d->backend->region_mmap(d, 0, &bar), 0, "region_mmap BAR0");
	if (bar)
		tap_is_int(t, *(volatile uint32_t *)bar, 0x010000ed, "the ID register in the mapping");

	ram = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (ram == MAP_FAILED) {
		tap_skip(t, "DMA: no memory");
		return;
	}
	tap_is_int(t, d->backend->map_ram(d, RAM_GPA, RAM_SIZE, ram), 0,
		   "map_ram: 2 MiB of \"guest RAM\" at %#x", RAM_GPA);
	d->backend->config_read(d, PCI_COMMAND, 2, &cmd);
	d->backend->config_write(d, PCI_COMMAND, 2, cmd | PCI_COMMAND_MASTER | PCI_COMMAND_MEMORY);
	for (i = 0; i < 1024; i++)
		ram[i] = (uint8_t)(i ^ 0x5a);
	reg_write(d, EDU_DMA_SRC, RAM_GPA, 8);
	reg_write(d, EDU_DMA_DST, 0x40000, 8);
	reg_write(d, EDU_DMA_COUNT, 1024, 8);
	reg_write(d, EDU_DMA_CMD, 1, 8);
	for (i = 0; i < 500 && (reg_read(d, EDU_DMA_CMD, 8) & 1); i++)
		usleep(10000);
	reg_write(d, EDU_DMA_SRC, 0x40000, 8);
	reg_write(d, EDU_DMA_DST, RAM_GPA + 0x8000, 8);
	reg_write(d, EDU_DMA_CMD, 3, 8);
	for (i = 0; i < 500 && (reg_read(d, EDU_DMA_CMD, 8) & 1); i++)
		usleep(10000);
	tap_ok(t, !memcmp(ram, ram + 0x8000, 1024),
	       "the device's DMA reads and writes \"guest RAM\" at guest-physical addresses");
}

static void test_edu_irqs(struct tap *t, struct kvm_vm *vm, struct pt_route_table *tab,
			  struct pt_assign_dev *d)
{
	struct pt_assign_vector vec[2] = {
		{ PT_VECTOR_LIVE, pt_msi_compose(0, 0x45) },
		{ PT_VECTOR_LIVE, pt_msi_compose(0, 0x47) },
	};
	struct pt_assign_irqs intx = { .kind = PT_ASSIGN_IRQ_INTX, .intx_gsi = 10 };
	struct pt_assign_irqs msi = { .kind = PT_ASSIGN_IRQ_MSI, .nvec = 1, .vec = vec };
	struct pt_assign_irqs none = { .kind = PT_ASSIGN_IRQ_NONE };
	struct pt_route_stats st, st2;

	set_ioapic_pin(vm, 10, 0x61);
	kvm_vm_clear_irr(vm);
	tap_is_int(t, pt_assign_irq_set(d, &intx), 0, "INTx on GSI 10");
	tap_ok(t, pt_route_irqfd_of(tab, 10) >= 0, "GSI 10 has the device's irqfd (with resample)");
	reg_write(d, EDU_IRQ_RAISE, 1, 4);
	tap_ok(t, kvm_vm_wait_irr(vm, 0x61, DELIVERY_MS),
	       "edu's INTx reaches the IOAPIC pin: vector 0x61 pending in the LAPIC");
	reg_write(d, EDU_IRQ_ACK, 1, 4);

	kvm_vm_clear_irr(vm);
	tap_is_int(t, pt_assign_irq_set(d, &msi), 0, "switch to MSI, one vector to 0x45");
	tap_ok(t, pt_route_irqfd_of(tab, 10) < 0, "GSI 10 is free again");
	reg_write(d, EDU_IRQ_RAISE, 1, 4);
	tap_ok(t, kvm_vm_wait_irr(vm, 0x45, DELIVERY_MS), "edu's MSI arrives as vector 0x45");
	reg_write(d, EDU_IRQ_ACK, 1, 4);

	pt_route_table_stats(tab, &st);
	vec[0].msg = pt_msi_compose(0, 0x46);
	kvm_vm_clear_irr(vm);
	tap_is_int(t, pt_assign_irq_set(d, &msi), 0, "the guest retargets it to 0x46");
	pt_route_table_stats(tab, &st2);
	tap_ok(t, st2.commits == st.commits + 1 && st2.msi_routes == 1,
	       "a retarget is one commit, the same route (commits %llu -> %llu)",
	       (unsigned long long)st.commits, (unsigned long long)st2.commits);
	reg_write(d, EDU_IRQ_RAISE, 1, 4);
	tap_ok(t, kvm_vm_wait_irr(vm, 0x46, DELIVERY_MS) && !kvm_vm_wait_irr(vm, 0x45, 0),
	       "the next one arrives as 0x46");
	reg_write(d, EDU_IRQ_ACK, 1, 4);

	msi.nvec = 2;
	tap_is_int(t, pt_assign_irq_set(d, &msi), -ERANGE, "two MSI vectors: edu has one, refused");
	msi.nvec = 1;
	kvm_vm_clear_irr(vm);
	reg_write(d, EDU_IRQ_RAISE, 1, 4);
	tap_ok(t, kvm_vm_wait_irr(vm, 0x46, DELIVERY_MS),
	       "after the refusal the previous mode still delivers");
	reg_write(d, EDU_IRQ_ACK, 1, 4);

	tap_is_int(t, pt_assign_irq_set(d, &none), 0, "interrupts off");
	pt_route_table_stats(tab, &st);
	tap_ok(t, st.msi_routes == 0 && st.irqfds == 0, "no route and no irqfd left (%u, %u)",
	       st.msi_routes, st.irqfds);
}

/*
 * An open that fails after the group joined the container and the KVM-VFIO device
 * (the function is not in that group) takes the group out of both again and leaves
 * the fd the caller's: a later open through it works.
 */
static void test_failed_open_undone(struct tap *t, const struct pt_assign_env *env, int group)
{
	struct vfio_group_status st = { .argsz = sizeof(st) };
	struct pt_assign_dev *d = NULL;
	struct pt_bdf stranger;

	pt_bdf_parse("0000:00:00.0", &stranger, NULL);
	tap_ok(t, pt_assign_vfio.open(env, &stranger, group, &d) < 0 && !d,
	       "open of a function that is not in the group fails");
	tap_ok(t, fcntl(group, F_GETFD) >= 0, "and the group fd is still the caller's");
	tap_ok(t, ioctl(group, VFIO_GROUP_GET_STATUS, &st) == 0 &&
		  !(st.flags & VFIO_GROUP_FLAGS_CONTAINER_SET),
	       "and the group left the container again (flags 0x%x)", st.flags);
}

static void test_edu(struct tap *t, const struct bound *b)
{
	struct kvm_vm vm;
	struct pt_route_table *tab = NULL;
	struct pt_assign_dev *d = NULL;
	struct pt_assign_reset rst;
	struct pt_bdf bdf;
	int group, nul;

	if (open_vm(t, &vm, &tab) < 0)
		return;
	struct pt_assign_env env = { .kvm_fd = vm.kvm_fd, .vm_fd = vm.vm_fd, .routes = tab };

	pt_bdf_parse(b->bdf, &bdf, NULL);
	nul = open("/dev/null", O_RDWR | O_CLOEXEC);
	tap_is_int(t, pt_assign_vfio.open(&env, &bdf, nul, &d), -EBADF,
		   "open with an fd that is no VFIO group is refused");
	tap_ok(t, fcntl(nul, F_GETFD) >= 0, "and that fd is still the caller's");
	close(nul);

	group = open_group(b->group);
	test_failed_open_undone(t, &env, group);
	tap_is_int(t, pt_assign_vfio.open(&env, &bdf, group, &d), 0, "open edu %s (group %d)",
		   b->bdf, b->group);
	if (!d)
		goto out;
	tap_is_str(t, d->backend->name, "vfio", "the backend says it is vfio");
	test_regions_and_dma(t, d);
	test_edu_irqs(t, &vm, tab, d);
	tap_ok(t, d->backend->reset(d, &rst) == 0 && (bdf.bus || (!strcmp(rst.method, "none") &&
								  rst.detail[0])),
	       "reset: edu has none on the root bus, and says why (%s: %s)", rst.method,
	       rst.detail);
	pt_assign_release(d);
	tap_ok(t, fcntl(group, F_GETFD) < 0 && errno == EBADF,
	       "release closed the group fd it owned");
out:
	pt_route_table_free(tab);
	kvm_vm_close(&vm);
}

/* How many of this process's fds are /dev/vfio/vfio: its containers. */
static int containers_open(void)
{
	char link[300], target[64];
	struct dirent *e;
	DIR *dir = opendir("/proc/self/fd");
	int n = 0;

	while (dir && (e = readdir(dir))) {
		ssize_t len;

		snprintf(link, sizeof(link), "/proc/self/fd/%s", e->d_name);
		len = readlink(link, target, sizeof(target) - 1);
		if (len > 0) {
			target[len] = 0;
			n += !strcmp(target, "/dev/vfio/vfio");
		}
	}
	if (dir)
		closedir(dir);
	return n;
}

/*
 * Two devices of one VM (e1000e and edu, two groups) through the VM's slot: one
 * container and one KVM-VFIO device for both, guest RAM mapped once (edu's DMA works
 * through the mapping e1000e's map_ram made), freed with the last device.
 */
static void test_shared_container(struct tap *t, struct kvm_vm *vm, struct pt_route_table *tab,
				  const struct bound *nic)
{
	void *vm_state = NULL;
	struct pt_assign_env env = { .kvm_fd = vm->kvm_fd, .vm_fd = vm->vm_fd, .routes = tab,
				     .vm_state = &vm_state };
	struct pt_assign_dev *dn = NULL, *de = NULL;
	struct bound edu;
	struct pt_bdf bdf;
	uint8_t *ram;
	int before = containers_open(), i;

	if (bind_vfio(0x1234, 0x11e8, &edu) < 0) {
		tap_skip(t, "edu cannot be bound again for the shared container");
		return;
	}
	ram = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	pt_bdf_parse(nic->bdf, &bdf, NULL);
	tap_is_int(t, pt_assign_vfio.open(&env, &bdf, open_group(nic->group), &dn), 0,
		   "shared: e1000e opened through the VM's slot");
	tap_ok(t, vm_state != NULL && containers_open() == before + 1,
	       "shared: the slot holds the VM's container (%d open)", containers_open() - before);
	if (dn && ram != MAP_FAILED)
		tap_is_int(t, dn->backend->map_ram(dn, RAM_GPA, RAM_SIZE, ram), 0,
			   "shared: guest RAM mapped for e1000e");
	pt_bdf_parse(edu.bdf, &bdf, NULL);
	tap_is_int(t, pt_assign_vfio.open(&env, &bdf, open_group(edu.group), &de), 0,
		   "shared: edu opened into the same VM");
	tap_is_int(t, containers_open(), before + 1, "shared: still one container for two groups");
	if (de && ram != MAP_FAILED) {
		uint32_t cmd = 0;

		tap_is_int(t, de->backend->map_ram(de, RAM_GPA, RAM_SIZE, ram), 0,
			   "shared: edu's map_ram of the same RAM (mapped already: no second mapping)");
		de->backend->config_read(de, PCI_COMMAND, 2, &cmd);
		de->backend->config_write(de, PCI_COMMAND, 2,
					  cmd | PCI_COMMAND_MASTER | PCI_COMMAND_MEMORY);
		for (i = 0; i < 256; i++)
			ram[i] = (uint8_t)(i * 7);
		reg_write(de, EDU_DMA_SRC, RAM_GPA, 8);
		reg_write(de, EDU_DMA_DST, EDU_BUFFER, 8);
		reg_write(de, EDU_DMA_COUNT, 256, 8);
		reg_write(de, EDU_DMA_CMD, EDU_DMA_START, 8);
		for (i = 0; i < 500 && (reg_read(de, EDU_DMA_CMD, 8) & 1); i++)
			usleep(10000);
		reg_write(de, EDU_DMA_SRC, EDU_BUFFER, 8);
		reg_write(de, EDU_DMA_DST, RAM_GPA + 0x4000, 8);
		reg_write(de, EDU_DMA_CMD, EDU_DMA_START | EDU_DMA_TO_RAM, 8);
		for (i = 0; i < 500 && (reg_read(de, EDU_DMA_CMD, 8) & 1); i++)
			usleep(10000);
		tap_ok(t, !memcmp(ram, ram + 0x4000, 256),
		       "shared: edu's DMA reaches guest RAM through the VM's one mapping");
	}
	pt_assign_release(de);
	tap_ok(t, vm_state != NULL && containers_open() == before + 1,
	       "shared: edu released, the container stays for e1000e");
	pt_assign_release(dn);
	tap_ok(t, vm_state == NULL && containers_open() == before,
	       "shared: the last device released frees the container and empties the slot");
	if (ram != MAP_FAILED)
		munmap(ram, RAM_SIZE);
	unbind_vfio(&edu);
}

/* The MSI-X capability's PBA: its BAR and offset (from the device's config space). */
static int msix_pba(struct pt_assign_dev *d, unsigned *ret_bar, uint32_t *ret_off)
{
	uint32_t pos = 0, hdr = 0, pba = 0;

	d->backend->config_read(d, PCI_CAPABILITY_LIST, 1, &pos);
	for (int i = 0; i < 48 && pos >= 0x40; i++) {
		d->backend->config_read(d, pos, 2, &hdr);
		if ((hdr & 0xff) == PCI_CAP_ID_MSIX) {
			d->backend->config_read(d, pos + PCI_MSIX_PBA, 4, &pba);
			*ret_bar = pba & PCI_MSIX_PBA_BIR;
			*ret_off = pba & PCI_MSIX_PBA_OFFSET;
			return 0;
		}
		pos = (hdr >> 8) & 0xfc;
	}
	return -ENOENT;
}

/* The device raises `cause` (its ICR cleared first, so that it fires again). */
static void e1000e_raise(struct pt_assign_dev *d, uint32_t cause)
{
	reg_write(d, E1000E_ICR, 0xffffffff, 4);
	reg_write(d, E1000E_ICS, cause, 4);
}

/*
 * MSI-X changed in place on the real device: masking and unmasking a vector, a
 * vector masked from the start made live, a retarget; each delivered (or not) as it
 * should, with no disable-all/enable-all and one routing commit only where a route
 * changed. e1000e's RXQ0 cause goes to vector 1, TXQ0 to vector 3.
 */
static void test_e1000e_in_place(struct tap *t, struct kvm_vm *vm, struct pt_route_table *tab,
				 struct pt_assign_dev *d, struct pt_assign_vector *vec,
				 struct pt_assign_irqs *msix)
{
	struct pt_route_stats st, st2;
	struct pt_vfio_irq_stats vs, vs2;
	unsigned pba_bar = 0;
	uint32_t pba_off = 0, cmd = 0;
	uint64_t pba = 0;

	d->backend->config_read(d, PCI_COMMAND, 2, &cmd);
	d->backend->config_write(d, PCI_COMMAND, 2, cmd | PCI_COMMAND_MASTER | PCI_COMMAND_MEMORY);
	reg_write(d, E1000E_IVAR, 0x0b09, 4); /* RXQ0 -> vector 1, TXQ0 -> vector 3 */
	reg_write(d, E1000E_IMS, E1000E_RXQ0 | E1000E_TXQ0, 4);
	kvm_vm_clear_irr(vm);
	e1000e_raise(d, E1000E_RXQ0);
	tap_ok(t, kvm_vm_wait_irr(vm, 0x51, DELIVERY_MS), "e1000e's RXQ0 arrives on vector 1 (0x51)");

	pt_route_table_stats(tab, &st);
	pt_vfio_irq_stats(d, &vs);
	vec[1].state = PT_VECTOR_MASKED;
	tap_is_int(t, pt_assign_irq_set(d, msix), 0, "vector 1 masked");
	pt_route_table_stats(tab, &st2);
	pt_vfio_irq_stats(d, &vs2);
	tap_ok(t, st2.commits == st.commits && st2.msi_routes == 3 &&
		   vs2.vector_calls == vs.vector_calls + 1 && vs2.reenables == 0 &&
		   vs2.enables == vs.enables && vs2.triggers == 2,
	       "in place: no commit, its route kept, one SET_IRQS, no re-enable (%u triggers)",
	       vs2.triggers);
	kvm_vm_clear_irr(vm);
	e1000e_raise(d, E1000E_RXQ0);
	tap_ok(t, !kvm_vm_wait_irr(vm, 0x51, 300), "masked: RXQ0 does not arrive");
	if (msix_pba(d, &pba_bar, &pba_off) == 0)
		d->backend->region_rw(d, pba_bar, pba_off, 8, false, &pba);
	tap_ok(t, pba & 2, "the device's PBA has vector 1 pending (%#llx, BAR%u+%#x)",
	       (unsigned long long)pba, pba_bar, pba_off);
	vec[1].state = PT_VECTOR_LIVE;
	tap_is_int(t, pt_assign_irq_set(d, msix), 0, "vector 1 unmasked");
	tap_ok(t, kvm_vm_wait_irr(vm, 0x51, DELIVERY_MS),
	       "the pending interrupt arrives at the unmask");
	pt_route_table_stats(tab, &st2);
	tap_ok(t, st2.commits == st.commits && st2.msi_routes == 3, "still no commit, 3 routes");

	pt_vfio_irq_stats(d, &vs);
	vec[3].state = PT_VECTOR_LIVE;
	tap_is_int(t, pt_assign_irq_set(d, msix), 0, "vector 3, masked from the start, unmasked");
	pt_route_table_stats(tab, &st2);
	pt_vfio_irq_stats(d, &vs2);
	tap_ok(t, st2.commits == st.commits + 1 && st2.msi_routes == 4 && st2.irqfds == 4 &&
		   vs2.vector_calls == vs.vector_calls + 1 && vs2.reenables == 0,
	       "a GSI and an irqfd for it, one commit, one SET_IRQS, no re-enable");
	kvm_vm_clear_irr(vm);
	e1000e_raise(d, E1000E_TXQ0);
	tap_ok(t, kvm_vm_wait_irr(vm, 0x53, DELIVERY_MS), "TXQ0 arrives on vector 3 (0x53)");

	pt_route_table_stats(tab, &st);
	vec[3].msg = pt_msi_compose(0, 0x5a);
	tap_is_int(t, pt_assign_irq_set(d, msix), 0, "vector 3 retargeted to 0x5a");
	pt_route_table_stats(tab, &st2);
	pt_vfio_irq_stats(d, &vs);
	tap_ok(t, st2.commits == st.commits + 1 && vs.vector_calls == vs2.vector_calls,
	       "a retarget: one commit, no VFIO call");
	kvm_vm_clear_irr(vm);
	e1000e_raise(d, E1000E_TXQ0);
	tap_ok(t, kvm_vm_wait_irr(vm, 0x5a, DELIVERY_MS) && !kvm_vm_wait_irr(vm, 0x53, 0),
	       "and TXQ0 arrives as 0x5a");
	tap_ok(t, vs.reenables == 0 && vs.enables == 1,
	       "MSI-X enabled once, never disabled and enabled again (%s kernel: %u vectors enabled)",
	       vs.can_grow ? "a growing" : "a NORESIZE", vs.vfio_vectors);
	reg_write(d, E1000E_IMS + 4, 0xffffffff, 4); /* IMC: every cause off */
}

static void test_e1000e(struct tap *t, const struct bound *b)
{
	struct pt_assign_vector vec[5];
	struct pt_assign_irqs msix = { .kind = PT_ASSIGN_IRQ_MSIX, .nvec = 5, .vec = vec };
	struct pt_route_table *tab = NULL;
	struct pt_assign_dev *d = NULL;
	struct pt_route_stats st;
	struct pt_assign_reset rst;
	struct kvm_vm vm;
	struct pt_bdf bdf;

	if (open_vm(t, &vm, &tab) < 0)
		return;
	struct pt_assign_env env = { .kvm_fd = vm.kvm_fd, .vm_fd = vm.vm_fd, .routes = tab };

	pt_bdf_parse(b->bdf, &bdf, NULL);
	tap_is_int(t, pt_assign_vfio.open(&env, &bdf, open_group(b->group), &d), 0,
		   "open e1000e %s", b->bdf);
	if (!d)
		goto out;
	for (int i = 0; i < 5; i++) {
		vec[i].state = i < 3 ? PT_VECTOR_LIVE : PT_VECTOR_MASKED;
		vec[i].msg = pt_msi_compose(0, 0x50 + i);
	}
	tap_is_int(t, pt_assign_irq_set(d, &msix), 0, "MSI-X: 5 vectors, 3 live, 2 masked");
	pt_route_table_stats(tab, &st);
	tap_ok(t, st.msi_routes == 3 && st.irqfds == 3 && st.commits == 1,
	       "3 routes and irqfds, committed once (%u, %u, %llu)", st.msi_routes, st.irqfds,
	       (unsigned long long)st.commits);
	test_e1000e_in_place(t, &vm, tab, d, vec, &msix);
	tap_ok(t, d->backend->reset(d, &rst) == 0 && strcmp(rst.method, "none") &&
		  strcmp(rst.method, "hot-reset"), "reset: e1000e has one of its own (%s)", rst.method);
	pt_assign_release(d);
	pt_route_table_stats(tab, &st);
	tap_ok(t, st.msi_routes == 0 && st.irqfds == 0, "release removed its routes and irqfds");
	test_shared_container(t, &vm, tab, b);
out:
	pt_route_table_free(tab);
	kvm_vm_close(&vm);
}

int main(void)
{
	if (access("/dev/kvm", R_OK | W_OK) < 0)
		tap_skip_all("no usable /dev/kvm");
	return run_device_tests(test_edu, test_e1000e);
}
