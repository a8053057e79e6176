/* Decoding and composing x86 MSI address/data pairs (Intel SDM vol. 3, 11.11). */
#include "config.h"

#include "route/msi.h"

void pt_msi_decode(const struct pt_msi_msg *msg, struct pt_msi_decoded *ret)
{
	uint32_t lo = msg->address_lo, data = msg->data;

	*ret = (struct pt_msi_decoded){
		.valid = (lo & 0xfff00000u) == PT_MSI_ADDR_BASE,
		/* KVM takes destination bits 31:8 from address_hi (x2APIC IDs). */
		.dest_id = (msg->address_hi & 0xffffff00u) | ((lo >> 12) & 0xff),
		.dest_logical = lo & (1u << 2),
		.redir_hint = lo & (1u << 3),
		.vector = data & 0xff,
		.delivery = (data >> 8) & 0x7,
		.level = data & (1u << 15),
		.assert = data & (1u << 14),
	};
}

struct pt_msi_msg pt_msi_compose(uint32_t dest_apic_id, uint8_t vector)
{
	return (struct pt_msi_msg){
		.address_lo = PT_MSI_ADDR_BASE | ((dest_apic_id & 0xff) << 12),
		.address_hi = dest_apic_id & 0xffffff00u,
		.data = vector, /* fixed delivery, edge */
	};
}

const char *pt_msi_delivery_name(enum pt_msi_delivery d)
{
	switch (d) {
	case PT_MSI_DELIVERY_FIXED:
		return "fixed";
	case PT_MSI_DELIVERY_LOWEST:
		return "lowest-priority";
	case PT_MSI_DELIVERY_SMI:
		return "smi";
	case PT_MSI_DELIVERY_NMI:
		return "nmi";
	case PT_MSI_DELIVERY_INIT:
		return "init";
	case PT_MSI_DELIVERY_EXTINT:
		return "extint";
	}
	return "reserved";
}

bool pt_msi_msg_equal(const struct pt_msi_msg *a, const struct pt_msi_msg *b)
{
	return a->address_lo == b->address_lo && a->address_hi == b->address_hi &&
	       a->data == b->data && a->flags == b->flags &&
	       (!a->flags || a->devid == b->devid);
}
