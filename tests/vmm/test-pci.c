/*
 * The PCI bus: mechanism #1 ports, the host bridge, header emulation, BARs, INTx wiring,
 * and functions 1-7 of a slot beside its function 0.
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "tap.h"
#include "vmm/iobus.h"
#include "vmm/layout.h"
#include "vmm/pci.h"

struct dev {
	int updates;
	unsigned last_bar;
	uint64_t last_addr;
	bool last_enabled;
	int writes;
};

static void bar_update(void *ctx, struct pt_pci_function *fn, unsigned bar, uint64_t addr,
		       uint64_t size, bool enabled)
{
	struct dev *d = ctx;

	d->updates++;
	d->last_bar = bar;
	d->last_addr = addr;
	d->last_enabled = enabled;
}

static void cfg_read(void *ctx, struct pt_pci_function *fn, unsigned off, unsigned size,
		     uint32_t *val)
{
	if (off == 0x40 && size == 4)
		*val = 0xfeedbeef;
}

static void cfg_write(void *ctx, struct pt_pci_function *fn, unsigned off, unsigned size,
		      uint32_t val)
{
	((struct dev *)ctx)->writes++;
}

static const struct pt_pci_ops ops = { cfg_read, cfg_write, bar_update };

static uint32_t port_cfg_fn(struct pt_pci_bus *bus, unsigned dev, unsigned fn, unsigned off,
			    unsigned size)
{
	uint64_t v = 0x80000000u | dev << 11 | fn << 8 | (off & 0xfc);

	pt_pci_config_port(bus, 0xcf8, 4, true, &v);
	pt_pci_config_port(bus, 0xcfc + (off & 3), size, false, &v);
	return (uint32_t)v;
}

static uint32_t port_cfg(struct pt_pci_bus *bus, unsigned dev, unsigned off, unsigned size)
{
	return port_cfg_fn(bus, dev, 0, off, size);
}

static void port_cfg_write(struct pt_pci_bus *bus, unsigned dev, unsigned off, unsigned size,
			   uint32_t val)
{
	uint64_t v = 0x80000000u | dev << 11 | (off & 0xfc);

	pt_pci_config_port(bus, 0xcf8, 4, true, &v);
	v = val;
	pt_pci_config_port(bus, 0xcfc + (off & 3), size, true, &v);
}

static void noop(void *ctx, uint64_t addr, unsigned size, bool write, uint64_t *val)
{
	if (!write)
		*val = 0x5a;
}

static void test_iobus(struct tap *t)
{
	struct pt_iobus bus;
	uint64_t v = 0;

	pt_iobus_init(&bus);
	tap_is_int(t, pt_iobus_add(&bus, 0x100, 8, noop, NULL, "a"), 0, "iobus add");
	tap_is_int(t, pt_iobus_add(&bus, 0x104, 8, noop, NULL, "b"), -EEXIST,
		   "iobus: overlapping range refused");
	tap_is_int(t, pt_iobus_add(&bus, 0x108, 0, noop, NULL, "c"), -EINVAL,
		   "iobus: empty range refused");
	tap_is_int(t, pt_iobus_access(&bus, 0x200, 2, false, &v), -ENOENT, "iobus: nothing at 0x200");
	tap_is_int(t, v, 0xffff, "iobus: a read of nothing returns all ones");
	tap_is_int(t, pt_iobus_access(&bus, 0x107, 1, false, &v), 0, "iobus: 0x107 is in range");
	tap_is_int(t, v, 0x5a, "iobus: the handler answered");
	tap_is_int(t, pt_iobus_del(&bus, 0x100), 0, "iobus del");
	tap_is_int(t, pt_iobus_del(&bus, 0x100), -ENOENT, "iobus del twice");
	pt_iobus_destroy(&bus);
}

/* The expansion ROM BAR: sizing, enable bit, decoding only with memory decoding on. */
static void test_rom(struct tap *t)
{
	struct pt_pci_bus bus;
	struct pt_pci_function *fn = NULL;
	struct dev d = { 0 };
	struct pt_pci_function_desc desc = {
		.vendor = 0x8086, .device = 0x10d3, .class_code = 0x020000, .slot = 3,
		.ops = &ops, .ctx = &d,
		.bars = { [0] = { PT_PCI_BAR_MEM32, 1 << 17, false } },
		.rom_size = 1 << 18,
	};
	uint32_t rom;

	const struct pt_pci_windows win = {
		.mmio32_start = PT_GPA_PCI_HOLE, .mmio32_end = PT_GPA_PCI_MMIO_END,
		.io_start = PT_PCI_IO_START, .io_end = PT_PCI_IO_END,
	};
	struct pt_pci_function *other = NULL;
	struct dev d2 = { 0 };

	pt_pci_bus_init(&bus, &win, NULL, NULL);
	desc.rom_size = 1000;
	tap_is_int(t, pt_pci_register_function(&bus, &desc, NULL), -EINVAL,
		   "ROM: a size that is not a power of two is refused");
	desc.rom_size = 1024;
	tap_is_int(t, pt_pci_register_function(&bus, &desc, NULL), -EINVAL,
		   "ROM: below 2 KiB is refused");
	desc.rom_size = 32ULL << 20;
	tap_is_int(t, pt_pci_register_function(&bus, &desc, NULL), -EINVAL,
		   "ROM: above 16 MiB is refused");
	desc.rom_size = 1 << 18;
	tap_is_int(t, pt_pci_register_function(&bus, &desc, &fn), 0, "a function with a ROM");
	tap_is_int(t, d.updates, 1, "only BAR0 decodes at first: the ROM starts disabled");
	rom = port_cfg(&bus, 3, 0x30, 4);
	tap_ok(t, rom >= 0xc0000000 && !(rom & ((1 << 18) - 1)),
	       "the ROM BAR has an address in the MMIO window, aligned, enable bit clear");
	tap_ok(t, rom != port_cfg(&bus, 3, 0x10, 4), "the ROM does not overlap BAR0");
	tap_is_int(t, port_cfg(&bus, 3, 0x04, 2), 2, "memory decoding on");
	desc.slot = 4;
	desc.rom_size = 0;
	desc.bars[0].size = 1 << 18;
	desc.ctx = &d2;
	pt_pci_register_function(&bus, &desc, &other);
	tap_ok(t, other && other->bar_alloc[0] != rom,
	       "another function's BAR is not placed where the ROM is (disabled as it is)");
	pt_pci_unregister_function(&bus, other);
	desc.slot = 3;
	desc.ctx = &d;
	desc.rom_size = 1 << 18;
	desc.bars[0].size = 1 << 17;

	/* Sizing, as Linux does it: all ones without the enable bit, then restore. */
	port_cfg_write(&bus, 3, 0x30, 4, 0xfffffffe);
	tap_is_int(t, port_cfg(&bus, 3, 0x30, 4), 0xfffc0000, "sizing: 256 KiB, enable clear");
	port_cfg_write(&bus, 3, 0x30, 4, 0xffffffff);
	tap_is_int(t, port_cfg(&bus, 3, 0x30, 4), 0xfffc0001,
		   "sizing with the enable bit: the mask with bit 0 kept, reserved bits 0");
	tap_is_int(t, d.updates, 1, "the sizing pattern is not decoded");
	port_cfg_write(&bus, 3, 0x30, 4, rom);
	tap_is_int(t, d.updates, 1, "an address without the enable bit is not decoded");

	port_cfg_write(&bus, 3, 0x30, 4, rom | 1);
	tap_ok(t, d.updates == 2 && d.last_bar == PT_PCI_ROM_BAR && d.last_enabled &&
	       d.last_addr == rom, "the enable bit decodes the ROM at its address (index 6)");
	tap_ok(t, fn->rom_enabled && fn->rom_addr == rom && fn->rom_size == 1 << 18,
	       "the function records the decoded ROM");
	port_cfg_write(&bus, 3, 0x04, 2, 0);
	tap_ok(t, d.updates == 4 && !d.last_enabled && !fn->rom_enabled,
	       "memory decoding off stops the ROM (and BAR0)");
	port_cfg_write(&bus, 3, 0x30, 4, 0xd0000000 | 1);
	tap_is_int(t, d.updates, 4, "moving the ROM while memory decoding is off decodes nothing");
	port_cfg_write(&bus, 3, 0x04, 2, 2);
	tap_ok(t, d.updates == 6 && fn->rom_enabled && fn->rom_addr == 0xd0000000,
	       "memory decoding on: the ROM at its new address");
	port_cfg_write(&bus, 3, 0x30, 1, 0);
	tap_ok(t, d.updates == 7 && !d.last_enabled && d.last_bar == PT_PCI_ROM_BAR,
	       "a byte write clearing the enable bit stops the ROM alone");
	tap_is_int(t, port_cfg(&bus, 3, 0x30, 4), 0xd0000000, "the address stays");
	port_cfg_write(&bus, 3, 0x30, 4, 0xd0000001);
	tap_is_int(t, pt_pci_unregister_function(&bus, fn), 0, "unregister");
	tap_ok(t, d.updates == 10 && !d.last_enabled, "unregistering stops the ROM too");

	/* No ROM: the register reads 0 and ignores writes. */
	desc.rom_size = 0;
	pt_pci_register_function(&bus, &desc, &fn);
	port_cfg_write(&bus, 3, 0x30, 4, 0xffffffff);
	tap_is_int(t, port_cfg(&bus, 3, 0x30, 4), 0, "without a ROM the ROM BAR reads 0");
	pt_pci_bus_destroy(&bus);
}

