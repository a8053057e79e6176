/* Inside the virtual config space (vconfig.c, vconfig_msix.c): not for other files. */
#ifndef PT_ASSIGN_VCONFIG_IMPL_H
#define PT_ASSIGN_VCONFIG_IMPL_H

#include "assign/vconfig.h"

/* The device's config space through its backend. */
int vconfig_dev_read(struct pt_vconfig *vc, unsigned off, unsigned size, uint32_t *val);

/*
 * The MSI-X capability at off: true when it can be shown (its table and PBA fit in
 * memory BARs of the device), with its registers kept and every entry masked.
 */
bool vconfig_msix_probe(struct pt_vconfig *vc, uint8_t off);

/* One byte of the virtual MSI-X capability, or -1 when off is not in it. */
int vconfig_msix_cap_byte(const struct pt_vconfig *vc, unsigned off);

/*
 * A guest write of byte b at rel in the capability: 1 if it changed enable or the
 * function mask, 0 if it wrote them unchanged, -1 if it wrote nothing (read-only).
 */
int vconfig_msix_cap_write(struct pt_vconfig *vc, unsigned rel, uint8_t b);

/* The table as the backend's vectors (vc->msix_vec): every entry, live or masked. */
void vconfig_msix_vectors(struct pt_vconfig *vc, struct pt_assign_irqs *irqs);

/* The mode the guest's enable bits ask for: MSI-X, else MSI, else INTx or none. */
enum pt_assign_irq_kind vconfig_wanted_mode(const struct pt_vconfig *vc);

/* Tells the backend: kind with its vectors. The mode changes only on success. */
void vconfig_set_irqs(struct pt_vconfig *vc, enum pt_assign_irq_kind kind);

#endif
