#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"

/*
 * The threshold comes from the environment (PASSTHRU_LOG=err|warn|info|debug) so that
 * the logger keeps no mutable state of its own; the default shows warnings and errors.
 */
static enum pt_log_level log_threshold(void)
{
	const char *v = getenv("PASSTHRU_LOG");

	if (!v)
		return PT_LOG_WARN;
	if (!strcmp(v, "debug"))
		return PT_LOG_DEBUG;
	if (!strcmp(v, "info"))
		return PT_LOG_INFO;
	if (!strcmp(v, "err"))
		return PT_LOG_ERR;
	return PT_LOG_WARN;
}

void pt_logv(enum pt_log_level level, const char *fmt, va_list ap)
{
	static const char *const prefix[] = {
		[PT_LOG_ERR] = "", [PT_LOG_WARN] = "warning: ",
		[PT_LOG_INFO] = "", [PT_LOG_DEBUG] = "debug: ",
	};
	int saved = errno;

	if (level > log_threshold())
		return;
	fprintf(stderr, "%s: %s", program_invocation_short_name, prefix[level]);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	errno = saved;
}

void pt_log(enum pt_log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	pt_logv(level, fmt, ap);
	va_end(ap);
}
