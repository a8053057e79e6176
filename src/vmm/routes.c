/*
 * The route layer's hook points in the VM (src/route fills them in): the VM
 * owns `vm->routes` (pt_vm_routes()), frees it here, and the control socket's
 * "routes" verb asks pt_vm_routes_json() for the current GSI table.
 */
#include "config.h"

#include "vmm/routes.h"
#include "vmm/vm_internal.h"

void pt_vm_routes_free(struct pt_vm *vm)
{
	/* The route layer frees vm->routes here once it exists. */
	vm->routes = NULL;
}

json_t *pt_vm_routes_json(struct pt_vm *vm)
{
	/* Until src/route lands: no routes beyond KVM's defaults to report. */
	(void)vm;
	return json_array();
}
