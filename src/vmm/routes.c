/*
 * The route layer's hook points in the VM (src/route fills them in): the VM
 * owns `vm->routes` (pt_vm_routes()), sets it up in pt_vm_routes_init, frees
 * it in pt_vm_routes_free, and the control socket's "routes" verb asks
 * pt_vm_routes_json() for the current GSI table.
 */
#include "config.h"

#include "vmm/routes.h"
#include "vmm/vm_internal.h"

int pt_vm_routes_init(struct pt_vm *vm)
{
	/*
	 * Called by pt_vm_create once the irqchip exists and before any vCPU runs:
	 * the route layer creates vm->routes here (KVM's default IRQCHIP entries
	 * for PIC pins 0-15 and IOAPIC pins 0-23, or none with a split irqchip).
	 */
	(void)vm;
	return 0;
}

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
