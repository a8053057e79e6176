#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "common/log.h"
#include "vfio/irq.h"

/* One VFIO_DEVICE_SET_IRQS call with count int32 data items (or none). */
static int set_irqs(const struct pt_vfio_device *d, int index, uint32_t flags, uint32_t start,
		    uint32_t count, const int32_t *data)
{
	size_t bytes = data ? count * sizeof(int32_t) : 0;
	struct vfio_irq_set *set;
	int err = 0;

	if (index < 0 || index >= VFIO_PCI_NUM_IRQS)
		return -EINVAL;
	set = calloc(1, sizeof(*set) + bytes);
	if (!set)
		return -ENOMEM;
	set->argsz = (uint32_t)(sizeof(*set) + bytes);
	set->flags = flags;
	set->index = (uint32_t)index;
	set->start = start;
	set->count = count;
	if (bytes)
		memcpy(set->data, data, bytes);
	if (ioctl(d->fd, VFIO_DEVICE_SET_IRQS, set) < 0)
		err = -errno;
	free(set);
	return err;
}

int pt_vfio_irq_set_triggers(const struct pt_vfio_device *d, int index, uint32_t start,
			     uint32_t count, const int32_t *fds)
{
	int err;

	if (index >= 0 && index < VFIO_PCI_NUM_IRQS &&
	    (start > d->irqs[index].count || count > d->irqs[index].count - start)) {
		pt_err("%s: %s has %u vectors, not %u from %u", d->name, pt_vfio_irq_name(index),
		       d->irqs[index].count, count, start);
		return -ERANGE;
	}
	err = set_irqs(d, index, VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER, start,
		       count, fds);
	if (err < 0)
		pt_err("%s: cannot set %u %s eventfds from vector %u: %s", d->name, count,
		       pt_vfio_irq_name(index), start, strerror(-err));
	return err;
}

int pt_vfio_irq_disable(const struct pt_vfio_device *d, int index)
{
	return set_irqs(d, index, VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER, 0, 0,
			NULL);
}

int pt_vfio_irq_set_unmask_fd(const struct pt_vfio_device *d, int index, int32_t fd)
{
	int err = set_irqs(d, index, VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_UNMASK, 0,
			   1, &fd);

	if (err < 0)
		pt_err("%s: cannot give %s an unmask eventfd: %s", d->name,
		       pt_vfio_irq_name(index), strerror(-err));
	return err;
}

int pt_vfio_irq_unmask(const struct pt_vfio_device *d, int index)
{
	return set_irqs(d, index, VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_UNMASK, 0, 1,
			NULL);
}

int pt_vfio_irq_mask(const struct pt_vfio_device *d, int index)
{
	return set_irqs(d, index, VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_MASK, 0, 1, NULL);
}

bool pt_vfio_irq_can_grow(const struct pt_vfio_device *d, int index)
{
	return index >= 0 && index < VFIO_PCI_NUM_IRQS && d->irqs[index].count &&
	       !(d->irqs[index].flags & VFIO_IRQ_INFO_NORESIZE);
}
