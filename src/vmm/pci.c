#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/layout.h"
#include "vmm/pci.h"

#define CFG_VENDOR 0x00
#define CFG_DEVICE 0x02
#define CFG_COMMAND 0x04
#define CFG_STATUS 0x06
#define CFG_REVISION 0x08
#define CFG_CLASS 0x09
#define CFG_CACHE_LINE 0x0c
#define CFG_LATENCY 0x0d
#define CFG_HEADER_TYPE 0x0e
#define CFG_BAR0 0x10
#define CFG_SUBSYS_VENDOR 0x2c
#define CFG_SUBSYS 0x2e
#define CFG_ROM 0x30
#define CFG_INT_LINE 0x3c
#define CFG_INT_PIN 0x3d

#define HEADER_MULTI 0x80 /* header type bit 7: the slot has more functions */

#define CMD_IO 0x0001
#define CMD_MEM 0x0002
#define CMD_WMASK 0x0547 /* I/O, memory, master, parity, SERR, INTx disable */
#define STATUS_W1C 0xf900 /* parity and abort bits */
#define ROM_ENABLE 0x1

static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void put32(uint8_t *p, uint32_t v) { put16(p, (uint16_t)v); put16(p + 2, (uint16_t)(v >> 16)); }
static uint32_t get32(const uint8_t *p) { return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }

int pt_pci_swizzle_gsi(void *ctx, unsigned slot, unsigned pin)
{
	return PT_PCI_GSI_BASE + (int)((slot + pin - 1) % 8);
}

static bool bar_desc_valid(const struct pt_pci_bar_desc *b, unsigned i,
			   const struct pt_pci_bar_desc *all)
{
	uint64_t min = b->type == PT_PCI_BAR_IO ? 4 : 16;

	if (b->type == PT_PCI_BAR_NONE)
		return true;
	if (b->size < min || (b->size & (b->size - 1)))
		return false;
	if (b->type == PT_PCI_BAR_IO && b->size > 256)
		return false;
	if (b->type == PT_PCI_BAR_MEM32 && b->size > (1ULL << 31))
		return false;
	if (b->type == PT_PCI_BAR_MEM64 && (i == PT_PCI_NUM_BARS - 1 || all[i + 1].type != PT_PCI_BAR_NONE))
		return false;
	return true;
}

/*
 * Where the ROM BAR's register points, enable bit aside; false while it holds no
 * place (0, or the sizing pattern with or without the enable bit).
 */
static bool rom_placed(const struct pt_pci_function *f, uint64_t *ret)
{
	uint32_t reg = get32(&f->cfg[CFG_ROM]);
	uint64_t addr = reg & ~(uint32_t)(f->rom_size - 1);

	*ret = addr;
	return f->rom_size && addr != 0 && addr != (~(f->rom_size - 1) & 0xffffffffULL);
}

/*
 * Where BAR i's registers point, decoding aside; false while they hold no place: an
 * I/O BAR past the I/O space, a memory BAR at 0, wrapping, or all ones (the guest
 * sizes it).
 */
static bool bar_placed(const struct pt_pci_function *f, unsigned i, uint64_t *ret)
{
	const struct pt_pci_bar_desc *b = &f->bars[i];
	uint64_t addr = get32(&f->cfg[CFG_BAR0 + 4 * i]);

	switch (b->type) {
	case PT_PCI_BAR_IO:
		*ret = addr & ~3ULL;
		return *ret + b->size <= PT_PCI_IO_END;
	case PT_PCI_BAR_MEM32:
		*ret = addr & ~15ULL;
		return *ret != 0 && *ret != (~(b->size - 1) & 0xffffffffULL);
	case PT_PCI_BAR_MEM64:
		*ret = (addr & ~15ULL) | (uint64_t)get32(&f->cfg[CFG_BAR0 + 4 * (i + 1)]) << 32;
		return *ret != 0 && *ret + b->size > *ret && *ret != ~(b->size - 1);
	default:
		return false;
	}
}

