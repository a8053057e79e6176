#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "common/run_dir.h"
#include "config/vm_paths.h"

#ifndef LOCALSTATEDIR
#error "LOCALSTATEDIR must come from the build (AM_CPPFLAGS)"
#endif

static const char *dir_from_env(const char *var, const char *fallback)
{
	const char *v = getenv(var);

	return v && *v ? v : fallback;
}

const char *pt_log_dir(void)
{
	return dir_from_env("PASSTHRU_LOG_DIR", LOCALSTATEDIR "/log/passthru");
}

static char *path_in(const char *dir, const char *name, const char *suffix)
{
	char *p;

	return asprintf(&p, "%s/%s%s", dir, name, suffix) < 0 ? NULL : p;
}

char *pt_vm_pidfile_path(const char *name)
{
	return path_in(pt_run_dir(), name, ".pid");
}

char *pt_vm_log_path(const char *name)
{
	return path_in(pt_log_dir(), name, ".log");
}

char *pt_vm_console_log_path(const char *name)
{
	return path_in(pt_log_dir(), name, ".console.log");
}
