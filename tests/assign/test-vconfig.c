/* src/assign/vconfig.c against a device whose config space is an array. */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <linux/pci_regs.h>

#include "assign/vconfig.h"
#include "tap.h"

struct fake {
	struct pt_assign_dev base;
	uint8_t cfg[256];
	int irq_sets, intx_masks;
	bool masked;
	struct pt_assign_irqs last;
	struct pt_assign_vector last_vec;
	struct pt_assign_vector vecs[8]; /* the first vectors of the last irq_set */
	int fail_irq_set;
	int bad_reads;                   /* config reads past the 256 bytes */
	uint64_t bar_size[6];            /* memory BARs for region_info (0: none) */
};

static int cfg_read(struct pt_assign_dev *d, unsigned off, unsigned len, uint32_t *ret)
{
	struct fake *f = (struct fake *)d;
	uint32_t v = 0;

	if (off + len > sizeof(f->cfg)) {
		f->bad_reads++;
		return -EIO;
	}

	for (unsigned i = 0; i < len; i++)
		v |= (uint32_t)f->cfg[off + i] << (8 * i);
	*ret = v;
	return 0;
}

static int cfg_write(struct pt_assign_dev *d, unsigned off, unsigned len, uint32_t val)
{
	struct fake *f = (struct fake *)d;

	for (unsigned i = 0; i < len; i++)
		f->cfg[off + i] = (uint8_t)(val >> (8 * i));
	return 0;
}

static int irq_set(struct pt_assign_dev *d, const struct pt_assign_irqs *irqs)
{
	struct fake *f = (struct fake *)d;

	if (f->fail_irq_set)
		return f->fail_irq_set;
	f->irq_sets++;
	f->last = *irqs;
	if (irqs->nvec)
		f->last_vec = irqs->vec[0];
	for (unsigned i = 0; i < irqs->nvec && i < 8; i++)
		f->vecs[i] = irqs->vec[i];
	return 0;
}

static int region_info(struct pt_assign_dev *d, unsigned index, struct pt_assign_region *ret)
{
	struct fake *f = (struct fake *)d;

	if (index >= 6)
		return -EINVAL;
	*ret = (struct pt_assign_region){ .size = f->bar_size[index],
					  .flags = PT_REGION_MMIO | PT_REGION_RW };
	return 0;
}

static int intx_mask(struct pt_assign_dev *d, bool masked)
{
	struct fake *f = (struct fake *)d;

	f->intx_masks++;
	f->masked = masked;
	return 0;
}

static const struct pt_assign_backend fake_backend = {
	.name = "fake", .config_read = cfg_read, .config_write = cfg_write,
	.irq_set = irq_set, .intx_mask = intx_mask,
};

static const struct pt_assign_backend fake_bars_backend = {
	.name = "fake", .config_read = cfg_read, .config_write = cfg_write,
	.region_info = region_info, .irq_set = irq_set, .intx_mask = intx_mask,
};

static uint32_t rd(struct pt_vconfig *vc, unsigned off, unsigned size)
{
	return pt_vconfig_read(vc, off, size, 0);
}

/* Entry n's field at byte `field` of the table, as the guest writes it. */
static void tab_wr(struct pt_vconfig *vc, unsigned n, unsigned field, unsigned size, uint64_t v)
{
	pt_vconfig_msix_table_write(vc, n * 16 + field, size, v);
}

static uint64_t tab_rd(struct pt_vconfig *vc, unsigned n, unsigned field, unsigned size)
{
	return pt_vconfig_msix_table_read(vc, n * 16 + field, size);
}

static bool vec_is(const struct pt_assign_vector *v, enum pt_vector_state state, uint32_t addr,
		   uint32_t data)
{
	return v->state == state && v->msg.address_lo == addr && v->msg.address_hi == 0 &&
	       v->msg.data == data;
}

/*
 * MSI-X on a device whose chain is PM (0x40) -> MSI-X (0x50, 5 entries, table at
 * BAR2+0x2000, PBA at BAR2+0x3000) -> MSI (0x60), BAR2 being 16 KiB of memory.
 */
