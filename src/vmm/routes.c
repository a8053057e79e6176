/*
 * The VM's GSI routing table (src/route): created once the irqchip exists and
 * before any vCPU runs, freed with the VM, and shown by the control socket's
 * "routes" verb.
 */
#include "config.h"

#include "route/describe.h"
#include "route/kvm_ops.h"
#include "route/table.h"
#include "vmm/routes.h"
#include "vmm/vm_internal.h"

int pt_vm_routes_init(struct pt_vm *vm)
{
	/* Starts as KVM's own default table (or empty with a split irqchip). */
	return pt_route_table_new_kvm(vm->vm_fd, vm->irqchip, &vm->routes);
}

void pt_vm_routes_free(struct pt_vm *vm)
{
	pt_route_table_free(vm->routes);
	vm->routes = NULL;
}

json_t *pt_vm_routes_json(struct pt_vm *vm)
{
	if (!vm->routes)
		return json_array();
	return pt_route_table_to_json(vm->routes);
}
