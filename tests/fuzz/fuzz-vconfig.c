/*
 * libFuzzer target: a guest's config-space accesses to an assigned device
 * (src/assign/vconfig.c), on a device whose config space comes from the input.
 *
 * Input: one flags byte (bit 0: the device has INTx; bit 1: the backend refuses the
 * first interrupt switch), the device's 256 bytes of config space (zeros where the
 * input ends), then accesses of 6 bytes each: a kind byte (bit 0 write; bits 1-2 size
 * 1, 2, 4, 4; bit 3 the backend refuses the interrupt switches of this access), the
 * offset (aligned down to the size, as the bus passes them) and a 32-bit value (the
 * data written, or what the bus's own header says for a read).
 *
 * Invariants, after init and after every access:
 * - the backend's config space is touched only inside its 256 bytes, 1, 2 or 4 at a
 *   time, and a read writes nothing;
 * - the guest's capability chain, walked from the Status bit and the pointer at 0x34,
 *   is acyclic, dword-aligned above the header, and is the device's chain (up to its
 *   first loop, 48 entries at most) without MSI-X and without capabilities that start
 *   inside the MSI capability's virtual registers;
 * - the virtual MSI capability reads ID 5, its next pointer, a control word with one
 *   vector, no masking, the device's 64-bit bit and the guest's enable bit, and the
 *   address and data the guest wrote; none of it, and no capability ID or next
 *   pointer, ever reaches the device; every other byte from 0x40 up is the device's,
 *   read and written through;
 * - a header write reaches the device only as the command register, changing only the
 *   bits the guest wrote among I/O, memory, bus master and INTx disable, and INTx is
 *   masked in the backend only by a write of that bit;
 * - the backend's interrupt mode is what vconfig believes; without a refusal it is MSI
 *   with the guest's message while the guest's enable bit is set and not MSI when
 *   clear; INTx only for a device that has it.
 */
#include "config.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/pci_regs.h>

#include "assign/vconfig.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CFG 256
#define HDR 0x40
#define MAX_LOG 16
#define KEEP (PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER | PCI_COMMAND_INTX_DISABLE)
#define INTX_GSI 10

struct fake {
	struct pt_assign_dev base;
	uint8_t cfg[CFG];
	bool refuse;                      /* irq_set fails */
	enum pt_assign_irq_kind mode;
	struct pt_msi_msg msg;
	bool has_intx;
	int nlog;                         /* config writes during one access */
	struct { unsigned off, len; uint32_t val; } log[MAX_LOG];
	int masks;                        /* intx_mask calls during one access */
	bool masked;
};

/* What the guest should see: the oracle's view of the device at init. */
struct model {
	uint8_t cfg0[CFG];
	unsigned chain[64], nchain;
	bool next_of[CFG];                /* offsets that hold a shown capability's next pointer */
	bool id_of[CFG];                  /* offsets that hold a shown capability's ID */
	unsigned msi, msi_len;            /* 0: none */
	bool msi_64, enabled;
	uint32_t addr_lo, addr_hi;
	uint16_t msi_data;
};

static void fail(const char *what, unsigned off)
{
	fprintf(stderr, "fuzz-vconfig: invariant broken: %s (offset 0x%x)\n", what, off);
	abort();
}

static void check(bool ok, const char *what, unsigned off)
{
	if (!ok)
		fail(what, off);
}

static bool in_space(unsigned off, unsigned len)
{
	return (len == 1 || len == 2 || len == 4) && off < CFG && off + len <= CFG;
}

static int f_read(struct pt_assign_dev *d, unsigned off, unsigned len, uint32_t *ret)
{
	struct fake *f = (struct fake *)d;
	uint32_t v = 0;

	check(in_space(off, len), "a config read inside the 256 bytes", off);
	for (unsigned i = 0; i < len; i++)
		v |= (uint32_t)f->cfg[off + i] << (8 * i);
	*ret = v;
	return 0;
}

static int f_write(struct pt_assign_dev *d, unsigned off, unsigned len, uint32_t val)
{
	struct fake *f = (struct fake *)d;

	check(in_space(off, len), "a config write inside the 256 bytes", off);
	check(f->nlog < MAX_LOG, "a bounded number of config writes per access", off);
	f->log[f->nlog].off = off;
	f->log[f->nlog].len = len;
	f->log[f->nlog].val = val;
	f->nlog++;
	for (unsigned i = 0; i < len; i++)
		f->cfg[off + i] = (uint8_t)(val >> (8 * i));
	return 0;
}

