#include "config.h"

#include <errno.h>
#include <string.h>
#include <linux/pci_regs.h>

#include "common/log.h"
#include "assign/vconfig_impl.h"

#define HEADER_END 0x40
#define MSI_ENABLE PCI_MSI_FLAGS_ENABLE

int vconfig_dev_read(struct pt_vconfig *vc, unsigned off, unsigned size, uint32_t *val)
{
	return vc->dev->backend->config_read(vc->dev, off, size, val);
}

enum pt_assign_irq_kind vconfig_wanted_mode(const struct pt_vconfig *vc)
{
	if (vc->msix && (vc->msix_ctrl & PCI_MSIX_FLAGS_ENABLE))
		return PT_ASSIGN_IRQ_MSIX;
	if (vc->msi && (vc->msi_ctrl & MSI_ENABLE))
		return PT_ASSIGN_IRQ_MSI;
	return vc->intx_gsi >= 0 ? PT_ASSIGN_IRQ_INTX : PT_ASSIGN_IRQ_NONE;
}

void vconfig_set_irqs(struct pt_vconfig *vc, enum pt_assign_irq_kind kind)
{
	struct pt_assign_vector vec = { .state = PT_VECTOR_LIVE };
	struct pt_assign_irqs irqs = { .kind = kind };

	if (kind == PT_ASSIGN_IRQ_MSI) {
		vec.msg.address_lo = vc->msi_addr_lo;
		vec.msg.address_hi = vc->msi_64 ? vc->msi_addr_hi : 0;
		vec.msg.data = vc->msi_data;
		irqs.nvec = 1;
		irqs.vec = &vec;
	} else if (kind == PT_ASSIGN_IRQ_MSIX) {
		vconfig_msix_vectors(vc, &irqs);
		vc->msix_irq_sets++;
	} else if (kind == PT_ASSIGN_IRQ_INTX) {
		irqs.intx_gsi = (unsigned)vc->intx_gsi;
	}
	if (pt_assign_irq_set(vc->dev, &irqs) == 0)
		vc->mode = kind;
	/* On failure the backend kept the previous mode and said why. */
}

/*
 * A capability that starts inside the virtual MSI or MSI-X registers would show the
 * guest one of their bytes as its ID and next pointer, and the guest could loop its
 * chain by writing them: such a capability (a broken device) is left out of the chain.
 */
static bool inside_virtual(const struct pt_vconfig *vc, unsigned cap)
{
	unsigned msi_end = vc->msi + (vc->msi_64 ? PCI_MSI_DATA_64 : PCI_MSI_DATA_32) + 2;

	return (vc->msi && cap > vc->msi && cap < msi_end) ||
	       (vc->msix && cap > vc->msix && cap < vc->msix + (unsigned)PCI_CAP_MSIX_SIZEOF);
}

static void unlink_inside_virtual(struct pt_vconfig *vc)
{
	uint8_t *link = &vc->first_cap;

	/*
	 * An MSI-X inside the MSI registers, or an MSI inside the MSI-X ones (not both:
	 * each would start before the other), is not virtual: decided before the walk,
	 * so that a capability inside its registers, now the device's bytes, stays in
	 * the chain whether it comes before it in the chain or after.
	 */
	if (vc->msix && inside_virtual(vc, vc->msix))
		vc->msix = 0;
	else if (vc->msi && inside_virtual(vc, vc->msi))
		vc->msi = 0;
	while (*link) {
		unsigned cap = *link;

		if (inside_virtual(vc, cap)) {
			*link = vc->next_cap[cap];
			vc->next_cap[cap] = 0;
			vc->shown[cap] = false;
			vc->hidden_caps++;
		} else {
			link = &vc->next_cap[cap];
		}
	}
}

int pt_vconfig_init(struct pt_vconfig *vc, struct pt_assign_dev *dev, int intx_gsi)
{
	uint32_t status = 0, ptr = 0, hdr = 0, flags = 0;
	uint8_t *link;
	int n = 0;

	memset(vc, 0, sizeof(*vc));
	vc->dev = dev;
	vc->intx_gsi = intx_gsi;
	if (vconfig_dev_read(vc, PCI_STATUS, 2, &status) < 0)
		return -EIO;
	link = &vc->first_cap;
	if (status & PCI_STATUS_CAP_LIST) {
		vconfig_dev_read(vc, PCI_CAPABILITY_LIST, 1, &ptr);
		ptr &= 0xfc;
	}
	/* Walk the device's chain, linking only the capabilities shown. */
	while (ptr >= HEADER_END && ptr < PT_VCONFIG_SIZE && n++ < PT_VCONFIG_MAX_CAPS &&
	       !vc->shown[ptr]) {
		if (vconfig_dev_read(vc, ptr, 2, &hdr) < 0)
			return -EIO;
		if ((uint8_t)hdr == PCI_CAP_ID_MSIX &&
		    (vc->msix || !vconfig_msix_probe(vc, (uint8_t)ptr))) {
			vc->hidden_caps++;
		} else {
			*link = (uint8_t)ptr;
			vc->shown[ptr] = true;
			link = &vc->next_cap[ptr];
			if ((uint8_t)hdr == PCI_CAP_ID_MSI && !vc->msi) {
				vc->msi = (uint8_t)ptr;
				vconfig_dev_read(vc, ptr + PCI_MSI_FLAGS, 2, &flags);
				vc->msi_64 = flags & PCI_MSI_FLAGS_64BIT;
			}
		}
		ptr = (hdr >> 8) & 0xfc;
	}
	*link = 0;
	unlink_inside_virtual(vc);
	pthread_mutex_init(&vc->lock, NULL);
	if (intx_gsi >= 0)
		vconfig_set_irqs(vc, PT_ASSIGN_IRQ_INTX);
	return 0;
}

