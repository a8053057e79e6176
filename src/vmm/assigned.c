#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/pci_regs.h>

#include "assign/vconfig.h"
#include "common/cleanup.h"
#include "common/log.h"
#include "vmm/assigned.h"
#include "vmm/e820.h"
#include "vmm/layout.h"
#include "vmm/requests.h"
#include "vmm/vm_internal.h"

struct pt_vm_assigned;

/* One BAR as the guest placed it: a memory slot, or a trapped range. */
struct bar_window {
	struct pt_vm_assigned *a;
	unsigned index;
	uint64_t base, size;
	bool mapped, trapped;
	unsigned slot;
	uint32_t flags;          /* PT_REGION_* */
	void *hva;               /* the backend's whole-region mapping, when mmap-able */
};

struct pt_vm_assigned {
	struct pt_vm *vm;
	struct pt_assign_dev *dev;
	struct pt_pci_function *fn;
	struct pt_vconfig vc;
	struct bar_window bars[PT_PCI_NUM_BARS];
	struct pt_vm_assigned *next;
};

static void bar_io(void *ctx, uint64_t addr, unsigned size, bool write, uint64_t *val)
{
	struct bar_window *w = ctx;
	struct pt_assign_dev *d = w->a->dev;

	if (d->backend->region_rw(d, w->index, addr - w->base, size, write, val) < 0 && !write)
		*val = ~0ULL;
}

/* A BAR may be a memory slot when the backend maps it whole and it is page-sized. */
static bool can_map(const struct bar_window *w, uint64_t size)
{
	return w->hva && !(size & 0xfff);
}

static void bar_update(void *ctx, struct pt_pci_function *fn, unsigned bar, uint64_t addr,
		       uint64_t size, bool enabled)
{
	struct pt_vm_assigned *a = ctx;
	struct bar_window *w = &a->bars[bar];
	int r;

	(void)fn;
	if (!enabled) {
		if (w->mapped)
			pt_vm_unmap_memory(a->vm, w->slot);
		else if (w->trapped && (w->flags & PT_REGION_MMIO))
			pt_vm_mmio_del(a->vm, w->base);
		else if (w->trapped)
			pt_vm_pio_del(a->vm, (uint16_t)w->base);
		w->mapped = w->trapped = false;
		return;
	}
	w->base = addr;
	w->size = size;
	if ((w->flags & PT_REGION_MMIO) && can_map(w, size)) {
		r = pt_vm_map_memory(a->vm, addr, size, w->hva, false, &w->slot);
		w->mapped = r == 0;
	} else if (w->flags & PT_REGION_MMIO) {
		r = pt_vm_mmio_add(a->vm, addr, size, bar_io, w, a->dev->name);
		w->trapped = r == 0;
	} else {
		r = pt_vm_pio_add(a->vm, (uint16_t)addr, (uint16_t)size, bar_io, w, a->dev->name);
		w->trapped = r == 0;
	}
	if (r < 0)
		pt_err("%s: BAR%u at %#llx (%llu bytes) cannot be placed there: %s", a->dev->name,
		       bar, (unsigned long long)addr, (unsigned long long)size, strerror(-r));
}

static void cfg_read(void *ctx, struct pt_pci_function *fn, unsigned off, unsigned size,
		     uint32_t *val)
{
	struct pt_vm_assigned *a = ctx;

	(void)fn;
	*val = pt_vconfig_read(&a->vc, off, size, *val);
}

static void cfg_write(void *ctx, struct pt_pci_function *fn, unsigned off, unsigned size,
		      uint32_t val)
{
	struct pt_vm_assigned *a = ctx;

	(void)fn;
	pt_vconfig_write(&a->vc, off, size, val);
}

static const struct pt_pci_ops assigned_ops = { cfg_read, cfg_write, bar_update };

/* The guest's RAM, IOVA = guest physical, for the device's DMA. */
static int map_ram(struct pt_vm_assigned *a)
{
	uint64_t low = pt_mem_low_size(a->vm->memory), high = pt_mem_high_size(a->vm->memory);
	struct pt_assign_dev *d = a->dev;
	int r;

	if (!d->backend->map_ram)
		return 0; /* the kernel maps every memory slot itself (legacy) */
	r = d->backend->map_ram(d, 0, low, a->vm->ram);
	if (!r && high)
		r = d->backend->map_ram(d, PT_GPA_4G, high, a->vm->ram + low);
	return r;
}

