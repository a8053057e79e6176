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

static void irqfd(const json_t *r, char *buf, size_t size)
{
	if (json_is_null(json_object_get(r, "irqfd")))
		snprintf(buf, size, "-");
	else if (json_is_true(json_object_get(r, "resample")))
		snprintf(buf, size, "fd %lld, resample fd %lld", num(r, "irqfd"),
			 num(r, "resamplefd"));
	else
		snprintf(buf, size, "fd %lld", num(r, "irqfd"));
}

static void owner(const json_t *r, char *buf, size_t size)
{
	const char *o = str(r, "owner");

	if (!o || !*o)
		snprintf(buf, size, "-");
	else if (json_is_integer(json_object_get(r, "owner_vector")))
		snprintf(buf, size, "%s vector %lld", o, num(r, "owner_vector"));
	else
		snprintf(buf, size, "%s", o);
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
		char gsi[16], tgt[160], own[96], fd[64];
		const char *cells[5] = { gsi, str(r, "type"), tgt, own, fd };

		snprintf(gsi, sizeof(gsi), "%lld", num(r, "gsi"));
		target(r, tgt, sizeof(tgt));
		owner(r, own, sizeof(own));
		irqfd(r, fd, sizeof(fd));
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
