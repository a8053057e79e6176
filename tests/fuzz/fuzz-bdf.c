/*
 * libFuzzer target: PCI addresses as typed. A parsed address formats to the canonical
 * form, which parses back to the same address; a canonical string parses and formats
 * to itself; a refusal always says why.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/bdf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok, const char *what, const char *input)
{
	if (!ok) {
		fprintf(stderr, "fuzz-bdf: invariant broken for \"%s\": %s\n", input, what);
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), canon[PT_BDF_STRLEN];
	struct pt_bdf bdf, again;
	const char *why = NULL;

	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	if (pt_bdf_parse(s, &bdf, &why) == 0) {
		check(bdf.dev < 32 && bdf.func < 8, "fields in range", s);
		pt_bdf_format(&bdf, canon);
		check(pt_bdf_is_canonical(canon), "the formatted form is canonical", s);
		check(pt_bdf_parse(canon, &again, NULL) == 0 && pt_bdf_equal(&bdf, &again),
		      "the canonical form parses back to the same address", s);
		if (pt_bdf_is_canonical(s))
			check(!strcmp(s, canon), "a canonical input formats to itself", s);
	} else {
		check(why && *why, "a refusal says why", s);
		check(!pt_bdf_is_canonical(s), "a canonical string is never refused", s);
	}
	free(s);
	return 0;
}
