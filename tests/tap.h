/*
 * A minimal TAP producer for the C tests (automake's tap-driver.sh reads it).
 * Header-only; each test program is its own process, so the counters are the
 * program's own.
 */
#ifndef PT_TESTS_TAP_H
#define PT_TESTS_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct tap {
	int planned, run, failed;
};

static inline void tap_plan(struct tap *t, int n)
{
	t->planned = n;
	printf("1..%d\n", n);
	fflush(stdout);
}

/* Nothing can run here: one plan line with the reason, exit 0 (harness: SKIP). */
static inline __attribute__((noreturn, format(printf, 1, 2))) void tap_skip_all(const char *fmt, ...)
{
	va_list ap;

	printf("1..0 # SKIP ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	exit(0);
}

static inline __attribute__((format(printf, 3, 4))) int tap_ok(struct tap *t, int cond, const char *fmt, ...)
{
	va_list ap;

	t->run++;
	if (!cond)
		t->failed++;
	printf("%sok %d - ", cond ? "" : "not ", t->run);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	return cond;
}

static inline __attribute__((format(printf, 2, 3))) void tap_skip(struct tap *t, const char *fmt, ...)
{
	va_list ap;

	t->run++;
	printf("ok %d # SKIP ", t->run);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

static inline __attribute__((format(printf, 1, 2))) void tap_diag(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

#define tap_is_int(t, got, want, ...) ({ \
	long long _g = (got), _w = (want); \
	if (!tap_ok(t, _g == _w, __VA_ARGS__)) tap_diag("  got %lld, want %lld", _g, _w); })

#define tap_is_str(t, got, want, ...) ({ \
	const char *_g = (got), *_w = (want); \
	int _eq = (_g && _w) ? !strcmp(_g, _w) : _g == _w; \
	if (!tap_ok(t, _eq, __VA_ARGS__)) tap_diag("  got \"%s\", want \"%s\"", _g ? _g : "(null)", _w ? _w : "(null)"); })

/* No plan given up front: print it now. Returns the exit status. */
static inline int tap_done(struct tap *t)
{
	if (!t->planned)
		printf("1..%d\n", t->run);
	return t->failed ? 1 : 0;
}

#endif