/* The ROM BAR decodes while it has a place, its enable bit and the command's memory bit. */
static void update_rom(struct pt_pci_function *f, uint16_t cmd)
{
	uint64_t addr;
	bool en;

	if (!f->rom_size)
		return;
	en = rom_placed(f, &addr) && (cmd & CMD_MEM) && (get32(&f->cfg[CFG_ROM]) & ROM_ENABLE);
	if (en == f->rom_enabled && (!en || addr == f->rom_addr))
		return;
	if (f->rom_enabled && f->ops && f->ops->bar_update)
		f->ops->bar_update(f->ctx, f, PT_PCI_ROM_BAR, f->rom_addr, f->rom_size, false);
	f->rom_enabled = en;
	f->rom_addr = addr;
	if (en && f->ops && f->ops->bar_update)
		f->ops->bar_update(f->ctx, f, PT_PCI_ROM_BAR, addr, f->rom_size, true);
}

/* Recomputes what each BAR and the ROM decode and tells the device what changed. */
static void update_bars(struct pt_pci_function *f)
{
	uint16_t cmd = (uint16_t)(f->cfg[CFG_COMMAND] | f->cfg[CFG_COMMAND + 1] << 8);

	update_rom(f, cmd);

	for (unsigned i = 0; i < PT_PCI_NUM_BARS; i++) {
		const struct pt_pci_bar_desc *b = &f->bars[i];
		uint64_t addr;
		bool en;

		if (b->type == PT_PCI_BAR_NONE)
			continue;
		en = bar_placed(f, i, &addr) &&
		     (cmd & (b->type == PT_PCI_BAR_IO ? CMD_IO : CMD_MEM));
		if (en == f->bar_enabled[i] && (!en || addr == f->bar_addr[i]))
			continue;
		if (f->bar_enabled[i] && f->ops && f->ops->bar_update)
			f->ops->bar_update(f->ctx, f, i, f->bar_addr[i], b->size, false);
		f->bar_enabled[i] = en;
		f->bar_addr[i] = addr;
		if (en && f->ops && f->ops->bar_update)
			f->ops->bar_update(f->ctx, f, i, addr, b->size, true);
	}
}

static void init_header(struct pt_pci_function *f, const struct pt_pci_function_desc *d)
{
	put16(&f->cfg[CFG_VENDOR], d->vendor);
	put16(&f->cfg[CFG_DEVICE], d->device);
	f->cfg[CFG_REVISION] = d->revision;
	f->cfg[CFG_CLASS] = (uint8_t)d->class_code;
	f->cfg[CFG_CLASS + 1] = (uint8_t)(d->class_code >> 8);
	f->cfg[CFG_CLASS + 2] = (uint8_t)(d->class_code >> 16);
	put16(&f->cfg[CFG_SUBSYS_VENDOR], d->subsystem_vendor);
	put16(&f->cfg[CFG_SUBSYS], d->subsystem);
	put16(&f->wmask[CFG_COMMAND], CMD_WMASK);
	put16(&f->w1cmask[CFG_STATUS], STATUS_W1C);
	f->wmask[CFG_CACHE_LINE] = 0xff;
	f->wmask[CFG_LATENCY] = 0xff;
	f->wmask[CFG_INT_LINE] = 0xff;
	f->cfg[CFG_INT_PIN] = d->int_pin;
	f->cfg[CFG_INT_LINE] = f->gsi >= 0 ? (uint8_t)f->gsi : 0xff;
}

static uint64_t align_up(uint64_t a, uint64_t align) { return (a + align - 1) & ~(align - 1); }

/* Whether [a, a + n) and [b, b + m) share an address. */
static bool overlaps(uint64_t a, uint64_t n, uint64_t b, uint64_t m)
{
	return a < b + m && b < a + n;
}

