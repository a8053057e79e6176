/* passthru-ctl list: the VMs defined in the config directory and their devices. */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/exit_status.h"
#include "common/log.h"
#include "common/parse.h"
#include "config/vm_def.h"
#include "ctl/ctl.h"
#include "ctl/json_out.h"
#include "ctl/table.h"

static json_t *vm_json(const struct pt_vm_def *d)
{
	json_t *o = json_object(), *devs = json_array();
	int bad = !o || !devs;

	for (size_t i = 0; !bad && i < d->n_devices; i++) {
		const struct pt_dev_def *dev = &d->devices[i];
		json_t *j = json_object();
		char bdf[PT_BDF_STRLEN];

		bad = !j || json_array_append_new(devs, j) ||
		      json_object_set_new(j, "bdf", json_string(pt_bdf_format(&dev->bdf, bdf))) ||
		      json_object_set_new(j, "backend", json_string(pt_backend_name(dev->backend))) ||
		      json_object_set_new(j, "interrupts",
					  json_string(pt_interrupts_name(dev->interrupts))) ||
		      json_object_set_new(j, "hotplug", json_string(pt_hotplug_name(dev->hotplug))) ||
		      json_object_set_new(j, "guest_slot", dev->guest_slot >= 0
								   ? json_integer(dev->guest_slot)
								   : json_null()) ||
		      json_object_set_new(j, "guest_function", dev->guest_slot >= 0
								       ? json_integer(dev->guest_function)
								       : json_null());
	}
	bad = bad || json_object_set_new(o, "name", json_string(d->name)) ||
	      json_object_set_new(o, "file", json_string(d->path)) ||
	      json_object_set_new(o, "memory", json_integer((json_int_t)d->memory)) ||
	      json_object_set_new(o, "vcpus", json_integer(d->vcpus)) ||
	      json_object_set_new(o, "irqchip", json_string(pt_irqchip_name(d->irqchip))) ||
	      json_object_set_new(o, "devices", json_incref(devs));
	json_decref(devs);
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static int print_json(const char *dir, struct pt_vm_def **defs, size_t n)
{
	json_t *root = json_object(), *vms = json_array();

	if (!root || !vms || json_object_set_new(root, "config_dir", json_string(dir)) ||
	    json_object_set_new(root, "vms", json_incref(vms))) {
		json_decref(vms);
		json_decref(root);
		return -ENOMEM;
	}
	json_decref(vms);
	for (size_t i = 0; i < n; i++)
		if (json_array_append_new(vms, vm_json(defs[i]))) {
			json_decref(root);
			return -ENOMEM;
		}
	return pt_json_print(root);
}

static int print_table(struct pt_vm_def **defs, size_t n)
{
	static const char *const headers[] = { "NAME", "MEMORY", "VCPUS", "DEVICES" };
	struct pt_table *t = pt_table_new(ARRAY_SIZE(headers), headers);
	int r = t ? 0 : -ENOMEM;

	for (size_t i = 0; r == 0 && i < n; i++) {
		_cleanup_free_ char *devices = NULL;
		char mem[32], vcpus[16];
		const char *cells[ARRAY_SIZE(headers)];

		for (size_t j = 0; j < defs[i]->n_devices; j++) {
			char bdf[PT_BDF_STRLEN], *s;

			if (asprintf(&s, "%s%s%s", devices ? devices : "", devices ? "," : "",
				     pt_bdf_format(&defs[i]->devices[j].bdf, bdf)) < 0) {
				r = -ENOMEM;
				break;
			}
			free(devices);
			devices = s;
		}
		pt_format_size(defs[i]->memory, mem, sizeof(mem));
		snprintf(vcpus, sizeof(vcpus), "%u", defs[i]->vcpus);
		cells[0] = defs[i]->name;
		cells[1] = mem;
		cells[2] = vcpus;
		cells[3] = devices;
		if (r == 0)
			r = pt_table_row(t, cells);
	}
	if (r == 0)
		pt_table_print(t, stdout);
	pt_table_free(t);
	return r;
}

int pt_cmd_list(struct pt_ctl *ctl, int argc, char **argv)
{
	struct pt_config_errors errs = { 0 };
	struct pt_vm_def **defs = NULL;
	size_t n = 0;
	const char *dir;
	int first, r, status;

	first = pt_ctl_parse_options(ctl, argc, argv, false);
	if (first <= 0)
		return -first;
	if (first < argc) {
		pt_err("list takes no arguments, got '%s'", argv[first]);
		return PT_EXIT_USAGE;
	}
	dir = pt_config_dir(ctl->config_dir);
	r = pt_vm_def_load_dir(dir, &defs, &n, &errs);
	/* The problems go to stderr; the valid definitions are still listed. */
	pt_config_errors_print(&errs, stderr);
	if (r < 0 && r != -EINVAL)
		return r == -ENOENT ? PT_EXIT_NOT_FOUND : PT_EXIT_FAILURE;
	status = r == -EINVAL ? PT_EXIT_USAGE : PT_EXIT_OK;
	r = ctl->json ? print_json(dir, defs, n) : print_table(defs, n);
	pt_vm_defs_free(defs, n);
	if (r < 0) {
		pt_err("cannot print the list: %s", strerror(-r));
		return PT_EXIT_FAILURE;
	}
	return status;
}
