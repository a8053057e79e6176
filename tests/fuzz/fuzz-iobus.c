/*
 * libFuzzer target: the VMM's port I/O and MMIO dispatch (src/vmm/iobus.c) with the
 * PCI bus on it (src/vmm/pci.c): configuration mechanism #1 on ports 0xCF8-0xCFF,
 * functions registered and unregistered with BARs and a ROM BAR, and BARs that the
 * guest sizes, moves and turns off, placed on the buses by bar_update as the
 * assigned-device code does it (remove the old range, add the new one).
 *
 * Input: one byte of windows (bits 0-2: 32-bit memory window 64 KiB to 0x3ec00000
 * bytes from 0xc0000000; bits 3-4: 64-bit window 0, 1 MiB, 256 MiB or 64 GiB from
 * 4 GiB; bits 5-6: I/O window 256, 4 Ki or 16 Ki ports ending at 0x10000, or from
 * 0x1000 with bit 7), then operations of 16 bytes: kind, a, b, c, a 32-bit A and a
 * 64-bit V, little-endian. Kind & 7:
 *   0 add raw range a % 8 (moved if it is on a bus) on bus b & 1 (0 ports, 1 MMIO)
 *     at where(b >> 1, c, A), length V & 0x7f, or 2^(V & 63) with bit 7 of V;
 *   1 delete raw range a % 8, or with b & 1 what starts at where(b >> 1, c, A) on
 *     bus (b >> 3) & 1 unless it is a BAR or the config ports (a device removes
 *     only its own ranges);
 *   2 an access on bus b & 1 at where(b >> 1, c, A) of 1, 2, 4 or 8 bytes (b >> 3;
 *     ports: at most 4), a write with b & 0x20, of V; its handler then (b >> 6)
 *     moves raw range a % 8 past where it was (adds it), removes it, or reads 4
 *     bytes 8 further;
 *   3 register a function at slot c % 34 - 1 (-1: any), INTx pin a & 7, BARs from
 *     V's bytes 0-5 (bits 0-1: none, I/O, 32-bit, 64-bit memory; bit 2 prefetchable;
 *     bits 3-7 n: 2^(2 + n % 8) ports or 2^(4 + n) bytes), a ROM of 2^(10 + r % 16)
 *     bytes from V's byte 6 r (none if 0), IDs A;
 *   4 unregister the function at slot c & 31 (a stand-in if none is there);
 *   5, 7 a config access through the ports: 0xCF8 gets enable (unless a & 1), bus
 *     a >> 1 & 1, slot c & 31, function (a >> 2) & 7 if a & 0x80, register A & 0xfc;
 *     then 0xCFC + (A & 3) is accessed with 1, 2, 4 or 4 bytes (b & 3), a write
 *     with b & 4, of V (b >> 3 & 3 = 0), all ones (1), or the dword of an address
 *     that the register is: a BAR's place (2: slot V & 31, BAR (V >> 5 & 7) % 7,
 *     as in where) or this BAR's own moved by (V >> 8) & 0xffff pages (3), bit 0
 *     from V bit 40 (the ROM's enable);
 *   6 pt_pci_cfg_read or write (b & 8) of dev c, function a & 7, offset A & 0x1ff,
 *     b & 7 bytes (any size).
 * where(mode, c, A): 0 A (ports: A & 0xffff); 1 raw range c % 8's base + (int16)A;
 * 2 the BAR c >> 5 (% 7, 6 is the ROM) of slot c & 31 where it decodes or was
 * placed, + (int16)A; 3 the top: 2^64 - 2^16 + (A & 0xffff) (ports 0xff00 + A & 0xff).
 *
 * Invariants (iobus.h and pci.h document them), after each operation:
 * - an add succeeds exactly when the range is not empty, does not wrap and overlaps
 *   no range on that bus (-EINVAL, -EEXIST); a delete exactly when a range starts
 *   there (-ENOENT);
 * - an access reaches exactly the handler whose range holds its first byte, once,
 *   with the guest's address, size and value, and returns its value; one straddling
 *   a range's end goes whole to the range of its first byte, and nothing else; with
 *   no range there it is -ENOENT, calls no handler and a read is all ones; a removed
 *   range's handler is never called again; no handler runs with the bus lock held
 *   (a handler may add and remove other ranges and dispatch accesses), nor a BAR's
 *   with the PCI bus lock;
 * - what is on each bus is checked at the edges of every range added or removed (at
 *   the end: of every range): its first and last byte are its own, the bytes around
 *   it whose the model says;
 * - references: every range left is deleted at the end, which returns only when no
 *   reference is held (a leak hangs: libFuzzer's timeout), then the bus destroyed
 *   (ASan: a reference put once too often frees a range still used);
 * - PCI: registration fails with -EINVAL, -EBUSY or -ENOSPC exactly as pci.h says
 *   and touches nothing then; each BAR and ROM is placed at the lowest naturally
 *   aligned (memory: page) place of its window that no function's BAR or ROM uses
 *   where the bus placed it or where its registers point (decoding or not), 64-bit
 *   BARs in the 64-bit window when they fit; every BAR decodes there at once, the ROM does not;
 * - config reads through the ports (and the latch at 0xCF8) read the IDs, the
 *   command register (writable bits 0x0547), the BARs (the guest's address bits, the
 *   type bits; after sizing the size mask) and the ROM BAR as the guest wrote them;
 *   a misaligned or bad-sized access, a missing function or bus reads all ones;
 * - each BAR and the ROM is decoded (bar_update told, on the bus if nothing else was
 *   there) exactly where and while its registers and the command register say:
 *   I/O below 0x10000 with I/O decoding, memory not at 0, not wrapping and not the
 *   sizing pattern with memory decoding, the ROM also with its enable bit; bar_update
 *   is told of changes only, under the PCI bus lock; an unregistered function
 *   decodes nothing and has nothing left on the buses.
 */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/iobus.h"
