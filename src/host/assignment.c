#include "config.h"

#include <errno.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "host/assignment.h"
#include "host/state_paths.h"
#include "host/sysroot.h"

int pt_assignment_path(const char *sysroot, const char *bdf_name, char **ret)
{
	return pt_host_path(sysroot, ret, "%s/%s%s", PT_DEVICE_STATE_DIR, bdf_name,
			    PT_DEVICE_STATE_SUFFIX);
}

int pt_assignment_read(const char *path, char **ret_vm, const char **ret_why)
{
	_cleanup_free_ char *text = NULL;
	json_error_t jerr;
	json_t *root, *vm;
	char *name;
	int r;

	r = pt_read_text(path, &text);
	if (r < 0)
		return r;
	root = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
	if (!root) {
		*ret_why = "not valid JSON";
		return -EBADMSG;
	}
	vm = json_object_get(root, "vm");
	if (!json_is_string(vm) || !*json_string_value(vm)) {
		json_decref(root);
		*ret_why = "it has no \"vm\" string";
		return -EBADMSG;
	}
	name = strdup(json_string_value(vm));
	json_decref(root);
	if (!name)
		return -ENOMEM;
	*ret_vm = name;
	return 0;
}
