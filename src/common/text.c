#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "common/text.h"

/*
 * Length of the valid UTF-8 character at s (at most n bytes available), or 0 for a
 * byte that does not start one: no overlong forms, no surrogates, nothing past U+10FFFF.
 */
static size_t utf8_char_len(const unsigned char *s, size_t n)
{
	uint32_t cp;
	size_t len;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
	    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
		return 0;
	return len;
}

static bool is_control(unsigned char c)
{
	return c < 0x20 || c == 0x7f;
}

bool pt_text_clean(const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;

	for (size_t i = 0; i < len;) {
		size_t n = utf8_char_len(u + i, len - i);

		if (!n || (n == 1 && is_control(u[i])))
			return false;
		i += n;
	}
	return true;
}

char *pt_text_escape(const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	char *out, *o;

	if (len > (SIZE_MAX - 1) / 4)
		return NULL;
	out = malloc(4 * len + 1);
	if (!out)
		return NULL;
	o = out;
	for (size_t i = 0; i < len;) {
		size_t n = utf8_char_len(u + i, len - i);

		if (!n || (n == 1 && is_control(u[i]))) {
			o += sprintf(o, "\\x%02x", u[i]);
			i++;
			continue;
		}
		for (size_t k = 0; k < n; k++)
			*o++ = (char)u[i++];
	}
	*o = '\0';
	return out;
}
