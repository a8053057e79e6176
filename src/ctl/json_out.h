/* JSON output: one document on stdout, keys in the order they were added. */
#ifndef PT_CTL_JSON_OUT_H
#define PT_CTL_JSON_OUT_H

#include <jansson.h>

/* Prints root (and a newline) to stdout and drops the reference. 0 or -EIO/-ENOMEM. */
int pt_json_print(json_t *root);

/* json_string(s), or JSON null for a NULL s. */
json_t *pt_json_string_or_null(const char *s);

#endif