/*
 * What a guest's scan finds in slot dev, as Linux walks it: function 0, and
 * functions 1-7 only when function 0's header type has bit 7. Bit N: function N.
 */
static unsigned guest_scan(struct pt_pci_bus *bus, unsigned dev)
{
	unsigned found = 0;

	if (port_cfg_fn(bus, dev, 0, 0, 2) == 0xffff)
		return 0;
	found = 1;
	if (!(port_cfg_fn(bus, dev, 0, 0x0e, 1) & 0x80))
		return found;
	for (unsigned fn = 1; fn < PT_PCI_FUNCTIONS; fn++)
		if (port_cfg_fn(bus, dev, fn, 0, 2) != 0xffff)
			found |= 1u << fn;
	return found;
}

/* Functions of one slot: the header type's bit 7, function 0 first, each its own BARs. */
static void test_multifunction(struct tap *t, const struct pt_pci_windows *win)
{
	struct pt_pci_bus bus;
	struct pt_pci_function *f0 = NULL, *f1 = NULL, *f3 = NULL, *g = NULL;
	struct dev d0 = { 0 }, d1 = { 0 };
	struct pt_pci_function_desc a = {
		.vendor = 0x10de, .device = 0x1eb8, .class_code = 0x030000, .int_pin = 1,
		.slot = 5, .function = 0, .ops = &ops, .ctx = &d0,
		.bars = { [0] = { PT_PCI_BAR_MEM32, 1 << 20, false } },
	};
	struct pt_pci_function_desc b = a;

	b.device = 0x10f8;
	b.class_code = 0x040300;
	b.ctx = &d1;
	b.bars[0].size = 16384;
	pt_pci_bus_init(&bus, win, NULL, NULL);
	b.function = 1;
	tap_is_int(t, pt_pci_register_function(&bus, &b, &f1), -ENXIO,
		   "function 1 of a slot with no function 0 is refused (no guest would find it)");
	tap_is_int(t, pt_pci_register_function(&bus, &a, &f0), 0, "05.0 registered");
	tap_is_int(t, port_cfg(&bus, 5, 0x0e, 1), 0, "05.0 alone: header type 0, bit 7 clear");
	tap_is_int(t, guest_scan(&bus, 5), 0x1, "a guest's scan finds 05.0 alone");
	tap_is_int(t, pt_pci_register_function(&bus, &b, &f1), 0, "05.1 registered beside it");
	tap_ok(t, f1 && f1->dev == 5 && f1->fn == 1, "it is at 05.1");
	tap_is_int(t, port_cfg_fn(&bus, 5, 1, 0, 4), 0x10f810de, "05.1's IDs through the ports");
	tap_is_int(t, port_cfg_fn(&bus, 5, 1, 0x08, 4) >> 8, 0x040300, "05.1's own class");
	tap_is_int(t, port_cfg(&bus, 5, 0x0e, 1), 0x80, "05.0's header type now has bit 7");
	tap_is_int(t, port_cfg_fn(&bus, 5, 1, 0x0c, 4) >> 16 & 0xff, 0x80,
		   "so does 05.1's (dword read at 0x0c)");
	tap_is_int(t, guest_scan(&bus, 5), 0x3, "a guest's scan finds 05.0 and 05.1");
	tap_is_int(t, port_cfg_fn(&bus, 5, 2, 0, 4), 0xffffffff, "05.2 is empty: all ones");
	tap_is_int(t, f1->gsi, f0->gsi, "INTA of both functions is the slot's one pin (GSI %d)",
		   f0->gsi);
	tap_ok(t, f1->bar_alloc[0] != f0->bar_alloc[0] &&
	       (f1->bar_alloc[0] >= f0->bar_alloc[0] + (1 << 20) ||
		f1->bar_alloc[0] + 16384 <= f0->bar_alloc[0]),
	       "each function has its own BAR space (0x%llx, 0x%llx)",
	       (unsigned long long)f0->bar_alloc[0], (unsigned long long)f1->bar_alloc[0]);
	d1.updates = 0;
	pt_pci_cfg_write(&bus, 5, 1, 0x04, 2, 0);
	tap_ok(t, d1.updates == 1 && !d1.last_enabled && d0.updates == 1,
	       "a config write to 05.1 reaches 05.1's device, not 05.0's");
	pt_pci_cfg_write(&bus, 5, 1, 0x0e, 1, 0);
	tap_is_int(t, port_cfg_fn(&bus, 5, 1, 0x0e, 1), 0x80, "header type is read-only");
	tap_is_int(t, pt_pci_register_function(&bus, &b, NULL), -EBUSY, "05.1 is taken");
	b.function = 8;
	tap_is_int(t, pt_pci_register_function(&bus, &b, NULL), -EINVAL, "function 8 does not exist");
	b.function = 1;
	b.slot = -1;
	tap_is_int(t, pt_pci_register_function(&bus, &b, NULL), -EINVAL,
		   "\"the next free slot\" is for function 0 only");
	b.function = 0;
	tap_is_int(t, pt_pci_register_function(&bus, &b, &g), 0, "a function for the next free slot");
	tap_is_int(t, g ? g->dev : 0, 1, "it takes slot 1: slot 5 is not free");
	pt_pci_unregister_function(&bus, g);
	b.slot = 5;
	b.function = 3;
	tap_is_int(t, pt_pci_register_function(&bus, &b, &f3), 0, "05.3 registered (05.2 left empty)");
	tap_is_int(t, pt_pci_slot_functions(&bus, 5), 0xb, "slot 5 holds functions 0, 1 and 3");
	tap_is_int(t, guest_scan(&bus, 5), 0xb, "a guest's scan finds all three");
	tap_is_int(t, pt_pci_unregister_function(&bus, f1), 0, "05.1 unregistered");
	tap_is_int(t, port_cfg_fn(&bus, 5, 1, 0, 4), 0xffffffff, "05.1 reads all ones again");
	tap_is_int(t, port_cfg(&bus, 5, 0x0e, 1), 0x80, "05.0 still has bit 7 (05.3 is there)");
	tap_is_int(t, pt_pci_unregister_function(&bus, f3), 0, "05.3 unregistered");
	tap_is_int(t, port_cfg(&bus, 5, 0x0e, 1), 0, "05.0 alone again: bit 7 clear");
	tap_is_int(t, pt_pci_unregister_function(&bus, f0), 0, "05.0 unregistered");
	tap_is_int(t, pt_pci_slot_functions(&bus, 5), 0, "slot 5 is empty");

	/* A function 0 that says more are coming (the host's fn 0 has bit 7). */
	a.multifunction = true;
	tap_is_int(t, pt_pci_register_function(&bus, &a, &f0), 0, "05.0 registered as multifunction");
	tap_is_int(t, port_cfg(&bus, 5, 0x0e, 1), 0x80, "its header type has bit 7 while alone");
	tap_is_int(t, guest_scan(&bus, 5), 0x1, "a guest's scan of functions 1-7 finds none yet");
	tap_ok(t, pt_pci_multifunction(&bus, f0), "pt_pci_multifunction says so too");
	b.function = 1;
	pt_pci_register_function(&bus, &b, &f1);
	tap_is_int(t, guest_scan(&bus, 5), 0x3, "a function joining later is found by a rescan");

	/* Function 0 taken back first (the host asked): the others stay where they are. */
	tap_is_int(t, pt_pci_unregister_function(&bus, f0), 0, "05.0 unregistered before 05.1");
	tap_is_int(t, port_cfg_fn(&bus, 5, 1, 0, 4), 0x10f810de, "05.1 still answers at its address");
	tap_is_int(t, guest_scan(&bus, 5), 0, "but a guest's scan no longer finds slot 5");
	tap_is_int(t, pt_pci_register_function(&bus, &b, NULL), -EBUSY, "05.1 is still taken");
	b.function = 2;
	tap_is_int(t, pt_pci_register_function(&bus, &b, NULL), -ENXIO,
		   "05.2 refused while slot 5 has no function 0");
	a.multifunction = false;
	tap_is_int(t, pt_pci_register_function(&bus, &a, &f0), 0, "05.0 back");
	tap_is_int(t, guest_scan(&bus, 5), 0x3, "the slot is whole again");
	pt_pci_bus_destroy(&bus);
}

