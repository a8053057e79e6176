/* One log line, at the place that knows why, prefixed with the program name. */
#ifndef PT_COMMON_LOG_H
#define PT_COMMON_LOG_H

#include <stdarg.h>

enum pt_log_level { PT_LOG_ERR, PT_LOG_WARN, PT_LOG_INFO, PT_LOG_DEBUG };

void pt_logv(enum pt_log_level level, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));
void pt_log(enum pt_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define pt_err(...) pt_log(PT_LOG_ERR, __VA_ARGS__)
#define pt_warn(...) pt_log(PT_LOG_WARN, __VA_ARGS__)
#define pt_info(...) pt_log(PT_LOG_INFO, __VA_ARGS__)
#define pt_debug(...) pt_log(PT_LOG_DEBUG, __VA_ARGS__)

#endif
