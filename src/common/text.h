/* Text from outside (config values, JSON strings) made safe to print or to put in JSON. */
#ifndef PT_COMMON_TEXT_H
#define PT_COMMON_TEXT_H

#include <stdbool.h>
#include <stddef.h>

/*
 * A malloc'ed copy of the first len bytes of s that is valid UTF-8 with no control
 * bytes: a control byte (below 0x20, and 0x7f) and a byte that is not part of a
 * valid UTF-8 sequence become the four characters \xNN. Valid multi-byte characters
 * are kept. NULL when out of memory.
 */
char *pt_text_escape(const char *s, size_t len);

/* True if s is valid UTF-8 with no control bytes (what pt_text_escape leaves alone). */
bool pt_text_clean(const char *s, size_t len);

#endif
