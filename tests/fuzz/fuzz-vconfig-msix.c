/*
 * libFuzzer target: a guest's accesses to an assigned device's MSI-X capability and
 * table (src/assign/vconfig_msix.c, through vconfig.c), interleaved with config
 * accesses, on a device whose BARs and config space come from the input.
 *
 * Input: one flags byte (bit 0: the device has INTx; bit 1: the backend refuses the
 * interrupt switch of init), one byte per BAR 0-5 (bits 0-1: 0 none, 1 32-bit memory,
 * 2 64-bit memory whose upper half is the next BAR, 3 I/O ports; bits 2-7: n, the
 * size is 2^(4 + n % 32) bytes), the device's 256 bytes of config space (zeros where
 * the input ends), then accesses of 13 bytes each: a kind byte, a 32-bit offset and a
 * 64-bit value, little-endian. Kind: bit 0 write; bits 1-2 the size (config: 1, 2, 4,
 * 4; table: 1, 2, 4, 8); bit 3 the backend refuses the interrupt switches of this
 * access; bits 4-5 what is accessed: 0 or 1 config space (offset & 0xff aligned down
 * to the size, as the bus passes them; a read's value is what the bus's header
 * says), 2 the MSI-X table at offset % (table size + 64) (unaligned, and past the
 * table too), 3 the table at the raw offset, with bit 6 at 0xffffffff00000000 + offset.
 *
 * Invariants, after init and after every access (vconfig.h documents them):
 * - the MSI-X capability is shown (in the guest's chain, and by
 *   pt_vconfig_msix_layout) when it is the device's first one whose table and PBA fit
 *   in memory BARs, and it does not start inside the MSI registers; the chain is the
 *   device's without the hidden ones and what starts inside the MSI or shown MSI-X
 *   registers, and ends;
 * - the capability reads ID 0x11, its next pointer, a Message Control with the
 *   guest's enable and function mask and the device's table size, and the device's
 *   Table and PBA Offset/BIR; no config write ever reaches those bytes on the device;
 *   other bytes from 0x40 up are the device's; a header write reaches the device only
 *   as the command register;
 * - a table read returns what the guest wrote (Vector Control: the mask bit, the
 *   reserved bits read 0), 0 past the table or without one; a table access never
 *   touches config space; accesses past the table change nothing;
 * - the backend's interrupt mode is vconfig's, one at a time; without a refusal it is
 *   MSI-X exactly while the guest's enable is set, else MSI while that is enabled,
 *   else INTx or none;
 * - every MSI-X irq_set has every entry, each with the message the guest wrote, live
 *   exactly when neither it nor the function is masked; an access makes at most one
 *   backend call; the backend hears of MSI-X at a Message Control write that changes
 *   enable or the function mask, a table write that changes whether an entry is live,
 *   and a Message Data write to a live entry, while MSI-X is enabled, and of no other
 *   table access; while the backend is on MSI-X its live vectors carry the guest's
 *   Message Data;
 * - pt_vconfig_msix_stats counts as the guest's table says.
 */
#include "config.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/pci_regs.h>

#include "assign/vconfig.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CFG 256
#define HDR 0x40
#define MAX_LOG 16
#define INTX_GSI 10
#define MSIX_LEN PCI_CAP_MSIX_SIZEOF /* 12 */
#define ENTRY 16
#define NBARS PT_ASSIGN_REGION_BARS
#define PREFIX (1 + NBARS)          /* flags and BARs, before config space */
#define REC 13                      /* one access */
#define KEEP (PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER | PCI_COMMAND_INTX_DISABLE)

struct entry {
	uint32_t addr_lo, addr_hi, data, ctrl;
};

/* What the guest should see, from the device at init and the guest's writes since. */
struct model {
	uint8_t cfg0[CFG];
	unsigned chain[64], nchain;
	bool id_of[CFG], next_of[CFG];    /* a shown capability's ID, its next pointer */
	unsigned msi, msi_len;            /* 0: no virtual MSI */
	bool msi_64, msi_on;
	uint32_t msi_lo, msi_hi;
	uint16_t msi_data;
	unsigned msix, entries;           /* 0: no MSI-X shown */
	uint32_t table_reg, pba_reg;      /* the device's Table and PBA Offset/BIR */
	bool msix_on, fmask;
	struct entry tab[PT_VCONFIG_MSIX_MAX];
};