/* The function the guest sees: the device's identity and BARs as the backend reports. */
static int describe(struct pt_vm_assigned *a, struct pt_pci_function_desc *desc)
{
	struct pt_assign_dev *d = a->dev;
	uint32_t ids = 0, class_rev = 0, subsys = 0, pin = 0;
	int r;

	r = d->backend->config_read(d, PCI_VENDOR_ID, 4, &ids);
	if (!r)
		r = d->backend->config_read(d, PCI_CLASS_REVISION, 4, &class_rev);
	if (!r)
		r = d->backend->config_read(d, PCI_SUBSYSTEM_VENDOR_ID, 4, &subsys);
	if (!r)
		r = d->backend->config_read(d, PCI_INTERRUPT_PIN, 1, &pin);
	if (r < 0) {
		pt_err("%s: cannot read its config space: %s", d->name, strerror(-r));
		return r;
	}
	desc->vendor = (uint16_t)ids;
	desc->device = (uint16_t)(ids >> 16);
	desc->revision = (uint8_t)class_rev;
	desc->class_code = class_rev >> 8;
	desc->subsystem_vendor = (uint16_t)subsys;
	desc->subsystem = (uint16_t)(subsys >> 16);
	desc->int_pin = pin <= 4 ? (uint8_t)pin : 0;
	for (unsigned i = 0; i < PT_PCI_NUM_BARS; i++) {
		struct pt_assign_region info;
		struct bar_window *w = &a->bars[i];

		w->a = a;
		w->index = i;
		r = d->backend->region_info(d, i, &info);
		if (r < 0)
			return r;
		if (!info.size)
			continue;
		w->flags = info.flags;
		if (info.flags & PT_REGION_MMIO)
			desc->bars[i].type = info.flags & PT_REGION_MEM64 ? PT_PCI_BAR_MEM64
									  : PT_PCI_BAR_MEM32;
		else
			desc->bars[i].type = PT_PCI_BAR_IO;
		desc->bars[i].size = info.size;
		desc->bars[i].prefetchable = info.flags & PT_REGION_PREFETCH;
		/* Whole-region mappings only where nothing in the BAR must trap. */
		if ((info.flags & PT_REGION_MMAP) && info.n_areas == 1 && info.areas[0].offset == 0 &&
		    info.areas[0].size == info.size && d->backend->region_mmap(d, i, &w->hva) < 0)
			w->hva = NULL;
		if (desc->bars[i].type == PT_PCI_BAR_MEM64)
			i++; /* its upper half */
	}
	return 0;
}

/* The slot where backend keeps its per-VM object, or NULL when all are taken. */
static void **backend_slot(struct pt_vm *vm, const struct pt_assign_backend *backend)
{
	for (size_t i = 0; i < ARRAY_SIZE(vm->backend_state); i++) {
		if (!vm->backend_state[i].backend)
			vm->backend_state[i].backend = backend;
		if (vm->backend_state[i].backend == backend)
			return &vm->backend_state[i].state;
	}
	return NULL;
}

int pt_vm_assign_device(struct pt_vm *vm, const struct pt_assign_backend *backend,
			const struct pt_bdf *bdf, int handed_fd, int slot)
{
	struct pt_assign_env env = { .kvm_fd = vm->kvm_fd, .vm_fd = vm->vm_fd, .routes = vm->routes,
				     .vm_state = backend_slot(vm, backend) };
	struct pt_pci_function_desc desc = { .slot = slot, .ops = &assigned_ops };
	struct pt_vm_assigned *a;
	int r;

	a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	a->vm = vm;
	pthread_mutex_lock(&vm->assign_lock);
	r = backend->open(&env, bdf, handed_fd, &a->dev);
	if (r < 0) {
		pthread_mutex_unlock(&vm->assign_lock);
		free(a);
		return r;
	}
	desc.ctx = a;
	r = map_ram(a);
	if (!r)
		r = describe(a, &desc);
	if (!r) {
		r = pt_pci_register_function(&vm->pci, &desc, &a->fn);
		if (r < 0)
			pt_err("%s: no place on the guest's PCI bus%s: %s", a->dev->name,
			       slot > 0 ? " at the slot asked for" : "", strerror(-r));
	}
	if (!r) {
		r = pt_vconfig_init(&a->vc, a->dev, a->fn->gsi);
		if (r < 0)
			pt_pci_unregister_function(&vm->pci, a->fn);
	}
	if (r < 0) {
		pt_assign_release(a->dev);
		pthread_mutex_unlock(&vm->assign_lock);
		free(a);
		return r;
	}
	pthread_mutex_lock(&vm->lock);
	a->next = vm->assigned;
	vm->assigned = a;
	pthread_mutex_unlock(&vm->lock);
	pt_vm_requests_watch(vm, a->dev);
	pthread_mutex_unlock(&vm->assign_lock);
	pt_info("%s: assigned (%s) at guest 00:%02x.0, %s", a->dev->name, backend->name,
		a->fn->dev, a->fn->gsi >= 0 ? "INTx on its IOAPIC pin" : "no INTx");
	return 0;
}