/*
 * The end of a range of the space (I/O or memory) that a BAR (or the ROM) of f uses
 * and that [a, a + size) overlaps: where the bus placed it, or where its registers
 * point (decoding or not: a guest that moved a BAR with decoding off turns it back
 * on there). 0: none.
 */
static uint64_t function_overlap(const struct pt_pci_function *f, bool io, uint64_t a,
				 uint64_t size)
{
	uint64_t p;

	for (unsigned i = 0; i < PT_PCI_NUM_BARS; i++) {
		const struct pt_pci_bar_desc *b = &f->bars[i];

		if (b->type == PT_PCI_BAR_NONE || (b->type == PT_PCI_BAR_IO) != io)
			continue;
		if (overlaps(a, size, f->bar_alloc[i], b->size))
			return f->bar_alloc[i] + b->size;
		if (bar_placed(f, i, &p) && overlaps(a, size, p, b->size))
			return p + b->size;
	}
	if (!io && f->rom_size && overlaps(a, size, f->rom_alloc, f->rom_size))
		return f->rom_alloc + f->rom_size;
	if (!io && rom_placed(f, &p) && overlaps(a, size, p, f->rom_size))
		return p + f->rom_size;
	return 0;
}

/* The lowest aligned free place for size bytes in [start, end); -ENOSPC when none. */
static int find_space(const struct pt_pci_bus *bus, const struct pt_pci_function *adding, bool io,
		      uint64_t start, uint64_t end, uint64_t size, uint64_t align, uint64_t *ret)
{
	uint64_t a = align_up(start, align);

	while (a >= start && a + size > a && a + size <= end) {
		uint64_t busy = function_overlap(adding, io, a, size);

		for (unsigned s = 0; s < PT_PCI_SLOTS && !busy; s++)
			for (unsigned fn = 0; fn < PT_PCI_FUNCTIONS && !busy; fn++)
				if (bus->fns[s][fn])
					busy = function_overlap(bus->fns[s][fn], io, a, size);
		if (!busy) {
			*ret = a;
			return 0;
		}
		a = align_up(busy, align);
	}
	return -ENOSPC;
}

/* Natural alignment (at least a page for memory BARs, so they can be mapped). */
static int alloc_bar(const struct pt_pci_bus *bus, const struct pt_pci_function *f,
		     const struct pt_pci_bar_desc *b, uint64_t *ret)
{
	const struct pt_pci_windows *w = &bus->win;
	uint64_t align = b->size < 4096 ? 4096 : b->size;

	if (b->type == PT_PCI_BAR_IO)
		return find_space(bus, f, true, w->io_start, w->io_end, b->size, b->size, ret);
	if (b->type == PT_PCI_BAR_MEM64 &&
	    find_space(bus, f, false, w->mmio64_start, w->mmio64_end, b->size, align, ret) == 0)
		return 0;
	return find_space(bus, f, false, w->mmio32_start, w->mmio32_end, b->size, align, ret);
}

