#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/pci_regs.h>

#include "assign/vconfig.h"
#include "common/cleanup.h"
#include "common/clock.h"
#include "common/log.h"
#include "config/guest_layout.h"
#include "vfio/backend.h"
#include "vmm/assigned.h"
#include "vmm/bar_layout.h"
#include "vmm/dma_map.h"
#include "vmm/e820.h"
#include "vmm/layout.h"
#include "vmm/requests.h"
#include "vmm/rom.h"
#include "vmm/vm_internal.h"

/* Header type bit 7: the device has more functions (not in older kernel headers). */
#define HEADER_MULTIFUNCTION 0x80

struct pt_vm_assigned;

enum placed { PLACED_OFF, PLACED_SLOT, PLACED_TRAP };

/*
 * One BAR as the guest placed it: pieces (bar_layout.h) that are memory slots over
 * the backend's mapping or trapped ranges; an I/O BAR is one trapped piece.
 */
struct bar_window {
	struct pt_vm_assigned *a;
	unsigned index;
	uint64_t base, size;
	uint32_t flags;          /* PT_REGION_* */
	void *hva;               /* the backend's mapping of the region, when mmap-able */
	unsigned npieces;
	struct pt_bar_piece pieces[PT_BAR_MAX_PIECES];
	enum placed placed[PT_BAR_MAX_PIECES];
	unsigned slot[PT_BAR_MAX_PIECES];
	uint64_t table_off, table_size; /* the MSI-X table in this BAR (size 0: not here) */
	uint64_t pba_off, pba_size;     /* its PBA */
};

struct pt_vm_assigned {
	struct pt_vm *vm;
	struct pt_assign_dev *dev;
	struct pt_pci_function *fn;
	struct pt_vconfig vc;
	bool vc_ready;           /* vc initialized (before the function is on the bus) */
	struct pt_assign_reset reset; /* the reset at assignment */
	int reset_err;           /* its result: 0, or -errno when it was tried and failed */
	struct bar_window bars[PT_PCI_NUM_BARS];
	struct pt_vm_rom rom;
	struct pt_vm_assigned *next;
};

static bool within(uint64_t off, unsigned size, uint64_t start, uint64_t len)
{
	return len && off >= start && off + size <= start + len;
}

/*
 * A trapped access: the MSI-X table is emulated (vconfig), the PBA read from the
 * device (its pending bits are real: a vector the guest masks is masked on the host
 * too) and never written (it is read-only), anything else forwarded.
 */
static void bar_io(void *ctx, uint64_t addr, unsigned size, bool write, uint64_t *val)
{
	struct bar_window *w = ctx;
	struct pt_assign_dev *d = w->a->dev;
	uint64_t off = addr - w->base;

	if (within(off, size, w->table_off, w->table_size)) {
		if (write)
			pt_vconfig_msix_table_write(&w->a->vc, off - w->table_off, size, *val);
		else
			*val = pt_vconfig_msix_table_read(&w->a->vc, off - w->table_off, size);
		return;
	}
	if (write && within(off, size, w->pba_off, w->pba_size))
		return;
	if (d->backend->region_rw(d, w->index, off, size, write, val) < 0 && !write)
		*val = ~0ULL;
}

static void unplace(struct pt_vm_assigned *a, struct bar_window *w)
{
	for (unsigned i = 0; i < w->npieces; i++) {
		uint64_t at = w->base + w->pieces[i].offset;

		if (w->placed[i] == PLACED_SLOT)
			pt_vm_unmap_memory(a->vm, w->slot[i]);
		else if (w->placed[i] == PLACED_TRAP && (w->flags & PT_REGION_MMIO))
			pt_vm_mmio_del(a->vm, at);
		else if (w->placed[i] == PLACED_TRAP)
			pt_vm_pio_del(a->vm, (uint16_t)at);
		w->placed[i] = PLACED_OFF;
	}
}

