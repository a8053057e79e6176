/* Telling jansson's out-of-memory from bad JSON (host/json_oom.h). */
#include "config.h"

#include <jansson.h>
#include <stdlib.h>

#include "host/json_oom.h"

static __thread bool failed;

static void *counting_malloc(size_t size)
{
	void *p = malloc(size);

	if (!p)
		failed = true;
	return p;
}

void pt_json_oom_begin(void)
{
	static bool installed;

	/* Blocks jansson allocated before are freed by the same free(). */
	if (!installed) {
		json_set_alloc_funcs(counting_malloc, free);
		installed = true;
	}
	failed = false;
}

bool pt_json_oom(void)
{
	return failed;
}
