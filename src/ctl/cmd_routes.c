/* passthru-ctl routes VM: the running VM's GSI routing table, from its control socket. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "common/exit_status.h"
#include "common/log.h"
#include "ctl/ctl.h"
#include "ctl/json_out.h"
#include "ctl/table.h"
#include "ctl/vm_runtime.h"

/* Room for the owners of a shared pin: 32 of "0000:00:00.0; " or "fd N, resample fd N; ". */
#define PT_ROUTES_CELL 1024

static const char *str(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static long long num(const json_t *o, const char *key)
{
	return (long long)json_integer_value(json_object_get(o, key));
}

/* "ioapic pin 4", or "apic 1 vector 0x41 fixed edge" with the raw message after it. */
static void target(const json_t *r, char *buf, size_t size)
{
	if (!strcmp(str(r, "type"), "irqchip")) {
		snprintf(buf, size, "%s pin %lld", str(r, "chip"), num(r, "pin"));
		return;
	}
	snprintf(buf, size, "apic %lld%s vector 0x%02llx %s %s%s (addr 0x%08llx:%08llx data 0x%04llx)",
		 num(r, "dest_apic"), !strcmp(str(r, "dest_mode"), "logical") ? " logical" : "",
		 num(r, "vector"), str(r, "delivery"), str(r, "trigger"),
		 json_is_false(json_object_get(r, "valid")) ? " INVALID" : "",
		 num(r, "address_hi"), num(r, "address_lo"), num(r, "data"));
}

/* "fd 7", "fd 7, resample fd 8" or "-", from an object with irqfd and resamplefd. */
static size_t binding(const json_t *o, char *buf, size_t size)
{
	int n;

	if (json_is_null(json_object_get(o, "irqfd")) || !json_object_get(o, "irqfd"))
		n = snprintf(buf, size, "-");
	else if (json_is_integer(json_object_get(o, "resamplefd")))
		n = snprintf(buf, size, "fd %lld, resample fd %lld", num(o, "irqfd"),
			     num(o, "resamplefd"));
	else
		n = snprintf(buf, size, "fd %lld", num(o, "irqfd"));
	return n < 0 ? 0 : (size_t)n < size ? (size_t)n : size - 1;
}

/* "dev" or "dev vector N", from an owner's name and vector. */
static size_t owner_name(const char *name, const json_t *vector, char *buf, size_t size)
{
	int n;

	if (!name || !*name)
		n = snprintf(buf, size, "-");
	else if (json_is_integer(vector))
		n = snprintf(buf, size, "%s vector %lld", name, (long long)json_integer_value(vector));
	else
		n = snprintf(buf, size, "%s", name);
	return n < 0 ? 0 : (size_t)n < size ? (size_t)n : size - 1;
}

/*
 * The OWNER and IRQFD cells: every owner of a shared pin, "; " between them (the
 * "owners" list), or the single "owner" of a VMM that gives no list.
 */
static void owners(const json_t *r, char *own, size_t own_size, char *fd, size_t fd_size)
{
	const json_t *list = json_object_get(r, "owners");
	size_t i, o = 0, f = 0;
	json_t *e;

	if (!json_is_array(list) || json_array_size(list) < 2) {
		owner_name(str(r, "owner"), json_object_get(r, "owner_vector"), own, own_size);
		binding(r, fd, fd_size);
		return;
	}
	json_array_foreach(list, i, e) {
		if (i) {
			o += (size_t)snprintf(own + o, own_size - o, "; ");
			f += (size_t)snprintf(fd + f, fd_size - f, "; ");
			o = o < own_size ? o : own_size - 1;
			f = f < fd_size ? f : fd_size - 1;
		}
		o += owner_name(str(e, "device"), json_object_get(e, "vector"), own + o, own_size - o);
		f += binding(e, fd + f, fd_size - f);
	}
}

static int print_table(const char *name, const json_t *t)
{
	static const char *const headers[] = { "GSI", "TYPE", "TARGET", "OWNER", "IRQFD" };
	const json_t *routes = json_object_get(t, "routes");
	struct pt_table *tab = pt_table_new(5, headers);
	size_t i;
	json_t *r;

	if (!tab)
		return PT_EXIT_FAILURE;
	printf("%s: irqchip %s, %lld of %lld entries (%lld MSI), %lld irqfds, %lld commits%s\n",
	       name, str(t, "irqchip"), num(t, "entries"), num(t, "max_entries"),
	       num(t, "msi_routes"), num(t, "irqfds"), num(t, "commits"),
	       json_is_true(json_object_get(t, "dirty")) ? ", changes not yet committed" : "");
	json_array_foreach(routes, i, r) {
		char gsi[16], tgt[160], own[PT_ROUTES_CELL], fd[PT_ROUTES_CELL];
		const char *cells[5] = { gsi, str(r, "type"), tgt, own, fd };

		snprintf(gsi, sizeof(gsi), "%lld", num(r, "gsi"));
		target(r, tgt, sizeof(tgt));
		owners(r, own, sizeof(own), fd, sizeof(fd));
		pt_table_row(tab, cells);
	}
	pt_table_print(tab, stdout);
	pt_table_free(tab);
	return PT_EXIT_OK;
}

int pt_cmd_routes(struct pt_ctl *ctl, int argc, char **argv)
{
	struct pt_vm_runtime rt;
	const char *name;
	json_t *t = NULL;
	int status;

	if (!pt_ctl_open_vm_arg(ctl, argc, argv, true, &rt, &status))
		return status;
	name = rt.def->name;
	status = pt_vm_runtime_call(&rt, "routes", NULL, &t);
	if (status)
		goto out;
	if (!json_is_object(t) || !json_is_array(json_object_get(t, "routes"))) {
		pt_err("%s: the VMM's routes answer has no table", name);
		status = PT_EXIT_FAILURE;
	} else if (ctl->json) {
		status = pt_json_print(json_incref(t)) < 0 ? PT_EXIT_FAILURE : PT_EXIT_OK;
	} else {
		status = print_table(name, t);
	}
out:
	json_decref(t);
	pt_vm_runtime_close(&rt);
	return status;
}
