/*
 * The device request interrupt (VFIO_PCI_REQ_IRQ_INDEX): when the host wants a device
 * back (an admin unbinds it from vfio-pci, a hot unplug), vfio-pci signals this
 * eventfd and waits for the user to let go of the device. The VMM polls the eventfd
 * and answers with an orderly detach of that device.
 *
 * The error interrupt (VFIO_PCI_ERR_IRQ_INDEX, PCIe functions): vfio-pci signals it
 * when the host's AER recovery reports an uncorrectable error of the device. What the
 * device does from then on cannot be trusted; the VMM stops the VM (as QEMU does).
 */
#ifndef PT_VFIO_REQUEST_H
#define PT_VFIO_REQUEST_H

#include "vfio/device.h"

/*
 * An eventfd wired to the device's REQ interrupt: its fd (the caller's to close after
 * pt_vfio_request_off), -ENOTSUP when the device (or kernel) offers none, or -errno.
 */
int pt_vfio_request_on(const struct pt_vfio_device *d);

/* Unwires it (before the eventfd is closed). */
void pt_vfio_request_off(const struct pt_vfio_device *d);

/* The same for the error interrupt. */
int pt_vfio_error_on(const struct pt_vfio_device *d);
void pt_vfio_error_off(const struct pt_vfio_device *d);

#endif
