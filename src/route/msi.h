/*
 * x86 MSI messages: the address/data pair a device writes, as KVM's routing table and
 * KVM_SIGNAL_MSI take it, and its decoding into what an admin wants to read.
 */
#ifndef PT_ROUTE_MSI_H
#define PT_ROUTE_MSI_H

#include <stdbool.h>
#include <stdint.h>

struct pt_msi_msg {
	uint32_t address_lo;
	uint32_t address_hi;
	uint32_t data;
	uint32_t flags; /* KVM_MSI_VALID_DEVID or 0 */
	uint32_t devid; /* requester ID, only with KVM_MSI_VALID_DEVID */
};

/* Bits 10:8 of the data word. */
enum pt_msi_delivery {
	PT_MSI_DELIVERY_FIXED = 0,
	PT_MSI_DELIVERY_LOWEST = 1,
	PT_MSI_DELIVERY_SMI = 2,
	PT_MSI_DELIVERY_NMI = 4,
	PT_MSI_DELIVERY_INIT = 5,
	PT_MSI_DELIVERY_EXTINT = 7,
};

struct pt_msi_decoded {
	bool valid;          /* address in the 0xfee00000 interrupt window */
	uint32_t dest_id;    /* destination APIC ID (address_hi 31:8 extend it, x2APIC) */
	bool dest_logical;   /* address bit 2 */
	bool redir_hint;     /* address bit 3 */
	uint8_t vector;      /* data 7:0 */
	enum pt_msi_delivery delivery;
	bool level;          /* trigger mode, data bit 15 */
	bool assert;         /* level assert, data bit 14 */
};

#define PT_MSI_ADDR_BASE 0xfee00000u

void pt_msi_decode(const struct pt_msi_msg *msg, struct pt_msi_decoded *ret);

/* A fixed, edge, physical-destination message to one APIC. */
struct pt_msi_msg pt_msi_compose(uint32_t dest_apic_id, uint8_t vector);

/* "fixed", "lowest-priority", "smi", "nmi", "init", "extint" or "reserved". */
const char *pt_msi_delivery_name(enum pt_msi_delivery d);

bool pt_msi_msg_equal(const struct pt_msi_msg *a, const struct pt_msi_msg *b);

#endif
