/*
 * The config space an assigned device shows its guest, on top of the device's own
 * (shared by every backend; the VMM's PCI bus emulates the standard header, IDs and
 * BARs included, and asks this layer for the rest).
 *
 * - The capability list is the device's, with the capabilities this VMM cannot yet
 *   give a guest left out of the chain (MSI-X: its table needs a trapped BAR page),
 *   and those that start inside the virtual MSI registers (a broken device), and the
 *   Status register's capability bit and pointer to match. The guest cannot change
 *   the chain: IDs and next pointers never reach the device. It stays acyclic.
 * - MSI is virtual: the guest's address, data and enable bit are kept here and turned
 *   into the backend's interrupt mode (one vector; Multiple Message Capable reads 0,
 *   per-vector masking is not offered), INTx again when MSI is disabled. The
 *   device's own MSI registers are the backend's (VFIO programs the host's).
 * - The command register's I/O, memory, bus-master and INTx-disable bits reach the
 *   device (INTx disable through the backend's intx_mask), from the bytes the guest
 *   wrote only.
 * - Every other byte from 0x40 up is read from and written to the device.
 * Not thread-safe: the PCI bus lock serializes config accesses.
 */
#ifndef PT_ASSIGN_VCONFIG_H
#define PT_ASSIGN_VCONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include "assign/backend.h"

#define PT_VCONFIG_SIZE 256
#define PT_VCONFIG_MAX_CAPS 48

struct pt_vconfig {
	struct pt_assign_dev *dev;
	uint8_t first_cap;                 /* the guest's capability pointer (0: none) */
	uint8_t next_cap[PT_VCONFIG_SIZE]; /* per shown capability: the guest's next pointer */
	bool shown[PT_VCONFIG_SIZE];       /* offsets that start a shown capability */
	uint8_t hidden_caps;               /* how many were left out */
	int intx_gsi;                      /* -1: the device has no INTx */
	uint8_t msi;                       /* the MSI capability's offset, or 0 */
	bool msi_64;
	uint16_t msi_ctrl;                 /* as the guest wrote it (enable bit 0) */
	uint32_t msi_addr_lo, msi_addr_hi;
	uint16_t msi_data;
	enum pt_assign_irq_kind mode;      /* what the backend has now */
};

/*
 * Reads the device's capability list and starts it on INTx (intx_gsi >= 0) or with
 * interrupts off. -EIO when the device's config space cannot be read.
 */
int pt_vconfig_init(struct pt_vconfig *vc, struct pt_assign_dev *dev, int intx_gsi);

/*
 * A guest config read of size 1, 2 or 4 at off (naturally aligned, below 256):
 * bus_val is what the bus's emulated header says; returns what the guest sees.
 */
uint32_t pt_vconfig_read(struct pt_vconfig *vc, unsigned off, unsigned size, uint32_t bus_val);

/* A guest config write (after the bus applied it to its header). */
void pt_vconfig_write(struct pt_vconfig *vc, unsigned off, unsigned size, uint32_t val);

/* The current interrupt mode's name, for status ("intx", "msi", "none"). */
const char *pt_vconfig_irq_mode(const struct pt_vconfig *vc);

#endif