#include "vmm/layout.h"
#include "vmm/pci.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define REC 16
#define NRAW 8
#define NBAR (PT_PCI_NUM_BARS + 1) /* the BARs and the ROM */
#define ROM PT_PCI_ROM_BAR
#define PIO 0
#define MMIO 1
#define CFG_PORT 0xcf8
#define MAX_DIRTY 64
#define MAX_DEPTH 4

enum kind { RAW, BAR, CFGPORT };

/* Something that owns at most one range on one bus at a time. */
struct owner {
	enum kind kind;
	unsigned id;             /* raw: 0-7; BAR: slot * NBAR + bar */
	bool live;               /* on the bus (as the model says) */
	int sp;
	uint64_t base, len;      /* where it is, or was last */
	/* BARs: what bar_update said */
	bool rep_en;
	uint64_t rep_addr, rep_size;
};

/* What the guest should read from a registered function. */
struct mfn {
	bool present;
	struct pt_pci_function *fn;
	uint16_t vendor, device, cmd;
	struct pt_pci_bar_desc bars[PT_PCI_NUM_BARS];
	uint32_t reg[PT_PCI_NUM_BARS], wmask[PT_PCI_NUM_BARS];
	uint64_t alloc[NBAR];    /* where the bus placed each BAR and the ROM */
	uint64_t rom_size;
	uint32_t rom_reg;
};

/* One handler call, at a dispatch depth. */
struct call {
	unsigned n;
	struct owner *o;
	uint64_t addr, val;
	unsigned size;
	bool write;
};

static struct pt_iobus buses[2];
static struct pt_pci_bus pci;
static struct pt_pci_windows win;
static struct owner raw[NRAW], bars[PT_PCI_SLOTS][NBAR], cfgport;
static struct mfn fns[PT_PCI_SLOTS];
static uint32_t cf8;
static struct call calls[MAX_DEPTH];
static unsigned depth;
static int nested;               /* the nested operation armed for the next handler */
static unsigned nested_id;
static uint64_t dirty[MAX_DIRTY][2];
static unsigned ndirty;
static bool all_dirty;
static int op_no;

static void fail(const char *what, unsigned long long v)
{
	fprintf(stderr, "fuzz-iobus: invariant broken: %s (0x%llx, operation %d)\n", what, v,
		op_no);
	abort();
}

static void check(bool ok, const char *what, unsigned long long v)
{
	if (!ok)
		fail(what, v);
}

static uint64_t size_mask(unsigned size)
{
	return size >= 8 ? ~0ULL : (1ULL << (size * 8)) - 1;
}

/* What a harness handler reads: a function of who it is and where. */
static uint64_t tag(const struct owner *o, uint64_t addr)
{
	uint64_t x = addr ^ ((uint64_t)o->kind << 56) ^ ((uint64_t)o->id << 40);

	x ^= x >> 31;
	x *= 0x9e3779b97f4a7c15ULL;
	return x ^ (x >> 29);
}

/* The model's bus */

static struct owner *model_find(int sp, uint64_t addr)
{
	for (unsigned i = 0; i < NRAW; i++)
		if (raw[i].live && raw[i].sp == sp && addr - raw[i].base < raw[i].len)
			return &raw[i];
	for (unsigned s = 0; s < PT_PCI_SLOTS; s++)
		for (unsigned b = 0; b < NBAR; b++)
			if (bars[s][b].live && bars[s][b].sp == sp && addr - bars[s][b].base < bars[s][b].len)
				return &bars[s][b];
	if (cfgport.live && cfgport.sp == sp && addr - cfgport.base < cfgport.len)
		return &cfgport;
	return NULL;
}

static bool model_overlap(int sp, uint64_t base, uint64_t len)
{
	for (unsigned i = 0; i < NRAW; i++)
		if (raw[i].live && raw[i].sp == sp && base < raw[i].base + raw[i].len &&
		    raw[i].base < base + len)
			return true;
	for (unsigned s = 0; s < PT_PCI_SLOTS; s++)
		for (unsigned b = 0; b < NBAR; b++) {
			const struct owner *o = &bars[s][b];

			if (o->live && o->sp == sp && base < o->base + o->len && o->base < base + len)
				return true;
		}
	return cfgport.live && cfgport.sp == sp && base < cfgport.base + cfgport.len &&
	       cfgport.base < base + len;
}

static struct owner *model_at_base(int sp, uint64_t base)
{
	struct owner *o = model_find(sp, base);

	return o && o->base == base ? o : NULL;
}

static void mark(int sp, uint64_t addr)
{
	if (ndirty == MAX_DIRTY) {
		all_dirty = true;
		return;
	}
	dirty[ndirty][0] = (uint64_t)sp;
	dirty[ndirty][1] = addr;
	ndirty++;
}

/* The bytes around and at the edges of [base, base + len). */
static void mark_range(int sp, uint64_t base, uint64_t len)
{
	mark(sp, base - 1);
	mark(sp, base);
	mark(sp, base + len - 1);
	mark(sp, base + len);
}

static void handler(void *ctx, uint64_t addr, unsigned size, bool write, uint64_t *val);
static void config_port(void *ctx, uint64_t addr, unsigned size, bool write, uint64_t *val);

static int bus_add(struct owner *o, int sp, uint64_t base, uint64_t len)
{
	int want = 0, r;

	if (!len || base + len < base)
		want = -EINVAL;
	else if (model_overlap(sp, base, len))
		want = -EEXIST;
	r = pt_iobus_add(&buses[sp], base, len, o->kind == CFGPORT ? config_port : handler, o,
			 "fuzz");
	check(r == want, want == -EINVAL ? "an empty or wrapping range is refused (-EINVAL)" :
	      want ? "a range overlapping another is refused (-EEXIST)" :
	      "a range overlapping nothing is added", base);
	if (r == 0) {
		o->live = true;
		o->sp = sp;
		o->base = base;
		o->len = len;
		mark_range(sp, base, len);
	}
	return r;
}

