/*
 * The virtual MSI-X capability and table of an assigned device (vconfig.h says what
 * the guest sees and when the backend hears of it).
 *
 * The guest's table is kept here, entry by entry, and never written to the device:
 * the backend programs the host's table itself (VFIO through the host kernel) with
 * host vectors whose interrupts arrive on the guest's MSI routes.
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <linux/pci_regs.h>

#include "common/log.h"
#include "assign/vconfig_impl.h"

#define ENTRY_SIZE PCI_MSIX_ENTRY_SIZE /* 16 */
#define GUEST_CTRL (PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL)

static uint32_t table_bytes(unsigned entries)
{
	return entries * ENTRY_SIZE;
}

static uint32_t pba_bytes(unsigned entries)
{
	return (entries + 63) / 64 * 8;
}

/* Whether [off, off + len) of BAR bar is inside a memory BAR of the device. */
static bool fits(struct pt_vconfig *vc, unsigned bar, uint32_t off, uint32_t len,
		 const char *what)
{
	struct pt_assign_dev *d = vc->dev;
	struct pt_assign_region r;

	if (!d->backend->region_info) {
		/* No real backend lacks it: a test's fake, which need not hear of it each time. */
		pt_debug("%s: its backend cannot say where the MSI-X %s is: MSI-X hidden from the "
			 "guest", d->name, what);
		return false;
	}
	if (bar >= PT_ASSIGN_REGION_BARS || d->backend->region_info(d, bar, &r) < 0 || !r.size) {
		pt_warn("%s: its MSI-X %s is in BAR%u, which it does not have: MSI-X hidden from "
			"the guest", d->name, what, bar);
		return false;
	}
	if (!(r.flags & PT_REGION_MMIO) || (uint64_t)off + len > r.size) {
		pt_warn("%s: its MSI-X %s (%u bytes at %#x) does not fit in memory BAR%u (%llu "
			"bytes): MSI-X hidden from the guest", d->name, what, len, off, bar,
			(unsigned long long)r.size);
		return false;
	}
	return true;
}

bool vconfig_msix_probe(struct pt_vconfig *vc, uint8_t off)
{
	uint32_t ctrl = 0, table = 0, pba = 0;
	unsigned n;

	if (off + (unsigned)PCI_CAP_MSIX_SIZEOF > PT_VCONFIG_SIZE) {
		pt_warn("%s: its MSI-X capability at %#x runs past the end of config space: MSI-X "
			"hidden from the guest", vc->dev->name, off);
		return false;
	}
	if (vconfig_dev_read(vc, off + PCI_MSIX_FLAGS, 2, &ctrl) < 0 ||
	    vconfig_dev_read(vc, off + PCI_MSIX_TABLE, 4, &table) < 0 ||
	    vconfig_dev_read(vc, off + PCI_MSIX_PBA, 4, &pba) < 0)
		return false;
	n = (ctrl & PCI_MSIX_FLAGS_QSIZE) + 1;
	if (!fits(vc, table & PCI_MSIX_TABLE_BIR, table & PCI_MSIX_TABLE_OFFSET, table_bytes(n),
		  "table") ||
	    !fits(vc, pba & PCI_MSIX_PBA_BIR, pba & PCI_MSIX_PBA_OFFSET, pba_bytes(n), "PBA"))
		return false;
	vc->msix = off;
	vc->msix_entries = (uint16_t)n;
	vc->msix_table = table;
	vc->msix_pba = pba;
	vc->msix_ctrl = 0;
	for (unsigned i = 0; i < n; i++) {
		memset(&vc->msix_tab[i], 0, sizeof(vc->msix_tab[i]));
		vc->msix_tab[i].ctrl = PCI_MSIX_ENTRY_CTRL_MASKBIT; /* as after reset */
	}
	return true;
}

int vconfig_msix_cap_byte(const struct pt_vconfig *vc, unsigned off)
{
	unsigned rel;
	uint16_t ctrl;

	if (!vc->msix || off < vc->msix || off >= vc->msix + (unsigned)PCI_CAP_MSIX_SIZEOF)
		return -1;
	rel = off - vc->msix;
	switch (rel) {
	case 0:
		return PCI_CAP_ID_MSIX;
	case 1:
		return vc->next_cap[vc->msix];
	case 2:
	case 3:
		ctrl = (uint16_t)((vc->msix_ctrl & GUEST_CTRL) | (vc->msix_entries - 1));
		return rel == 2 ? ctrl & 0xff : ctrl >> 8;
	}
	if (rel < PCI_MSIX_PBA)
		return vc->msix_table >> (8 * (rel - PCI_MSIX_TABLE)) & 0xff;
	return vc->msix_pba >> (8 * (rel - PCI_MSIX_PBA)) & 0xff;
}

int vconfig_msix_cap_write(struct pt_vconfig *vc, unsigned rel, uint8_t b)
{
	uint16_t old = vc->msix_ctrl;

	if (rel != PCI_MSIX_FLAGS + 1)
		return -1; /* the ID, pointer, table size, Table and PBA are read-only */
	vc->msix_ctrl = (uint16_t)((b << 8) & GUEST_CTRL);
	return vc->msix_ctrl != old;
}

static bool entry_live(const struct pt_vconfig *vc, unsigned i)
{
	return !(vc->msix_ctrl & PCI_MSIX_FLAGS_MASKALL) &&
	       !(vc->msix_tab[i].ctrl & PCI_MSIX_ENTRY_CTRL_MASKBIT);
}

