#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/bdf.h"

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Reads exactly `width` hex digits from *s and advances it. */
static int hex_field(const char **s, int width, unsigned *ret)
{
	unsigned v = 0;

	for (int i = 0; i < width; i++) {
		int d = hex_digit((*s)[i]);

		if (d < 0)
			return -EINVAL;
		v = v * 16 + (unsigned)d;
	}
	*s += width;
	*ret = v;
	return 0;
}

int pt_bdf_parse(const char *s, struct pt_bdf *ret, const char **why)
{
	const char *dummy;
	unsigned domain = 0, bus, dev, func;
	size_t len;

	if (!why)
		why = &dummy;
	if (!s || !*s) {
		*why = "empty PCI address";
		return -EINVAL;
	}
	len = strlen(s);
	if (len == 12) {
		if (hex_field(&s, 4, &domain) < 0 || *s++ != ':')
			goto malformed;
	} else if (len != 7) {
		goto malformed;
	}
	if (hex_field(&s, 2, &bus) < 0 || *s++ != ':' ||
	    hex_field(&s, 2, &dev) < 0 || *s++ != '.' ||
	    hex_field(&s, 1, &func) < 0 || *s)
		goto malformed;
	if (dev > 0x1f) {
		*why = "device number out of range (00-1f)";
		return -EINVAL;
	}
	if (func > 7) {
		*why = "function number out of range (0-7)";
		return -EINVAL;
	}
	ret->domain = (uint16_t)domain;
	ret->bus = (uint8_t)bus;
	ret->dev = (uint8_t)dev;
	ret->func = (uint8_t)func;
	return 0;

malformed:
	*why = "not a PCI address: expected DDDD:BB:DD.F or BB:DD.F in hex, e.g. 0000:03:00.0";
	return -EINVAL;
}

char *pt_bdf_format(const struct pt_bdf *bdf, char buf[PT_BDF_STRLEN])
{
	snprintf(buf, PT_BDF_STRLEN, "%04x:%02x:%02x.%x",
		 (unsigned)bdf->domain, (unsigned)bdf->bus,
		 (unsigned)(bdf->dev & 0x1f), (unsigned)(bdf->func & 7));
	return buf;
}

bool pt_bdf_is_canonical(const char *s)
{
	struct pt_bdf bdf;
	char buf[PT_BDF_STRLEN];

	if (pt_bdf_parse(s, &bdf, NULL) < 0)
		return false;
	return !strcmp(s, pt_bdf_format(&bdf, buf));
}

bool pt_bdf_equal(const struct pt_bdf *a, const struct pt_bdf *b)
{
	return a->domain == b->domain && a->bus == b->bus &&
	       a->dev == b->dev && a->func == b->func;
}