int main(void)
{
	struct tap t = { 0 };
	struct pt_pci_bus bus;
	struct pt_pci_function *fn = NULL, *fn2 = NULL;
	struct dev d = { 0 };
	struct pt_pci_function_desc desc = {
		.vendor = 0x1234, .device = 0x11e8, .class_code = 0x00ff00, .revision = 0x10,
		.int_pin = 1, .slot = -1, .ops = &ops, .ctx = &d,
		.bars = {
			[0] = { PT_PCI_BAR_MEM32, 1 << 20, false },
			[1] = { PT_PCI_BAR_IO, 32, false },
			[2] = { PT_PCI_BAR_MEM64, 1 << 14, true },
		},
	};
	const struct pt_pci_windows win = {
		.mmio32_start = PT_GPA_PCI_HOLE, .mmio32_end = PT_GPA_PCI_MMIO_END,
		.mmio64_start = PT_GPA_4G, .mmio64_end = PT_GPA_4G + PT_GPA_PCI_MMIO64_SIZE,
		.io_start = PT_PCI_IO_START, .io_end = PT_PCI_IO_END,
	};
	uint64_t v;

	test_iobus(&t);
	test_rom(&t);
	test_multifunction(&t, &win);
	tap_is_int(&t, pt_pci_bus_init(&bus, &win, NULL, NULL), 0, "bus init");
	tap_is_int(&t, port_cfg(&bus, 0, 0, 4), PT_PCI_HOST_DEVICE << 16 | PT_PCI_HOST_VENDOR,
		   "00:00.0 is the host bridge");
	tap_is_int(&t, port_cfg(&bus, 0, 0x0a, 2), 0x0600, "host bridge class 06/00");
	tap_is_int(&t, port_cfg(&bus, 1, 0, 4), 0xffffffff, "empty slot reads all ones");
	tap_is_int(&t, port_cfg(&bus, 0, 2, 2), PT_PCI_HOST_DEVICE, "word read at offset 2");

	/* The address latch: Linux's type 1 probe writes a byte to 0xCFB, then reads 0xCF8. */
	v = 0x01;
	pt_pci_config_port(&bus, 0xcfb, 1, true, &v);
	v = 0x80000000;
	pt_pci_config_port(&bus, 0xcf8, 4, true, &v);
	pt_pci_config_port(&bus, 0xcf8, 4, false, &v);
	tap_is_int(&t, v, 0x80000000, "0xCF8 reads back what was written");
	v = 0x80010000; /* bus 1 */
	pt_pci_config_port(&bus, 0xcf8, 4, true, &v);
	pt_pci_config_port(&bus, 0xcfc, 4, false, &v);
	tap_is_int(&t, v, 0xffffffff, "bus 1 does not exist");
	v = 0x00000000; /* enable bit clear */
	pt_pci_config_port(&bus, 0xcf8, 4, true, &v);
	pt_pci_config_port(&bus, 0xcfc, 2, false, &v);
	tap_is_int(&t, v, 0xffff, "config data with the enable bit clear reads all ones");

	tap_is_int(&t, pt_pci_register_function(&bus, &desc, &fn), 0, "register a function");
	tap_is_int(&t, fn->dev, 1, "it gets the lowest free slot, 1");
	tap_is_int(&t, port_cfg(&bus, 1, 0, 4), 0x11e81234, "IDs through the ports");
	tap_is_int(&t, port_cfg(&bus, 1, 0x3d, 1), 1, "interrupt pin INTA");
	tap_is_int(&t, port_cfg(&bus, 1, 0x3c, 1), 17, "interrupt line: slot 1 INTA swizzles to GSI 17");
	tap_is_int(&t, fn->gsi, 17, "function's gsi");
	tap_is_int(&t, port_cfg(&bus, 1, 0x10, 4), 0xc0000000, "BAR0 allocated at the hole's start");
	tap_is_int(&t, port_cfg(&bus, 1, 0x14, 4), PT_PCI_IO_START | 1, "BAR1 is I/O at 0xc000");
	tap_is_int(&t, port_cfg(&bus, 1, 0x18, 4), 0xc, "BAR2 is 64-bit prefetchable");
	tap_is_int(&t, port_cfg(&bus, 1, 0x1c, 4), 1, "BAR2 is above RAM, at 4 GiB: the upper half");
	tap_is_int(&t, fn->bar_addr[2], PT_GPA_4G, "and it decodes there");
	tap_is_int(&t, port_cfg(&bus, 1, 0x04, 2), 3, "firmware left I/O and memory decoding on");
	tap_is_int(&t, d.updates, 3, "three BARs reported mapped");

	/* Sizing: disable decoding, write all ones, read the mask, restore. */
	port_cfg_write(&bus, 1, 0x04, 2, 0);
	tap_ok(&t, d.updates == 6 && !d.last_enabled, "turning decoding off unmaps every BAR");
	port_cfg_write(&bus, 1, 0x10, 4, 0xffffffff);
	tap_is_int(&t, port_cfg(&bus, 1, 0x10, 4), 0xfff00000, "BAR0 sizing: 1 MiB");
	port_cfg_write(&bus, 1, 0x14, 4, 0xffffffff);
	tap_is_int(&t, port_cfg(&bus, 1, 0x14, 4), 0xffffffe1, "BAR1 sizing: 32 ports, I/O bit");
	port_cfg_write(&bus, 1, 0x18, 4, 0xffffffff);
	port_cfg_write(&bus, 1, 0x1c, 4, 0xffffffff);
	tap_is_int(&t, port_cfg(&bus, 1, 0x18, 4), 0xffffc00c, "BAR2 sizing: 16 KiB, low half");
	tap_is_int(&t, port_cfg(&bus, 1, 0x1c, 4), 0xffffffff, "BAR2 sizing: high half");
	tap_is_int(&t, port_cfg(&bus, 1, 0x20, 4), 0, "an unused BAR reads 0 and sizes to 0");
	port_cfg_write(&bus, 1, 0x10, 4, 0xd0000000);
	port_cfg_write(&bus, 1, 0x14, 4, 0xd000);
	port_cfg_write(&bus, 1, 0x18, 4, 0xd0200000);
	port_cfg_write(&bus, 1, 0x1c, 4, 0);
	tap_is_int(&t, d.updates, 6, "no mapping while decoding is off");
	port_cfg_write(&bus, 1, 0x04, 2, 2);
	tap_ok(&t, d.updates == 8 && d.last_enabled && d.last_addr == 0xd0200000,
	       "memory decoding on maps the memory BARs at their new addresses");
	port_cfg_write(&bus, 1, 0x04, 2, 0xffff);
	tap_is_int(&t, port_cfg(&bus, 1, 0x04, 2), 0x0547, "command: only writable bits stick");
	tap_ok(&t, d.updates == 9 && d.last_bar == 1 && d.last_addr == 0xd000, "I/O BAR mapped");
	port_cfg_write(&bus, 1, 0x00, 4, 0);
	tap_is_int(&t, port_cfg(&bus, 1, 0, 4), 0x11e81234, "IDs are read-only");
	port_cfg_write(&bus, 1, 0x3d, 1, 3);
	tap_is_int(&t, port_cfg(&bus, 1, 0x3d, 1), 1, "interrupt pin is read-only");
	port_cfg_write(&bus, 1, 0x3c, 1, 5);
	tap_is_int(&t, port_cfg(&bus, 1, 0x3c, 1), 5, "interrupt line is writable");
	tap_is_int(&t, port_cfg(&bus, 1, 0x40, 4), 0xfeedbeef, "the device's cfg_read overrides");
	tap_ok(&t, d.writes > 0, "the device sees config writes");
	tap_is_int(&t, pt_pci_cfg_read(&bus, 1, 0, 0x3e, 4), 0xffffffff, "a misaligned read is refused");

	desc.slot = 1;
	tap_is_int(&t, pt_pci_register_function(&bus, &desc, NULL), -EBUSY, "slot 1 is taken");
	desc.slot = 0;
	tap_is_int(&t, pt_pci_register_function(&bus, &desc, NULL), -EINVAL, "slot 0 is the bridge's");
	desc.slot = 9;
	desc.int_pin = 2;
	desc.bars[0].size = 3000;
	tap_is_int(&t, pt_pci_register_function(&bus, &desc, NULL), -EINVAL,
		   "a BAR size that is not a power of two is refused");
	desc.bars[0].size = 1ULL << 40;
	desc.bars[0].type = PT_PCI_BAR_MEM64;
	desc.bars[1].type = PT_PCI_BAR_NONE;
	desc.bars[2].type = PT_PCI_BAR_NONE;
	tap_is_int(&t, pt_pci_register_function(&bus, &desc, NULL), -ENOSPC,
		   "a BAR larger than the hole does not fit");
	desc.bars[0].size = 4096;
	tap_is_int(&t, pt_pci_register_function(&bus, &desc, &fn2), 0, "slot 9 INTB");
	tap_is_int(&t, fn2->gsi, 16 + (9 + 2 - 1) % 8, "slot 9 INTB swizzles to GSI 18");
	tap_is_int(&t, fn2->bar_alloc[0], PT_GPA_4G + (1 << 14),
		   "its 64-bit BAR is above RAM, after the 16 KiB of 00:01.0's BAR2");
	tap_is_int(&t, pt_pci_unregister_function(&bus, fn2), 0, "unregister");
	tap_is_int(&t, port_cfg(&bus, 9, 0, 4), 0xffffffff, "slot 9 is empty again");

	/* Space comes back: the same function registered again gets the same place. */
	desc.bars[0].type = PT_PCI_BAR_MEM32;
	desc.bars[0].size = 1 << 20;
	tap_is_int(&t, pt_pci_register_function(&bus, &desc, &fn2), 0, "a 1 MiB 32-bit BAR at slot 9");
	v = fn2->bar_alloc[0];
	tap_is_int(&t, v, 0xc0100000, "placed after 00:01.0's BAR0 (at 0xc0000000)");
	for (unsigned i = 0; i < 2000; i++) {
		pt_pci_unregister_function(&bus, fn2);
		fn2 = NULL;
		if (pt_pci_register_function(&bus, &desc, &fn2) < 0 || fn2->bar_alloc[0] != v)
			break;
	}
	tap_ok(&t, fn2 && fn2->bar_alloc[0] == v,
	       "2000 unregister/register rounds (2 GiB of BARs in a 1 GiB window): the same place");
	pt_pci_unregister_function(&bus, fn2);

	/* Where the guest moved a BAR is not given to another function. */
	desc.bars[0].size = 256 << 20;
	tap_is_int(&t, pt_pci_register_function(&bus, &desc, &fn2), 0, "a 256 MiB 32-bit BAR");
	tap_is_int(&t, fn2->bar_alloc[0], 0xe0000000,
		   "not at 0xc0000000 (00:01.0's place) nor 0xd0000000 (where its guest moved it)");
	pt_pci_unregister_function(&bus, fn2);

	/*
	 * Nor where it moved a BAR with decoding off: decoding comes back on there. (It
	 * did not: the new function got the place and the moved BAR found it taken.)
	 */
	port_cfg_write(&bus, 1, 0x04, 2, 0);
	port_cfg_write(&bus, 1, 0x10, 4, 0xc0100000);
	desc.bars[0].size = 1 << 20;
	tap_is_int(&t, pt_pci_register_function(&bus, &desc, &fn2), 0, "a 1 MiB 32-bit BAR");
	tap_is_int(&t, fn2->bar_alloc[0], 0xc0200000,
		   "not at 0xc0100000, where 00:01.0's BAR0 was moved with decoding off");
	d.updates = 0;
	port_cfg_write(&bus, 1, 0x04, 2, 2);
	tap_ok(&t, d.updates == 2 && d.last_enabled && fn->bar_enabled[0] &&
	       fn->bar_addr[0] == 0xc0100000,
	       "decoding on again: 00:01.0's BAR0 decodes at 0xc0100000, clear of the new one");
	pt_pci_unregister_function(&bus, fn2);
	pt_pci_bus_destroy(&bus);

	/* No room above RAM (an empty 64-bit window): 64-bit BARs go below 4 GiB. */
	{
		struct pt_pci_windows low = win;

		low.mmio64_start = low.mmio64_end = 0;
		pt_pci_bus_init(&bus, &low, NULL, NULL);
		desc.slot = -1;
		desc.bars[0] = (struct pt_pci_bar_desc){ PT_PCI_BAR_MEM64, 1 << 20, true };
		tap_is_int(&t, pt_pci_register_function(&bus, &desc, &fn2), 0,
			   "a 64-bit BAR with no window above RAM");
		tap_is_int(&t, fn2->bar_alloc[0], PT_GPA_PCI_HOLE, "is placed below 4 GiB");
		pt_pci_bus_destroy(&bus);
	}
	return tap_done(&t);
}
