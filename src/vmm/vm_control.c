#include "config.h"

#include <errno.h>
#include <unistd.h>

#include "vmm/pci.h"
#include "vmm/routes.h"
#include "vmm/vm_control.h"
#include "vmm/vm_internal.h"

/* The same words as the definition's irqchip key (passthru.ini(5)). */
static const char *irqchip_word(enum pt_irqchip c)
{
	return c == PT_IRQCHIP_SPLIT ? "split" : "kernel";
}

static int verb_status(void *ctx, json_t *args, json_t **ret, struct pt_control_error *err)
{
	struct pt_vm *vm = ctx;
	json_t *st = json_pack("{s:s,s:s,s:I,s:i,s:I,s:s,s:f}",
			       "name", pt_vm_name(vm),
			       "state", pt_vm_state(vm),
			       "pid", (json_int_t)getpid(),
			       "vcpus", (int)pt_vm_vcpus(vm),
			       "memory", (json_int_t)pt_vm_memory(vm),
			       "irqchip", irqchip_word(pt_vm_irqchip(vm)),
			       "uptime", pt_vm_uptime(vm));

	if (!st)
		return -ENOMEM;
	json_object_set_new(st, "console", json_pack("{s:s,s:s?}", "kind", pt_vm_console_kind(vm),
						     "path", pt_vm_console_path(vm)));
	pthread_mutex_lock(&vm->lock);
	if (vm->exit.kind != PT_VM_EXIT_NONE)
		json_object_set_new(st, "exit", json_pack("{s:s,s:i,s:s}",
			"kind", pt_vm_exit_kind_name(vm->exit.kind),
			"status", pt_vm_exit_status(&vm->exit), "detail", vm->exit.detail));
	pthread_mutex_unlock(&vm->lock);
	*ret = st;
	return 0;
}

static int verb_stop(void *ctx, json_t *args, json_t **ret, struct pt_control_error *err)
{
	pt_vm_stop(ctx);
	*ret = json_object();
	return 0;
}

static int verb_devices(void *ctx, json_t *args, json_t **ret, struct pt_control_error *err)
{
	struct pt_vm *vm = ctx;
	json_t *list = json_array();

	if (!list)
		return -ENOMEM;
	/* The guest's PCI functions other than the host bridge: the assigned devices. */
	pthread_mutex_lock(&vm->pci.lock);
	for (unsigned slot = 1; slot < PT_PCI_SLOTS; slot++) {
		const struct pt_pci_function *f = vm->pci.slots[slot];
		char addr[16];

		if (!f)
			continue;
		snprintf(addr, sizeof(addr), "00:%02x.%x", f->dev, f->fn);
		json_array_append_new(list, json_pack("{s:s,s:i,s:i,s:i}", "guest", addr,
			"vendor", f->cfg[0] | f->cfg[1] << 8, "device", f->cfg[2] | f->cfg[3] << 8,
			"gsi", f->gsi));
	}
	pthread_mutex_unlock(&vm->pci.lock);
	*ret = list;
	return 0;
}

static int verb_routes(void *ctx, json_t *args, json_t **ret, struct pt_control_error *err)
{
	json_t *r = pt_vm_routes_json(ctx);

	if (!r)
		return -ENOMEM;
	*ret = r;
	return 0;
}

static int verb_help(void *ctx, json_t *args, json_t **ret, struct pt_control_error *err)
{
	json_t *list = json_array();

	if (!list)
		return -ENOMEM;
	for (const struct pt_control_verb *v = pt_vm_control_verbs; v->name; v++)
		json_array_append_new(list, json_pack("{s:s,s:s}", "name", v->name, "help", v->help));
	*ret = list;
	return 0;
}

const struct pt_control_verb pt_vm_control_verbs[] = {
	{ "status", verb_status, "the VM's name, state, pid, vcpus, memory, irqchip, uptime, console" },
	{ "stop", verb_stop, "stop the VM (the VMM then exits with status 0)" },
	{ "devices", verb_devices, "the guest's PCI functions besides the host bridge" },
	{ "routes", verb_routes, "the VM's GSI routing table" },
	{ "help", verb_help, "the verbs this VMM understands" },
	{ NULL, NULL, NULL },
};

int pt_vm_control_start(struct pt_vm *vm, const char *path, const char *group,
			struct pt_control_server **ret)
{
	struct pt_control_server_opts o = {
		.path = path, .group = group, .verbs = pt_vm_control_verbs, .ctx = vm,
	};

	return pt_control_server_start(&o, ret);
}