static int bus_del(int sp, uint64_t base)
{
	struct owner *o = model_at_base(sp, base);
	int r = pt_iobus_del(&buses[sp], base);

	check(r == (o ? 0 : -ENOENT), o ? "the range starting there is removed" :
	      "removing where no range starts is -ENOENT", base);
	if (o) {
		o->live = false;
		mark_range(sp, o->base, o->len);
	}
	return r;
}

/* The model of the PCI bus */

static uint32_t get_le(const uint8_t *p, unsigned n)
{
	uint32_t v = 0;

	for (unsigned i = 0; i < n; i++)
		v |= (uint32_t)p[i] << (8 * i);
	return v;
}

static uint32_t bar_flags(const struct pt_pci_bar_desc *b)
{
	if (b->type == PT_PCI_BAR_IO)
		return 1;
	return (b->type == PT_PCI_BAR_MEM64 ? 4 : 0) | (b->prefetchable ? 8 : 0);
}

/* Where BAR i (or the ROM)'s registers point, decoding aside; false: no place. */
static bool placed(const struct mfn *m, unsigned i, uint64_t *addr, uint64_t *size)
{
	uint64_t a;

	if (i == ROM) {
		uint32_t pattern = (uint32_t)~(m->rom_size - 1);

		a = m->rom_reg & pattern;
		*addr = a;
		*size = m->rom_size;
		return m->rom_size && a && a != pattern;
	}
	*size = m->bars[i].size;
	switch (m->bars[i].type) {
	case PT_PCI_BAR_IO:
		a = m->reg[i] & ~3u;
		*addr = a;
		return a + m->bars[i].size <= PT_PCI_IO_END;
	case PT_PCI_BAR_MEM32:
		a = m->reg[i] & ~15u;
		*addr = a;
		return a && a != (~(m->bars[i].size - 1) & 0xffffffffULL);
	case PT_PCI_BAR_MEM64:
		a = (m->reg[i] & ~15u) | (uint64_t)m->reg[i + 1] << 32;
		*addr = a;
		return a && a + m->bars[i].size > a && a != ~(m->bars[i].size - 1);
	default:
		return false;
	}
}

/* Whether BAR i (or the ROM) decodes as its registers say, and where. */
static bool decode(const struct mfn *m, unsigned i, uint64_t *addr, uint64_t *size)
{
	if (!placed(m, i, addr, size))
		return false;
	if (i == ROM)
		return (m->cmd & 2) && (m->rom_reg & 1);
	return m->bars[i].type == PT_PCI_BAR_IO ? (m->cmd & 1) : (m->cmd & 2);
}

static bool is_bar(const struct mfn *m, unsigned i)
{
	if (i == ROM)
		return m->rom_size != 0;
	return m->bars[i].type != PT_PCI_BAR_NONE;
}

static uint64_t bar_size(const struct mfn *m, unsigned i)
{
	return i == ROM ? m->rom_size : m->bars[i].size;
}

static bool bar_io(const struct mfn *m, unsigned i)
{
	return i != ROM && m->bars[i].type == PT_PCI_BAR_IO;
}

/* Whether [a, a + n) meets a place a function's BAR or ROM of that space takes. */
static bool busy(const struct mfn *m, unsigned nbars, bool io, uint64_t a, uint64_t n,
		 uint64_t *end)
{
	for (unsigned i = 0; i < nbars; i++) {
		uint64_t addr, size;

		if (!is_bar(m, i) || bar_io(m, i) != io)
			continue;
		size = bar_size(m, i);
		if (a < m->alloc[i] + size && m->alloc[i] < a + n) {
			*end = m->alloc[i] + size;
			return true;
		}
		if (placed(m, i, &addr, &size) && a < addr + size && addr < a + n) {
			*end = addr + size;
			return true;
		}
	}
	return false;
}

static bool taken(const struct mfn *adding, unsigned nbars, bool io, uint64_t a, uint64_t n)
{
	uint64_t end;

	if (busy(adding, nbars, io, a, n, &end))
		return true;
	for (unsigned s = 0; s < PT_PCI_SLOTS; s++)
		if (fns[s].present && busy(&fns[s], NBAR, io, a, n, &end))
			return true;
	return false;
}

static uint64_t align_up(uint64_t a, uint64_t align)
{
	return (a + align - 1) & ~(align - 1);
}

static bool fits(uint64_t c, uint64_t size, uint64_t start, uint64_t end)
{
	return c >= start && c + size > c && c + size <= end;
}

/*
 * The lowest free aligned place of [start, end): it is the window's first aligned
 * place or the first aligned place after something taken, so only those are tried.
 */
static bool lowest(const struct mfn *adding, unsigned nbars, bool io, uint64_t start,
		   uint64_t end, uint64_t size, uint64_t align, uint64_t *ret)
{
	bool found = false;
	uint64_t c = align_up(start, align);

	if (fits(c, size, start, end) && !taken(adding, nbars, io, c, size)) {
		*ret = c;
		return true;
	}
	for (unsigned s = 0; s <= PT_PCI_SLOTS; s++) {
		const struct mfn *m = s < PT_PCI_SLOTS ? &fns[s] : adding;
		unsigned n = s < PT_PCI_SLOTS ? NBAR : nbars;

		if (s < PT_PCI_SLOTS && !m->present)
			continue;
		for (unsigned i = 0; i < n; i++) {
			uint64_t ends[2], addr, sz;
			unsigned ne = 0;

			if (!is_bar(m, i) || bar_io(m, i) != io)
				continue;
			ends[ne++] = m->alloc[i] + bar_size(m, i);
			if (placed(m, i, &addr, &sz))
				ends[ne++] = addr + sz;
			for (unsigned k = 0; k < ne; k++) {
				c = align_up(ends[k], align);
				if (c < ends[k] || !fits(c, size, start, end) || (found && c >= *ret))
					continue;
				if (!taken(adding, nbars, io, c, size)) {
					*ret = c;
					found = true;
				}
			}
		}
	}
	return found;
}