void pt_vconfig_set_intx(struct pt_vconfig *vc, int intx_gsi)
{
	pthread_mutex_lock(&vc->lock);
	vc->intx_gsi = intx_gsi;
	if (vconfig_wanted_mode(vc) != vc->mode)
		vconfig_set_irqs(vc, vconfig_wanted_mode(vc));
	pthread_mutex_unlock(&vc->lock);
}

void pt_vconfig_destroy(struct pt_vconfig *vc)
{
	pthread_mutex_destroy(&vc->lock);
}

/* One byte of the virtual MSI capability, or -1 when off is not in it. */
static int msi_byte(const struct pt_vconfig *vc, unsigned off)
{
	unsigned rel, data_off;
	uint16_t ctrl;

	if (!vc->msi || off < vc->msi)
		return -1;
	rel = off - vc->msi;
	data_off = vc->msi_64 ? PCI_MSI_DATA_64 : PCI_MSI_DATA_32;
	if (rel >= data_off + 2)
		return -1;
	switch (rel) {
	case 0:
		return PCI_CAP_ID_MSI;
	case 1:
		return vc->next_cap[vc->msi];
	case 2:
	case 3:
		/* One vector (MMC 0), no per-vector masking; 64-bit as the device is. */
		ctrl = (vc->msi_ctrl & MSI_ENABLE) | (vc->msi_64 ? PCI_MSI_FLAGS_64BIT : 0);
		return rel == 2 ? ctrl & 0xff : ctrl >> 8;
	}
	if (rel >= PCI_MSI_ADDRESS_LO && rel < PCI_MSI_ADDRESS_LO + 4)
		return (int)(vc->msi_addr_lo >> (8 * (rel - PCI_MSI_ADDRESS_LO)) & 0xff);
	if (vc->msi_64 && rel >= PCI_MSI_ADDRESS_HI && rel < PCI_MSI_ADDRESS_HI + 4)
		return (int)(vc->msi_addr_hi >> (8 * (rel - PCI_MSI_ADDRESS_HI)) & 0xff);
	if (rel >= data_off)
		return vc->msi_data >> (8 * (rel - data_off)) & 0xff;
	return 0;
}

/* The guest's view of one byte at or above 0x40. */
static uint8_t cap_byte(struct pt_vconfig *vc, unsigned off, uint8_t dev_byte)
{
	int m = msi_byte(vc, off);

	if (m < 0)
		m = vconfig_msix_cap_byte(vc, off);
	if (m >= 0)
		return (uint8_t)m;
	if (off >= 1 && vc->shown[off - 1])
		return vc->next_cap[off - 1]; /* a shown capability's next pointer */
	return dev_byte;
}

static uint32_t read_locked(struct pt_vconfig *vc, unsigned off, unsigned size, uint32_t bus_val)
{
	uint32_t dev = 0, out = 0;

	if (off < HEADER_END) {
		/* The bus's header, with the capability bit and pointer of the chain shown. */
		for (unsigned i = 0; i < size; i++) {
			unsigned o = off + i;
			uint8_t b = (uint8_t)(bus_val >> (8 * i));

			if (o == PCI_STATUS)
				b = (uint8_t)((b & ~PCI_STATUS_CAP_LIST) |
					      (vc->first_cap ? PCI_STATUS_CAP_LIST : 0));
			else if (o == PCI_CAPABILITY_LIST)
				b = vc->first_cap;
			out |= (uint32_t)b << (8 * i);
		}
		return out;
	}
	if (vconfig_dev_read(vc, off, size, &dev) < 0)
		dev = 0xffffffff;
	for (unsigned i = 0; i < size; i++)
		out |= (uint32_t)cap_byte(vc, off + i, (uint8_t)(dev >> (8 * i))) << (8 * i);
	return out;
}

uint32_t pt_vconfig_read(struct pt_vconfig *vc, unsigned off, unsigned size, uint32_t bus_val)
{
	uint32_t out;

	pthread_mutex_lock(&vc->lock);
	out = read_locked(vc, off, size, bus_val);
	pthread_mutex_unlock(&vc->lock);
	return out;
}

