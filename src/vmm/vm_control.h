/* The VM's control socket: the verbs of passthru-vmm(8) bound to a struct pt_vm. */
#ifndef PT_VMM_VM_CONTROL_H
#define PT_VMM_VM_CONTROL_H

#include "vmm/control.h"
#include "vmm/vm.h"

/* The verb table ("status", "stop", "devices", "routes", "help"); ctx is the struct pt_vm. */
extern const struct pt_control_verb pt_vm_control_verbs[];

/* Serves the VM's verbs at path (group may be NULL). */
int pt_vm_control_start(struct pt_vm *vm, const char *path, const char *group,
			struct pt_control_server **ret);

#endif