static bool place(const struct mfn *m, unsigned i, uint64_t *ret)
{
	uint64_t size = bar_size(m, i), align = size < 4096 ? 4096 : size;

	if (bar_io(m, i))
		return lowest(m, i, true, win.io_start, win.io_end, size, size, ret);
	if (i != ROM && m->bars[i].type == PT_PCI_BAR_MEM64 &&
	    lowest(m, i, false, win.mmio64_start, win.mmio64_end, size, align, ret))
		return true;
	return lowest(m, i, false, win.mmio32_start, win.mmio32_end, size, align, ret);
}

static bool desc_valid(const struct pt_pci_function_desc *d)
{
	if (d->int_pin > 4 || d->slot == 0 || d->slot >= PT_PCI_SLOTS || d->slot < -1)
		return false;
	if (d->rom_size && (d->rom_size < PT_PCI_ROM_MIN || d->rom_size > PT_PCI_ROM_MAX ||
			    (d->rom_size & (d->rom_size - 1))))
		return false;
	for (unsigned i = 0; i < PT_PCI_NUM_BARS; i++) {
		const struct pt_pci_bar_desc *b = &d->bars[i];
		uint64_t min = b->type == PT_PCI_BAR_IO ? 4 : 16;

		if (b->type == PT_PCI_BAR_NONE)
			continue;
		if (b->size < min || (b->size & (b->size - 1)))
			return false;
		if ((b->type == PT_PCI_BAR_IO && b->size > 256) ||
		    (b->type == PT_PCI_BAR_MEM32 && b->size > (1ULL << 31)))
			return false;
		if (b->type == PT_PCI_BAR_MEM64) {
			if (i + 1 == PT_PCI_NUM_BARS || d->bars[i + 1].type != PT_PCI_BAR_NONE)
				return false;
			i++;
		}
	}
	return true;
}

/* The byte at off the guest must read, if the model knows it. */
static bool cfg_byte(const struct mfn *m, unsigned off, uint8_t *ret)
{
	uint32_t v;

	if (off < 4)
		v = m->vendor | (uint32_t)m->device << 16;
	else if (off < 8)
		v = m->cmd; /* status (0x06) is not modelled */
	else if (off >= 0x10 && off < 0x28)
		v = m->reg[(off - 0x10) / 4];
	else if (off >= 0x30 && off < 0x34)
		v = m->rom_reg;
	else
		return false;
	if (off >= 6 && off < 8)
		return false;
	*ret = (uint8_t)(v >> (8 * (off & 3)));
	return true;
}

static bool cfg_ok(unsigned off, unsigned size)
{
	return (size == 1 || size == 2 || size == 4) && off + size <= PT_PCI_CFG_SIZE &&
	       !(off & (size - 1));
}

static const struct mfn *cfg_fn(unsigned dev, unsigned fn)
{
	return dev < PT_PCI_SLOTS && fn == 0 && fns[dev].present ? &fns[dev] : NULL;
}

/* A config read as pci.h says; *known gets the bits the model knows. */
static uint32_t model_cfg_read(unsigned dev, unsigned fn, unsigned off, unsigned size,
			       uint32_t *known)
{
	const struct mfn *m = cfg_fn(dev, fn);
	uint32_t v = 0;

	*known = 0xffffffff;
	if (!cfg_ok(off, size))
		return 0xffffffff;
	if (!m)
		return (uint32_t)size_mask(size);
	*known = 0;
	for (unsigned i = 0; i < size; i++) {
		uint8_t b;

		if (cfg_byte(m, off + i, &b)) {
			v |= (uint32_t)b << (8 * i);
			*known |= 0xffu << (8 * i);
		}
	}
	return v;
}

static void apply(uint32_t *reg, unsigned byte, uint8_t b, uint32_t wmask)
{
	uint32_t bm = (wmask >> (8 * byte)) & 0xff;

	*reg = (*reg & ~(bm << (8 * byte))) | ((uint32_t)(b & bm) << (8 * byte));
}

static void model_cfg_write(unsigned dev, unsigned fn, unsigned off, unsigned size, uint32_t v)
{
	struct mfn *m = dev < PT_PCI_SLOTS && fn == 0 && fns[dev].present ? &fns[dev] : NULL;

	if (!m || !cfg_ok(off, size))
		return;
	for (unsigned i = 0; i < size; i++) {
		unsigned o = off + i;
		uint8_t b = (uint8_t)(v >> (8 * i));
		uint32_t cmd = m->cmd;

		if (o == 4 || o == 5) {
			apply(&cmd, o - 4, b, 0x0547);
			m->cmd = (uint16_t)cmd;
		} else if (o >= 0x10 && o < 0x28) {
			apply(&m->reg[(o - 0x10) / 4], o & 3, b, m->wmask[(o - 0x10) / 4]);
		} else if (o >= 0x30 && o < 0x34 && m->rom_size) {
			apply(&m->rom_reg, o & 3, b, (uint32_t)~(m->rom_size - 1) | 1);
		}
	}
}