/* The caller holds assign_lock. */
static void release_one(struct pt_vm *vm, struct pt_vm_assigned *a)
{
	pt_vm_requests_unwatch(vm, a->dev);
	pt_pci_unregister_function(&vm->pci, a->fn);
	pt_assign_release(a->dev);
	free(a);
}

void pt_vm_release_devices(struct pt_vm *vm)
{
	struct pt_vm_assigned *a, *next;

	pthread_mutex_lock(&vm->assign_lock);
	pthread_mutex_lock(&vm->lock);
	a = vm->assigned;
	vm->assigned = NULL;
	pthread_mutex_unlock(&vm->lock);
	for (; a; a = next) {
		next = a->next;
		release_one(vm, a);
	}
	pthread_mutex_unlock(&vm->assign_lock);
}

int pt_vm_remove_device(struct pt_vm *vm, const struct pt_bdf *bdf)
{
	struct pt_vm_assigned **p, *a = NULL;

	pthread_mutex_lock(&vm->assign_lock);
	pthread_mutex_lock(&vm->lock);
	for (p = &vm->assigned; *p; p = &(*p)->next) {
		if (pt_bdf_equal(&(*p)->dev->bdf, bdf)) {
			a = *p;
			*p = a->next;
			break;
		}
	}
	pthread_mutex_unlock(&vm->lock);
	if (a) {
		pt_info("%s: removed from guest 00:%02x.0", a->dev->name, a->fn->dev);
		release_one(vm, a);
	}
	pthread_mutex_unlock(&vm->assign_lock);
	return a ? 0 : -ENOENT;
}

/* The BARs as the guest placed them: how each reaches the device. */
static json_t *bars_json(const struct pt_vm_assigned *a)
{
	json_t *bars = json_array();

	for (unsigned i = 0; bars && i < PT_PCI_NUM_BARS; i++) {
		const struct bar_window *w = &a->bars[i];
		json_t *b;

		if (!w->size)
			continue;
		b = json_pack("{s:i,s:s,s:I,s:I,s:s}", "index", (int)i, "kind",
			      w->flags & PT_REGION_MMIO ? "mem" : "io", "base", (json_int_t)w->base,
			      "size", (json_int_t)w->size, "access",
			      w->mapped ? "mapped" : w->trapped ? "trapped" : "off");
		if (b && w->mapped)
			json_object_set_new(b, "slot", json_integer(w->slot));
		json_array_append_new(bars, b);
	}
	return bars;
}

json_t *pt_vm_assigned_json(struct pt_vm *vm)
{
	json_t *list = json_array();

	if (!list)
		return NULL;
	pthread_mutex_lock(&vm->lock);
	for (const struct pt_vm_assigned *a = vm->assigned; a; a = a->next) {
		char guest[16];

		snprintf(guest, sizeof(guest), "00:%02x.%x", a->fn->dev, a->fn->fn);
		json_array_append_new(list, json_pack("{s:s,s:s,s:s,s:i,s:i,s:i,s:s,s:o}",
			"guest", guest, "host", a->dev->name, "backend", a->dev->backend->name,
			"vendor", a->fn->cfg[0] | a->fn->cfg[1] << 8,
			"device", a->fn->cfg[2] | a->fn->cfg[3] << 8, "gsi", a->fn->gsi,
			"irq", pt_vconfig_irq_mode(&a->vc), "bars", bars_json(a)));
	}
	pthread_mutex_unlock(&vm->lock);
	return list;
}

unsigned pt_vm_assigned_count(const struct pt_vm *vm)
{
	unsigned n = 0;

	for (const struct pt_vm_assigned *a = vm->assigned; a; a = a->next)
		n++;
	return n;
}