static int f_irq_set(struct pt_assign_dev *d, const struct pt_assign_irqs *irqs)
{
	struct fake *f = (struct fake *)d;

	if (irqs->kind == PT_ASSIGN_IRQ_INTX)
		check(f->has_intx && irqs->intx_gsi == INTX_GSI, "INTx only on the device's pin", 0);
	if (irqs->kind == PT_ASSIGN_IRQ_MSI)
		check(irqs->nvec == 1 && irqs->vec[0].state == PT_VECTOR_LIVE,
		      "MSI: one live vector", 0);
	check(irqs->kind != PT_ASSIGN_IRQ_MSIX, "never MSI-X: it is hidden", 0);
	if (f->refuse)
		return -1;
	f->mode = irqs->kind;
	if (irqs->kind == PT_ASSIGN_IRQ_MSI)
		f->msg = irqs->vec[0].msg;
	return 0;
}

static int f_intx_mask(struct pt_assign_dev *d, bool masked)
{
	struct fake *f = (struct fake *)d;

	f->masks++;
	f->masked = masked;
	return 0;
}

static const struct pt_assign_backend fake_backend = {
	.name = "fuzz", .config_read = f_read, .config_write = f_write,
	.irq_set = f_irq_set, .intx_mask = f_intx_mask,
};

/* The device's chain as vconfig should show it (see the invariants above). */
static void model_init(struct model *m, const uint8_t *cfg)
{
	unsigned all[64], n = 0, ptr = 0;
	bool seen[CFG] = { false };

	memset(m, 0, sizeof(*m));
	memcpy(m->cfg0, cfg, CFG);
	if (cfg[PCI_STATUS] & PCI_STATUS_CAP_LIST)
		ptr = cfg[PCI_CAPABILITY_LIST] & 0xfc;
	while (ptr >= HDR && n < PT_VCONFIG_MAX_CAPS && !seen[ptr]) {
		seen[ptr] = true;
		if (cfg[ptr] != PCI_CAP_ID_MSIX)
			all[n++] = ptr;
		if (cfg[ptr] == PCI_CAP_ID_MSI && !m->msi) {
			m->msi = ptr;
			m->msi_64 = cfg[ptr + PCI_MSI_FLAGS] & PCI_MSI_FLAGS_64BIT;
			m->msi_len = m->msi_64 ? PCI_MSI_DATA_64 + 2 : PCI_MSI_DATA_32 + 2;
		}
		ptr = cfg[ptr + 1] & 0xfc;
	}
	for (unsigned i = 0; i < n; i++) {
		if (m->msi && all[i] > m->msi && all[i] < m->msi + m->msi_len)
			continue;
		m->chain[m->nchain++] = all[i];
		m->id_of[all[i]] = true;
		m->next_of[all[i] + 1] = true;
	}
}

static bool in_msi(const struct model *m, unsigned off)
{
	return m->msi && off >= m->msi && off < m->msi + m->msi_len;
}

static bool virtual_byte(const struct model *m, unsigned off)
{
	return off < HDR || m->id_of[off] || m->next_of[off] || in_msi(m, off);
}

/* The byte the guest must read at off >= HDR that vconfig makes up itself. */
static uint8_t msi_expect(const struct model *m, unsigned rel, unsigned next)
{
	unsigned data_off = m->msi_64 ? PCI_MSI_DATA_64 : PCI_MSI_DATA_32;
	uint16_t ctrl = (m->enabled ? PCI_MSI_FLAGS_ENABLE : 0) |
			(m->msi_64 ? PCI_MSI_FLAGS_64BIT : 0);

	if (rel == 0)
		return PCI_CAP_ID_MSI;
	if (rel == 1)
		return (uint8_t)next;
	if (rel == 2 || rel == 3)
		return (uint8_t)(ctrl >> (8 * (rel - 2)));
	if (rel >= PCI_MSI_ADDRESS_LO && rel < PCI_MSI_ADDRESS_LO + 4)
		return (uint8_t)(m->addr_lo >> (8 * (rel - PCI_MSI_ADDRESS_LO)));
	if (m->msi_64 && rel >= PCI_MSI_ADDRESS_HI && rel < PCI_MSI_ADDRESS_HI + 4)
		return (uint8_t)(m->addr_hi >> (8 * (rel - PCI_MSI_ADDRESS_HI)));
	if (rel >= data_off)
		return (uint8_t)(m->msi_data >> (8 * (rel - data_off)));
	return 0;
}

static unsigned next_in_chain(const struct model *m, unsigned cap)
{
	for (unsigned i = 0; i + 1 < m->nchain; i++)
		if (m->chain[i] == cap)
			return m->chain[i + 1];
	return 0;
}

static uint8_t guest_byte(struct pt_vconfig *vc, unsigned off)
{
	return (uint8_t)pt_vconfig_read(vc, off, 1, 0);
}

