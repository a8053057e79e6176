#include "config.h"

#include <stdlib.h>

#include "common/run_dir.h"

#ifndef RUNSTATEDIR
#error "RUNSTATEDIR must come from the build (AM_CPPFLAGS)"
#endif

const char *pt_run_dir(void)
{
	const char *v = getenv("PASSTHRU_RUN_DIR");

	return v && *v ? v : RUNSTATEDIR "/passthru";
}