struct fake {
	struct pt_assign_dev base;
	uint8_t cfg[CFG];
	struct pt_assign_region bar[PT_ASSIGN_REGIONS];
	bool has_intx;
	bool refuse;                      /* irq_set fails */
	bool refused;                     /* the last irq_set failed: the backend may lag */
	enum pt_assign_irq_kind mode;
	unsigned nvec;                    /* MSI-X: the vectors it has */
	struct pt_assign_vector vec[PT_VCONFIG_MSIX_MAX];
	unsigned calls, msix_calls;       /* irq_set calls during one access */
	uint64_t msix_total;
	int nlog;                         /* config writes during one access */
	struct { unsigned off, len; uint32_t val; } log[MAX_LOG];
	const struct model *m;            /* what an irq_set must carry */
};

static int access_no; /* 0: init, then the input's accesses from 1 */

static void fail(const char *what, unsigned long long off)
{
	fprintf(stderr, "fuzz-vconfig-msix: invariant broken: %s (offset 0x%llx, access %d)\n",
		what, off, access_no);
	abort();
}

static void check(bool ok, const char *what, unsigned long long off)
{
	if (!ok)
		fail(what, off);
}

static bool live(const struct model *m, unsigned i)
{
	return !m->fmask && !(m->tab[i].ctrl & PCI_MSIX_ENTRY_CTRL_MASKBIT);
}

static enum pt_assign_irq_kind wanted(const struct model *m, const struct fake *f)
{
	if (m->msix && m->msix_on)
		return PT_ASSIGN_IRQ_MSIX;
	if (m->msi && m->msi_on)
		return PT_ASSIGN_IRQ_MSI;
	return f->has_intx ? PT_ASSIGN_IRQ_INTX : PT_ASSIGN_IRQ_NONE;
}

/* The devices that hide MSI-X say why each time: quiet unless asked (PASSTHRU_LOG). */
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	setenv("PASSTHRU_LOG", "err", 0);
	return 0;
}

/* The fake backend */

static int f_read(struct pt_assign_dev *d, unsigned off, unsigned len, uint32_t *ret)
{
	struct fake *f = (struct fake *)d;
	uint32_t v = 0;

	check((len == 1 || len == 2 || len == 4) && off + len <= CFG,
	      "a config read inside the 256 bytes", off);
	for (unsigned i = 0; i < len; i++)
		v |= (uint32_t)f->cfg[off + i] << (8 * i);
	*ret = v;
	return 0;
}

static int f_write(struct pt_assign_dev *d, unsigned off, unsigned len, uint32_t val)
{
	struct fake *f = (struct fake *)d;

	check((len == 1 || len == 2 || len == 4) && off + len <= CFG,
	      "a config write inside the 256 bytes", off);
	check(f->nlog < MAX_LOG, "a bounded number of config writes per access", off);
	f->log[f->nlog].off = off;
	f->log[f->nlog].len = len;
	f->log[f->nlog].val = val;
	f->nlog++;
	for (unsigned i = 0; i < len; i++)
		f->cfg[off + i] = (uint8_t)(val >> (8 * i));
	return 0;
}

static int f_region_info(struct pt_assign_dev *d, unsigned index, struct pt_assign_region *ret)
{
	struct fake *f = (struct fake *)d;

	check(index < PT_ASSIGN_REGIONS, "region_info of a region that can exist", index);
	*ret = f->bar[index];
	return 0;
}

/* Every entry, with the message the guest wrote, live when neither it nor the function is masked. */
static void check_msix_call(const struct fake *f, const struct pt_assign_irqs *irqs)
{
	const struct model *m = f->m;

	check(m->msix != 0, "MSI-X only when it is shown", 0);
	check(irqs->nvec == m->entries && irqs->vec, "an MSI-X switch has every entry", irqs->nvec);
	for (unsigned i = 0; i < irqs->nvec; i++) {
		const struct pt_assign_vector *v = &irqs->vec[i];
		const struct entry *e = &m->tab[i];

		check(v->state == (live(m, i) ? PT_VECTOR_LIVE : PT_VECTOR_MASKED),
		      "an entry is live exactly when neither it nor the function is masked", i);
		check(v->msg.address_lo == e->addr_lo && v->msg.address_hi == e->addr_hi &&
		      v->msg.data == e->data, "an entry carries the message the guest wrote", i);
	}
}