/* Mechanism #1 at port (0xCF8-0xCFF): what a read returns, or a write does. */
static uint64_t model_port(uint64_t port, unsigned size, bool write, uint64_t val,
			   uint64_t *known)
{
	unsigned off = (unsigned)(port - CFG_PORT);
	uint32_t k = 0xffffffff, r;

	*known = size_mask(size);
	if (off < 4) {
		uint32_t mask = (uint32_t)size_mask(size < 4 ? size : 4) << (8 * off);

		if (off + size > 4)
			return ~0ULL;
		if (write)
			cf8 = (cf8 & ~mask) | (((uint32_t)val << (8 * off)) & mask);
		return (cf8 & mask) >> (8 * off);
	}
	if (!(cf8 & 0x80000000u) || ((cf8 >> 16) & 0xff)) {
		if (write)
			return 0;
		return size_mask(size < 4 ? size : 4);
	}
	if (write) {
		model_cfg_write((cf8 >> 11) & 31, (cf8 >> 8) & 7, (cf8 & 0xfc) + off - 4, size,
				(uint32_t)val);
		return 0;
	}
	r = model_cfg_read((cf8 >> 11) & 31, (cf8 >> 8) & 7, (cf8 & 0xfc) + off - 4, size, &k);
	*known &= k;
	return r;
}

/* Handlers */

static void check_unlocked(int sp)
{
	check(pthread_rwlock_trywrlock(&buses[sp].lock) == 0, "no handler runs with the bus locked",
	      (unsigned long long)sp);
	pthread_rwlock_unlock(&buses[sp].lock);
}

static uint64_t where(int sp, unsigned mode, unsigned c, uint32_t a);
static int bus_access(int sp, uint64_t addr, unsigned size, bool write, uint64_t *val);

static void record(struct owner *o, uint64_t addr, unsigned size, bool write, uint64_t val)
{
	struct call *c;

	check(depth > 0 && depth <= MAX_DEPTH, "a handler runs inside a dispatch", depth);
	c = &calls[depth - 1];
	c->n++;
	c->o = o;
	c->addr = addr;
	c->size = size;
	c->write = write;
	c->val = val;
	check(o->live, "a removed range's handler is never called", o->base);
	check(addr - o->base < o->len, "a handler is called for an address in its range", addr);
	check_unlocked(PIO);
	check_unlocked(MMIO);
}

/* What a handler may do: add or remove another range, dispatch another access. */
static void run_nested(struct owner *self, uint64_t addr, int sp)
{
	struct owner *r = &raw[nested_id];
	int what = nested;
	uint64_t v = 0;

	nested = 0;
	if (what == 1 && r != self) {
		if (r->live)
			bus_del(r->sp, r->base);
		bus_add(r, r->sp, r->base + (r->len ? r->len : 16), r->len ? r->len : 16);
	} else if (what == 2 && r != self && r->live) {
		bus_del(r->sp, r->base);
	} else if (what == 3) {
		bus_access(sp, addr + 8, 4, false, &v);
	}
}

static void handler(void *ctx, uint64_t addr, unsigned size, bool write, uint64_t *val)
{
	struct owner *o = ctx;

	record(o, addr, size, write, *val);
	if (o->kind == BAR) {
		check(pthread_mutex_trylock(&pci.lock) == 0,
		      "a BAR's handler runs without the PCI bus lock", addr);
		pthread_mutex_unlock(&pci.lock);
	}
	if (!write)
		*val = tag(o, addr);
	if (nested && depth == 1)
		run_nested(o, addr, o->sp);
}

static void config_port(void *ctx, uint64_t addr, unsigned size, bool write, uint64_t *val)
{
	record(ctx, addr, size, write, *val);
	pt_pci_config_port(&pci, addr, size, write, val);
}

/* bar_update: as the assigned device's, the old range removed, the new one added. */
static void bar_update(void *ctx, struct pt_pci_function *fn, unsigned bar, uint64_t addr,
		       uint64_t size, bool enabled)
{
	struct owner *o;
	int r;

	check(ctx == &pci, "bar_update gets the device's ctx", 0);
	check(fn && fn->dev > 0 && fn->dev < PT_PCI_SLOTS && bar < NBAR,
	      "bar_update for a function's BAR or ROM", bar);
	check(pthread_mutex_trylock(&pci.lock) == EBUSY, "bar_update runs under the PCI bus lock",
	      bar);
	check_unlocked(PIO);
	check_unlocked(MMIO);
	o = &bars[fn->dev][bar];
	if (!enabled) {
		check(o->rep_en && o->rep_addr == addr && o->rep_size == size,
		      "a BAR is turned off only where it was decoded", addr);
		o->rep_en = false;
		if (o->live) {
			r = bus_del(o->sp, o->base);
			check(r == 0, "a placed BAR is removed from its bus", o->base);
		}
		return;
	}
	check(!o->rep_en, "a BAR is decoded somewhere new only once off where it was", addr);
	o->rep_en = true;
	o->rep_addr = addr;
	o->rep_size = size;
	bus_add(o, bar < ROM && fn->bars[bar].type == PT_PCI_BAR_IO ? PIO : MMIO, addr, size);
}

static const struct pt_pci_ops fuzz_ops = { .bar_update = bar_update };

/* Accesses */

/* One dispatch, checked against the model; returns what pt_iobus_access did. */
static int bus_access(int sp, uint64_t addr, unsigned size, bool write, uint64_t *val)
{
	struct owner *o = model_find(sp, addr);
	uint64_t want = 0, known = 0, before = *val;
	unsigned lvl;
	struct call *c;
	int r;

	check(depth < MAX_DEPTH, "a bounded dispatch depth", depth);
	if (o && o->kind == CFGPORT)
		want = model_port(addr, size, write, *val, &known);
	lvl = depth++;
	c = &calls[lvl];
	memset(c, 0, sizeof(*c));
	r = pt_iobus_access(&buses[sp], addr, size, write, val);
	depth--;
	c = &calls[lvl];
	if (!o) {
		check(r == -ENOENT, "an access where no range is gives -ENOENT", addr);
		check(c->n == 0, "an access where no range is calls no handler", addr);
		check(write ? *val == before : (*val & size_mask(size)) == size_mask(size),
		      "a read where no range is reads all ones", addr);
		return r;
	}
	check(r == 0, "an access inside a range is handled", addr);
	check(c->n == 1 && c->o == o, "an access reaches the handler whose range holds it, once",
	      addr);
	check(c->addr == addr && c->size == size && c->write == write && c->val == before,
	      "the handler gets the guest's address, size and value", addr);
	if (write)
		return r;
	if (o->kind == CFGPORT)
		check(((*val ^ want) & known) == 0,
		      "a config read gives the IDs, command, BARs and ROM BAR as the guest wrote them",
		      (unsigned long long)cf8 << 8 | (addr & 7));
	else
		check(*val == tag(o, addr), "a read returns what the handler read", addr);
	return r;
}

