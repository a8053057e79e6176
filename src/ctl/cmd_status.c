/*
 * passthru-ctl status [VM]: whether each VM's VMM runs (its locked pidfile) and, for
 * those that do, what their control socket says.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/exit_status.h"
#include "common/log.h"
#include "common/parse.h"
#include "config/vm_def.h"
#include "host/state.h"
#include "ctl/control_client.h"
#include "ctl/ctl.h"
#include "ctl/json_out.h"
#include "ctl/table.h"
#include "ctl/vm_devices.h"
#include "ctl/vm_runtime.h"

/*
 * The functions recorded as vm's (state records) that its VMM does not list in devs:
 * one detached while another function kept its IOMMU group in the VM (it stays on
 * vfio-pci until that one leaves), or one an interrupted attach left. A JSON array of
 * their names; empty when the records cannot be listed.
 */
static json_t *held_not_assigned(const char *vm, const json_t *devs)
{
	char (*names)[PT_BDF_STRLEN] = NULL;
	json_t *held = json_array();
	size_t n = 0;

	if (!held || pt_state_list(&names, &n) < 0)
		return held;
	for (size_t i = 0; i < n; i++) {
		struct pt_state_record *rec = NULL;
		const char *why;

		if (pt_state_read(names[i], &rec, &why) == 0 && rec->vm && !strcmp(rec->vm, vm) &&
		    !pt_ctl_devices_has(devs, names[i]))
			json_array_append_new(held, json_string(names[i]));
		pt_state_record_free(rec);
	}
	free(names);
	return held;
}

/*
 * One VM as JSON: name, state (running, unresponsive, stopped), pid, config,
 * socket, stale (a dead VMM's leftovers), and "vmm": the status verb's answer;
 * for a VMM that answers, its "devices" and the functions "held" for it on the host.
 * *ret_exit is the single-VM exit status: 0 running, 5 stopped, 1 unresponsive.
 */
static json_t *vm_status(const struct pt_vm_runtime *rt, char *why, size_t why_size,
			 int *ret_exit)
{
	const char *state = "stopped";
	json_t *vmm = NULL, *o;
	int r = -ENOENT;

	*why = 0;
	*ret_exit = PT_EXIT_NOT_FOUND;
	if (rt->running) {
		r = pt_vm_runtime_request(rt, "status", NULL, &vmm, why, why_size);
		state = r == 0 ? "running" : "unresponsive";
		*ret_exit = r == 0 ? PT_EXIT_OK : PT_EXIT_FAILURE;
		if (r == -EACCES || r == -EPERM) {
			/* It may well run: this user may not ask it. */
			state = "unknown";
			*ret_exit = PT_EXIT_REFUSED;
			snprintf(why, why_size, "permission denied on %s: the control socket admits "
				 "root, its owner and the definition's control-group", rt->def->socket);
		} else if (r < 0 && r != -EREMOTEIO && r != -ENXIO) {
			snprintf(why, why_size, "%s", strerror(-r));
		}
	}
	o = json_pack("{s:s,s:s,s:o,s:s,s:s,s:b}", "name", rt->def->name, "state", state,
		      "pid", rt->running || rt->stale_pidfile ? json_integer(rt->pid) : json_null(),
		      "config", rt->def->path, "socket", rt->def->socket,
		      "stale", rt->stale_pidfile);
	if (o && vmm)
		json_object_set(o, "vmm", vmm);
	if (o && vmm && json_integer_value(json_object_get(vmm, "devices")) > 0) {
		json_t *devs = NULL;
		char ignored[256];

		if (pt_vm_runtime_request(rt, "devices", NULL, &devs, ignored, sizeof(ignored)) == 0)
			json_object_set_new(o, "devices", devs);
	}
	/* Without its device list (a failed request) nothing can be told. */
	if (o && vmm && (json_object_get(o, "devices") ||
			 json_integer_value(json_object_get(vmm, "devices")) == 0))
		json_object_set_new(o, "held", held_not_assigned(rt->def->name,
								 json_object_get(o, "devices")));
	json_decref(vmm);
	return o;
}

/* "; ROM 256 KiB from the device at 0x..": where the guest decodes it, when it does. */
static void print_rom(const json_t *rom)
{
	const json_t *at = json_object_get(rom, "address");
	char size[32];

	if (!json_integer_value(json_object_get(rom, "size")))
		return;
	pt_format_size((uint64_t)json_integer_value(json_object_get(rom, "size")), size,
		       sizeof(size));
	printf("; ROM %s from the %s", size, json_string_value(json_object_get(rom, "source")));
	if (at)
		printf(" at 0x%llx", json_integer_value(at));
}

