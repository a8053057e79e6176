/* PCI bus 0 through configuration mechanism #1 (ports 0xcf8/0xcfc). */
#include "guest.h"

#define PCI_ADDR 0xcf8
#define PCI_DATA 0xcfc

#define PCI_COMMAND 0x04
#define PCI_ROM_ADDRESS 0x30
#define PCI_STATUS_CAPS (1u << 4)
#define PCI_CMD_DECODE 0x3	/* I/O and memory space */

struct bdf {
	unsigned bus, dev, fn;
	char name[12];
};

static void select_reg(const struct bdf *d, unsigned off)
{
	outl(PCI_ADDR, 0x80000000u | d->bus << 16 | d->dev << 11 | d->fn << 8 | (off & 0xfc));
}

static uint32_t cfg_read32(const struct bdf *d, unsigned off)
{
	select_reg(d, off);
	return inl(PCI_DATA);
}

static uint16_t cfg_read16(const struct bdf *d, unsigned off)
{
	select_reg(d, off);
	return inw((uint16_t)(PCI_DATA + (off & 2)));
}

static uint8_t cfg_read8(const struct bdf *d, unsigned off)
{
	select_reg(d, off);
	return inb((uint16_t)(PCI_DATA + (off & 3)));
}

static void cfg_write32(const struct bdf *d, unsigned off, uint32_t v)
{
	select_reg(d, off);
	outl(PCI_DATA, v);
}

static void cfg_write16(const struct bdf *d, unsigned off, uint16_t v)
{
	select_reg(d, off);
	outw((uint16_t)(PCI_DATA + (off & 2)), v);
}

uint32_t pci_read32(unsigned bus, unsigned dev, unsigned fn, unsigned off)
{
	struct bdf d = { bus, dev, fn, "" };

	return cfg_read32(&d, off);
}

/* Sizes a BAR by writing all-ones (decoding off meanwhile); returns how many BAR slots it takes. */
static unsigned report_bar(const struct bdf *d, unsigned bar)
{
	unsigned off = 0x10 + 4 * bar;
	uint16_t cmd = cfg_read16(d, PCI_COMMAND);
	uint32_t orig = cfg_read32(d, off), orig_hi = 0, mask, mask_hi = 0;
	bool io = orig & 1, is64 = !io && ((orig >> 1) & 3) == 2;
	uint64_t addr, size;

	cfg_write16(d, PCI_COMMAND, cmd & ~PCI_CMD_DECODE);
	cfg_write32(d, off, 0xffffffffu);
	mask = cfg_read32(d, off);
	cfg_write32(d, off, orig);
	if (is64) {
		orig_hi = cfg_read32(d, off + 4);
		cfg_write32(d, off + 4, 0xffffffffu);
		mask_hi = cfg_read32(d, off + 4);
		cfg_write32(d, off + 4, orig_hi);
	}
	cfg_write16(d, PCI_COMMAND, cmd);

	if (io) {
		mask &= 0xfffffffcu;
		addr = orig & 0xfffffffcu;
		if (mask && !(mask & 0xffff0000u))	/* a 16-bit I/O decoder */
			mask |= 0xffff0000u;
		size = mask ? (uint32_t)(~mask + 1) : 0;
	} else {
		uint64_t m = ((uint64_t)mask_hi << 32) | (mask & 0xfffffff0u);

		if (!is64)
			m |= 0xffffffff00000000ull;
		addr = ((uint64_t)orig_hi << 32) | (orig & 0xfffffff0u);
		size = (mask & 0xfffffff0u) || mask_hi ? ~m + 1 : 0;
	}
	if (size)
		tg_line("pci-bar bdf=%s bar=%u kind=%s%s addr=0x%lx size=0x%lx", d->name, bar,
			io ? "io" : is64 ? "mem64" : "mem32",
			io ? "" : (orig & 8) ? " prefetch=1" : " prefetch=0", addr, size);
	return is64 ? 2 : 1;
}

static const char *cap_name(uint8_t id)
{
	static const char *const names[] = {
		[0x01] = "pm", [0x02] = "agp", [0x03] = "vpd", [0x04] = "slotid", [0x05] = "msi",
		[0x06] = "hotswap", [0x07] = "pcix", [0x08] = "ht", [0x09] = "vendor",
		[0x0a] = "debug", [0x0b] = "crc", [0x0c] = "hotplug", [0x0d] = "ssvid",
		[0x0e] = "agp8", [0x0f] = "secure", [0x10] = "pcie", [0x11] = "msix",
		[0x12] = "sata", [0x13] = "af",
	};

	return id < ARRAY_SIZE(names) && names[id] ? names[id] : "other";
}