static void test_msix(struct tap *t)
{
	struct fake f = { .base.backend = &fake_bars_backend, .base.name = "0000:02:00.0",
			  .bar_size = { [2] = 0x4000 } };
	struct pt_vconfig_msix_layout l;
	struct pt_vconfig_msix_stats st;
	struct pt_vconfig vc;
	int n;

	f.cfg[PCI_STATUS] = PCI_STATUS_CAP_LIST;
	f.cfg[PCI_CAPABILITY_LIST] = 0x40;
	f.cfg[0x40] = PCI_CAP_ID_PM, f.cfg[0x41] = 0x50;
	f.cfg[0x50] = PCI_CAP_ID_MSIX, f.cfg[0x51] = 0x60, f.cfg[0x52] = 4; /* 5 entries */
	f.cfg[0x54] = 0x02, f.cfg[0x55] = 0x20;                          /* BAR2 + 0x2000 */
	f.cfg[0x58] = 0x02, f.cfg[0x59] = 0x30;                          /* BAR2 + 0x3000 */
	f.cfg[0x60] = PCI_CAP_ID_MSI, f.cfg[0x62] = PCI_MSI_FLAGS_64BIT;

	tap_is_int(t, pt_vconfig_init(&vc, &f.base, 19), 0, "MSI-X device: init");
	tap_ok(t, rd(&vc, 0x40, 2) == 0x5001 && vc.hidden_caps == 0,
	       "MSI-X shown: PM points to it, nothing hidden");
	tap_is_int(t, rd(&vc, 0x50, 4), 0x00046011,
		   "MSI-X: next is MSI, 5 entries, disabled, function not masked");
	tap_ok(t, rd(&vc, 0x54, 4) == 0x2002 && rd(&vc, 0x58, 4) == 0x3002,
	       "Table and PBA Offset/BIR read as the device's");
	tap_ok(t, pt_vconfig_msix_layout(&vc, &l) && l.entries == 5 && l.table_bar == 2 &&
		   l.table_offset == 0x2000 && l.table_size == 80 && l.pba_bar == 2 &&
		   l.pba_offset == 0x3000 && l.pba_size == 8,
	       "layout: 5 entries, 80 bytes at BAR2+0x2000, PBA 8 bytes at BAR2+0x3000");
	tap_ok(t, tab_rd(&vc, 0, 12, 4) == 1 && tab_rd(&vc, 4, 12, 4) == 1 &&
		   tab_rd(&vc, 0, 0, 8) == 0 && tab_rd(&vc, 0, 8, 4) == 0,
	       "every entry starts masked, its message zero");

	/* A driver's order: entries first (MSI-X off), then enable. */
	tab_wr(&vc, 0, 0, 4, 0xfee00000);
	tab_wr(&vc, 0, 4, 4, 0);
	tab_wr(&vc, 0, 8, 4, 0x41);
	tab_wr(&vc, 0, 12, 4, 0);
	tab_wr(&vc, 1, 0, 8, 0xfee01000);    /* address as one 64-bit write */
	tab_wr(&vc, 1, 8, 8, 0x42);          /* data and vector control together: unmasked */
	tap_ok(t, f.irq_sets == 1 && f.last.kind == PT_ASSIGN_IRQ_INTX,
	       "table writes while MSI-X is off reach no backend (still INTx)");
	tap_ok(t, tab_rd(&vc, 1, 0, 8) == 0xfee01000 && tab_rd(&vc, 1, 8, 4) == 0x42 &&
		   tab_rd(&vc, 1, 12, 4) == 0 && tab_rd(&vc, 0, 8, 2) == 0x41 &&
		   tab_rd(&vc, 0, 2, 1) == 0xe0,
	       "the table reads back (8, 4, 2 and 1 bytes)");
	tab_wr(&vc, 3, 12, 4, 0xfffffffe);
	tap_is_int(t, tab_rd(&vc, 3, 12, 4), 0, "Vector Control: reserved bits read 0 (entry 3 unmasked)");
	tab_wr(&vc, 3, 12, 4, 0xffffffff);
	tap_is_int(t, tab_rd(&vc, 3, 12, 4), 1, "and masked again");
	n = f.irq_sets;
	pt_vconfig_write(&vc, 0x52, 2, PCI_MSIX_FLAGS_ENABLE | 0x7ff);
	tap_ok(t, f.irq_sets == n + 1 && f.last.kind == PT_ASSIGN_IRQ_MSIX && f.last.nvec == 5 &&
		   vec_is(&f.vecs[0], PT_VECTOR_LIVE, 0xfee00000, 0x41) &&
		   vec_is(&f.vecs[1], PT_VECTOR_LIVE, 0xfee01000, 0x42) &&
		   f.vecs[2].state == PT_VECTOR_MASKED && f.vecs[4].state == PT_VECTOR_MASKED,
	       "enable: one backend call, MSI-X with 5 vectors, entries 0 and 1 live");
	tap_is_str(t, pt_vconfig_irq_mode(&vc), "msix", "the mode is msix");
	tap_is_int(t, rd(&vc, 0x52, 2), PCI_MSIX_FLAGS_ENABLE | 4,
		   "Message Control: enabled; the table size stays the device's");
	tap_ok(t, f.cfg[0x53] == 0, "the device's own Message Control is untouched");
	pt_vconfig_msix_stats(&vc, &st);
	tap_ok(t, st.enabled && !st.function_masked && st.entries == 5 && st.live == 2 &&
		   st.masked == 3,
	       "stats: enabled, 2 live, 3 masked");

	/* MSI and MSI-X are exclusive: MSI-X wins while it is on. */
	n = f.irq_sets;
	pt_vconfig_write(&vc, 0x62, 2, PCI_MSI_FLAGS_ENABLE);
	tap_ok(t, f.irq_sets == n && vc.mode == PT_ASSIGN_IRQ_MSIX,
	       "enabling MSI while MSI-X is on changes nothing");

	/* A live entry's new message takes effect at its data write. */
	tab_wr(&vc, 0, 0, 4, 0xfee02000);
	tap_is_int(t, f.irq_sets, n, "a live entry's address alone: stored, not yet told");
	tab_wr(&vc, 0, 8, 4, 0x51);
	tap_ok(t, f.irq_sets == n + 1 && vec_is(&f.vecs[0], PT_VECTOR_LIVE, 0xfee02000, 0x51) &&
		   f.vecs[1].state == PT_VECTOR_LIVE,
	       "its data write: one call with the new message (a retarget)");

	/* Masks: per entry, and the function's. */
	tab_wr(&vc, 1, 12, 4, 1);
	tap_ok(t, f.irq_sets == n + 2 && f.vecs[1].state == PT_VECTOR_MASKED &&
		   f.vecs[0].state == PT_VECTOR_LIVE,
	       "masking entry 1: one call, it is masked");
	tab_wr(&vc, 1, 8, 4, 0x43);
	tab_wr(&vc, 4, 8, 4, 0x44);
	tap_is_int(t, f.irq_sets, n + 2, "writes to masked entries: stored only");
	pt_vconfig_write(&vc, 0x53, 1, (PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL) >> 8);
	tap_ok(t, f.irq_sets == n + 3 && f.vecs[0].state == PT_VECTOR_MASKED &&
		   f.vecs[1].state == PT_VECTOR_MASKED,
	       "function mask: one call, every vector masked");
	tap_is_int(t, rd(&vc, 0x50, 4) >> 16, PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL | 4,
		   "Message Control reads enabled and masked");
	tab_wr(&vc, 1, 12, 4, 0);
	tap_is_int(t, f.irq_sets, n + 3, "unmasking an entry under the function mask: no call");
	pt_vconfig_write(&vc, 0x53, 1, PCI_MSIX_FLAGS_ENABLE >> 8);
	tap_ok(t, f.irq_sets == n + 4 && vec_is(&f.vecs[1], PT_VECTOR_LIVE, 0xfee01000, 0x43) &&
		   f.vecs[0].state == PT_VECTOR_LIVE && f.vecs[4].state == PT_VECTOR_MASKED,
	       "function unmask: one call, entries 0 and 1 live with their messages");
	tab_wr(&vc, 2, 0, 4, 0xfee00000);
	tab_wr(&vc, 2, 8, 8, 0x45);
	tap_ok(t, f.irq_sets == n + 5 && vec_is(&f.vecs[2], PT_VECTOR_LIVE, 0xfee00000, 0x45),
	       "data and unmask in one 64-bit write: one call, entry 2 live");
	pt_vconfig_msix_stats(&vc, &st);
	tap_ok(t, st.live == 3 && st.masked == 2 && st.irq_sets == 6,
	       "stats: 3 live, 2 masked, 6 backend calls for MSI-X (%llu)",
	       (unsigned long long)st.irq_sets);

	/* A refused change: the mode stays, the next write tries again. */
	f.fail_irq_set = -ENOSPC;
	pt_vconfig_write(&vc, 0x53, 1, 0);
	tap_is_str(t, pt_vconfig_irq_mode(&vc), "msix", "a refused disable leaves MSI-X on");
	f.fail_irq_set = 0;
	pt_vconfig_write(&vc, 0x53, 1, 0);
	tap_ok(t, f.last.kind == PT_ASSIGN_IRQ_MSI && vc.mode == PT_ASSIGN_IRQ_MSI,
	       "disabling MSI-X with MSI enabled: MSI");
	n = f.irq_sets;
	tab_wr(&vc, 0, 12, 4, 1);
	tap_is_int(t, f.irq_sets, n, "table writes while MSI-X is off: stored only");
	pt_vconfig_write(&vc, 0x62, 2, 0);
	tap_ok(t, f.last.kind == PT_ASSIGN_IRQ_INTX && f.last.intx_gsi == 19,
	       "and MSI off: INTx again");
	pt_vconfig_write(&vc, 0x52, 2, PCI_MSIX_FLAGS_ENABLE);
	tap_ok(t, f.last.kind == PT_ASSIGN_IRQ_MSIX && f.vecs[0].state == PT_VECTOR_MASKED &&
		   f.vecs[1].state == PT_VECTOR_LIVE && f.vecs[2].state == PT_VECTOR_LIVE,
	       "MSI-X on again: the table as the guest left it");
	pt_vconfig_write(&vc, 0x54, 4, 0x1003);
	pt_vconfig_write(&vc, 0x50, 2, 0x0099);
	tap_ok(t, rd(&vc, 0x54, 4) == 0x2002 && rd(&vc, 0x50, 2) == 0x6011,
	       "ID, pointer, Table and PBA registers are read-only");
	pt_vconfig_destroy(&vc);

	/* A table that does not fit in its BAR: the capability is hidden. */
	struct fake g = f;

	g.bar_size[2] = 0x2000;
	tap_is_int(t, pt_vconfig_init(&vc, &g.base, -1), 0, "a table beyond its BAR: init");
	tap_ok(t, rd(&vc, 0x40, 2) == 0x6001 && vc.hidden_caps == 1 &&
		   !pt_vconfig_msix_layout(&vc, &l),
	       "MSI-X hidden (the chain skips it), no layout");
	pt_vconfig_destroy(&vc);

	/* A capability starting inside the virtual MSI-X registers is left out. */
	struct fake k = f;

	/* MSI-X -> 0x58, inside its 12 bytes: ID 2 and next 0x60 are its PBA register. */
	k.cfg[0x51] = 0x58;
	k.cfg[0x58] = PCI_CAP_ID_AGP, k.cfg[0x59] = 0x60; /* PBA at BAR2 + 0x6000 */
	k.bar_size[2] = 0x8000;
	tap_is_int(t, pt_vconfig_init(&vc, &k.base, -1), 0, "a capability inside MSI-X: init");
	tap_ok(t, rd(&vc, 0x50, 2) == 0x6011 && vc.hidden_caps == 1 && vc.msix == 0x50,
	       "MSI-X's next pointer skips it: 0x60");
	pt_vconfig_destroy(&vc);

	/* An MSI-X capability whose 12 bytes run past 0xff (found by fuzz-vconfig). */
	struct fake e = f;

	e.cfg[0x41] = 0xf8;
	e.cfg[0xf8] = PCI_CAP_ID_MSIX, e.cfg[0xf9] = 0x00;
	tap_is_int(t, pt_vconfig_init(&vc, &e.base, -1), 0, "MSI-X at 0xf8: init");
	tap_ok(t, rd(&vc, 0x40, 2) == 0x0001 && vc.hidden_caps == 1 && !vc.msix && !e.bad_reads,
	       "MSI-X at 0xf8 is hidden, its registers past the 256 bytes never read");
	pt_vconfig_destroy(&vc);

	/* Config space known before the INTx pin (the VMM's order). */
	struct fake h = f;

	h.irq_sets = 0;
	tap_is_int(t, pt_vconfig_init(&vc, &h.base, -1), 0, "init with no pin yet");
	tap_ok(t, h.irq_sets == 0, "no interrupt mode set");
	pt_vconfig_set_intx(&vc, 17);
	tap_ok(t, h.irq_sets == 1 && h.last.kind == PT_ASSIGN_IRQ_INTX && h.last.intx_gsi == 17,
	       "the pin known: INTx on its GSI");
	pt_vconfig_destroy(&vc);
}