/* Probes the edges of what changed: each byte reaches whom the model says. */
static void probe(int sp, uint64_t addr)
{
	uint64_t v = 0x5a5a5a5a5a5a5a5aULL;
	struct owner *o = model_find(sp, addr);

	if (o && o->kind == CFGPORT)
		return; /* its reads are checked where the guest makes them */
	bus_access(sp, addr, 1, false, &v);
}

static void probe_range(const struct owner *o)
{
	if (!o->live)
		return;
	probe(o->sp, o->base - 1);
	probe(o->sp, o->base);
	probe(o->sp, o->base + o->len - 1);
	probe(o->sp, o->base + o->len);
}

static void probe_all(void)
{
	for (unsigned s = 0; s < PT_PCI_SLOTS; s++)
		for (unsigned b = 0; b < NBAR; b++)
			probe_range(&bars[s][b]);
	for (unsigned i = 0; i < NRAW; i++)
		probe_range(&raw[i]);
	probe_range(&cfgport);
}

/* After an operation: the edges of what it changed, or of everything if that was much. */
static void check_probes(void)
{
	unsigned n = ndirty;

	ndirty = 0;
	if (all_dirty) {
		all_dirty = false;
		probe_all();
		return;
	}
	for (unsigned i = 0; i < n; i++)
		probe((int)dirty[i][0], dirty[i][1]);
}

/* Every BAR decodes as its registers say, and bar_update said so. */
static void check_pci(void)
{
	for (unsigned s = 1; s < PT_PCI_SLOTS; s++) {
		const struct mfn *m = &fns[s];

		for (unsigned i = 0; i < NBAR; i++) {
			const struct owner *o = &bars[s][i];
			uint64_t addr = 0, size = 0;
			bool en = m->present && is_bar(m, i) && decode(m, i, &addr, &size);

			check(o->rep_en == en, en ? "a BAR decodes where its registers say" :
			      "a BAR turned off, sized, moved away or unregistered does not decode",
			      (unsigned long long)s << 8 | i);
			check(!en || (o->rep_addr == addr && o->rep_size == size),
			      "a BAR decodes at the address its registers say, with its size", addr);
			check(en || !o->live, "a BAR that does not decode is not on a bus", o->base);
			check(!o->live || (o->base == o->rep_addr && o->len == o->rep_size),
			      "a BAR on a bus is where it decodes, nowhere else", o->base);
		}
	}
}

/* Operations */

static uint64_t bar_where(unsigned c)
{
	unsigned s = c & 31, i = (c >> 5) % NBAR;
	const struct owner *o = &bars[s][i];

	if (o->rep_en)
		return o->rep_addr;
	return fns[s].present ? fns[s].alloc[i] : o->base;
}

static uint64_t where(int sp, unsigned mode, unsigned c, uint32_t a)
{
	uint64_t addr;

	switch (mode & 3) {
	case 0:
		addr = a;
		break;
	case 1:
		addr = raw[c % NRAW].base + (uint64_t)(int64_t)(int16_t)a;
		break;
	case 2:
		addr = bar_where(c) + (uint64_t)(int64_t)(int16_t)a;
		break;
	default:
		return sp == PIO ? 0xff00 + (a & 0xff) : 0 - 0x10000ULL + (a & 0xffff);
	}
	return sp == PIO ? addr & 0xffff : addr;
}

static void op_raw_add(const uint8_t *p, uint32_t a, uint64_t v)
{
	struct owner *o = &raw[p[1] % NRAW];
	int sp = p[2] & 1;
	uint64_t len = v & 0x80 ? 1ULL << (v & 63) : v & 0x7f;
	uint64_t base = where(sp, p[2] >> 1, p[3], a);

	if (o->live)
		bus_del(o->sp, o->base);
	bus_add(o, sp, base, len);
}

/* A device removes only its own ranges: no BAR's nor the config ports'. */
static void raw_del(int sp, uint64_t base)
{
	const struct owner *o = model_at_base(sp, base);

	if (!o || o->kind == RAW)
		bus_del(sp, base);
}

static void op_raw_del(const uint8_t *p, uint32_t a)
{
	const struct owner *o = &raw[p[1] % NRAW];
	int sp = (p[2] >> 3) & 1;

	if (p[2] & 1)
		raw_del(sp, where(sp, p[2] >> 1, p[3], a));
	else
		raw_del(o->sp, o->base);
}

static void op_access(const uint8_t *p, uint32_t a, uint64_t v)
{
	static const unsigned sizes[] = { 1, 2, 4, 8 };
	int sp = p[2] & 1;
	unsigned size = sizes[(p[2] >> 3) & 3];
	uint64_t val;

	if (sp == PIO && size == 8)
		size = 4; /* KVM's port accesses are at most 4 bytes */
	val = v & size_mask(size);
	nested = p[2] >> 6;
	nested_id = p[1] % NRAW;
	bus_access(sp, where(sp, p[2] >> 1, p[3], a), size, p[2] & 0x20, &val);
	nested = 0;
}

