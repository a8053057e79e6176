/* PCI addresses (domain:bus:device.function) as admins type them and sysfs names them. */
#ifndef PT_COMMON_BDF_H
#define PT_COMMON_BDF_H

#include <stdbool.h>
#include <stdint.h>

struct pt_bdf {
	uint16_t domain;
	uint8_t bus;
	uint8_t dev;  /* 0-31 */
	uint8_t func; /* 0-7 */
};

/* "0000:03:00.0" plus NUL */
#define PT_BDF_STRLEN 13

/*
 * Parse a command-line BDF: "DDDD:BB:DD.F" or "BB:DD.F" (domain 0), hex digits of
 * either case, each field exactly its width. Returns 0 or -EINVAL; on error *why
 * (if given) points to a static phrase saying what is wrong.
 */
int pt_bdf_parse(const char *s, struct pt_bdf *ret, const char **why);

/* True if s is exactly the canonical form pt_bdf_format() writes. */
bool pt_bdf_is_canonical(const char *s);

/* Writes the canonical "dddd:bb:dd.f" into buf (PT_BDF_STRLEN bytes); returns buf. */
char *pt_bdf_format(const struct pt_bdf *bdf, char buf[PT_BDF_STRLEN]);

bool pt_bdf_equal(const struct pt_bdf *a, const struct pt_bdf *b);

#endif
