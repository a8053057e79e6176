/*
 * Host requests for an assigned device (assign/backend.h's request_fd; VFIO's REQ
 * interrupt): each device's request fd sits in the VM's epoll set, which the VMM's
 * main loop polls; a request detaches that device in order (pt_vm_remove_device),
 * after which the host's unbind goes on. The epoll entry carries the device's PCI
 * address, not a pointer: the device may have left meanwhile (device-del).
 *
 * A device's error fd (VFIO's ERR interrupt: the host's AER recovery found an
 * uncorrectable error) sits in the same set, its entry marked ERROR_EVENT: from then
 * on what the device does cannot be trusted, so the VM is stopped (exit status 1,
 * the device and the error named), as QEMU stops a VM then.
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/epoll.h>

#include "common/log.h"
#include "vmm/assigned.h"
#include "vmm/requests.h"
#include "vmm/vm_internal.h"

#define ERROR_EVENT (1ULL << 63)

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

static int request_fd(struct pt_assign_dev *dev)
{
	return dev->backend->request_fd ? dev->backend->request_fd(dev) : -ENOTSUP;
}

static int error_fd(struct pt_assign_dev *dev)
{
	return dev->backend->error_fd ? dev->backend->error_fd(dev) : -ENOTSUP;
}

static void watch(struct pt_vm *vm, struct pt_assign_dev *dev, int fd, uint64_t tag,
		  const char *what)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = pack(&dev->bdf) | tag };

	if (fd < 0 || vm->requests_epfd < 0)
		return;
	if (epoll_ctl(vm->requests_epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
		pt_warn("%s: its %s cannot be watched: %m", dev->name, what);
}

void pt_vm_requests_watch(struct pt_vm *vm, struct pt_assign_dev *dev)
{
	watch(vm, dev, request_fd(dev), 0, "release requests");
	watch(vm, dev, error_fd(dev), ERROR_EVENT, "error reports");
}

void pt_vm_requests_unwatch(struct pt_vm *vm, struct pt_assign_dev *dev)
{
	int fds[2] = { request_fd(dev), error_fd(dev) };

	for (unsigned i = 0; i < 2; i++)
		if (fds[i] >= 0 && vm->requests_epfd >= 0)
			epoll_ctl(vm->requests_epfd, EPOLL_CTL_DEL, fds[i], NULL);
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
		struct pt_bdf bdf = unpack(evs[i].data.u64 & ~ERROR_EVENT);
		char name[PT_BDF_STRLEN];

		pt_bdf_format(&bdf, name);
		if (evs[i].data.u64 & ERROR_EVENT) {
			pt_err("%s: the host reports an uncorrectable error of the device (AER): "
			       "stopping %s, whose device can no longer be trusted (the host's "
			       "log has the error)", name, vm->name);
			pt_vm_finish(vm, PT_VM_EXIT_ERROR, 0,
				     "%s: uncorrectable device error reported by the host", name);
			continue;
		}
		pt_info("%s: the host asks for the device back: taking it out of %s", name,
			vm->name);
		if (pt_vm_remove_device(vm, &bdf, true) < 0)
			pt_warn("%s: it had left the VM already", name);
	}
}