static void bar_desc(struct pt_pci_bar_desc *b, uint8_t code)
{
	unsigned n = code >> 3;

	b->type = (enum pt_pci_bar_type)(code & 3);
	b->prefetchable = code & 4;
	b->size = b->type == PT_PCI_BAR_IO ? 1ULL << (2 + n % 8) : 1ULL << (4 + n);
	if (b->type == PT_PCI_BAR_NONE)
		b->size = 0;
}

/* The new function's model, its places as pci.h says; false: -ENOSPC. */
static bool model_register(struct mfn *m, const struct pt_pci_function_desc *d)
{
	bool io = false, mem = false;

	memset(m, 0, sizeof(*m));
	m->vendor = d->vendor;
	m->device = d->device;
	for (unsigned i = 0; i < PT_PCI_NUM_BARS; i++) {
		const struct pt_pci_bar_desc *b = &d->bars[i];
		uint64_t mask = ~(b->size - 1);

		if (b->type == PT_PCI_BAR_NONE)
			continue;
		m->bars[i] = *b;
		if (!place(m, i, &m->alloc[i]))
			return false;
		if (b->type == PT_PCI_BAR_IO) {
			io = true;
			m->wmask[i] = (uint32_t)mask & ~3u;
		} else {
			mem = true;
			m->wmask[i] = (uint32_t)mask & ~15u;
		}
		m->reg[i] = (uint32_t)m->alloc[i] | bar_flags(b);
		if (b->type == PT_PCI_BAR_MEM64) {
			m->wmask[i + 1] = (uint32_t)(mask >> 32);
			m->reg[i + 1] = (uint32_t)(m->alloc[i] >> 32);
			i++;
		}
	}
	if (d->rom_size) {
		m->rom_size = d->rom_size;
		if (!place(m, ROM, &m->alloc[ROM]))
			return false;
		m->rom_reg = (uint32_t)m->alloc[ROM];
		mem = true;
	}
	m->cmd = (io ? 1 : 0) | (mem ? 2 : 0);
	return true;
}

static int free_slot(int slot)
{
	if (slot >= 0)
		return slot;
	for (slot = 1; slot < PT_PCI_SLOTS && fns[slot].present; slot++)
		;
	return slot;
}

static void op_register(const uint8_t *p, uint32_t a, uint64_t v)
{
	struct pt_pci_function_desc d = {
		.vendor = (uint16_t)a, .device = (uint16_t)(a >> 16), .int_pin = p[1] & 7,
		.slot = (int)(p[3] % 34) - 1, .ops = &fuzz_ops, .ctx = &pci,
	};
	struct pt_pci_function *fn = NULL;
	struct mfn m;
	int want = 0, slot, r;
	uint8_t rom = (uint8_t)(v >> 48);

	for (unsigned i = 0; i < PT_PCI_NUM_BARS; i++)
		bar_desc(&d.bars[i], (uint8_t)(v >> (8 * i)));
	d.rom_size = rom ? 1ULL << (10 + rom % 16) : 0;
	slot = free_slot(d.slot);
	if (!desc_valid(&d))
		want = -EINVAL;
	else if (slot == PT_PCI_SLOTS)
		want = -ENOSPC;
	else if (fns[slot].present)
		want = -EBUSY;
	else if (!model_register(&m, &d))
		want = -ENOSPC;
	r = pt_pci_register_function(&pci, &d, &fn);
	check(r == want, "registration succeeds or fails as pci.h says", (unsigned long long)-r);
	if (r)
		return;
	check(fn && fn->dev == slot && pci.fns[slot][0] == fn, "the function is at its slot", slot);
	for (unsigned i = 0; i < NBAR; i++) {
		uint64_t at = i == ROM ? fn->rom_alloc : fn->bar_alloc[i], addr, size;

		if (!is_bar(&m, i))
			continue;
		check(at == m.alloc[i], "a BAR is placed at the lowest aligned free place of its "
		      "window", at);
		check(decode(&m, i, &addr, &size) == (i != ROM),
		      "a BAR decodes at once where it is placed, the ROM does not", i);
	}
	m.present = true;
	m.fn = fn;
	fns[slot] = m;
}

static void op_unregister(const uint8_t *p)
{
	unsigned s = p[3] & 31;
	struct pt_pci_function stand_in = { .dev = (uint8_t)s };
	struct pt_pci_function *fn = s == 0 ? pci.fns[0][0] : fns[s].present ? fns[s].fn : &stand_in;
	int r = pt_pci_unregister_function(&pci, fn);

	check(r == (s == 0 ? -EINVAL : fns[s].present ? 0 : -ENOENT),
	      "unregistering: the bridge is -EINVAL, a function not on the bus -ENOENT", s);
	if (r == 0)
		fns[s].present = false;
}

/* The value a config write puts in a BAR: another BAR's place, or this one's moved. */
static uint32_t cfg_value(unsigned mode, unsigned reg, uint64_t v)
{
	unsigned s = reg >> 8 & 31, r = reg & 0xfc;
	uint64_t addr;

	switch (mode) {
	case 1:
		return 0xffffffff;
	case 2:
		addr = bar_where((unsigned)v & 0xff) | ((v >> 40) & 1);
		break;
	case 3: {
		unsigned i = r == 0x30 ? ROM : r >= 0x10 && r < 0x28 ? (r - 0x10) / 4 : 0;

		if (i != ROM && i > 0 && fns[s].bars[i - 1].type == PT_PCI_BAR_MEM64)
			i--; /* the upper half of a 64-bit BAR */
		addr = (fns[s].present ? fns[s].alloc[i] : 0) + (((v >> 8) & 0xffff) << 12);
		addr |= (v >> 40) & 1;
		break;
	}
	default:
		return (uint32_t)v;
	}
	if (r >= 0x14 && r < 0x28 && fns[s].bars[(r - 0x14) / 4].type == PT_PCI_BAR_MEM64)
		return (uint32_t)(addr >> 32);
	return (uint32_t)addr;
}

