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
	int fail_irq_set;
};

static int cfg_read(struct pt_assign_dev *d, unsigned off, unsigned len, uint32_t *ret)
{
	struct fake *f = (struct fake *)d;
	uint32_t v = 0;

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

static uint32_t rd(struct pt_vconfig *vc, unsigned off, unsigned size)
{
	return pt_vconfig_read(vc, off, size, 0);
}

int main(void)
{
	struct tap t = { 0 };
	struct fake f = { .base.backend = &fake_backend };
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

	tap_is_int(&t, pt_vconfig_init(&vc, &g.base, -1), 0, "a plain device");
	tap_ok(&t, !(rd(&vc, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST) && rd(&vc, 0x34, 1) == 0 &&
		   g.irq_sets == 0,
	       "no capability list, and no interrupt mode set");

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
	return tap_done(&t);
}
