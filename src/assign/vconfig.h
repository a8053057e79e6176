/*
 * The config space an assigned device shows its guest, on top of the device's own
 * (shared by every backend; the VMM's PCI bus emulates the standard header, IDs,
 * BARs and the expansion ROM BAR included, and asks this layer for the rest).
 *
 * - The capability list is the device's, with the capabilities this VMM cannot give
 *   a guest left out of the chain (an MSI-X capability whose table or PBA does not
 *   fit in a memory BAR of the device), and those that start inside the virtual MSI
 *   or MSI-X registers (a broken device), and the Status register's capability bit
 *   and pointer to match. The guest cannot change the chain: IDs and next pointers
 *   never reach the device. It stays acyclic.
 * - MSI is virtual: the guest's address, data and enable bit are kept here and turned
 *   into the backend's interrupt mode (one vector; Multiple Message Capable reads 0,
 *   per-vector masking is not offered). The device's own MSI registers are the
 *   backend's (VFIO programs the host's).
 * - MSI-X is virtual too: Message Control's enable and function mask are the guest's
 *   (the table size reads as the device's), Table and PBA Offset/BIR read as the
 *   device's, and the table itself lives here: the VMM traps the table's page(s) of
 *   the BAR and hands table accesses to pt_vconfig_msix_table_read/write. The PBA is
 *   not emulated: the VMM forwards its reads to the device, whose pending bits are
 *   real because a vector the guest masks is masked on the host too (the backend
 *   takes its trigger away).
 * - One interrupt mode at a time, as the PCI spec has it: MSI-X when its enable bit
 *   is set, else MSI when enabled, else INTx (when the function has a pin) or none.
 * - When the backend hears of MSI-X (irq_set, all entries, each live when neither it
 *   nor the function is masked; GSIs only for live ones), so that a burst of guest
 *   writes costs one backend call and one routing commit: at a Message Control write
 *   that changes enable, or the function mask while enabled; and while enabled, at a
 *   table write that makes an entry live or masked (a Vector Control write that
 *   changes its mask bit, unless the function mask is set) and at a Message Data
 *   write to a live entry (its address is taken with it: drivers write address, then
 *   data). Other writes (a live entry's address, masked entries, anything while
 *   MSI-X is off) are only stored.
 * - The command register's I/O, memory, bus-master and INTx-disable bits reach the
 *   device (INTx disable through the backend's intx_mask), from the bytes the guest
 *   wrote only.
 * - Every other byte from 0x40 up is read from and written to the device.
 * Thread-safe: config accesses come under the PCI bus lock, table accesses from any
 * vCPU; a lock of its own serializes them and the backend calls they make (taken
 * after the bus lock, before the routing table's).
 */
#ifndef PT_ASSIGN_VCONFIG_H
#define PT_ASSIGN_VCONFIG_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "assign/backend.h"

#define PT_VCONFIG_SIZE 256
#define PT_VCONFIG_MAX_CAPS 48
#define PT_VCONFIG_MSIX_MAX 2048 /* entries an MSI-X table can have */

/* One MSI-X table entry as the guest wrote it (Vector Control: bit 0, the mask). */
struct pt_vconfig_msix_entry {
	uint32_t addr_lo, addr_hi, data, ctrl;
};

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
	pthread_mutex_t lock;
	uint8_t msix;                      /* the MSI-X capability's offset, or 0 */
	uint16_t msix_ctrl;                /* enable and function mask as the guest wrote them */
	uint16_t msix_entries;             /* the table size */
	uint32_t msix_table, msix_pba;     /* the device's Table and PBA Offset/BIR */
	uint64_t msix_irq_sets;            /* backend calls made for MSI-X */
	struct pt_vconfig_msix_entry msix_tab[PT_VCONFIG_MSIX_MAX];
	struct pt_assign_vector msix_vec[PT_VCONFIG_MSIX_MAX]; /* scratch for irq_set */
};

/* Where the guest finds the MSI-X table and PBA: the device's BARs and offsets. */
struct pt_vconfig_msix_layout {
	unsigned entries;
	unsigned table_bar, pba_bar;
	uint32_t table_offset, pba_offset;
	uint32_t table_size, pba_size;     /* bytes: 16 per entry; 8 per 64 entries */
};

/* The MSI-X state for status. */
struct pt_vconfig_msix_stats {
	bool enabled, function_masked;
	unsigned entries, live, masked;    /* live: neither it nor the function masked */
	uint64_t irq_sets;
};

/*
 * Reads the device's capability list and starts it on INTx (intx_gsi >= 0) or with
 * interrupts off. -EIO when the device's config space cannot be read. The MSI-X
 * capability is shown when the backend's region_info says its table and PBA fit
 * in memory BARs. Every MSI-X entry starts masked. pt_vconfig_destroy undoes it.
 */
int pt_vconfig_init(struct pt_vconfig *vc, struct pt_assign_dev *dev, int intx_gsi);
void pt_vconfig_destroy(struct pt_vconfig *vc);

/*
 * The function's INTx pin became known (-1: none): the VMM initializes config space
 * before the function is on its bus, which decides the pin's GSI. Starts INTx when
 * the guest has no MSI or MSI-X enabled.
 */
void pt_vconfig_set_intx(struct pt_vconfig *vc, int intx_gsi);

/*
 * A guest config read of size 1, 2 or 4 at off (naturally aligned, below 256):
 * bus_val is what the bus's emulated header says; returns what the guest sees.
 */
uint32_t pt_vconfig_read(struct pt_vconfig *vc, unsigned off, unsigned size, uint32_t bus_val);

/* A guest config write (after the bus applied it to its header). */
void pt_vconfig_write(struct pt_vconfig *vc, unsigned off, unsigned size, uint32_t val);

/* The current interrupt mode's name, for status ("intx", "msi", "msix", "none"). */
const char *pt_vconfig_irq_mode(const struct pt_vconfig *vc);

/* True, with the layout, when the guest sees an MSI-X capability. */
bool pt_vconfig_msix_layout(const struct pt_vconfig *vc, struct pt_vconfig_msix_layout *ret);

/*
 * A guest access to the MSI-X table: off is from the table's start (below its
 * size: bytes past it, or any without a shown MSI-X, read 0 and are not written),
 * size 1, 2, 4 or 8 (the spec's are 4 and 8, aligned). Reads of the reserved
 * Vector Control bits give 0; writes to them are dropped.
 */
uint64_t pt_vconfig_msix_table_read(struct pt_vconfig *vc, uint64_t off, unsigned size);
void pt_vconfig_msix_table_write(struct pt_vconfig *vc, uint64_t off, unsigned size,
				 uint64_t val);

void pt_vconfig_msix_stats(struct pt_vconfig *vc, struct pt_vconfig_msix_stats *ret);

#endif