static void msi_write(struct pt_vconfig *vc, unsigned rel, uint8_t b)
{
	unsigned data_off = vc->msi_64 ? PCI_MSI_DATA_64 : PCI_MSI_DATA_32;

	if (rel == PCI_MSI_FLAGS)
		vc->msi_ctrl = (vc->msi_ctrl & 0xff00) | b;
	else if (rel >= PCI_MSI_ADDRESS_LO && rel < PCI_MSI_ADDRESS_LO + 4)
		vc->msi_addr_lo = (vc->msi_addr_lo & ~(0xffu << (8 * (rel - PCI_MSI_ADDRESS_LO)))) |
				  (uint32_t)b << (8 * (rel - PCI_MSI_ADDRESS_LO));
	else if (vc->msi_64 && rel >= PCI_MSI_ADDRESS_HI && rel < PCI_MSI_ADDRESS_HI + 4)
		vc->msi_addr_hi = (vc->msi_addr_hi & ~(0xffu << (8 * (rel - PCI_MSI_ADDRESS_HI)))) |
				  (uint32_t)b << (8 * (rel - PCI_MSI_ADDRESS_HI));
	else if (rel >= data_off && rel < data_off + 2)
		vc->msi_data = (uint16_t)((vc->msi_data & ~(0xff << (8 * (rel - data_off)))) |
					  b << (8 * (rel - data_off)));
}

/*
 * After a write to the capability of mode `touched` (MSI or MSI-X): the backend
 * follows when the mode it has is not the one the guest asks for (a change, or a
 * change it refused before), or when the write changed the mode in force (MSI: a
 * retarget; MSI-X: its enable or function mask).
 */
static void irq_apply(struct pt_vconfig *vc, enum pt_assign_irq_kind touched, bool changed)
{
	enum pt_assign_irq_kind want = vconfig_wanted_mode(vc);

	if (want != vc->mode || (want == touched && changed))
		vconfig_set_irqs(vc, want);
}

/*
 * The guest's I/O, memory, bus-master and INTx-disable bits reach the device, from the
 * bytes of the command register it wrote only: a byte write leaves the other byte's
 * bits as the device has them (it used to clear them).
 */
static void command_write(struct pt_vconfig *vc, unsigned off, unsigned size, uint32_t val)
{
	const uint16_t keep = PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER |
			      PCI_COMMAND_INTX_DISABLE;
	uint16_t written = 0, guest = 0;
	uint32_t cmd = 0;

	for (unsigned i = 0; i < size; i++) {
		unsigned o = off + i;

		if (o == PCI_COMMAND || o == PCI_COMMAND + 1) {
			written |= (uint16_t)(0xffu << (8 * (o - PCI_COMMAND)));
			guest |= (uint16_t)(((val >> (8 * i)) & 0xff) << (8 * (o - PCI_COMMAND)));
		}
	}
	vc->dev->backend->config_read(vc->dev, PCI_COMMAND, 2, &cmd);
	cmd = (cmd & ~(keep & written)) | (guest & keep & written);
	vc->dev->backend->config_write(vc->dev, PCI_COMMAND, 2, cmd);
	if (vc->dev->backend->intx_mask && vc->mode == PT_ASSIGN_IRQ_INTX &&
	    (written & PCI_COMMAND_INTX_DISABLE))
		vc->dev->backend->intx_mask(vc->dev, guest & PCI_COMMAND_INTX_DISABLE);
}

static void write_locked(struct pt_vconfig *vc, unsigned off, unsigned size, uint32_t val)
{
	bool msi_touched = false, msix_touched = false, msix_changed = false;

	if (off < HEADER_END) {
		if (off <= PCI_COMMAND + 1 && off + size > PCI_COMMAND)
			command_write(vc, off, size, val);
		return; /* the rest of the header is the bus's */
	}
	for (unsigned i = 0; i < size; i++) {
		unsigned o = off + i;
		uint8_t b = (uint8_t)(val >> (8 * i));

		if (msi_byte(vc, o) >= 0) {
			msi_write(vc, o - vc->msi, b);
			msi_touched = true;
		} else if (vconfig_msix_cap_byte(vc, o) >= 0) {
			int c = vconfig_msix_cap_write(vc, o - vc->msix, b);

			msix_touched |= c >= 0;
			msix_changed |= c > 0;
		} else if (!(o >= 1 && vc->shown[o - 1]) && !vc->shown[o]) {
			vc->dev->backend->config_write(vc->dev, o, 1, b);
		}
	}
	if (msi_touched)
		irq_apply(vc, PT_ASSIGN_IRQ_MSI, true);
	if (msix_touched)
		irq_apply(vc, PT_ASSIGN_IRQ_MSIX, msix_changed);
}

void pt_vconfig_write(struct pt_vconfig *vc, unsigned off, unsigned size, uint32_t val)
{
	pthread_mutex_lock(&vc->lock);
	write_locked(vc, off, size, val);
	pthread_mutex_unlock(&vc->lock);
}

const char *pt_vconfig_irq_mode(const struct pt_vconfig *vc)
{
	return pt_assign_irq_kind_name(vc->mode);
}
