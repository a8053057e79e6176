#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "vfio/backend.h"
#include "vmm/assigned.h"
#include "vmm/dma_limit.h"
#include "vmm/dma_map.h"
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
	json_object_set_new(st, "memory_slots", json_integer(pt_vm_memory_slots_used(vm)));
	json_object_set_new(st, "dma", json_string(pt_vm_dma_state_name(pt_vm_dma_state(vm))));
	pthread_mutex_lock(&vm->lock);
	json_object_set_new(st, "devices", json_integer(pt_vm_assigned_count(vm)));
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
	json_t *list = pt_vm_assigned_json(ctx);

	if (!list)
		return -ENOMEM;
	*ret = list;
	return 0;
}

/* The "bdf" argument, canonical or as admins type it. */
static int bdf_arg(json_t *args, struct pt_bdf *bdf, struct pt_control_error *err)
{
	const char *s = json_string_value(json_object_get(args, "bdf")), *why = NULL;

	if (!s || pt_bdf_parse(s, bdf, &why) < 0) {
		err->cls = PT_CTL_ERR_ARGUMENT;
		snprintf(err->desc, sizeof(err->desc), "\"bdf\": %s (a PCI address such as "
			 "0000:03:00.0)", s ? why : "missing or not a string");
		return -EINVAL;
	}
	return 0;
}

/*
 * The "rom" argument: "auto" (or none), "off", or "file" with the image as the
 * second descriptor, opened by the caller with its own rights (a path would have
 * the VMM read what the caller may not).
 */
static int rom_arg(json_t *args, const struct pt_control_fds *fds, bool held,
		   struct pt_vm_rom_choice *rom, struct pt_control_error *err)
{
	json_t *arg = json_object_get(args, "rom");
	const char *s = json_string_value(arg);
	unsigned want = held ? 0 : 1;

	*rom = (struct pt_vm_rom_choice){ PT_ROM_AUTO, NULL, -1 };
	if (arg && (!s || (strcmp(s, "auto") && strcmp(s, "off") && strcmp(s, "file")))) {
		err->cls = PT_CTL_ERR_ARGUMENT;
		snprintf(err->desc, sizeof(err->desc), "\"rom\": \"auto\", \"off\" or \"file\" "
			 "(the image's open file as the second descriptor)");
		return -EINVAL;
	}
	if (s && !strcmp(s, "off"))
		rom->mode = PT_ROM_OFF;
	if (s && !strcmp(s, "file")) {
		rom->mode = PT_ROM_FILE;
		want++;
	}
	if (fds->n != want) {
		err->cls = PT_CTL_ERR_ARGUMENT;
		snprintf(err->desc, sizeof(err->desc), "device-add%s%s takes %s, and %u came",
			 held ? " with \"group\": \"held\"" : "",
			 rom->mode == PT_ROM_FILE ? " with \"rom\": \"file\"" : "",
			 held ? (want ? "the ROM image's fd alone (one, with SCM_RIGHTS)" :
				 "no descriptor (the VM holds the device's group)") :
			 want == 2 ? "the device's VFIO group fd and the ROM image's (two, with "
				     "SCM_RIGHTS)" :
			 "the device's VFIO group fd (one, with SCM_RIGHTS)", fds->n);
		return -EINVAL;
	}
	if (rom->mode == PT_ROM_FILE)
		rom->fd = fds->fd[want - 1];
	return 0;
}

/*
 * The "group" argument: absent, or "held" for a function whose IOMMU group the VM
 * holds already through another of its functions (VFIO opens a group once, so no
 * one else can hand it over): 0 or 1, or -EINVAL.
 */
static int group_arg(json_t *args, struct pt_control_error *err)
{
	json_t *arg = json_object_get(args, "group");

	if (!arg)
		return 0;
	if (json_is_string(arg) && !strcmp(json_string_value(arg), "held"))
		return 1;
	err->cls = PT_CTL_ERR_ARGUMENT;
	snprintf(err->desc, sizeof(err->desc), "\"group\": \"held\" (the VM holds the device's "
		 "IOMMU group through another function), or none and the group fd");
	return -EINVAL;
}

/*
 * "slot" (1-31) and "function" (0-7, only with "slot"; default 0): *slot -1 when
 * there is no "slot" (the VMM chooses). 0 or -EINVAL.
 */
static int place_args(json_t *args, int *slot, int *function, struct pt_control_error *err)
{
	json_t *s = json_object_get(args, "slot"), *f = json_object_get(args, "function");

	*slot = -1;
	*function = 0;
	if (s && (!json_is_integer(s) || json_integer_value(s) < 1 ||
		  json_integer_value(s) > 31)) {
		err->cls = PT_CTL_ERR_ARGUMENT;
		snprintf(err->desc, sizeof(err->desc), "\"slot\": a guest PCI device number 1-31");
		return -EINVAL;
	}
	if (f && (!s || !json_is_integer(f) || json_integer_value(f) < 0 ||
		  json_integer_value(f) > 7)) {
		err->cls = PT_CTL_ERR_ARGUMENT;
		snprintf(err->desc, sizeof(err->desc), "\"function\": a function 0-7 of the "
			 "guest slot given as \"slot\"");
		return -EINVAL;
	}
	if (s)
		*slot = (int)json_integer_value(s);
	if (f)
		*function = (int)json_integer_value(f);
	return 0;
}