static void report_caps(const struct bdf *d)
{
	uint8_t off = cfg_read8(d, 0x34) & 0xfc;

	/* 48 capabilities at most fit in config space: a longer chain is a loop. */
	for (unsigned n = 0; off >= 0x40 && n < 48; n++) {
		uint32_t hdr = cfg_read32(d, off);
		uint8_t id = hdr & 0xff;
		uint16_t ctl = (uint16_t)(hdr >> 16);
		char extra[160] = "";

		if (id == 0x05) {
			tg_snprintf(extra, sizeof(extra), " enabled=%u vectors=%u addr64=%u maskable=%u",
				    ctl & 1, 1u << ((ctl >> 1) & 7), (ctl >> 7) & 1, (ctl >> 8) & 1);
		} else if (id == 0x11) {
			uint32_t table = cfg_read32(d, off + 4u), pba = cfg_read32(d, off + 8u);

			tg_snprintf(extra, sizeof(extra),
				    " enabled=%u masked=%u table_size=%u table_bar=%u table_offset=0x%x"
				    " pba_bar=%u pba_offset=0x%x",
				    (ctl >> 15) & 1, (ctl >> 14) & 1, (ctl & 0x7ff) + 1, table & 7,
				    table & ~7u, pba & 7, pba & ~7u);
		}
		tg_line("pci-cap bdf=%s offset=0x%x id=0x%02x name=%s%s", d->name, off, id,
			cap_name(id), extra);
		off = (uint8_t)(hdr >> 8) & 0xfc;
	}
}

/* The offset of d's first capability with this ID, or 0. */
static uint8_t find_cap(const struct bdf *d, uint8_t id)
{
	uint8_t off;

	if (!(cfg_read16(d, 0x06) & PCI_STATUS_CAPS))
		return 0;
	off = cfg_read8(d, 0x34) & 0xfc;
	for (unsigned n = 0; off >= 0x40 && n < 48; n++) {
		uint32_t hdr = cfg_read32(d, off);

		if ((hdr & 0xff) == id)
			return off;
		off = (uint8_t)(hdr >> 8) & 0xfc;
	}
	return 0;
}

int pci_msi_enable(unsigned dev, uint8_t vector, uint8_t dest)
{
	struct bdf d = { 0, dev, 0, "" };
	uint8_t cap;
	uint16_t ctl;
	bool addr64;

	if (dev >= 32 || cfg_read16(&d, 0) == 0xffff)
		return -1;
	cap = find_cap(&d, 0x05);
	if (!cap)
		return -2;
	ctl = cfg_read16(&d, cap + 2u);
	addr64 = ctl & 0x80;
	cfg_write32(&d, cap + 4u, 0xfee00000u | (uint32_t)dest << 12);
	if (addr64)
		cfg_write32(&d, cap + 8u, 0);
	cfg_write16(&d, cap + (addr64 ? 12u : 8u), vector);
	/* Memory decoding and bus mastering: an MSI is a memory write by the device. */
	cfg_write16(&d, PCI_COMMAND, (uint16_t)(cfg_read16(&d, PCI_COMMAND) | 0x6));
	cfg_write16(&d, cap + 2u, (uint16_t)((ctl & ~0x70u) | 1)); /* one vector, enabled */
	tg_line("msi dev=%u offset=0x%x vector=0x%02x dest=%u addr64=%u enabled=%u", dev, cap,
		vector, dest, addr64, cfg_read16(&d, cap + 2u) & 1);
	return 0;
}

void pci_msi_disable(unsigned dev)
{
	struct bdf d = { 0, dev, 0, "" };
	uint8_t cap = find_cap(&d, 0x05);

	if (cap)
		cfg_write16(&d, cap + 2u, (uint16_t)(cfg_read16(&d, cap + 2u) & ~1u));
}

/* ---- MSI-X ---- */

#define MSIX_ENABLE 0x8000
#define MSIX_MASKALL 0x4000
#define MSIX_ENTRY_SIZE 16
#define MSIX_VECTOR_CTRL 12