/* The chain as the guest walks it: the model's, so acyclic and in range. */
static void check_chain(struct pt_vconfig *vc, const struct model *m)
{
	unsigned status = pt_vconfig_read(vc, PCI_STATUS, 2, 0), ptr;

	check(!(status & PCI_STATUS_CAP_LIST) == !m->nchain, "Status says whether there is a chain",
	      PCI_STATUS);
	ptr = guest_byte(vc, PCI_CAPABILITY_LIST);
	for (unsigned i = 0; i < m->nchain; i++) {
		check(ptr == m->chain[i], "the chain is the device's, MSI-X and overlaps left out",
		      ptr);
		check(guest_byte(vc, ptr) == m->cfg0[ptr], "a capability shows its own ID", ptr);
		ptr = guest_byte(vc, ptr + 1);
	}
	check(ptr == 0, "the chain ends with a 0 pointer: no loop", ptr);
}

/* One guest read: every byte as the rules say, and nothing written. */
static void do_read(struct fake *f, struct pt_vconfig *vc, const struct model *m, unsigned off,
		    unsigned size, uint32_t bus_val)
{
	uint32_t got = pt_vconfig_read(vc, off, size, bus_val);

	check(f->nlog == 0 && f->masks == 0, "a read changes nothing on the device", off);
	for (unsigned i = 0; i < size; i++) {
		unsigned o = off + i;
		uint8_t b = (uint8_t)(got >> (8 * i)), want = (uint8_t)(bus_val >> (8 * i));

		if (o == PCI_STATUS)
			want = (uint8_t)((want & ~PCI_STATUS_CAP_LIST) |
					 (m->nchain ? PCI_STATUS_CAP_LIST : 0));
		else if (o == PCI_CAPABILITY_LIST)
			want = m->nchain ? (uint8_t)m->chain[0] : 0;
		else if (o >= HDR && in_msi(m, o))
			want = msi_expect(m, o - m->msi, next_in_chain(m, m->msi));
		else if (o >= HDR && m->next_of[o])
			want = (uint8_t)next_in_chain(m, o - 1);
		else if (o >= HDR)
			want = f->cfg[o];
		check(b == want, "a read returns what the rules say", o);
	}
}

static void model_msi_write(struct model *m, unsigned rel, uint8_t b)
{
	unsigned data_off = m->msi_64 ? PCI_MSI_DATA_64 : PCI_MSI_DATA_32;

	if (rel == PCI_MSI_FLAGS)
		m->enabled = b & PCI_MSI_FLAGS_ENABLE;
	else if (rel >= PCI_MSI_ADDRESS_LO && rel < PCI_MSI_ADDRESS_LO + 4)
		m->addr_lo = (m->addr_lo & ~(0xffu << (8 * (rel - PCI_MSI_ADDRESS_LO)))) |
			     (uint32_t)b << (8 * (rel - PCI_MSI_ADDRESS_LO));
	else if (m->msi_64 && rel >= PCI_MSI_ADDRESS_HI && rel < PCI_MSI_ADDRESS_HI + 4)
		m->addr_hi = (m->addr_hi & ~(0xffu << (8 * (rel - PCI_MSI_ADDRESS_HI)))) |
			     (uint32_t)b << (8 * (rel - PCI_MSI_ADDRESS_HI));
	else if (rel >= data_off && rel < data_off + 2)
		m->msi_data = (uint16_t)((m->msi_data & ~(0xffu << (8 * (rel - data_off)))) |
					 (unsigned)b << (8 * (rel - data_off)));
}

/* The command register write the device must get for a guest write (off, size, val). */
static void check_command(const struct fake *f, const uint8_t *before, unsigned off,
			  unsigned size, uint32_t val)
{
	uint16_t old = (uint16_t)(before[PCI_COMMAND] | before[PCI_COMMAND + 1] << 8);
	uint16_t written = 0, guest = 0, want;

	for (unsigned i = 0; i < size; i++) {
		unsigned o = off + i;

		if (o == PCI_COMMAND || o == PCI_COMMAND + 1) {
			written |= (uint16_t)(0xff << (8 * (o - PCI_COMMAND)));
			guest |= (uint16_t)(((val >> (8 * i)) & 0xff) << (8 * (o - PCI_COMMAND)));
		}
	}
	if (!written) {
		for (int i = 0; i < f->nlog; i++)
			check(f->log[i].off >= HDR, "a header write other than the command register "
			      "stays in the bus", f->log[i].off);
		return;
	}
	want = (uint16_t)((old & ~(KEEP & written)) | (guest & KEEP & written));
	for (int i = 0; i < f->nlog; i++) {
		if (f->log[i].off >= HDR)
			continue;
		check(f->log[i].off == PCI_COMMAND && f->log[i].len == 2,
		      "the header reaches the device only as the command register", f->log[i].off);
		check(f->log[i].val == want, "the command register changes only in the bits the "
		      "guest wrote among I/O, memory, bus master and INTx disable", PCI_COMMAND);
	}
	if (f->masks)
		check((written & PCI_COMMAND_INTX_DISABLE) &&
		      f->masked == !!(guest & PCI_COMMAND_INTX_DISABLE),
		      "INTx is masked only by a write of its disable bit", PCI_COMMAND + 1);
}

