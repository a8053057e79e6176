/* Host requests to have an assigned device back (vmm/requests.c). */
#ifndef PT_VMM_REQUESTS_H
#define PT_VMM_REQUESTS_H

#include "assign/backend.h"

struct pt_vm;

/* Watches dev's request fd (when its backend has one); after it is assigned. */
void pt_vm_requests_watch(struct pt_vm *vm, struct pt_assign_dev *dev);
/* Stops watching it; before it is released. */
void pt_vm_requests_unwatch(struct pt_vm *vm, struct pt_assign_dev *dev);
/* The fd the main loop polls: readable when some device has a request. */
int pt_vm_requests_fd(const struct pt_vm *vm);
/* Detaches every device whose request came (from the main loop's thread). */
void pt_vm_requests_serve(struct pt_vm *vm);

#endif