/* Where 00:DEV.0's MSI-X table and PBA are: 0, or pci_msix_enable's error codes. */
struct msix_where {
	struct bdf d;
	uint8_t cap;
	unsigned entries;
	unsigned table_bar, pba_bar;
	uint32_t table_offset, pba_offset;
	uintptr_t table, pba;	/* their addresses, with the BARs as programmed */
};

static int msix_find(unsigned dev, struct msix_where *w)
{
	uint64_t table_base, pba_base;
	uint32_t table, pba;

	w->d = (struct bdf){ 0, dev, 0, "" };
	if (dev >= 32 || cfg_read16(&w->d, 0) == 0xffff)
		return -1;
	w->cap = find_cap(&w->d, 0x11);
	if (!w->cap)
		return -2;
	w->entries = (cfg_read16(&w->d, w->cap + 2u) & 0x7ffu) + 1;
	table = cfg_read32(&w->d, w->cap + 4u);
	pba = cfg_read32(&w->d, w->cap + 8u);
	w->table_bar = table & 7;
	w->table_offset = table & ~7u;
	w->pba_bar = pba & 7;
	w->pba_offset = pba & ~7u;
	table_base = w->table_bar < 6 ? pci_bar_base(dev, 0, w->table_bar) : 0;
	pba_base = w->pba_bar < 6 ? pci_bar_base(dev, 0, w->pba_bar) : 0;
	/* The guest maps 0-16 GiB only; 0 is an I/O or unprogrammed BAR. */
	if (!table_base || !pba_base || table_base + w->table_offset >= TG_MAP_END ||
	    pba_base + w->pba_offset >= TG_MAP_END)
		return -4;
	w->table = (uintptr_t)(table_base + w->table_offset);
	w->pba = (uintptr_t)(pba_base + w->pba_offset);
	return 0;
}

/* Moves 00:DEV.0's memory BAR bar to addr, decoding off meanwhile (as an OS reassigning it). */
static void move_bar(unsigned dev, unsigned bar, uint32_t addr)
{
	struct bdf d = { 0, dev, 0, "" };
	uint16_t cmd = cfg_read16(&d, PCI_COMMAND);
	unsigned off = 0x10 + 4 * bar;
	uint32_t lo = cfg_read32(&d, off);

	cfg_write16(&d, PCI_COMMAND, cmd & ~PCI_CMD_DECODE);
	cfg_write32(&d, off, addr | (lo & 0xf));
	if (((lo >> 1) & 3) == 2 && bar < 5)
		cfg_write32(&d, off + 4, 0);
	cfg_write16(&d, PCI_COMMAND, cmd);
}

int pci_msix_enable(unsigned dev, const struct tg_msix_vec *v, unsigned n, uint8_t default_dest,
		    uint32_t move_to)
{
	struct msix_where w;
	uint16_t ctl;
	int r = msix_find(dev, &w);

	if (r == 0 && move_to) {
		move_bar(dev, w.table_bar, move_to);
		r = msix_find(dev, &w);
	}
	if (r < 0)
		return r;
	for (unsigned i = 0; i < n; i++)
		if (v[i].entry >= w.entries)
			return -3;
	/* Memory decoding first: the table is in a memory BAR. */
	cfg_write16(&w.d, PCI_COMMAND, (uint16_t)(cfg_read16(&w.d, PCI_COMMAND) | 0x2));
	for (unsigned i = 0; i < n; i++) {
		uintptr_t e = w.table + v[i].entry * MSIX_ENTRY_SIZE;
		uint8_t dest = v[i].dest_set ? v[i].dest : default_dest;

		mmio_write32(e, 0xfee00000u | (uint32_t)dest << 12);
		mmio_write32(e + 4, 0);
		mmio_write32(e + 8, v[i].vector);
		mmio_write32(e + MSIX_VECTOR_CTRL, 0); /* unmasked */
	}
	/* Bus mastering (an MSI-X message is a memory write by the device), then enable. */
	cfg_write16(&w.d, PCI_COMMAND, (uint16_t)(cfg_read16(&w.d, PCI_COMMAND) | 0x6));
	ctl = cfg_read16(&w.d, w.cap + 2u);
	cfg_write16(&w.d, w.cap + 2u, (uint16_t)((ctl & ~MSIX_MASKALL) | MSIX_ENABLE));
	ctl = cfg_read16(&w.d, w.cap + 2u);
	tg_line("msix dev=%u offset=0x%x entries=%u table_bar=%u table_offset=0x%x pba_bar=%u"
		" pba_offset=0x%x enabled=%u masked=%u table_addr=0x%lx", dev, w.cap, w.entries,
		w.table_bar, w.table_offset, w.pba_bar, w.pba_offset, (ctl >> 15) & 1,
		(ctl >> 14) & 1, (unsigned long)w.table);
	for (unsigned i = 0; i < n; i++) {
		uintptr_t e = w.table + v[i].entry * MSIX_ENTRY_SIZE;
		uint32_t addr = mmio_read32(e);

		tg_line("msix-entry dev=%u entry=%u vector=0x%02x dest=%u masked=%u", dev,
			v[i].entry, mmio_read32(e + 8) & 0xff, (addr >> 12) & 0xff,
			mmio_read32(e + MSIX_VECTOR_CTRL) & 1);
	}
	return 0;
}