static int f_irq_set(struct pt_assign_dev *d, const struct pt_assign_irqs *irqs)
{
	struct fake *f = (struct fake *)d;
	const struct model *m = f->m;

	f->calls++;
	switch (irqs->kind) {
	case PT_ASSIGN_IRQ_INTX:
		check(f->has_intx && irqs->intx_gsi == INTX_GSI, "INTx only on the device's pin", 0);
		break;
	case PT_ASSIGN_IRQ_MSI:
		check(m->msi && irqs->nvec == 1 && irqs->vec[0].state == PT_VECTOR_LIVE,
		      "MSI: one live vector", m->msi);
		check(irqs->vec[0].msg.address_lo == m->msi_lo &&
		      irqs->vec[0].msg.address_hi == (m->msi_64 ? m->msi_hi : 0) &&
		      irqs->vec[0].msg.data == m->msi_data, "MSI: the guest's message", m->msi);
		check(!(m->msix && m->msix_on), "never MSI while the guest has MSI-X enabled", m->msi);
		break;
	case PT_ASSIGN_IRQ_MSIX:
		f->msix_calls++;
		f->msix_total++;
		check_msix_call(f, irqs);
		break;
	case PT_ASSIGN_IRQ_NONE:
		break;
	}
	if (f->refuse) {
		f->refused = true;
		return -1;
	}
	f->refused = false;
	f->mode = irqs->kind;
	f->nvec = 0;
	if (irqs->kind == PT_ASSIGN_IRQ_MSIX) {
		f->nvec = irqs->nvec;
		memcpy(f->vec, irqs->vec, irqs->nvec * sizeof(*irqs->vec));
	}
	return 0;
}

static int f_intx_mask(struct pt_assign_dev *d, bool masked)
{
	(void)d;
	(void)masked;
	return 0;
}

static const struct pt_assign_backend fake_backend = {
	.name = "fuzz", .config_read = f_read, .config_write = f_write,
	.region_info = f_region_info, .irq_set = f_irq_set, .intx_mask = f_intx_mask,
};

/* BARs as VFIO reports them: a 64-bit BAR's upper half is a region of size 0. */
static void fake_bars(struct fake *f, const uint8_t *desc)
{
	for (unsigned i = 0; i < NBARS; i++) {
		struct pt_assign_region *r = &f->bar[i];
		unsigned kind = desc[i] & 3;

		if (i > 0 && (f->bar[i - 1].flags & PT_REGION_MEM64))
			continue;
		if (kind == 0)
			continue;
		r->size = 1ull << (4 + (desc[i] >> 2) % 32);
		r->flags = PT_REGION_RW;
		if (kind == 1 || kind == 2)
			r->flags |= PT_REGION_MMIO;
		if (kind == 2 && i + 1 < NBARS)
			r->flags |= PT_REGION_MEM64;
	}
}

/* The model */

static bool fits(const struct fake *f, uint32_t reg, uint64_t len)
{
	unsigned bir = reg & PCI_MSIX_TABLE_BIR;
	uint64_t off = reg & PCI_MSIX_TABLE_OFFSET;

	return bir < NBARS && f->bar[bir].size && (f->bar[bir].flags & PT_REGION_MMIO) &&
	       off + len <= f->bar[bir].size;
}

static bool msix_fits(const struct fake *f, const uint8_t *cfg, unsigned cap)
{
	unsigned n;
	uint32_t table, pba;

	if (cap + MSIX_LEN > CFG)
		return false;
	n = ((cfg[cap + 2] | cfg[cap + 3] << 8) & PCI_MSIX_FLAGS_QSIZE) + 1;
	memcpy(&table, cfg + cap + PCI_MSIX_TABLE, 4);
	memcpy(&pba, cfg + cap + PCI_MSIX_PBA, 4);
	return fits(f, table, (uint64_t)n * ENTRY) && fits(f, pba, (n + 63) / 64 * 8);
}

static bool in_msi(const struct model *m, unsigned off)
{
	return m->msi && off >= m->msi && off < m->msi + m->msi_len;
}

static bool in_msix(const struct model *m, unsigned off)
{
	return m->msix && off >= m->msix && off < m->msix + MSIX_LEN;
}

/*
 * The device's chain, without the MSI-X capabilities that cannot be shown; the MSI and
 * MSI-X registers are virtual unless their capability starts inside the other's (it
 * is then left out); then nothing that starts inside the virtual registers is shown.
 */