/*
 * "reset at assignment: flr", "... none (why)", "... hot-reset (with 0000:02:02.0)",
 * "... flr FAILED (why)"; nothing from a VMM that does not say.
 */
static void print_reset(const json_t *d)
{
	const char *method = json_string_value(json_object_get(d, "reset"));
	const char *detail = json_string_value(json_object_get(d, "reset_detail"));

	if (!method)
		return;
	printf("            reset at assignment: %s%s%s%s%s\n", method,
	       json_is_true(json_object_get(d, "reset_error")) ? " FAILED" : "",
	       detail ? " (" : "", detail ? detail : "", detail ? ")" : "");
}

/* "0000:00:04.0 as 00:03.0: 1234:11e8, intx on GSI 10; BAR0 mem 1 MiB at 0x.. mapped" */
static void print_device(const json_t *d)
{
	const json_t *bars = json_object_get(d, "bars"), *b;
	size_t i;

	printf("  device:   %s as %s: %04llx:%04llx, %s on GSI %lld",
	       json_string_value(json_object_get(d, "host")),
	       json_string_value(json_object_get(d, "guest")),
	       json_integer_value(json_object_get(d, "vendor")),
	       json_integer_value(json_object_get(d, "device")),
	       json_string_value(json_object_get(d, "irq")),
	       json_integer_value(json_object_get(d, "gsi")));
	json_array_foreach(bars, i, b) {
		char size[32];

		pt_format_size((uint64_t)json_integer_value(json_object_get(b, "size")), size,
			       sizeof(size));
		printf("; BAR%lld %s %s at 0x%llx %s",
		       json_integer_value(json_object_get(b, "index")),
		       json_string_value(json_object_get(b, "kind")), size,
		       json_integer_value(json_object_get(b, "base")),
		       json_string_value(json_object_get(b, "access")));
	}
	print_rom(json_object_get(d, "rom"));
	printf("\n");
	print_reset(d);
}

static void print_one(const json_t *o, const char *why)
{
	const json_t *vmm = json_object_get(o, "vmm");
	const char *name = json_string_value(json_object_get(o, "name"));
	const char *state = json_string_value(json_object_get(o, "state"));
	json_int_t pid = json_integer_value(json_object_get(o, "pid"));

	printf("%s: %s\n", name, state);
	if (!strcmp(state, "unresponsive"))
		printf("  problem:  its VMM (pid %lld) does not answer on its socket: %s\n",
		       (long long)pid, why);
	if (!strcmp(state, "unknown"))
		printf("  problem:  its VMM (pid %lld) holds the pidfile, but %s\n", (long long)pid,
		       why);
	if (json_is_true(json_object_get(o, "stale")))
		printf("  problem:  its VMM (pid %lld) ended without cleaning up "
		       "(passthru-ctl stop %s removes what it left)\n", (long long)pid, name);
	if (vmm) {
		const json_t *con = json_object_get(vmm, "console"), *ex = json_object_get(vmm, "exit");
		const char *path = json_string_value(json_object_get(con, "path"));
		const json_t *d;
		char mem[32];
		size_t i;

		pt_format_size((uint64_t)json_integer_value(json_object_get(vmm, "memory")), mem,
			       sizeof(mem));
		printf("  pid:      %lld\n", (long long)pid);
		printf("  state:    %s\n", json_string_value(json_object_get(vmm, "state")));
		printf("  vcpus:    %lld\n", (long long)json_integer_value(json_object_get(vmm, "vcpus")));
		printf("  memory:   %s\n", mem);
		printf("  irqchip:  %s\n", json_string_value(json_object_get(vmm, "irqchip")));
		printf("  uptime:   %.1f s\n", json_number_value(json_object_get(vmm, "uptime")));
		printf("  console:  %s%s%s\n", json_string_value(json_object_get(con, "kind")),
		       path ? " " : "", path ? path : "");
		if (ex)
			printf("  exit:     %s: %s\n", json_string_value(json_object_get(ex, "kind")),
			       json_string_value(json_object_get(ex, "detail")));
		json_array_foreach(json_object_get(o, "devices"), i, d)
			print_device(d);
		json_array_foreach(json_object_get(o, "held"), i, d)
			printf("  held:     %s on vfio-pci, recorded as %s's but not in it (passthru-ctl "
			       "detach %s %s gives it back)\n", json_string_value(d), name,
			       json_string_value(d), name);
	}
	printf("  socket:   %s\n", json_string_value(json_object_get(o, "socket")));
	printf("  config:   %s\n", json_string_value(json_object_get(o, "config")));
}

