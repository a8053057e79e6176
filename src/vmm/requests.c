/*
 * Host requests for an assigned device (assign/backend.h's request_fd; VFIO's REQ
 * interrupt): each device's request fd sits in the VM's epoll set, which the VMM's
 * main loop polls; a request detaches that device in order (pt_vm_remove_device),
 * after which the host's unbind goes on. The epoll entry carries the device's PCI
 * address, not a pointer: the device may have left meanwhile (device-del).
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/epoll.h>

#include "common/log.h"
#include "vmm/assigned.h"
#include "vmm/requests.h"
#include "vmm/vm_internal.h"

static uint64_t pack(const struct pt_bdf *b)
{
	return (uint64_t)b->domain << 16 | (uint64_t)b->bus << 8 | (uint64_t)b->dev << 3 | b->func;
}

static struct pt_bdf unpack(uint64_t v)
{
	struct pt_bdf b = { .domain = (uint16_t)(v >> 16), .bus = (uint8_t)(v >> 8),
			    .dev = (uint8_t)((v >> 3) & 31), .func = (uint8_t)(v & 7) };

	return b;
}

void pt_vm_requests_watch(struct pt_vm *vm, struct pt_assign_dev *dev)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = pack(&dev->bdf) };
	int fd = dev->backend->request_fd ? dev->backend->request_fd(dev) : -ENOTSUP;

	if (fd < 0 || vm->requests_epfd < 0)
		return;
	if (epoll_ctl(vm->requests_epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
		pt_warn("%s: its release requests cannot be watched: %m", dev->name);
}

void pt_vm_requests_unwatch(struct pt_vm *vm, struct pt_assign_dev *dev)
{
	int fd = dev->backend->request_fd ? dev->backend->request_fd(dev) : -ENOTSUP;

	if (fd >= 0 && vm->requests_epfd >= 0)
		epoll_ctl(vm->requests_epfd, EPOLL_CTL_DEL, fd, NULL);
}

int pt_vm_requests_fd(const struct pt_vm *vm)
{
	return vm->requests_epfd;
}

void pt_vm_requests_serve(struct pt_vm *vm)
{
	struct epoll_event evs[8];
	int n = epoll_wait(vm->requests_epfd, evs, 8, 0);

	for (int i = 0; i < n; i++) {
		struct pt_bdf bdf = unpack(evs[i].data.u64);
		char name[PT_BDF_STRLEN];

		pt_bdf_format(&bdf, name);
		pt_info("%s: the host asks for the device back: taking it out of %s", name,
			vm->name);
		if (pt_vm_remove_device(vm, &bdf) < 0)
			pt_warn("%s: it had left the VM already", name);
	}
}
