/* passthru-ctl validate FILE...: check VM definitions without using them. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/exit_status.h"
#include "common/log.h"
#include "config/rom_file.h"
#include "config/vm_def.h"
#include "ctl/ctl.h"
#include "ctl/json_out.h"

static json_t *errors_json(const struct pt_config_errors *errs)
{
	json_t *arr = json_array();

	for (size_t i = 0; arr && i < errs->n; i++) {
		json_t *o = json_object();

		if (!o || json_object_set_new(o, "file", json_string(errs->items[i].file)) ||
		    json_object_set_new(o, "line", json_integer(errs->items[i].line)) ||
		    json_object_set_new(o, "message", json_string(errs->items[i].message)) ||
		    json_array_append_new(arr, o)) {
			json_decref(o);
			json_decref(arr);
			return NULL;
		}
	}
	return arr;
}

int pt_cmd_validate(struct pt_ctl *ctl, int argc, char **argv)
{
	json_t *root = NULL, *files = NULL;
	int first, status = PT_EXIT_OK;

	first = pt_ctl_parse_options(ctl, argc, argv, false);
	if (first <= 0)
		return -first;
	if (first >= argc) {
		pt_err("validate needs at least one FILE (a VM definition, see passthru.ini(5))");
		return PT_EXIT_USAGE;
	}
	if (ctl->json) {
		root = json_object();
		files = json_array();
		if (!root || !files || json_object_set_new(root, "files", files)) {
			json_decref(root);
			return PT_EXIT_FAILURE;
		}
	}

	for (int i = first; i < argc; i++) {
		struct pt_config_errors errs = { 0 };
		struct pt_vm_def *def = NULL;
		json_t *o;
		int r = pt_vm_def_load(argv[i], &def, &errs);

		/* The ROM image is read when the VM starts: an unusable one is said here too. */
		if (r == 0) {
			r = pt_vm_def_check_rom_files(def, &errs);
			if (r < 0) {
				pt_vm_def_free(def);
				def = NULL;
			}
		}
		if (r == -ENOMEM) {
			pt_err("out of memory");
			pt_config_errors_clear(&errs);
			json_decref(root);
			return PT_EXIT_FAILURE;
		}
		if (r < 0)
			status = PT_EXIT_USAGE;
		if (!ctl->json) {
			if (r == 0)
				printf("%s: ok\n", argv[i]);
			else
				pt_config_errors_print(&errs, stdout);
		} else {
			o = json_object();
			if (!o || json_array_append_new(files, o) ||
			    json_object_set_new(o, "file", json_string(argv[i])) ||
			    json_object_set_new(o, "valid", json_boolean(r == 0)) ||
			    json_object_set_new(o, "name",
						pt_json_string_or_null(r == 0 ? def->name : NULL)) ||
			    json_object_set_new(o, "errors", errors_json(&errs))) {
				pt_vm_def_free(def);
				pt_config_errors_clear(&errs);
				json_decref(root);
				return PT_EXIT_FAILURE;
			}
		}
		pt_config_errors_clear(&errs);
		pt_vm_def_free(def);
	}
	if (ctl->json && pt_json_print(root) < 0) {
		pt_err("cannot print the report");
		return PT_EXIT_FAILURE;
	}
	return status;
}