void pci_msix_disable(unsigned dev)
{
	struct bdf d = { 0, dev, 0, "" };
	uint8_t cap = find_cap(&d, 0x11);

	if (cap)
		cfg_write16(&d, cap + 2u, (uint16_t)(cfg_read16(&d, cap + 2u) & ~MSIX_ENABLE));
}

int pci_msix_mask(unsigned dev, unsigned entry, bool masked)
{
	struct msix_where w;

	if (msix_find(dev, &w) < 0 || entry >= w.entries)
		return -1;
	mmio_write32(w.table + entry * MSIX_ENTRY_SIZE + MSIX_VECTOR_CTRL, masked);
	return 0;
}

int pci_msix_set_entry(unsigned dev, unsigned entry, uint8_t vector, uint8_t dest)
{
	struct msix_where w;
	uintptr_t e;

	if (msix_find(dev, &w) < 0 || entry >= w.entries)
		return -1;
	e = w.table + entry * MSIX_ENTRY_SIZE;
	mmio_write32(e + MSIX_VECTOR_CTRL, 1); /* masked while the message changes */
	mmio_write32(e, 0xfee00000u | (uint32_t)dest << 12);
	mmio_write32(e + 4, 0);
	mmio_write32(e + 8, vector);
	mmio_write32(e + MSIX_VECTOR_CTRL, 0);
	return (int)(cfg_read16(&w.d, w.cap + 2u) >> 15 & 1);
}

int pci_msix_pending(unsigned dev, unsigned entry)
{
	struct msix_where w;

	if (msix_find(dev, &w) < 0 || entry >= w.entries)
		return -1;
	return (int)(mmio_read32(w.pba + entry / 32 * 4) >> (entry % 32) & 1);
}

static void report_function(const struct bdf *d)
{
	uint32_t id = cfg_read32(d, 0x00), class = cfg_read32(d, 0x08);
	uint8_t header = cfg_read8(d, 0x0e), type = header & 0x7f;
	uint32_t irq = cfg_read32(d, 0x3c);
	char extra[64] = "";
	unsigned nbars = type == 0 ? 6 : type == 1 ? 2 : 0;

	if (type == 0) {
		uint32_t sub = cfg_read32(d, 0x2c);

		tg_snprintf(extra, sizeof(extra), " subvendor=0x%04x subdevice=0x%04x", sub & 0xffff,
			    sub >> 16);
	} else if (type == 1) {
		tg_snprintf(extra, sizeof(extra), " secondary=%u", (cfg_read32(d, 0x18) >> 8) & 0xff);
	}
	tg_line("pci bdf=%s vendor=0x%04x device=0x%04x class=0x%06x rev=0x%02x header=0x%02x"
		" irq_line=%u irq_pin=%u%s",
		d->name, id & 0xffff, id >> 16, class >> 8, class & 0xff, header, irq & 0xff,
		(irq >> 8) & 0xff, extra);
	for (unsigned bar = 0; bar < nbars;)
		bar += report_bar(d, bar);
	if (cfg_read16(d, 0x06) & PCI_STATUS_CAPS)
		report_caps(d);
}

/* Prints every function on bus 0; returns how many there are. */
unsigned pci_print_bus0(void)
{
	unsigned found = 0;

	for (unsigned dev = 0; dev < 32; dev++) {
		unsigned nfn = 1;

		for (unsigned fn = 0; fn < nfn; fn++) {
			struct bdf d = { 0, dev, fn, "" };
			uint16_t vendor = (uint16_t)cfg_read32(&d, 0x00);

			if (vendor == 0xffff || vendor == 0x0000)
				continue;
			if (fn == 0 && (cfg_read8(&d, 0x0e) & 0x80))
				nfn = 8;
			tg_snprintf(d.name, sizeof(d.name), "%02x:%02x.%x", d.bus, d.dev, d.fn);
			report_function(&d);
			found++;
		}
	}
	return found;
}