static int add_function(struct pt_pci_bus *bus, unsigned slot, unsigned fn,
			const struct pt_pci_function_desc *d, struct pt_pci_function **ret)
{
	struct pt_pci_function *f;
	bool any_io = false, any_mem = false;

	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	f->dev = (uint8_t)slot;
	f->fn = (uint8_t)fn;
	f->multifunction = fn == 0 && d->multifunction;
	f->ops = d->ops;
	f->ctx = d->ctx;
	f->gsi = d->int_pin ? bus->intx_gsi(bus->intx_ctx, slot, d->int_pin) : -1;
	init_header(f, d);
	for (unsigned i = 0; i < PT_PCI_NUM_BARS; i++) {
		const struct pt_pci_bar_desc *b = &d->bars[i];
		uint64_t addr, mask = ~(b->size - 1);
		uint32_t flags;

		if (b->type == PT_PCI_BAR_NONE)
			continue;
		if (alloc_bar(bus, f, b, &addr) < 0) {
			free(f);
			return -ENOSPC;
		}
		f->bars[i] = *b; /* from here on its place is taken */
		f->bar_alloc[i] = addr;
		if (b->type == PT_PCI_BAR_IO) {
			flags = 1;
			any_io = true;
			put32(&f->wmask[CFG_BAR0 + 4 * i], (uint32_t)mask & ~3u);
		} else {
			flags = (b->type == PT_PCI_BAR_MEM64 ? 4 : 0) | (b->prefetchable ? 8 : 0);
			any_mem = true;
			put32(&f->wmask[CFG_BAR0 + 4 * i], (uint32_t)mask & ~15u);
			if (b->type == PT_PCI_BAR_MEM64)
				put32(&f->wmask[CFG_BAR0 + 4 * (i + 1)], (uint32_t)(mask >> 32));
		}
		put32(&f->cfg[CFG_BAR0 + 4 * i], (uint32_t)addr | flags);
		if (b->type == PT_PCI_BAR_MEM64) {
			put32(&f->cfg[CFG_BAR0 + 4 * (i + 1)], (uint32_t)(addr >> 32));
			i++;
		}
	}
	if (d->rom_size) {
		struct pt_pci_bar_desc rom = { PT_PCI_BAR_MEM32, d->rom_size, false };
		uint64_t addr;

		if (alloc_bar(bus, f, &rom, &addr) < 0) {
			free(f);
			return -ENOSPC;
		}
		f->rom_size = d->rom_size;
		f->rom_alloc = addr;
		/* Address bits and the enable bit; bits 10:1 are reserved and read 0. */
		put32(&f->wmask[CFG_ROM], (uint32_t)~(d->rom_size - 1) | ROM_ENABLE);
		put32(&f->cfg[CFG_ROM], (uint32_t)addr);
		any_mem = true;
	}
	put16(&f->cfg[CFG_COMMAND], (any_io ? CMD_IO : 0) | (any_mem ? CMD_MEM : 0));
	bus->fns[slot][fn] = f;
	update_bars(f);
	if (ret)
		*ret = f;
	return 0;
}

int pt_pci_bus_init(struct pt_pci_bus *bus, const struct pt_pci_windows *win,
		    pt_pci_intx_gsi_fn intx_gsi, void *ctx)
{
	struct pt_pci_function_desc host = {
		.vendor = PT_PCI_HOST_VENDOR, .device = PT_PCI_HOST_DEVICE,
		.class_code = 0x060000, /* bridge, host bridge */
		.slot = 0,
	};

	memset(bus, 0, sizeof(*bus));
	pthread_mutex_init(&bus->lock, NULL);
	bus->win = *win;
	bus->intx_gsi = intx_gsi ? intx_gsi : pt_pci_swizzle_gsi;
	bus->intx_ctx = ctx;
	return add_function(bus, 0, 0, &host, NULL);
}

void pt_pci_bus_destroy(struct pt_pci_bus *bus)
{
	for (unsigned i = 0; i < PT_PCI_SLOTS; i++) {
		for (unsigned fn = 0; fn < PT_PCI_FUNCTIONS; fn++) {
			free(bus->fns[i][fn]);
			bus->fns[i][fn] = NULL;
		}
	}
	pthread_mutex_destroy(&bus->lock);
}

/* Bit N set: function N of slot is registered. */
static unsigned slot_mask(const struct pt_pci_bus *bus, unsigned slot)
{
	unsigned mask = 0;

	for (unsigned fn = 0; fn < PT_PCI_FUNCTIONS; fn++)
		if (bus->fns[slot][fn])
			mask |= 1u << fn;
	return mask;
}

int pt_pci_register_function(struct pt_pci_bus *bus, const struct pt_pci_function_desc *d,
			     struct pt_pci_function **ret)
{
	int r, slot = d->slot;
	unsigned fn = d->function;