static void model_init(struct model *m, const struct fake *f, const uint8_t *cfg)
{
	unsigned all[64], n = 0, ptr = 0, visits = 0;
	bool seen[CFG] = { false };

	memset(m, 0, sizeof(*m));
	memcpy(m->cfg0, cfg, CFG);
	if (cfg[PCI_STATUS] & PCI_STATUS_CAP_LIST)
		ptr = cfg[PCI_CAPABILITY_LIST] & 0xfc;
	while (ptr >= HDR && visits++ < PT_VCONFIG_MAX_CAPS && !seen[ptr]) {
		seen[ptr] = true;
		if (cfg[ptr] == PCI_CAP_ID_MSIX) {
			if (!m->msix && msix_fits(f, cfg, ptr)) {
				m->msix = ptr;
				all[n++] = ptr;
			}
		} else {
			all[n++] = ptr;
			if (cfg[ptr] == PCI_CAP_ID_MSI && !m->msi) {
				m->msi = ptr;
				m->msi_64 = cfg[ptr + PCI_MSI_FLAGS] & PCI_MSI_FLAGS_64BIT;
				m->msi_len = m->msi_64 ? PCI_MSI_DATA_64 + 2 : PCI_MSI_DATA_32 + 2;
			}
		}
		ptr = cfg[ptr + 1] & 0xfc;
	}
	/* One cannot start inside the other's registers and the other inside its own. */
	if (m->msi && m->msix > m->msi && m->msix < m->msi + m->msi_len)
		m->msix = 0;
	else if (m->msix && m->msi > m->msix && m->msi < m->msix + MSIX_LEN)
		m->msi = 0;
	for (unsigned i = 0; i < n; i++) {
		unsigned c = all[i];

		if ((m->msi && c > m->msi && c < m->msi + m->msi_len) ||
		    (m->msix && c > m->msix && c < m->msix + MSIX_LEN) ||
		    (cfg[c] == PCI_CAP_ID_MSIX && c != m->msix))
			continue;
		m->chain[m->nchain++] = c;
		m->id_of[c] = true;
		m->next_of[c + 1] = true;
	}
	if (m->msix) {
		m->entries = ((cfg[m->msix + 2] | cfg[m->msix + 3] << 8) & PCI_MSIX_FLAGS_QSIZE) + 1;
		memcpy(&m->table_reg, cfg + m->msix + PCI_MSIX_TABLE, 4);
		memcpy(&m->pba_reg, cfg + m->msix + PCI_MSIX_PBA, 4);
		for (unsigned i = 0; i < m->entries; i++)
			m->tab[i].ctrl = PCI_MSIX_ENTRY_CTRL_MASKBIT; /* as after reset */
	}
}

static unsigned next_in_chain(const struct model *m, unsigned cap)
{
	for (unsigned i = 0; i + 1 < m->nchain; i++)
		if (m->chain[i] == cap)
			return m->chain[i + 1];
	return 0;
}

static uint8_t msi_expect(const struct model *m, unsigned rel)
{
	unsigned data_off = m->msi_64 ? PCI_MSI_DATA_64 : PCI_MSI_DATA_32;
	uint16_t ctrl = (m->msi_on ? PCI_MSI_FLAGS_ENABLE : 0) | (m->msi_64 ? PCI_MSI_FLAGS_64BIT : 0);

	if (rel == 0)
		return PCI_CAP_ID_MSI;
	if (rel == 1)
		return (uint8_t)next_in_chain(m, m->msi);
	if (rel == 2 || rel == 3)
		return (uint8_t)(ctrl >> (8 * (rel - 2)));
	if (rel >= PCI_MSI_ADDRESS_LO && rel < PCI_MSI_ADDRESS_LO + 4)
		return (uint8_t)(m->msi_lo >> (8 * (rel - PCI_MSI_ADDRESS_LO)));
	if (m->msi_64 && rel >= PCI_MSI_ADDRESS_HI && rel < PCI_MSI_ADDRESS_HI + 4)
		return (uint8_t)(m->msi_hi >> (8 * (rel - PCI_MSI_ADDRESS_HI)));
	if (rel >= data_off)
		return (uint8_t)(m->msi_data >> (8 * (rel - data_off)));
	return 0;
}