void vconfig_msix_vectors(struct pt_vconfig *vc, struct pt_assign_irqs *irqs)
{
	for (unsigned i = 0; i < vc->msix_entries; i++) {
		const struct pt_vconfig_msix_entry *e = &vc->msix_tab[i];
		struct pt_assign_vector *v = &vc->msix_vec[i];

		v->state = entry_live(vc, i) ? PT_VECTOR_LIVE : PT_VECTOR_MASKED;
		v->msg.address_lo = e->addr_lo;
		v->msg.address_hi = e->addr_hi;
		v->msg.data = e->data;
	}
	irqs->nvec = vc->msix_entries;
	irqs->vec = vc->msix_vec;
}

bool pt_vconfig_msix_layout(const struct pt_vconfig *vc, struct pt_vconfig_msix_layout *ret)
{
	if (!vc->msix)
		return false;
	ret->entries = vc->msix_entries;
	ret->table_bar = vc->msix_table & PCI_MSIX_TABLE_BIR;
	ret->table_offset = vc->msix_table & PCI_MSIX_TABLE_OFFSET;
	ret->table_size = table_bytes(vc->msix_entries);
	ret->pba_bar = vc->msix_pba & PCI_MSIX_PBA_BIR;
	ret->pba_offset = vc->msix_pba & PCI_MSIX_PBA_OFFSET;
	ret->pba_size = pba_bytes(vc->msix_entries);
	return true;
}

/* The 32-bit field of the table that holds byte off. */
static uint32_t *field(struct pt_vconfig *vc, uint64_t off)
{
	struct pt_vconfig_msix_entry *e = &vc->msix_tab[off / ENTRY_SIZE];

	switch (off % ENTRY_SIZE / 4) {
	case 0:
		return &e->addr_lo;
	case 1:
		return &e->addr_hi;
	case 2:
		return &e->data;
	default:
		return &e->ctrl;
	}
}

/*
 * Bytes past the table read 0: off is checked before any off + i, which past 2^64
 * would wrap onto entry 0; and a capability left out after its probe (one inside
 * the MSI registers) has no table, whatever msix_entries still says.
 */
uint64_t pt_vconfig_msix_table_read(struct pt_vconfig *vc, uint64_t off, unsigned size)
{
	uint64_t end = table_bytes(vc->msix_entries), out = 0;

	if (!vc->msix || off >= end)
		return 0;
	pthread_mutex_lock(&vc->lock);
	for (unsigned i = 0; i < size && i < 8 && off + i < end; i++) {
		uint64_t o = off + i;

		out |= (uint64_t)(*field(vc, o) >> (8 * (o % 4)) & 0xff) << (8 * i);
	}
	pthread_mutex_unlock(&vc->lock);
	return out;
}

/*
 * A write to entry i's fields: stored; the backend hears of it when MSI-X is in force
 * and the entry's liveness changed, or a live entry got new Message Data.
 */
void pt_vconfig_msix_table_write(struct pt_vconfig *vc, uint64_t off, unsigned size, uint64_t val)
{
	uint64_t end = table_bytes(vc->msix_entries);
	bool tell = false;

	if (!vc->msix || off >= end)
		return;
	pthread_mutex_lock(&vc->lock);
	for (unsigned i = 0; i < size && i < 8 && off + i < end;) {
		uint64_t o = off + i;
		unsigned entry = (unsigned)(o / ENTRY_SIZE), which = (unsigned)(o % ENTRY_SIZE / 4);
		bool was_live = entry_live(vc, entry);
		uint32_t *f = field(vc, o), v = *f;

		/* The bytes of this access that fall in this field. */
		for (; i < size && i < 8 && (off + i) / 4 == o / 4; i++) {
			unsigned sh = (unsigned)((off + i) % 4) * 8;

			v = (v & ~(0xffu << sh)) | (uint32_t)(val >> (8 * i) & 0xff) << sh;
		}
		if (which == 3)
			v &= PCI_MSIX_ENTRY_CTRL_MASKBIT; /* the rest is reserved */
		*f = v;
		if (vconfig_wanted_mode(vc) == PT_ASSIGN_IRQ_MSIX &&
		    (was_live != entry_live(vc, entry) || (which == 2 && was_live)))
			tell = true;
	}
	if (tell)
		vconfig_set_irqs(vc, PT_ASSIGN_IRQ_MSIX);
	pthread_mutex_unlock(&vc->lock);
}

void pt_vconfig_msix_stats(struct pt_vconfig *vc, struct pt_vconfig_msix_stats *ret)
{
	struct pt_vconfig_msix_stats s = { 0 };

	pthread_mutex_lock(&vc->lock);
	s.enabled = vc->msix_ctrl & PCI_MSIX_FLAGS_ENABLE;
	s.function_masked = vc->msix_ctrl & PCI_MSIX_FLAGS_MASKALL;
	s.entries = vc->msix ? vc->msix_entries : 0;
	for (unsigned i = 0; i < s.entries; i++) {
		if (entry_live(vc, i))
			s.live++;
		else
			s.masked++;
	}
	s.irq_sets = vc->msix_irq_sets;
	pthread_mutex_unlock(&vc->lock);
	*ret = s;
}