	if (d->int_pin > 4 || slot == 0 || slot >= PT_PCI_SLOTS || slot < -1 ||
	    fn >= PT_PCI_FUNCTIONS || (slot < 0 && fn))
		return -EINVAL;
	if (d->rom_size && (d->rom_size < PT_PCI_ROM_MIN || d->rom_size > PT_PCI_ROM_MAX ||
			    (d->rom_size & (d->rom_size - 1))))
		return -EINVAL;
	for (unsigned i = 0; i < PT_PCI_NUM_BARS; i++) {
		if (!bar_desc_valid(&d->bars[i], i, d->bars))
			return -EINVAL;
		if (d->bars[i].type == PT_PCI_BAR_MEM64)
			i++;
	}
	pthread_mutex_lock(&bus->lock);
	if (slot < 0) {
		for (slot = 1; slot < PT_PCI_SLOTS && slot_mask(bus, (unsigned)slot); slot++)
			;
		if (slot == PT_PCI_SLOTS) {
			r = -ENOSPC;
			goto out;
		}
	} else if (bus->fns[slot][fn]) {
		r = -EBUSY;
		goto out;
	} else if (fn && !bus->fns[slot][0]) {
		r = -ENXIO;
		goto out;
	}
	r = add_function(bus, (unsigned)slot, fn, d, ret);
out:
	pthread_mutex_unlock(&bus->lock);
	return r;
}

int pt_pci_unregister_function(struct pt_pci_bus *bus, struct pt_pci_function *f)
{
	if (!f || f->dev == 0 || f->dev >= PT_PCI_SLOTS || f->fn >= PT_PCI_FUNCTIONS)
		return -EINVAL;
	pthread_mutex_lock(&bus->lock);
	if (bus->fns[f->dev][f->fn] != f) {
		pthread_mutex_unlock(&bus->lock);
		return -ENOENT;
	}
	/* Turn decoding off so the device unmaps its BARs. */
	f->cfg[CFG_COMMAND] &= (uint8_t)~(CMD_IO | CMD_MEM);
	update_bars(f);
	bus->fns[f->dev][f->fn] = NULL;
	pthread_mutex_unlock(&bus->lock);
	free(f);
	return 0;
}

unsigned pt_pci_slot_functions(struct pt_pci_bus *bus, unsigned slot)
{
	unsigned mask;

	if (slot >= PT_PCI_SLOTS)
		return 0;
	pthread_mutex_lock(&bus->lock);
	mask = slot_mask(bus, slot);
	pthread_mutex_unlock(&bus->lock);
	return mask;
}

static bool access_ok(unsigned off, unsigned size)
{
	return (size == 1 || size == 2 || size == 4) && off + size <= PT_PCI_CFG_SIZE &&
	       (off & (size - 1)) == 0;
}

static struct pt_pci_function *function_at(struct pt_pci_bus *bus, unsigned dev, unsigned fn)
{
	return dev < PT_PCI_SLOTS && fn < PT_PCI_FUNCTIONS ? bus->fns[dev][fn] : NULL;
}

/*
 * The header type byte: type 0, with bit 7 when the slot holds more than one
 * function or its function 0 was registered as multifunction.
 */
static uint8_t header_type(const struct pt_pci_bus *bus, const struct pt_pci_function *f)
{
	const struct pt_pci_function *f0 = bus->fns[f->dev][0];
	unsigned mask = slot_mask(bus, f->dev);

	return (uint8_t)(f->cfg[CFG_HEADER_TYPE] |
			 ((mask & (mask - 1)) || (f0 && f0->multifunction) ? HEADER_MULTI : 0));
}

bool pt_pci_multifunction(struct pt_pci_bus *bus, const struct pt_pci_function *f)
{
	bool multi;

	pthread_mutex_lock(&bus->lock);
	multi = header_type(bus, f) & HEADER_MULTI;
	pthread_mutex_unlock(&bus->lock);
	return multi;
}