static uint8_t msix_expect(const struct model *m, unsigned rel)
{
	uint16_t ctrl = (uint16_t)((m->msix_on ? PCI_MSIX_FLAGS_ENABLE : 0) |
				   (m->fmask ? PCI_MSIX_FLAGS_MASKALL : 0) | (m->entries - 1));

	if (rel == 0)
		return PCI_CAP_ID_MSIX;
	if (rel == 1)
		return (uint8_t)next_in_chain(m, m->msix);
	if (rel == 2 || rel == 3)
		return (uint8_t)(ctrl >> (8 * (rel - 2)));
	if (rel < PCI_MSIX_PBA)
		return (uint8_t)(m->table_reg >> (8 * (rel - PCI_MSIX_TABLE)));
	return (uint8_t)(m->pba_reg >> (8 * (rel - PCI_MSIX_PBA)));
}

static void model_msi_write(struct model *m, unsigned rel, uint8_t b)
{
	unsigned data_off = m->msi_64 ? PCI_MSI_DATA_64 : PCI_MSI_DATA_32;

	if (rel == PCI_MSI_FLAGS)
		m->msi_on = b & PCI_MSI_FLAGS_ENABLE;
	else if (rel >= PCI_MSI_ADDRESS_LO && rel < PCI_MSI_ADDRESS_LO + 4)
		m->msi_lo = (m->msi_lo & ~(0xffu << (8 * (rel - PCI_MSI_ADDRESS_LO)))) |
			    (uint32_t)b << (8 * (rel - PCI_MSI_ADDRESS_LO));
	else if (m->msi_64 && rel >= PCI_MSI_ADDRESS_HI && rel < PCI_MSI_ADDRESS_HI + 4)
		m->msi_hi = (m->msi_hi & ~(0xffu << (8 * (rel - PCI_MSI_ADDRESS_HI)))) |
			    (uint32_t)b << (8 * (rel - PCI_MSI_ADDRESS_HI));
	else if (rel >= data_off && rel < data_off + 2)
		m->msi_data = (uint16_t)((m->msi_data & ~(0xffu << (8 * (rel - data_off)))) |
					 (unsigned)b << (8 * (rel - data_off)));
}

/* The byte of the table at off as the guest wrote it (0 past the table). */
static uint8_t table_byte(const struct model *m, uint64_t off)
{
	const struct entry *e;
	uint32_t v;

	if (!m->msix || off >= (uint64_t)m->entries * ENTRY)
		return 0;
	e = &m->tab[off / ENTRY];
	switch (off % ENTRY / 4) {
	case 0:
		v = e->addr_lo;
		break;
	case 1:
		v = e->addr_hi;
		break;
	case 2:
		v = e->data;
		break;
	default:
		v = e->ctrl;
		break;
	}
	return (uint8_t)(v >> (8 * (off % 4)));
}

/* Byte off of the table written; returns whether it was Message Data. */
static bool model_table_write(struct model *m, uint64_t off, uint8_t b)
{
	struct entry *e = &m->tab[off / ENTRY];
	unsigned sh = (unsigned)(off % 4) * 8;
	uint32_t *f;

	switch (off % ENTRY / 4) {
	case 0:
		f = &e->addr_lo;
		break;
	case 1:
		f = &e->addr_hi;
		break;
	case 2:
		f = &e->data;
		break;
	default:
		/* Vector Control: the mask bit only, the rest is reserved. */
		if (sh == 0)
			e->ctrl = b & PCI_MSIX_ENTRY_CTRL_MASKBIT;
		return false;
	}
	*f = (*f & ~(0xffu << sh)) | (uint32_t)b << sh;
	return off % ENTRY / 4 == 2;
}

/* Checks */

static uint8_t guest_byte(struct pt_vconfig *vc, unsigned off)
{
	return (uint8_t)pt_vconfig_read(vc, off, 1, 0);
}

static void check_chain(struct pt_vconfig *vc, const struct model *m)
{
	unsigned status = pt_vconfig_read(vc, PCI_STATUS, 2, 0), ptr;

	check(!(status & PCI_STATUS_CAP_LIST) == !m->nchain, "Status says whether there is a chain",
	      PCI_STATUS);
	ptr = guest_byte(vc, PCI_CAPABILITY_LIST);
	for (unsigned i = 0; i < m->nchain; i++) {
		check(ptr == m->chain[i], "the chain is the device's, with MSI-X where it can be shown",
		      ptr);
		check(guest_byte(vc, ptr) == m->cfg0[ptr], "a capability shows its own ID", ptr);
		ptr = guest_byte(vc, ptr + 1);
	}
	check(ptr == 0, "the chain ends with a 0 pointer: no loop", ptr);
}