/* One piece at the BAR's base: a memory slot if it may be one (else trapped after all). */
static int place(struct pt_vm_assigned *a, struct bar_window *w, unsigned i)
{
	const struct pt_bar_piece *p = &w->pieces[i];
	uint64_t at = w->base + p->offset;
	int r;

	if (!(w->flags & PT_REGION_MMIO)) {
		r = pt_vm_pio_add(a->vm, (uint16_t)at, (uint16_t)p->size, bar_io, w, a->dev->name);
		w->placed[i] = r == 0 ? PLACED_TRAP : PLACED_OFF;
		return r;
	}
	if (p->map) {
		r = pt_vm_map_memory(a->vm, at, p->size, (uint8_t *)w->hva + p->offset, false,
				     &w->slot[i]);
		if (r == 0) {
			w->placed[i] = PLACED_SLOT;
			return 0;
		}
		pt_warn("%s: BAR%u+%#llx (%llu bytes) cannot be a memory slot (%s): trapped instead",
			a->dev->name, w->index, (unsigned long long)p->offset,
			(unsigned long long)p->size, strerror(-r));
	}
	r = pt_vm_mmio_add(a->vm, at, p->size, bar_io, w, a->dev->name);
	w->placed[i] = r == 0 ? PLACED_TRAP : PLACED_OFF;
	return r;
}

static void bar_update(void *ctx, struct pt_pci_function *fn, unsigned bar, uint64_t addr,
		       uint64_t size, bool enabled)
{
	struct pt_vm_assigned *a = ctx;
	struct bar_window *w;

	(void)fn;
	if (bar == PT_PCI_ROM_BAR) {
		pt_vm_rom_place(&a->rom, addr, enabled);
		return;
	}
	w = &a->bars[bar];
	unplace(a, w);
	if (!enabled)
		return;
	w->base = addr;
	w->size = size;
	for (unsigned i = 0; i < w->npieces; i++) {
		int r = place(a, w, i);

		if (r < 0)
			pt_err("%s: BAR%u+%#llx at %#llx (%llu bytes) cannot be placed there: %s",
			       a->dev->name, bar, (unsigned long long)w->pieces[i].offset,
			       (unsigned long long)(addr + w->pieces[i].offset),
			       (unsigned long long)w->pieces[i].size, strerror(-r));
	}
}

static void cfg_read(void *ctx, struct pt_pci_function *fn, unsigned off, unsigned size,
		     uint32_t *val)
{
	struct pt_vm_assigned *a = ctx;

	(void)fn;
	if (a->vc_ready)
		*val = pt_vconfig_read(&a->vc, off, size, *val);
}

/* Does a config write of size bytes at off set the command register's Bus Master Enable? */
static bool sets_bus_master(unsigned off, unsigned size, uint32_t val)
{
	return off <= PCI_COMMAND && off + size > PCI_COMMAND &&
	       ((val >> (8 * (PCI_COMMAND - off))) & PCI_COMMAND_MASTER);
}

/*
 * Under the PCI bus lock. A write that lets the device master the bus waits for the
 * background DMA map (dma_map.h): until then no DMA of it could reach guest RAM.
 */