static int status_one(const struct pt_ctl *ctl, const char *name)
{
	struct pt_vm_runtime rt;
	char why[256];
	json_t *o;
	int status = pt_vm_runtime_open(ctl, name, &rt), exit_status;

	if (status)
		return status;
	o = vm_status(&rt, why, sizeof(why), &exit_status);
	pt_vm_runtime_close(&rt);
	if (!o)
		return PT_EXIT_FAILURE;
	if (ctl->json)
		return pt_json_print(o) < 0 ? PT_EXIT_FAILURE : exit_status;
	print_one(o, why);
	json_decref(o);
	return exit_status;
}

static void table_row(struct pt_table *t, const json_t *o)
{
	const json_t *vmm = json_object_get(o, "vmm"), *con = json_object_get(vmm, "console");
	const char *state = json_string_value(json_object_get(o, "state"));
	char pid[16] = "", mem[32] = "", vcpus[16] = "", uptime[32] = "", console[96] = "";
	const char *cells[7] = { json_string_value(json_object_get(o, "name")), state };

	if (json_is_integer(json_object_get(o, "pid")))
		snprintf(pid, sizeof(pid), "%lld",
			 (long long)json_integer_value(json_object_get(o, "pid")));
	if (json_is_true(json_object_get(o, "stale")))
		cells[1] = "stopped (stale)";
	if (vmm) {
		const char *path = json_string_value(json_object_get(con, "path"));

		pt_format_size((uint64_t)json_integer_value(json_object_get(vmm, "memory")), mem,
			       sizeof(mem));
		snprintf(vcpus, sizeof(vcpus), "%lld",
			 (long long)json_integer_value(json_object_get(vmm, "vcpus")));
		snprintf(uptime, sizeof(uptime), "%.0fs",
			 json_number_value(json_object_get(vmm, "uptime")));
		snprintf(console, sizeof(console), "%s%s%s",
			 json_string_value(json_object_get(con, "kind")), path ? " " : "",
			 path ? path : "");
	}
	cells[2] = *pid ? pid : NULL;
	cells[3] = *vcpus ? vcpus : NULL;
	cells[4] = *mem ? mem : NULL;
	cells[5] = *uptime ? uptime : NULL;
	cells[6] = *console ? console : NULL;
	pt_table_row(t, cells);
}

static int status_all(const struct pt_ctl *ctl)
{
	static const char *const headers[] = { "NAME", "STATE", "PID", "VCPUS", "MEMORY",
					       "UPTIME", "CONSOLE" };
	struct pt_config_errors errs = { 0 };
	const char *dir = pt_config_dir(ctl->config_dir);
	struct pt_vm_def **defs = NULL;
	json_t *list = json_array();
	struct pt_table *t = NULL;
	size_t n = 0;
	int r, status;

	r = pt_vm_def_load_dir(dir, &defs, &n, &errs);
	pt_config_errors_print(&errs, stderr);
	if (r < 0 && r != -EINVAL) {
		json_decref(list);
		return r == -ENOENT ? PT_EXIT_NOT_FOUND : PT_EXIT_FAILURE;
	}
	status = r == -EINVAL ? PT_EXIT_USAGE : PT_EXIT_OK;
	for (size_t i = 0; i < n; i++) {
		struct pt_vm_runtime rt;
		char why[256];
		int ignored;

		if (pt_vm_runtime_adopt(defs[i], &rt) < 0) {
			defs[i] = NULL; /* freed by adopt */
			status = PT_EXIT_FAILURE;
			continue;
		}
		defs[i] = NULL; /* rt owns it */
		json_array_append_new(list, vm_status(&rt, why, sizeof(why), &ignored));
		pt_vm_runtime_close(&rt);
	}
	free(defs);
	if (ctl->json) {
		json_t *root = json_pack("{s:s,s:o}", "config_dir", dir, "vms", list);

		return pt_json_print(root) < 0 ? PT_EXIT_FAILURE : status;
	}
	t = pt_table_new(7, headers);
	for (size_t i = 0; t && i < json_array_size(list); i++)
		table_row(t, json_array_get(list, i));
	if (t)
		pt_table_print(t, stdout);
	pt_table_free(t);
	json_decref(list);
	return t ? status : PT_EXIT_FAILURE;
}

int pt_cmd_status(struct pt_ctl *ctl, int argc, char **argv)
{
	int first = pt_ctl_parse_options(ctl, argc, argv, false);

	if (first <= 0)
		return -first;
	if (first + 1 < argc) {
		pt_err("status takes at most one VM, got also '%s'", argv[first + 1]);
		return PT_EXIT_USAGE;
	}
	return first < argc ? status_one(ctl, argv[first]) : status_all(ctl);
}
