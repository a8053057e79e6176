/* passthru-ctl check: host readiness, one verdict per feature with its evidence. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/exit_status.h"
#include "common/log.h"
#include "ctl/ctl.h"
#include "ctl/json_out.h"
#include "ctl/table.h"
#include "host/readiness.h"

static bool assignment_possible(const struct pt_readiness *r)
{
	return r->kvm.usable && (r->vfio.usable || r->legacy.usable);
}

static json_t *conclusion_json(const struct pt_conclusion *c)
{
	json_t *o = json_object();

	if (o && (json_object_set_new(o, "usable", json_boolean(c->usable)) ||
		  json_object_set_new(o, "why", json_string(c->why)))) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static int print_json(const struct pt_readiness *r)
{
	json_t *root = json_object(), *checks = json_object();
	int bad = !root || !checks || json_object_set_new(root, "checks", checks);

	for (size_t i = 0; !bad && i < PT_CHECK__COUNT; i++) {
		const struct pt_check_item *it = &r->items[i];
		json_t *o = json_object();

		bad = !o || json_object_set_new(checks, it->key, o) ||
		      json_object_set_new(o, "label", json_string(it->label)) ||
		      json_object_set_new(o, "result",
					  json_string(pt_check_result_name(it->result))) ||
		      json_object_set_new(o, "value",
					  it->has_value ? json_integer(it->value) : json_null()) ||
		      json_object_set_new(o, "evidence", json_string(it->evidence));
	}
	bad = bad || json_object_set_new(root, "kvm", conclusion_json(&r->kvm)) ||
	      json_object_set_new(root, "vfio", conclusion_json(&r->vfio)) ||
	      json_object_set_new(root, "legacy_assignment", conclusion_json(&r->legacy)) ||
	      json_object_set_new(root, "assignment_possible",
				  json_boolean(assignment_possible(r)));
	if (bad) {
		json_decref(root);
		return -ENOMEM;
	}
	return pt_json_print(root);
}

static int print_text(const struct pt_readiness *r)
{
	static const char *const headers[] = { "CHECK", "RESULT", "EVIDENCE" };
	struct pt_table *t = pt_table_new(ARRAY_SIZE(headers), headers);
	int err = t ? 0 : -ENOMEM;

	for (size_t i = 0; err == 0 && i < PT_CHECK__COUNT; i++) {
		const char *cells[] = {
			r->items[i].label,
			pt_check_result_name(r->items[i].result),
			r->items[i].evidence,
		};

		err = pt_table_row(t, cells);
	}
	if (err == 0) {
		pt_table_print(t, stdout);
		printf("\n");
		printf("KVM: %s: %s\n", r->kvm.usable ? "usable" : "not usable", r->kvm.why);
		printf("VFIO: %s: %s\n", r->vfio.usable ? "usable" : "not usable", r->vfio.why);
		printf("legacy assignment: %s: %s\n", r->legacy.usable ? "usable" : "not usable",
		       r->legacy.why);
		printf("device assignment: %s\n",
		       assignment_possible(r) ? "possible"
					      : "not possible (it needs KVM, and VFIO or legacy "
						"assignment)");
	}
	pt_table_free(t);
	return err;
}

int pt_cmd_check(struct pt_ctl *ctl, int argc, char **argv)
{
	struct pt_readiness *r = NULL;
	int first, err, status;

	first = pt_ctl_parse_options(ctl, argc, argv, false);
	if (first <= 0)
		return -first;
	if (first + 1 < argc) {
		pt_err("check takes at most one PCI address, got also '%s'", argv[first + 1]);
		return PT_EXIT_USAGE;
	}
	if (first < argc)
		return pt_cmd_check_device(ctl, argv[first]);
	if (ctl->vm) {
		pt_err("--vm goes with check BDF: which device should fit VM %s?", ctl->vm);
		return PT_EXIT_USAGE;
	}
	err = pt_readiness_probe(ctl->sysroot, &r);
	if (err < 0) {
		pt_err("cannot probe the host: %s", strerror(-err));
		return PT_EXIT_FAILURE;
	}
	status = assignment_possible(r) ? PT_EXIT_OK : PT_EXIT_UNSUPPORTED;
	err = ctl->json ? print_json(r) : print_text(r);
	pt_readiness_free(r);
	if (err < 0) {
		pt_err("cannot print the report: %s", strerror(-err));
		return PT_EXIT_FAILURE;
	}
	return status;
}