int main(void)
{
	struct tap t = { 0 };
	struct fake f = { .base.backend = &fake_backend, .base.name = "0000:01:00.0" };
	struct pt_vconfig vc;

	/* PM at 0x40 -> MSI-X at 0x50 -> MSI (64-bit, maskable, 4 vectors) at 0x60. */
	f.cfg[PCI_STATUS] = PCI_STATUS_CAP_LIST;
	f.cfg[PCI_CAPABILITY_LIST] = 0x40;
	f.cfg[0x40] = PCI_CAP_ID_PM, f.cfg[0x41] = 0x50, f.cfg[0x44] = 0x03;
	f.cfg[0x50] = PCI_CAP_ID_MSIX, f.cfg[0x51] = 0x60;
	f.cfg[0x60] = PCI_CAP_ID_MSI, f.cfg[0x61] = 0x00;
	f.cfg[0x62] = PCI_MSI_FLAGS_64BIT | 0x04; /* MMC 4 */
	f.cfg[0x63] = PCI_MSI_FLAGS_MASKBIT >> 8;

	tap_is_int(&t, pt_vconfig_init(&vc, &f.base, 19), 0, "init");
	tap_ok(&t, f.irq_sets == 1 && f.last.kind == PT_ASSIGN_IRQ_INTX && f.last.intx_gsi == 19,
	       "a device with INTx starts on INTx, on its pin's GSI");
	tap_is_int(&t, rd(&vc, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST, PCI_STATUS_CAP_LIST,
		   "Status: capability list present");
	tap_is_int(&t, rd(&vc, PCI_CAPABILITY_LIST, 1), 0x40, "pointer to PM at 0x40");
	tap_is_int(&t, rd(&vc, 0x40, 2), 0x6001, "PM's next pointer skips MSI-X: 0x60");
	tap_is_int(&t, vc.hidden_caps, 1, "one capability hidden");
	tap_is_int(&t, rd(&vc, 0x44, 2), 0x0003, "PM's registers come from the device");
	tap_is_int(&t, rd(&vc, 0x60, 4), (PCI_MSI_FLAGS_64BIT << 16) | 0x0005,
		   "MSI: last in the chain, 64-bit, one vector, no masking, disabled");

	/* The guest programs MSI: address, data, then enable. */
	pt_vconfig_write(&vc, 0x64, 4, 0xfee01000);
	pt_vconfig_write(&vc, 0x68, 4, 0);
	pt_vconfig_write(&vc, 0x6c, 2, 0x4041);
	tap_ok(&t, f.irq_sets == 1, "programming a disabled MSI changes nothing in the backend");
	tap_is_int(&t, rd(&vc, 0x64, 4), 0xfee01000, "the address reads back");
	tap_is_int(&t, rd(&vc, 0x6c, 2), 0x4041, "the data reads back");
	tap_ok(&t, f.cfg[0x64] == 0 && f.cfg[0x6c] == 0, "and the device's own MSI registers are untouched");
	pt_vconfig_write(&vc, 0x62, 2, PCI_MSI_FLAGS_ENABLE | 0x70 /* MME 8: ignored */);
	tap_ok(&t, f.irq_sets == 2 && f.last.kind == PT_ASSIGN_IRQ_MSI && f.last.nvec == 1 &&
		   f.last_vec.state == PT_VECTOR_LIVE && f.last_vec.msg.address_lo == 0xfee01000 &&
		   f.last_vec.msg.data == 0x4041,
	       "enable: the backend switches to MSI with one live vector, the guest's message");
	tap_is_int(&t, rd(&vc, 0x62, 2), PCI_MSI_FLAGS_64BIT | PCI_MSI_FLAGS_ENABLE,
		   "enabled, still one vector");
	pt_vconfig_write(&vc, 0x6c, 2, 0x4042);
	tap_ok(&t, f.irq_sets == 3 && f.last.kind == PT_ASSIGN_IRQ_MSI && f.last_vec.msg.data == 0x4042,
	       "a new vector while enabled: retargeted");
	f.fail_irq_set = -ENOSPC;
	pt_vconfig_write(&vc, 0x62, 2, 0);
	tap_is_str(&t, pt_vconfig_irq_mode(&vc), "msi", "a refused switch leaves the mode as it was");
	f.fail_irq_set = 0;
	pt_vconfig_write(&vc, 0x62, 2, 0);
	tap_ok(&t, f.last.kind == PT_ASSIGN_IRQ_INTX && f.last.intx_gsi == 19,
	       "disable: back to INTx");

	/* The command register reaches the device; INTx disable masks through the backend. */
	f.cfg[PCI_COMMAND] = 0;
	pt_vconfig_write(&vc, PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER |
			 PCI_COMMAND_INTX_DISABLE);
	tap_is_int(&t, f.cfg[PCI_COMMAND] | f.cfg[PCI_COMMAND + 1] << 8,
		   PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER | PCI_COMMAND_INTX_DISABLE,
		   "memory, bus master and INTx disable reach the device");
	tap_ok(&t, f.intx_masks == 1 && f.masked, "INTx disable masks INTx in the backend");
	pt_vconfig_write(&vc, 0x44, 2, 0x0000);
	tap_is_int(&t, f.cfg[0x44], 0, "a PM control write reaches the device");
	pt_vconfig_write(&vc, 0x41, 1, 0x99);
	tap_is_int(&t, rd(&vc, 0x41, 1), 0x60, "capability pointers are not writable");

	/*
	 * Byte writes to the command register (found by tests/fuzz/fuzz-vconfig): the byte
	 * not written keeps its bits. A write of the low byte used to clear INTx disable
	 * and unmask INTx; one of the high byte cleared memory and bus-master enable.
	 */
	f.cfg[PCI_COMMAND] = PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER;
	f.cfg[PCI_COMMAND + 1] = PCI_COMMAND_INTX_DISABLE >> 8;
	f.masked = true;
	f.intx_masks = 0;
	pt_vconfig_write(&vc, PCI_COMMAND, 1, PCI_COMMAND_IO | PCI_COMMAND_MEMORY |
			 PCI_COMMAND_MASTER);
	tap_is_int(&t, f.cfg[PCI_COMMAND] | f.cfg[PCI_COMMAND + 1] << 8,
		   PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER |
		   PCI_COMMAND_INTX_DISABLE, "a low-byte write keeps INTx disable");
	tap_ok(&t, f.intx_masks == 0 && f.masked, "... and leaves INTx masked");
	pt_vconfig_write(&vc, PCI_COMMAND + 1, 1, 0);
	tap_is_int(&t, f.cfg[PCI_COMMAND] | f.cfg[PCI_COMMAND + 1] << 8,
		   PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER,
		   "a high-byte write keeps I/O, memory and bus master");
	tap_ok(&t, f.intx_masks == 1 && !f.masked, "... and unmasks INTx");

	/* A device with no capabilities and no INTx. */
	struct fake g = { .base.backend = &fake_backend };

	pt_vconfig_destroy(&vc);
	tap_is_int(&t, pt_vconfig_init(&vc, &g.base, -1), 0, "a plain device");
	tap_ok(&t, !(rd(&vc, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST) && rd(&vc, 0x34, 1) == 0 &&
		   g.irq_sets == 0,
	       "no capability list, and no interrupt mode set");
	pt_vconfig_destroy(&vc);

	/*
	 * A capability inside the 64-bit MSI capability's registers (found by
	 * tests/fuzz/fuzz-vconfig): it read the MSI address as its ID and next pointer, so
	 * the guest could point its chain back at itself. It is left out.
	 */
	struct fake h = { .base.backend = &fake_backend };

	h.cfg[PCI_STATUS] = PCI_STATUS_CAP_LIST;
	h.cfg[PCI_CAPABILITY_LIST] = 0x40;
	h.cfg[0x40] = PCI_CAP_ID_MSI, h.cfg[0x41] = 0x48, h.cfg[0x42] = PCI_MSI_FLAGS_64BIT;
	h.cfg[0x48] = PCI_CAP_ID_PM, h.cfg[0x49] = 0x50;
	h.cfg[0x50] = PCI_CAP_ID_VNDR, h.cfg[0x51] = 0x00;
	tap_is_int(&t, pt_vconfig_init(&vc, &h.base, -1), 0, "MSI with PM at 0x48, inside it");
	tap_is_int(&t, rd(&vc, 0x40, 2), 0x5005, "MSI's next pointer skips PM: 0x50");
	tap_is_int(&t, vc.hidden_caps, 1, "one capability left out");
	pt_vconfig_write(&vc, 0x48, 4, 0x40);
	tap_ok(&t, rd(&vc, 0x48, 4) == 0x40 && rd(&vc, 0x50, 2) == 0x0009,
	       "0x48 is MSI's upper address, and the chain still ends after 0x50");
	pt_vconfig_destroy(&vc);

	test_msix(&t);
	return tap_done(&t);
}