static void op_config(const uint8_t *p, uint32_t a, uint64_t v)
{
	static const unsigned sizes[] = { 1, 2, 4, 4 };
	unsigned size = sizes[p[2] & 3], fn = p[1] & 0x80 ? (p[1] >> 2) & 7 : 0;
	uint64_t addr = (p[1] & 1 ? 0 : 0x80000000u) | (p[1] >> 1 & 1) << 16 |
			(uint64_t)(p[3] & 31) << 11 | fn << 8 | (a & 0xfc);
	uint64_t val = addr;

	if (bus_access(PIO, CFG_PORT, 4, true, &val) < 0)
		return;
	val = cfg_value((p[2] >> 3) & 3, (unsigned)(p[3] & 31) << 8 | (a & 0xfc), v) &
	      size_mask(size);
	bus_access(PIO, 0xcfc + (a & 3), size, p[2] & 4, &val);
}

static void op_cfg_direct(const uint8_t *p, uint32_t a, uint64_t v)
{
	unsigned dev = p[3], fn = p[1] & 7, off = a & 0x1ff, size = p[2] & 7;
	uint32_t known, want, got;

	if (p[2] & 8) {
		model_cfg_write(dev, fn, off, size, (uint32_t)v);
		pt_pci_cfg_write(&pci, dev, fn, off, size, (uint32_t)v);
		return;
	}
	want = model_cfg_read(dev, fn, off, size, &known);
	got = pt_pci_cfg_read(&pci, dev, fn, off, size);
	check(((got ^ want) & known) == 0, "pt_pci_cfg_read reads as the guest wrote, all ones "
	      "for a bad access or a missing function", off);
}

static void run(const uint8_t *p)
{
	uint32_t a = get_le(p + 4, 4);
	uint64_t v = get_le(p + 8, 4) | (uint64_t)get_le(p + 12, 4) << 32;

	switch (p[0] & 7) {
	case 0:
		op_raw_add(p, a, v);
		break;
	case 1:
		op_raw_del(p, a);
		break;
	case 2:
		op_access(p, a, v);
		break;
	case 3:
		op_register(p, a, v);
		break;
	case 4:
		op_unregister(p);
		break;
	case 6:
		op_cfg_direct(p, a, v);
		break;
	default:
		op_config(p, a, v);
		break;
	}
}

static void setup(uint8_t w)
{
	static const uint64_t mmio32[] = { 0x10000, 0x100000, 0x1000000, 0x10000000,
					   PT_GPA_PCI_MMIO_END - PT_GPA_PCI_HOLE };
	static const uint64_t mmio64[] = { 0, 0x100000, 0x10000000, PT_GPA_PCI_MMIO64_SIZE };
	static const uint32_t io[] = { 0x100, 0x1000, 0x4000, 0x4000 };

	memset(raw, 0, sizeof(raw));
	memset(bars, 0, sizeof(bars));
	memset(fns, 0, sizeof(fns));
	memset(&cfgport, 0, sizeof(cfgport));
	for (unsigned i = 0; i < NRAW; i++)
		raw[i] = (struct owner){ .kind = RAW, .id = i };
	for (unsigned s = 0; s < PT_PCI_SLOTS; s++)
		for (unsigned b = 0; b < NBAR; b++)
			bars[s][b] = (struct owner){ .kind = BAR, .id = s * NBAR + b };
	cfgport.kind = CFGPORT;
	cf8 = 0;
	depth = 0;
	nested = 0;
	ndirty = 0;
	all_dirty = false;
	win = (struct pt_pci_windows){
		.mmio32_start = PT_GPA_PCI_HOLE, .mmio32_end = PT_GPA_PCI_HOLE + mmio32[(w & 7) % 5],
		.mmio64_start = PT_GPA_4G, .mmio64_end = PT_GPA_4G + mmio64[(w >> 3) & 3],
		.io_start = w & 0x80 ? 0x1000 : PT_PCI_IO_END - io[(w >> 5) & 3],
	};
	win.io_end = win.io_start + io[(w >> 5) & 3];
	pt_iobus_init(&buses[PIO]);
	pt_iobus_init(&buses[MMIO]);
	check(pt_pci_bus_init(&pci, &win, NULL, NULL) == 0, "the bus comes up", 0);
	fns[0] = (struct mfn){ .present = true, .fn = pci.fns[0][0], .vendor = PT_PCI_HOST_VENDOR,
			       .device = PT_PCI_HOST_DEVICE };
	check(bus_add(&cfgport, PIO, CFG_PORT, 8) == 0, "the config ports are added", CFG_PORT);
}

/* Every range left removed (each waits for its references), then the buses. */
static void teardown(void)
{
	for (unsigned s = 1; s < PT_PCI_SLOTS; s++)
		if (fns[s].present) {
			check(pt_pci_unregister_function(&pci, fns[s].fn) == 0, "unregister at the end",
			      s);
			fns[s].present = false;
		}
	check_pci();
	pt_pci_bus_destroy(&pci);
	for (unsigned i = 0; i < NRAW; i++)
		if (raw[i].live)
			check(bus_del(raw[i].sp, raw[i].base) == 0, "a raw range removed at the end", i);
	check(bus_del(PIO, CFG_PORT) == 0, "the config ports removed at the end", CFG_PORT);
	check(buses[PIO].n == 0 && buses[MMIO].n == 0, "nothing is left on the buses",
	      buses[PIO].n + buses[MMIO].n);
	pt_iobus_destroy(&buses[PIO]);
	pt_iobus_destroy(&buses[MMIO]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	op_no = 0;
	setup(data[0]);
	check_pci();
	for (size_t p = 1; p + REC <= size; p += REC) {
		op_no++;
		run(data + p);
		check_pci();
		check_probes();
	}
	probe_all();
	teardown();
	return 0;
}