static void check_layout(struct pt_vconfig *vc, const struct model *m)
{
	struct pt_vconfig_msix_layout l;
	bool shown = pt_vconfig_msix_layout(vc, &l);

	check(shown == !!m->msix, "the layout says MSI-X exactly when it is shown", m->msix);
	if (!shown)
		return;
	check(l.entries == m->entries && l.table_size == m->entries * ENTRY &&
	      l.pba_size == (m->entries + 63) / 64 * 8, "the layout has the device's table size",
	      m->msix);
	check(l.table_bar == (m->table_reg & PCI_MSIX_TABLE_BIR) &&
	      l.table_offset == (m->table_reg & PCI_MSIX_TABLE_OFFSET) &&
	      l.pba_bar == (m->pba_reg & PCI_MSIX_PBA_BIR) &&
	      l.pba_offset == (m->pba_reg & PCI_MSIX_PBA_OFFSET),
	      "the layout has the device's Table and PBA Offset/BIR", m->msix);
}

static void check_stats(struct pt_vconfig *vc, const struct model *m, const struct fake *f)
{
	struct pt_vconfig_msix_stats s;
	unsigned n_live = 0;

	pt_vconfig_msix_stats(vc, &s);
	for (unsigned i = 0; m->msix && i < m->entries; i++)
		n_live += live(m, i);
	check(s.enabled == (m->msix && m->msix_on) && s.function_masked == (m->msix && m->fmask),
	      "stats: the guest's enable and function mask", m->msix);
	check(s.entries == (m->msix ? m->entries : 0) && s.live == n_live &&
	      s.masked == s.entries - n_live, "stats: live and masked entries as the guest's table",
	      m->msix);
	check(s.irq_sets == f->msix_total, "stats: one count per MSI-X backend call", m->msix);
}

/* The n bytes of the table from `from` (rounded down to 8) read back as the model says. */
static void check_table(struct pt_vconfig *vc, const struct model *m, uint64_t from, uint64_t n)
{
	from &= ~7ull;
	for (uint64_t o = from; o - from < n && o >= from && o + 8 > o; o += 8) {
		uint64_t got = pt_vconfig_msix_table_read(vc, o, 8);

		for (unsigned i = 0; i < 8; i++)
			check((uint8_t)(got >> (8 * i)) == table_byte(m, o + i),
			      "the table reads what the guest wrote", o + i);
	}
}

static void config_read(struct fake *f, struct pt_vconfig *vc, const struct model *m,
			unsigned off, unsigned size, uint32_t bus_val)
{
	uint32_t got = pt_vconfig_read(vc, off, size, bus_val);

	for (unsigned i = 0; i < size; i++) {
		unsigned o = off + i;
		uint8_t b = (uint8_t)(got >> (8 * i)), want = (uint8_t)(bus_val >> (8 * i));

		if (o == PCI_STATUS)
			want = (uint8_t)((want & ~PCI_STATUS_CAP_LIST) |
					 (m->nchain ? PCI_STATUS_CAP_LIST : 0));
		else if (o == PCI_CAPABILITY_LIST)
			want = m->nchain ? (uint8_t)m->chain[0] : 0;
		else if (o >= HDR && in_msix(m, o))
			want = msix_expect(m, o - m->msix);
		else if (o >= HDR && in_msi(m, o))
			want = msi_expect(m, o - m->msi);
		else if (o >= HDR && m->next_of[o])
			want = (uint8_t)next_in_chain(m, o - 1);
		else if (o >= HDR)
			want = f->cfg[o];
		check(b == want, "a config read returns what the rules say", o);
	}
	check(f->nlog == 0 && f->calls == 0, "a config read changes nothing", off);
}

/* The command register write the device must get for a guest header write. */
static void check_header(const struct fake *f, uint16_t old, unsigned off, unsigned size,
			 uint32_t val)
{
	uint16_t written = 0, guest = 0, want;

	for (unsigned i = 0; i < size; i++) {
		unsigned o = off + i;

		if (o == PCI_COMMAND || o == PCI_COMMAND + 1) {
			written |= (uint16_t)(0xff << (8 * (o - PCI_COMMAND)));
			guest |= (uint16_t)(((val >> (8 * i)) & 0xff) << (8 * (o - PCI_COMMAND)));
		}
	}
	want = (uint16_t)((old & ~(KEEP & written)) | (guest & KEEP & written));
	for (int i = 0; i < f->nlog; i++) {
		if (f->log[i].off >= HDR)
			continue;
		check(written && f->log[i].off == PCI_COMMAND && f->log[i].len == 2 &&
		      f->log[i].val == want,
		      "a header write reaches the device only as the command bits the guest wrote",
		      f->log[i].off);
	}
}