/*
 * 00:DEV.FN with vendor:device, or -1. A function > 0 counts only where function 0
 * is there and has the multi-function bit: a guest's scan finds no other.
 */
static int find_dev(uint16_t vendor, uint16_t device, unsigned fn)
{
	for (unsigned dev = 0; dev < 32; dev++) {
		struct bdf d0 = { 0, dev, 0, "" }, d = { 0, dev, fn, "" };

		if (fn && ((uint16_t)cfg_read32(&d0, 0x00) == 0xffff ||
			   !(cfg_read8(&d0, 0x0e) & 0x80)))
			continue;
		if (cfg_read32(&d, 0x00) == ((uint32_t)device << 16 | vendor))
			return (int)dev;
	}
	return -1;
}

int pci_wait_for(uint16_t vendor, uint16_t device, unsigned fn, uint64_t deadline)
{
	for (;;) {
		int dev = find_dev(vendor, device, fn);
		uint64_t pause;

		if (dev >= 0) {
			struct bdf d = { 0, (unsigned)dev, fn, "" };

			tg_snprintf(d.name, sizeof(d.name), "%02x:%02x.%x", d.bus, d.dev, d.fn);
			report_function(&d);
			return dev;
		}
		if (tg_passed(deadline))
			return -1;
		/* A driver's rescan is rare: one bus walk a millisecond is plenty. */
		pause = tg_deadline_ms(1);

		while (!tg_passed(pause))
			cpu_relax();
	}
}

uint64_t pci_bar_base(unsigned dev, unsigned fn, unsigned bar)
{
	struct bdf d = { 0, dev, fn, "" };
	uint32_t lo = cfg_read32(&d, 0x10 + 4 * bar);

	if (lo & 1)
		return 0; /* I/O */
	if (((lo >> 1) & 3) == 2 && bar < 5)
		return (uint64_t)cfg_read32(&d, 0x14 + 4 * bar) << 32 | (lo & 0xfffffff0u);
	return lo & 0xfffffff0u;
}

void pci_enable(unsigned dev, unsigned fn, bool master)
{
	struct bdf d = { 0, dev, fn, "" };

	cfg_write16(&d, PCI_COMMAND,
		    (uint16_t)(cfg_read16(&d, PCI_COMMAND) | PCI_CMD_DECODE | (master ? 4 : 0)));
}

static uint8_t rom_byte(uint32_t addr)
{
	return *(volatile uint8_t *)(uintptr_t)addr;
}

void pci_rom_read(unsigned dev, unsigned fn, uint32_t off, struct pci_rom *r)
{
	struct bdf d = { 0, dev, fn, "" };
	uint32_t orig = cfg_read32(&d, PCI_ROM_ADDRESS), mask;

	*r = (struct pci_rom){ 0 };
	/* Size it: all ones in the address bits, the enable bit clear. */
	cfg_write32(&d, PCI_ROM_ADDRESS, 0xfffff800u);
	mask = cfg_read32(&d, PCI_ROM_ADDRESS) & 0xfffff800u;
	cfg_write32(&d, PCI_ROM_ADDRESS, orig & ~1u);
	if (!mask)
		return;
	r->size = ~mask + 1;
	r->addr = orig & mask;
	if (!r->addr || off + 4 > r->size)
		return;
	cfg_write32(&d, PCI_ROM_ADDRESS, r->addr | 1);
	r->signature = (uint16_t)(rom_byte(r->addr) | rom_byte(r->addr + 1) << 8);
	r->pcir = (uint16_t)(rom_byte(r->addr + 0x18) | rom_byte(r->addr + 0x19) << 8);
	r->pcir_ok = r->pcir + 4u <= r->size && rom_byte(r->addr + r->pcir) == 'P' &&
		     rom_byte(r->addr + r->pcir + 1) == 'C' && rom_byte(r->addr + r->pcir + 2) == 'I' &&
		     rom_byte(r->addr + r->pcir + 3) == 'R';
	r->value = *(volatile uint32_t *)(uintptr_t)(r->addr + off);
	cfg_write32(&d, PCI_ROM_ADDRESS, orig);
}
