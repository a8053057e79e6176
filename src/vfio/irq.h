/*
 * A VFIO device's interrupts as eventfds (VFIO_DEVICE_SET_IRQS).
 *
 * The VMM never sees a device interrupt itself: each vector's trigger eventfd is a
 * KVM irqfd (route/irqfd.h), and INTx's unmask eventfd is KVM's resamplefd, so a
 * level interrupt is re-enabled at the guest's EOI without a trip through userspace.
 * The eventfds stay the caller's; VFIO keeps its own references until disabled.
 */
#ifndef PT_VFIO_IRQ_H
#define PT_VFIO_IRQ_H

#include <stdbool.h>
#include <stdint.h>

#include "vfio/device.h"

/*
 * Sets the trigger eventfds of vectors [start, start + count) of IRQ index (INTx,
 * MSI, MSI-X, ERR, REQ); fds[i] = -1 removes that vector's. Enabling MSI or MSI-X
 * this way enables it on the device with that many vectors.
 */
int pt_vfio_irq_set_triggers(const struct pt_vfio_device *d, int index, uint32_t start,
			     uint32_t count, const int32_t *fds);

/* Disables index altogether (every vector's eventfd is dropped). */
int pt_vfio_irq_disable(const struct pt_vfio_device *d, int index);

/* INTx: the eventfd whose signal unmasks the line (KVM's resamplefd). */
int pt_vfio_irq_set_unmask_fd(const struct pt_vfio_device *d, int index, int32_t fd);

/* INTx: unmask the line now (after handling it in userspace), or mask it (the
 * guest's INTx disable bit). */
int pt_vfio_irq_unmask(const struct pt_vfio_device *d, int index);
int pt_vfio_irq_mask(const struct pt_vfio_device *d, int index);

/* Whether MSI-X vectors can be added while MSI-X is enabled (no NORESIZE flag). */
bool pt_vfio_irq_can_grow(const struct pt_vfio_device *d, int index);

#endif