/*
 * A config write: the model follows it first (an irq_set during it is checked against
 * the result). Returns the backend calls it must make: 1, 0, or -1 (not said here).
 */
static int config_write(struct fake *f, struct pt_vconfig *vc, struct model *m, unsigned off,
			unsigned size, uint32_t val)
{
	bool was_on = m->msix && m->msix_on, was_fmask = m->fmask;
	bool msi = false, msix = false, msix_changed;
	uint16_t old_cmd = (uint16_t)(f->cfg[PCI_COMMAND] | f->cfg[PCI_COMMAND + 1] << 8);
	uint8_t before[CFG];

	for (unsigned i = 0; i < size; i++) {
		unsigned o = off + i;
		uint8_t b = (uint8_t)(val >> (8 * i));

		if (o >= HDR && in_msix(m, o)) {
			if (o - m->msix == PCI_MSIX_FLAGS + 1) {
				m->msix_on = b & (PCI_MSIX_FLAGS_ENABLE >> 8);
				m->fmask = b & (PCI_MSIX_FLAGS_MASKALL >> 8);
				msix = true;
			}
		} else if (o >= HDR && in_msi(m, o)) {
			model_msi_write(m, o - m->msi, b);
			msi = true;
		}
	}
	msix_changed = msix && ((m->msix_on != was_on) || m->fmask != was_fmask);

	memcpy(before, f->cfg, CFG);
	pt_vconfig_write(vc, off, size, val);
	check_header(f, old_cmd, off, size, val);
	for (unsigned i = 0; i < size; i++) {
		unsigned o = off + i, hits = 0;

		if (o < HDR)
			continue;
		for (int k = 0; k < f->nlog; k++)
			if (f->log[k].off <= o && o < f->log[k].off + f->log[k].len)
				hits++;
		if (in_msix(m, o))
			check(hits == 0 && f->cfg[o] == before[o],
			      "no config write reaches the device's MSI-X registers", o);
		else if (in_msi(m, o) || m->id_of[o] || m->next_of[o])
			check(hits == 0, "a virtual byte never reaches the device", o);
		else
			check(hits == 1 && f->cfg[o] == (uint8_t)(val >> (8 * i)),
			      "a device byte is written through once", o);
	}
	for (int k = 0; k < f->nlog; k++)
		check(f->log[k].off < HDR || (f->log[k].off >= off && f->log[k].off < off + size),
		      "nothing is written outside the guest's access", f->log[k].off);
	if (msix_changed && (was_on || m->msix_on))
		return 1;
	if (msi && !(was_on && m->msix_on))
		return -1; /* MSI's own rules (fuzz-vconfig) */
	return 0;
}

/* A table write: the model follows it first. Returns whether the backend must hear of it. */
static bool table_write(struct pt_vconfig *vc, struct model *m, uint64_t off, unsigned size,
			uint64_t val)
{
	uint64_t end = (uint64_t)m->entries * ENTRY;
	bool tell = false;

	for (unsigned i = 0; i < size; i++) {
		uint64_t o = off + i;
		unsigned e;
		bool was_live;

		if (!m->msix || o < off || o >= end)
			continue; /* past the table (o < off: past 2^64): nothing */
		e = (unsigned)(o / ENTRY);
		was_live = live(m, e);
		if (model_table_write(m, o, (uint8_t)(val >> (8 * i))) && was_live)
			tell = true;
		if (live(m, e) != was_live)
			tell = true;
	}
	pt_vconfig_msix_table_write(vc, off, size, val);
	return tell && m->msix && m->msix_on;
}

static uint64_t table_read(struct pt_vconfig *vc, const struct model *m, uint64_t off,
			   unsigned size)
{
	uint64_t got = pt_vconfig_msix_table_read(vc, off, size);

	for (unsigned i = 0; i < 8; i++) {
		uint64_t o = off + i;
		uint8_t want = i < size && o >= off ? table_byte(m, o) : 0;

		check((uint8_t)(got >> (8 * i)) == want,
		      "a table read returns what the guest wrote, 0 past the table", o);
	}
	return got;
}

