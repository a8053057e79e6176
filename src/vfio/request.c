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

/* An eventfd wired to interrupt index `index`, or -ENOTSUP / -errno after saying why. */
static int wire(const struct pt_vfio_device *d, unsigned index, const char *without)
{
	const struct pt_vfio_irq *irq = &d->irqs[index];
	int32_t fd;
	int r;

	if (d->n_irqs <= index || !irq->count || !(irq->flags & VFIO_IRQ_INFO_EVENTFD))
		return -ENOTSUP;
	fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (fd < 0)
		return -errno;
	r = pt_vfio_irq_set_triggers(d, index, 0, 1, &fd);
	if (r < 0) {
		pt_warn("%s: the %s interrupt cannot be wired (%s): %s", d->name,
			pt_vfio_irq_name(index), strerror(-r), without);
		close(fd);
		return r;
	}
	return fd;
}

int pt_vfio_request_on(const struct pt_vfio_device *d)
{
	return wire(d, VFIO_PCI_REQ_IRQ_INDEX,
		    "a host request to have it back will wait until the VM ends");
}

void pt_vfio_request_off(const struct pt_vfio_device *d)
{
	pt_vfio_irq_disable(d, VFIO_PCI_REQ_IRQ_INDEX);
}

int pt_vfio_error_on(const struct pt_vfio_device *d)
{
	return wire(d, VFIO_PCI_ERR_IRQ_INDEX,
		    "an uncorrectable error of the device will not stop the VM");
}

void pt_vfio_error_off(const struct pt_vfio_device *d)
{
	pt_vfio_irq_disable(d, VFIO_PCI_ERR_IRQ_INDEX);
}
