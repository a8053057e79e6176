/* Strict number and size parsing: the whole string or an error, never a silent 0. */
#ifndef PT_COMMON_PARSE_H
#define PT_COMMON_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * A decimal unsigned integer in [min, max]: digits only ("010" is ten; "0x10", "+1"
 * and " 1" are -EINVAL). -EINVAL or -ERANGE.
 */
int pt_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *ret);

/*
 * A size with a binary unit: "512M", "2G", "64K", "1T", "2GiB", "512MiB".
 * The unit is required (a bare number is ambiguous). Returns bytes; -EINVAL for
 * a malformed size or unknown unit, -ERANGE on overflow.
 */
int pt_parse_size(const char *s, uint64_t *ret);

/*
 * The inverse of pt_parse_size, exact: the largest binary unit that divides the size
 * ("1G", "512M", "1536M"), or plain bytes.
 */
void pt_format_size(uint64_t bytes, char *buf, size_t size);

/* "yes"/"no"/"true"/"false"/"on"/"off"/"1"/"0". -EINVAL otherwise. */
int pt_parse_bool(const char *s, bool *ret);

#endif