static void cfg_write(void *ctx, struct pt_pci_function *fn, unsigned off, unsigned size,
		      uint32_t val)
{
	struct pt_vm_assigned *a = ctx;

	(void)fn;
	if (!a->vc_ready)
		return;
	if (sets_bus_master(off, size, val)) {
		long long t0 = pt_monotonic_us();
		int r = pt_vm_dma_wait(a->vm);

		if (r < 0) {
			pt_warn("%s: the guest's Bus Master Enable not passed on: %s", a->dev->name,
				r == -EIO ? "guest RAM could not be mapped for DMA" : "the VM stops");
			return;
		}
		if (r > 0)
			pt_info("%s: the guest's Bus Master Enable held %.1f ms, until guest RAM "
				"was mapped for DMA", a->dev->name,
				(double)(pt_monotonic_us() - t0) / 1e3);
	}
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

int pt_vm_assigned_map_ram(struct pt_vm *vm, char *who, size_t who_size)
{
	for (struct pt_vm_assigned *a = vm->assigned; a; a = a->next) {
		int r = map_ram(a);

		if (r < 0) {
			snprintf(who, who_size, "%s", a->dev->name);
			return r;
		}
	}
	return 0;
}

/*
 * Bus Master Enable off, as the guest first sees it: a reset clears it, but not
 * every device has one, and a device nobody reset may have it from its last user.
 */
static void clear_bus_master(struct pt_assign_dev *d)
{
	uint32_t cmd = 0;

	if (d->backend->config_read(d, PCI_COMMAND, 2, &cmd) == 0 && (cmd & PCI_COMMAND_MASTER) &&
	    d->backend->config_write(d, PCI_COMMAND, 2, cmd & ~PCI_COMMAND_MASTER) == 0)
		pt_info("%s: Bus Master Enable was set: cleared until the guest sets it", d->name);
}

/* The MSI-X table and PBA windows of BAR w (vconfig decided whether the guest sees them). */
static unsigned msix_windows(struct pt_vm_assigned *a, struct bar_window *w,
			     struct pt_bar_range *traps)
{
	struct pt_vconfig_msix_layout l;
	unsigned n = 0;

	if (!pt_vconfig_msix_layout(&a->vc, &l))
		return 0;
	if (l.table_bar == w->index) {
		w->table_off = l.table_offset;
		w->table_size = l.table_size;
		traps[n++] = (struct pt_bar_range){ l.table_offset, l.table_size };
	}
	if (l.pba_bar == w->index) {
		w->pba_off = l.pba_offset;
		w->pba_size = l.pba_size;
		traps[n++] = (struct pt_bar_range){ l.pba_offset, l.pba_size };
	}
	return n;
}

/*
 * BAR w's pieces: memory slots over the backend's mmap areas, except the MSI-X
 * table's and PBA's pages, which trap (so do BARs the backend cannot map).
 */
static int lay_out(struct pt_vm_assigned *a, struct bar_window *w, const struct pt_assign_region *info)
{
	struct pt_assign_dev *d = a->dev;
	struct pt_bar_range areas[PT_ASSIGN_MMAP_AREAS], traps[2];
	unsigned n_areas = 0, n_traps = msix_windows(a, w, traps);
	int n;

	if (!(info->flags & PT_REGION_MMIO)) {
		w->npieces = 1;
		w->pieces[0] = (struct pt_bar_piece){ .offset = 0, .size = info->size };
		return 0;
	}
	if ((info->flags & PT_REGION_MMAP) && info->n_areas &&
	    d->backend->region_mmap(d, w->index, &w->hva) == 0) {
		for (unsigned i = 0; i < info->n_areas && i < PT_ASSIGN_MMAP_AREAS; i++)
			areas[n_areas++] = (struct pt_bar_range){ info->areas[i].offset,
								  info->areas[i].size };
	} else {
		w->hva = NULL;
	}
	n = pt_bar_split(info->size, (uint64_t)sysconf(_SC_PAGESIZE), areas, n_areas, traps,
			 n_traps, w->pieces, PT_BAR_MAX_PIECES);
	if (n < 0) {
		pt_err("%s: BAR%u cannot be laid out in memory slots and trapped pages: %s",
		       d->name, w->index, strerror(-n));
		return n;
	}
	w->npieces = (unsigned)n;
	return 0;
}

/*
 * The function the guest sees: the device's identity and BARs as the backend reports.
 * A host function 0 that says it has more functions (header type bit 7) says so at
 * guest function 0 too, so that a guest's rescan looks for the ones that join later.
 */
static int describe(struct pt_vm_assigned *a, struct pt_pci_function_desc *desc)
{
	struct pt_assign_dev *d = a->dev;
	uint32_t ids = 0, class_rev = 0, subsys = 0, pin = 0, header = 0;
	int r;

	r = d->backend->config_read(d, PCI_VENDOR_ID, 4, &ids);
	if (!r)
		r = d->backend->config_read(d, PCI_CLASS_REVISION, 4, &class_rev);
	if (!r)
		r = d->backend->config_read(d, PCI_SUBSYSTEM_VENDOR_ID, 4, &subsys);
	if (!r)
		r = d->backend->config_read(d, PCI_INTERRUPT_PIN, 1, &pin);
	if (!r)
		r = d->backend->config_read(d, PCI_HEADER_TYPE, 1, &header);
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
	desc->multifunction = d->bdf.func == 0 && desc->function == 0 &&
			      (header & HEADER_MULTIFUNCTION);
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
		r = lay_out(a, w, &info);
		if (r < 0)
			return r;
		if (desc->bars[i].type == PT_PCI_BAR_MEM64)
			i++; /* its upper half */
	}
	desc->rom_size = a->rom.size;
	return 0;
}