/* One guest write: what reaches the device, and the MSI registers. Returns MSI touched. */
static bool do_write(struct fake *f, struct pt_vconfig *vc, struct model *m, unsigned off,
		     unsigned size, uint32_t val)
{
	uint8_t before[CFG];
	bool msi = false;

	memcpy(before, f->cfg, CFG);
	pt_vconfig_write(vc, off, size, val);
	check_command(f, before, off, size, val);
	for (unsigned i = 0; i < size; i++) {
		unsigned o = off + i, hits = 0;
		uint8_t b = (uint8_t)(val >> (8 * i));

		if (o < HDR)
			continue;
		for (int k = 0; k < f->nlog; k++)
			if (f->log[k].off <= o && o < f->log[k].off + f->log[k].len)
				hits++;
		if (virtual_byte(m, o)) {
			check(hits == 0, "a virtual byte never reaches the device", o);
		} else {
			check(hits == 1 && f->cfg[o] == b, "a device byte is written through once", o);
		}
		if (in_msi(m, o)) {
			model_msi_write(m, o - m->msi, b);
			msi = true;
		}
	}
	for (int k = 0; k < f->nlog; k++)
		check(f->log[k].off < HDR || (f->log[k].off >= off && f->log[k].off < off + size),
		      "nothing is written outside the guest's access", f->log[k].off);
	return msi;
}

static void check_mode(const struct fake *f, const struct pt_vconfig *vc, const struct model *m,
		       bool settled)
{
	check(vc->mode == f->mode, "vconfig's interrupt mode is the backend's", 0);
	if (!settled || !m->msi)
		return;
	if (m->enabled)
		check(f->mode == PT_ASSIGN_IRQ_MSI && f->msg.address_lo == m->addr_lo &&
		      f->msg.address_hi == (m->msi_64 ? m->addr_hi : 0) &&
		      f->msg.data == m->msi_data,
		      "MSI enabled: the backend has MSI with the guest's message", m->msi);
	else
		check(f->mode != PT_ASSIGN_IRQ_MSI, "MSI disabled: the backend is not on MSI", m->msi);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fake f;
	static struct model m;
	struct pt_vconfig vc;
	uint8_t cfg[CFG] = { 0 };
	bool settled = true; /* MSI starts disabled, and the backend is not on MSI */

	if (size < 1)
		return 0;
	memcpy(cfg, data + 1, size - 1 < CFG ? size - 1 : CFG);
	memset(&f, 0, sizeof(f));
	f.base.backend = &fake_backend;
	strcpy(f.base.name, "0000:03:00.0");
	memcpy(f.cfg, cfg, CFG);
	f.has_intx = data[0] & 1;
	f.refuse = data[0] & 2;
	model_init(&m, cfg);

	check(pt_vconfig_init(&vc, &f.base, f.has_intx ? INTX_GSI : -1) == 0, "init", 0);
	check(f.nlog == 0, "init writes nothing", 0);
	check(vc.mode == f.mode, "vconfig's interrupt mode is the backend's", 0);
	check_chain(&vc, &m);

	for (size_t p = 1 + CFG; p + 6 <= size; p += 6) {
		static const unsigned sizes[] = { 1, 2, 4, 4 };
		unsigned kind = data[p], sz = sizes[(kind >> 1) & 3];
		unsigned off = data[p + 1] & ~(sz - 1);
		uint32_t val = (uint32_t)data[p + 2] | (uint32_t)data[p + 3] << 8 |
			       (uint32_t)data[p + 4] << 16 | (uint32_t)data[p + 5] << 24;

		f.nlog = 0;
		f.masks = 0;
		f.refuse = kind & 8;
		if (kind & 1) {
			if (do_write(&f, &vc, &m, off, sz, val))
				settled = !f.refuse;
		} else {
			do_read(&f, &vc, &m, off, sz, val);
		}
		check_mode(&f, &vc, &m, settled);
		check_chain(&vc, &m);
	}
	return 0;
}