/* Why device-add could not put the device at slot.function (the VMM's log says more). */
static void say_place_refused(int r, int slot, int function, struct pt_control_error *err)
{
	err->cls = PT_CTL_ERR_ARGUMENT;
	if (r == -ENXIO)
		snprintf(err->desc, sizeof(err->desc), "guest slot %d has no function 0, so no "
			 "guest would find function %d there: attach the slot's function 0 first",
			 slot, function);
	else
		snprintf(err->desc, sizeof(err->desc), "guest 00:%02x.%x is taken by another "
			 "device", slot, function);
}

/*
 * device-add {"bdf", "slot"?, "function"?, "rom"?, "group"?} with the device's VFIO
 * group fd (SCM_RIGHTS; none with "group": "held"), and with "rom": "file" the ROM
 * image's: the VMM wires it into the running VM; the guest finds it when it rescans
 * its bus. Without "slot" it joins a host slot-mate's guest slot (at its host
 * function number) or takes the lowest empty slot.
 */
static int verb_device_add(void *ctx, json_t *args, struct pt_control_fds *fds, json_t **ret,
			   struct pt_control_error *err)
{
	struct pt_vm *vm = ctx;
	json_t *list;
	struct pt_vm_rom_choice rom;
	struct pt_bdf bdf;
	int slot, function, held, fd, r;

	r = bdf_arg(args, &bdf, err);
	if (r < 0)
		return r;
	r = place_args(args, &slot, &function, err);
	if (r < 0)
		return r;
	held = group_arg(args, err);
	if (held < 0)
		return held;
	r = rom_arg(args, fds, held, &rom, err);
	if (r < 0)
		return r;
	fd = held ? PT_ASSIGN_FD_HELD : fds->fd[0];
	r = pt_dma_memlock_check(pt_vm_name(vm), pt_vm_memory(vm), pt_vm_assigned_count(vm) == 0,
				 err->desc, sizeof(err->desc));
	if (r < 0)
		return r;
	r = pt_vm_assign_device(vm, &pt_assign_vfio, &bdf, fd, slot, function, &rom);
	if (r == -ESRCH && held) {
		err->cls = PT_CTL_ERR_ARGUMENT;
		snprintf(err->desc, sizeof(err->desc), "\"group\": \"held\", but this VM holds "
			 "no function of %s's IOMMU group: hand its group fd over instead",
			 json_string_value(json_object_get(args, "bdf")));
		return r;
	}
	if ((r == -ENXIO || r == -EBUSY) && slot > 0) {
		say_place_refused(r, slot, function, err);
		return r;
	}
	if (r < 0) {
		snprintf(err->desc, sizeof(err->desc), "%s (the VMM's log says why)", strerror(-r));
		return r;
	}
	if (!held)
		fds->fd[0] = -1; /* the device's now */
	list = pt_vm_assigned_json(vm);
	*ret = list ? json_incref(json_array_get(list, 0)) : json_object();
	json_decref(list);
	return 0;
}

static int verb_device_del(void *ctx, json_t *args, json_t **ret, struct pt_control_error *err)
{
	struct pt_bdf bdf;
	int r = bdf_arg(args, &bdf, err);

	if (r < 0)
		return r;
	r = pt_vm_remove_device(ctx, &bdf, false);
	if (r == -EBUSY) {
		char mates[128], name[PT_BDF_STRLEN];

		pt_vm_slot_mates(ctx, &bdf, mates, sizeof(mates));
		err->cls = PT_CTL_ERR_ARGUMENT;
		snprintf(err->desc, sizeof(err->desc), "%s is function 0 of its guest slot, "
			 "through which a guest finds the others: detach %s first",
			 pt_bdf_format(&bdf, name), mates);
		return r;
	}
	if (r == -ENOENT) {
		err->cls = PT_CTL_ERR_ARGUMENT;
		snprintf(err->desc, sizeof(err->desc), "%s is not assigned to this VM",
			 json_string_value(json_object_get(args, "bdf")));
		return r;
	}
	*ret = json_object();
	return r;
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
	{ "devices", verb_devices, "the assigned devices: guest and host address, backend, IDs, "
	  "GSI, interrupt mode" },
	{ "device-add", NULL, "assign a host device to the running VM: {bdf, slot?, rom?, "
	  "group?} with its VFIO group fd (SCM_RIGHTS), or \"group\": \"held\" and none for a "
	  "function of a group the VM holds", verb_device_add },
	{ "device-del", verb_device_del, "take an assigned device out of the VM: {bdf}" },
	{ "routes", verb_routes, "the VM's GSI routing table" },
	{ "help", verb_help, "the verbs this VMM understands" },
	{ NULL, NULL, NULL, NULL },
};

int pt_vm_control_start(struct pt_vm *vm, const char *path, const char *group,
			struct pt_control_server **ret)
{
	struct pt_control_server_opts o = {
		.path = path, .group = group, .verbs = pt_vm_control_verbs, .ctx = vm,
	};

	return pt_control_server_start(&o, ret);
}
