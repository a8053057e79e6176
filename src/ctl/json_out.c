#include "config.h"

#include <errno.h>
#include <stdio.h>

#include "ctl/json_out.h"

int pt_json_print(json_t *root)
{
	int r;

	if (!root)
		return -ENOMEM;
	r = json_dumpf(root, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(root);
	if (r < 0 || fputc('\n', stdout) == EOF)
		return -EIO;
	return 0;
}

json_t *pt_json_string_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}