/* The backend's mode, and its MSI-X vectors while it is on MSI-X. */
static void check_mode(const struct fake *f, const struct pt_vconfig *vc, const struct model *m)
{
	check(vc->mode == f->mode, "vconfig's interrupt mode is the backend's", 0);
	if (f->refused)
		return;
	check(f->mode == wanted(m, f), "without a refusal the backend has the mode the guest "
	      "enabled: MSI-X, else MSI, else INTx or none", f->mode);
	if (f->mode != PT_ASSIGN_IRQ_MSIX)
		return;
	check(f->nvec == m->entries, "the backend has every MSI-X entry", f->nvec);
	for (unsigned i = 0; i < f->nvec; i++) {
		check(f->vec[i].state == (live(m, i) ? PT_VECTOR_LIVE : PT_VECTOR_MASKED),
		      "the backend's vector is live exactly when the guest's entry is", i);
		check(!live(m, i) || f->vec[i].msg.data == m->tab[i].data,
		      "a live vector has the guest's Message Data", i);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fake f;
	static struct model m;
	static struct pt_vconfig vc;
	uint8_t cfg[CFG] = { 0 };

	if (size < PREFIX)
		return 0;
	memcpy(cfg, data + PREFIX, size - PREFIX < CFG ? size - PREFIX : CFG);
	memset(&f, 0, sizeof(f));
	f.base.backend = &fake_backend;
	strcpy(f.base.name, "0000:03:00.0");
	memcpy(f.cfg, cfg, CFG);
	f.has_intx = data[0] & 1;
	f.refuse = data[0] & 2;
	f.m = &m;
	fake_bars(&f, data + 1);
	model_init(&m, &f, cfg);
	access_no = 0;

	check(pt_vconfig_init(&vc, &f.base, f.has_intx ? INTX_GSI : -1) == 0, "init", 0);
	check(f.nlog == 0, "init writes nothing", 0);
	check_mode(&f, &vc, &m);
	check_chain(&vc, &m);
	check_layout(&vc, &m);

	for (size_t p = PREFIX + CFG; p + REC <= size; p += REC) {
		static const unsigned cfg_sizes[] = { 1, 2, 4, 4 }, tab_sizes[] = { 1, 2, 4, 8 };
		unsigned kind = data[p], what = (kind >> 4) & 3;
		uint32_t off32 = 0;
		uint64_t val = 0, off, end = m.msix ? (uint64_t)m.entries * ENTRY : 0;
		bool settled = !f.refused;
		int calls = 0;

		access_no++;
		memcpy(&off32, data + p + 1, 4); /* little-endian hosts only, like the VMM */
		memcpy(&val, data + p + 5, 8);
		f.nlog = 0;
		f.calls = 0;
		f.msix_calls = 0;
		f.refuse = kind & 8;
		if (what < 2) {
			unsigned sz = cfg_sizes[(kind >> 1) & 3];

			off = (off32 & 0xff) & ~(sz - 1u);
			if (kind & 1)
				calls = config_write(&f, &vc, &m, (unsigned)off, sz, (uint32_t)val);
			else
				config_read(&f, &vc, &m, (unsigned)off, sz, (uint32_t)val);
		} else {
			unsigned sz = tab_sizes[(kind >> 1) & 3];
			uint64_t near;

			if (what == 2)
				off = off32 % (end + 64);
			else
				off = off32 | (kind & 0x40 ? 0xffffffff00000000ull : 0);
			if (kind & 1) {
				calls = table_write(&vc, &m, off, sz, val);
				/* Around it: the entries it wrote, or the end of the table. */
				near = off < end ? off : end;
				check_table(&vc, &m, near >= ENTRY ? near - ENTRY : 0, 3 * ENTRY);
			} else {
				table_read(&vc, &m, off, sz);
			}
			check(f.nlog == 0, "a table access never writes config space", off);
			check(f.calls == f.msix_calls, "a table access calls the backend for MSI-X only",
			      off);
		}
		check(f.calls <= 1, "one backend call per access at most", off);
		if (settled && !f.refuse && calls >= 0)
			check(f.calls == (unsigned)calls, calls ? "the backend hears of this MSI-X change" :
			      "the backend does not hear of this access", off);
		check_mode(&f, &vc, &m);
		check_chain(&vc, &m);
		check_stats(&vc, &m, &f);
		if (m.entries <= 16)
			check_table(&vc, &m, 0, end + 16);
	}
	check_table(&vc, &m, 0, (m.msix ? (uint64_t)m.entries * ENTRY : 0) + 64);
	pt_vconfig_destroy(&vc);
	return 0;
}