/*
 * The device back to the backend: interrupts off (so that nothing the reset clears
 * can fire on the way), reset, then released. Not reset when the host asked for it
 * back: its unbind holds the device's lock, so a reset could only fail. The caller
 * holds assign_lock and the function is off the guest's bus.
 */
static void give_back(struct pt_assign_dev *d, bool reset_it)
{
	struct pt_assign_irqs none = { .kind = PT_ASSIGN_IRQ_NONE };
	struct pt_assign_reset reset;

	if (!reset_it)
		pt_info("%s: not reset before release: the host takes it back (vfio-pci resets "
			"it when it is closed)", d->name);
	else if (pt_assign_irq_set(d, &none) == 0)
		pt_assign_reset(d, "before release", &reset);
	else
		pt_warn("%s: not reset before release: its interrupts could not be switched off",
			d->name);
	pt_assign_release(d);
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

/*
 * Where bdf goes when no place was asked for (guest_layout.h): beside a host
 * slot-mate the VM has, else the lowest empty slot. The caller holds assign_lock,
 * so the list does not change meanwhile.
 */
static int choose_place(struct pt_vm *vm, const struct pt_bdf *bdf, int *slot, int *function)
{
	struct pt_guest_fn taken[PT_PCI_SLOTS * PT_PCI_FUNCTIONS], want = { *bdf, -1, -1 };
	size_t n = 0;
	int r;

	pthread_mutex_lock(&vm->lock);
	for (struct pt_vm_assigned *a = vm->assigned; a && n < ARRAY_SIZE(taken); a = a->next)
		taken[n++] = (struct pt_guest_fn){ a->dev->bdf, a->fn->dev, a->fn->fn };
	pthread_mutex_unlock(&vm->lock);
	r = pt_guest_layout(taken, n, &want, 1, NULL);
	if (r < 0)
		return r;
	*slot = want.slot;
	*function = want.function;
	return 0;
}

/* The bus's refusal of slot.function for name, said in words. */
static void say_no_place(const char *name, int slot, int function, int r)
{
	if (r == -ENXIO)
		pt_err("%s: not put at guest 00:%02x.%x: that slot has no function 0, and a guest "
		       "looks for functions 1-7 of a slot only through its function 0", name, slot,
		       function);
	else if (r == -EBUSY)
		pt_err("%s: not put at guest 00:%02x.%x: another device is there", name, slot,
		       function);
	else
		pt_err("%s: no place on the guest's PCI bus%s: %s", name,
		       slot > 0 ? " at the slot asked for" : "", strerror(-r));
}

/*
 * Whether the bus will take a function at slot.function, asked before the device is
 * opened and reset for nothing: 0, -EBUSY or -ENXIO (said). The caller holds
 * assign_lock, so nothing else is placed meanwhile.
 */
static int place_free(struct pt_vm *vm, const struct pt_bdf *bdf, int slot, int function)
{
	unsigned there = pt_pci_slot_functions(&vm->pci, (unsigned)slot);
	char name[PT_BDF_STRLEN];
	int r = 0;

	if (there & (1u << function))
		r = -EBUSY;
	else if (function > 0 && !(there & 1))
		r = -ENXIO;
	if (r < 0)
		say_no_place(pt_bdf_format(bdf, name), slot, function, r);
	return r;
}

int pt_vm_assign_device(struct pt_vm *vm, const struct pt_assign_backend *backend,
			const struct pt_bdf *bdf, int handed_fd, int slot, int function,
			const struct pt_vm_rom_choice *rom)
{
	struct pt_assign_env env = { .kvm_fd = vm->kvm_fd, .vm_fd = vm->vm_fd, .routes = vm->routes,
				     .vm_state = backend_slot(vm, backend) };
	struct pt_pci_function_desc desc = { .slot = slot, .ops = &assigned_ops };
	struct pt_vm_assigned *a;
	int r;

	if (slot > 0 && (function < 0 || function >= PT_PCI_FUNCTIONS))
		return -EINVAL;
	a = calloc(1, sizeof(*a));
	if (!a)
		return -ENOMEM;
	a->vm = vm;
	pthread_mutex_lock(&vm->assign_lock);
	if (slot < 0) {
		r = choose_place(vm, bdf, &slot, &function);
		if (r < 0) {
			char name[PT_BDF_STRLEN];

			pthread_mutex_unlock(&vm->assign_lock);
			free(a);
			pt_err("%s: no place on the guest's PCI bus: %s", pt_bdf_format(bdf, name),
			       r == -ENOSPC ? "every slot is taken" : strerror(-r));
			return r;
		}
	}
	desc.slot = slot;
	desc.function = (unsigned)function;
	r = place_free(vm, bdf, slot, function);
	if (r < 0) {
		pthread_mutex_unlock(&vm->assign_lock);
		free(a);
		return r;
	}
	r = backend->open(&env, bdf, handed_fd, &a->dev);
	if (r < 0) {
		pthread_mutex_unlock(&vm->assign_lock);
		free(a);
		return r;
	}
	desc.ctx = a;
	/* Before anything reads its config space: a reset may change it. */
	a->reset_err = pt_assign_reset(a->dev, "at assignment", &a->reset);
	clear_bus_master(a->dev);
	/* Before the VM starts, guest RAM is mapped beside the running guest (dma_map.h). */
	if (a->dev->backend->map_ram && pt_vm_dma_defer(vm))
		r = 0;
	else
		r = map_ram(a);
	/* Config space first: it says where the MSI-X table is, which the BARs trap. */
	if (!r) {
		r = pt_vconfig_init(&a->vc, a->dev, -1);
		a->vc_ready = r == 0;
	}
	if (!r)
		r = pt_vm_rom_load(&a->rom, vm, a->dev, rom);
	if (!r)
		r = describe(a, &desc);
	if (!r) {
		r = pt_pci_register_function(&vm->pci, &desc, &a->fn);
		if (r < 0)
			say_no_place(a->dev->name, slot, function, r);
	}
	if (!r && a->fn->gsi >= 0)
		pt_vconfig_set_intx(&a->vc, a->fn->gsi);
	if (r < 0) {
		if (a->vc_ready)
			pt_vconfig_destroy(&a->vc);
		pt_vm_rom_free(&a->rom);
		give_back(a->dev, true);
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
	pt_info("%s: assigned (%s) at guest 00:%02x.%x%s, %s, reset: %s%s", a->dev->name,
		backend->name, a->fn->dev, a->fn->fn,
		a->fn->multifunction ? " (multifunction, as on the host)" : "",
		a->fn->gsi >= 0 ? "INTx on its IOAPIC pin" : "no INTx",
		a->reset.method, a->reset_err < 0 ? " (failed)" : "");
	return 0;
}

/* The caller holds assign_lock. */
static void release_one(struct pt_vm *vm, struct pt_vm_assigned *a, bool reset)
{
	pt_vm_requests_unwatch(vm, a->dev);
	pt_pci_unregister_function(&vm->pci, a->fn);
	give_back(a->dev, reset);
	pt_vconfig_destroy(&a->vc);
	pt_vm_rom_free(&a->rom);
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
		release_one(vm, a, true);
	}
	pthread_mutex_unlock(&vm->assign_lock);
}

/* Whether a is function 0 of a guest slot that holds other functions too. */
static bool leads_others(struct pt_vm *vm, const struct pt_vm_assigned *a)
{
	return a->fn->fn == 0 && (pt_pci_slot_functions(&vm->pci, a->fn->dev) & ~1u);
}

int pt_vm_remove_device(struct pt_vm *vm, const struct pt_bdf *bdf, bool host_asks)
{
	struct pt_vm_assigned **p, *a = NULL;
	bool busy = false, leads = false;

	pthread_mutex_lock(&vm->assign_lock);
	pthread_mutex_lock(&vm->lock);
	for (p = &vm->assigned; *p; p = &(*p)->next) {
		if (!pt_bdf_equal(&(*p)->dev->bdf, bdf))
			continue;
		leads = leads_others(vm, *p);
		busy = leads && !host_asks;
		if (!busy) {
			a = *p;
			*p = a->next;
		}
		break;
	}
	pthread_mutex_unlock(&vm->lock);
	if (a) {
		pt_info("%s: removed from guest 00:%02x.%x", a->dev->name, a->fn->dev, a->fn->fn);
		if (leads)
			pt_warn("%s: the host took back function 0 of guest slot %u: a guest that "
				"scans that slot again no longer finds its other functions, which "
				"stay assigned", a->dev->name, a->fn->dev);
		release_one(vm, a, !host_asks);
	}
	pthread_mutex_unlock(&vm->assign_lock);
	return busy ? -EBUSY : a ? 0 : -ENOENT;
}

size_t pt_vm_slot_mates(struct pt_vm *vm, const struct pt_bdf *bdf, char *buf, size_t size)
{
	const struct pt_vm_assigned *me = NULL;
	size_t n = 0, len = 0;

	if (size)
		buf[0] = '\0';
	pthread_mutex_lock(&vm->lock);
	for (const struct pt_vm_assigned *a = vm->assigned; a && !me; a = a->next)
		if (pt_bdf_equal(&a->dev->bdf, bdf))
			me = a;
	for (const struct pt_vm_assigned *a = vm->assigned; me && a; a = a->next) {
		int w;

		if (a == me || a->fn->dev != me->fn->dev)
			continue;
		w = snprintf(buf + len, size - len, "%s%s (guest 00:%02x.%x)", n ? ", " : "",
			     a->dev->name, a->fn->dev, a->fn->fn);
		n++;
		if (w < 0 || (size_t)w >= size - len)
			break;
		len += (size_t)w;
	}
	pthread_mutex_unlock(&vm->lock);
	return n;
}

static const char *placed_name(enum placed p)
{
	return p == PLACED_SLOT ? "mapped" : p == PLACED_TRAP ? "trapped" : "off";
}

/* What a trapped piece holds of MSI-X, or NULL. */
static const char *piece_holds(const struct bar_window *w, const struct pt_bar_piece *p)
{
	bool table = w->table_size && w->table_off < p->offset + p->size &&
		     p->offset < w->table_off + w->table_size;
	bool pba = w->pba_size && w->pba_off < p->offset + p->size &&
		   p->offset < w->pba_off + w->pba_size;

	return table && pba ? "msix-table+pba" : table ? "msix-table" : pba ? "msix-pba" : NULL;
}

/*
 * One BAR: "mapped" (all of it memory slots), "trapped" (every access through the
 * VMM), "partly-trapped" (memory slots around trapped pages, listed in "pieces") or
 * "off"; "slot" is its first memory slot.
 */
static json_t *bar_json(const struct bar_window *w)
{
	unsigned slots = 0, traps = 0, first_slot = 0;
	json_t *b, *pieces;
	const char *access;

	for (unsigned i = 0; i < w->npieces; i++) {
		if (w->placed[i] == PLACED_SLOT && !slots++)
			first_slot = w->slot[i];
		traps += w->placed[i] == PLACED_TRAP;
	}
	access = slots && traps ? "partly-trapped" : slots ? "mapped" : traps ? "trapped" : "off";
	b = json_pack("{s:i,s:s,s:I,s:I,s:s}", "index", (int)w->index, "kind",
		      w->flags & PT_REGION_MMIO ? "mem" : "io", "base", (json_int_t)w->base,
		      "size", (json_int_t)w->size, "access", access);
	if (!b)
		return NULL;
	if (slots)
		json_object_set_new(b, "slot", json_integer(first_slot));
	if (!(slots && traps))
		return b;
	pieces = json_array();
	for (unsigned i = 0; pieces && i < w->npieces; i++) {
		const char *holds = piece_holds(w, &w->pieces[i]);
		json_t *p = json_pack("{s:I,s:I,s:s}", "offset", (json_int_t)w->pieces[i].offset,
				      "size", (json_int_t)w->pieces[i].size, "access",
				      placed_name(w->placed[i]));

		if (p && w->placed[i] == PLACED_SLOT)
			json_object_set_new(p, "slot", json_integer(w->slot[i]));
		if (p && holds)
			json_object_set_new(p, "holds", json_string(holds));
		json_array_append_new(pieces, p);
	}
	json_object_set_new(b, "pieces", pieces);
	return b;
}

/* The BARs as the guest placed them: how each reaches the device. */
static json_t *bars_json(const struct pt_vm_assigned *a)
{
	json_t *bars = json_array();

	for (unsigned i = 0; bars && i < PT_PCI_NUM_BARS; i++)
		if (a->bars[i].size)
			json_array_append_new(bars, bar_json(&a->bars[i]));
	return bars;
}

/*
 * How the VFIO backend drives the device's MSI-X index: whether VFIO can add vectors
 * to it while enabled (NORESIZE clear, Linux 6.5+), how many it is enabled with, and
 * how it got there (enables, in-place vector calls, lossy disable-all/enable-all).
 */
static json_t *vfio_irq_json(struct pt_vm_assigned *a)
{
	struct pt_vfio_irq_stats st;

	if (a->dev->backend != &pt_assign_vfio)
		return NULL;
	pthread_mutex_lock(&a->vc.lock); /* irq_set runs under it */
	pt_vfio_irq_stats(a->dev, &st);
	pthread_mutex_unlock(&a->vc.lock);
	return json_pack("{s:b,s:i,s:i,s:I,s:I,s:I,s:I}", "can_grow", st.can_grow, "vectors",
			 (int)st.vfio_vectors, "triggers", (int)st.triggers, "enables",
			 (json_int_t)st.enables, "vector_calls", (json_int_t)st.vector_calls,
			 "grows", (json_int_t)st.grows, "reenables", (json_int_t)st.reenables);
}

/* The guest's MSI-X, when it sees the capability. */
static json_t *msix_json(struct pt_vm_assigned *a)
{
	struct pt_vconfig_msix_layout l;
	struct pt_vconfig_msix_stats st;
	json_t *m, *vfio;

	if (!pt_vconfig_msix_layout(&a->vc, &l))
		return NULL;
	pt_vconfig_msix_stats(&a->vc, &st);
	m = json_pack("{s:i,s:i,s:I,s:i,s:I,s:b,s:b,s:i,s:i,s:I}", "entries", (int)l.entries,
		      "table_bar", (int)l.table_bar, "table_offset", (json_int_t)l.table_offset,
		      "pba_bar", (int)l.pba_bar, "pba_offset", (json_int_t)l.pba_offset,
		      "enabled", st.enabled, "function_masked", st.function_masked, "live",
		      (int)st.live, "masked", (int)st.masked, "irq_sets",
		      (json_int_t)st.irq_sets);
	vfio = m ? vfio_irq_json(a) : NULL;
	if (vfio)
		json_object_set_new(m, "vfio", vfio);
	return m;
}

/*
 * "reset": the method the device was reset with at assignment (or "none");
 * "reset_detail" when there is more to say (why none, what a hot reset reached, what
 * failed); "reset_error": true when the reset was tried and failed.
 */
static void reset_json(json_t *d, const struct pt_vm_assigned *a)
{
	json_object_set_new(d, "reset", json_string(a->reset.method));
	if (a->reset.detail[0])
		json_object_set_new(d, "reset_detail", json_string(a->reset.detail));
	if (a->reset_err < 0)
		json_object_set_new(d, "reset_error", json_true());
}

json_t *pt_vm_assigned_json(struct pt_vm *vm)
{
	json_t *list = json_array();

	if (!list)
		return NULL;
	pthread_mutex_lock(&vm->lock);
	for (struct pt_vm_assigned *a = vm->assigned; a; a = a->next) {
		char guest[16];
		json_t *d, *msix;

		snprintf(guest, sizeof(guest), "00:%02x.%x", a->fn->dev, a->fn->fn);
		d = json_pack("{s:s,s:i,s:i,s:b,s:s,s:s,s:i,s:i,s:i,s:s,s:o}",
			"guest", guest, "guest_slot", a->fn->dev, "guest_function", a->fn->fn,
			"multifunction", pt_pci_multifunction(&vm->pci, a->fn),
			"host", a->dev->name, "backend", a->dev->backend->name,
			"vendor", a->fn->cfg[0] | a->fn->cfg[1] << 8,
			"device", a->fn->cfg[2] | a->fn->cfg[3] << 8, "gsi", a->fn->gsi,
			"irq", pt_vconfig_irq_mode(&a->vc), "bars", bars_json(a));
		if (d) {
			json_object_set_new(d, "rom", pt_vm_rom_json(&a->rom));
			reset_json(d, a);
		}
		msix = d ? msix_json(a) : NULL;
		if (msix)
			json_object_set_new(d, "msix", msix);
		json_array_append_new(list, d);
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