static uint32_t cfg_read_locked(struct pt_pci_bus *bus, unsigned dev, unsigned fn, unsigned off,
				unsigned size)
{
	struct pt_pci_function *f = function_at(bus, dev, fn);
	uint32_t v = 0;

	if (!access_ok(off, size))
		return 0xffffffff;
	if (!f)
		return size == 4 ? 0xffffffff : (1u << (size * 8)) - 1;
	for (unsigned i = 0; i < size; i++) {
		unsigned o = off + i;

		v |= (uint32_t)(o == CFG_HEADER_TYPE ? header_type(bus, f) : f->cfg[o]) << (8 * i);
	}
	if (f->ops && f->ops->cfg_read)
		f->ops->cfg_read(f->ctx, f, off, size, &v);
	return v;
}

static void cfg_write_locked(struct pt_pci_bus *bus, unsigned dev, unsigned fn, unsigned off,
			     unsigned size, uint32_t v)
{
	struct pt_pci_function *f = function_at(bus, dev, fn);

	if (!f || !access_ok(off, size))
		return;
	for (unsigned i = 0; i < size; i++) {
		uint8_t b = (uint8_t)(v >> (8 * i));
		unsigned o = off + i;

		f->cfg[o] = (uint8_t)((f->cfg[o] & ~f->wmask[o]) | (b & f->wmask[o]));
		f->cfg[o] &= (uint8_t)~(b & f->w1cmask[o]);
	}
	if (off < CFG_BAR0 + 4 * PT_PCI_NUM_BARS && off + size > CFG_COMMAND && off < CFG_COMMAND + 2)
		update_bars(f);
	else if (off < CFG_BAR0 + 4 * PT_PCI_NUM_BARS && off + size > CFG_BAR0)
		update_bars(f);
	else if (off < CFG_ROM + 4 && off + size > CFG_ROM)
		update_bars(f);
	if (f->ops && f->ops->cfg_write)
		f->ops->cfg_write(f->ctx, f, off, size, v);
}

uint32_t pt_pci_cfg_read(struct pt_pci_bus *bus, unsigned dev, unsigned fn, unsigned off,
			 unsigned size)
{
	uint32_t v;

	pthread_mutex_lock(&bus->lock);
	v = cfg_read_locked(bus, dev, fn, off, size);
	pthread_mutex_unlock(&bus->lock);
	return v;
}

void pt_pci_cfg_write(struct pt_pci_bus *bus, unsigned dev, unsigned fn, unsigned off,
		      unsigned size, uint32_t val)
{
	pthread_mutex_lock(&bus->lock);
	cfg_write_locked(bus, dev, fn, off, size, val);
	pthread_mutex_unlock(&bus->lock);
}

void pt_pci_config_port(void *ctx, uint64_t port, unsigned size, bool write, uint64_t *val)
{
	struct pt_pci_bus *bus = ctx;
	unsigned off = (unsigned)(port - 0xcf8);

	pthread_mutex_lock(&bus->lock);
	if (off < 4) {
		/* The address latch; byte and word accesses touch its bytes (Linux probes 0xCFB). */
		uint32_t mask = (size >= 4 ? 0xffffffffu : (1u << (size * 8)) - 1) << (8 * off);

		if (off + size > 4) {
			if (!write)
				*val = ~0ULL;
		} else if (write) {
			bus->cf8 = (bus->cf8 & ~mask) | (((uint32_t)*val << (8 * off)) & mask);
		} else {
			*val = (bus->cf8 & mask) >> (8 * off);
		}
	} else {
		uint32_t a = bus->cf8;
		unsigned reg = (a & 0xfc) + (off - 4);
		bool on = (a & 0x80000000u) && ((a >> 16) & 0xff) == 0;
		unsigned dev = (a >> 11) & 0x1f, fn = (a >> 8) & 7;

		if (write) {
			if (on)
				cfg_write_locked(bus, dev, fn, reg, size, (uint32_t)*val);
		} else {
			*val = on ? cfg_read_locked(bus, dev, fn, reg, size) :
				    (size >= 4 ? 0xffffffffu : (1u << (size * 8)) - 1);
		}
	}
	pthread_mutex_unlock(&bus->lock);
}
