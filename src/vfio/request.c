/* The device request interrupt (vfio/request.h). */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include <linux/vfio.h>

#include "common/log.h"
#include "vfio/irq.h"
#include "vfio/request.h"

int pt_vfio_request_on(const struct pt_vfio_device *d)
{
	const struct pt_vfio_irq *irq = &d->irqs[VFIO_PCI_REQ_IRQ_INDEX];
	int32_t fd;
	int r;

	if (d->n_irqs <= VFIO_PCI_REQ_IRQ_INDEX || !irq->count ||
	    !(irq->flags & VFIO_IRQ_INFO_EVENTFD))
		return -ENOTSUP;
	fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (fd < 0)
		return -errno;
	r = pt_vfio_irq_set_triggers(d, VFIO_PCI_REQ_IRQ_INDEX, 0, 1, &fd);
	if (r < 0) {
		pt_warn("%s: the device request interrupt cannot be wired (%s): a host request "
			"to have it back will wait until the VM ends", d->name, strerror(-r));
		close(fd);
		return r;
	}
	return fd;
}

void pt_vfio_request_off(const struct pt_vfio_device *d)
{
	pt_vfio_irq_disable(d, VFIO_PCI_REQ_IRQ_INDEX);
}
