/* BDF, size and number parsing: the rules every argument and config value goes through. */
#include "config.h"

#include <errno.h>
#include <stdint.h>

#include "common/bdf.h"
#include "common/parse.h"
#include "tap.h"

static void test_bdf(struct tap *t)
{
	static const struct { const char *in; int err; const char *canon; } cases[] = {
		{ "0000:03:00.0", 0, "0000:03:00.0" },
		{ "03:00.0", 0, "0000:03:00.0" },
		{ "ffff:ff:1f.7", 0, "ffff:ff:1f.7" },
		{ "0000:0A:1F.3", 0, "0000:0a:1f.3" },
		{ "0000:03:20.0", -EINVAL, NULL },   /* device > 31 */
		{ "0000:03:00.8", -EINVAL, NULL },   /* function > 7 */
		{ "0:3:0.0", -EINVAL, NULL },        /* short fields */
		{ "00000:03:00.0", -EINVAL, NULL },  /* overlong domain */
		{ "0000:03:00.0/", -EINVAL, NULL },  /* trailing junk */
		{ "../../../etc", -EINVAL, NULL },   /* path fragment */
		{ "0000:03:00.0 ", -EINVAL, NULL },
		{ "", -EINVAL, NULL },
		{ "0000-03-00.0", -EINVAL, NULL },
		{ "0000:g3:00.0", -EINVAL, NULL },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pt_bdf bdf;
		char buf[PT_BDF_STRLEN];
		const char *why = NULL;
		int r = pt_bdf_parse(cases[i].in, &bdf, &why);

		tap_is_int(t, r, cases[i].err, "bdf parse \"%s\"", cases[i].in);
		if (!r)
			tap_is_str(t, pt_bdf_format(&bdf, buf), cases[i].canon, "bdf canonical form of \"%s\"", cases[i].in);
		else
			tap_ok(t, why && *why, "bdf error for \"%s\" says why: %s", cases[i].in, why ? why : "");
	}
	tap_ok(t, pt_bdf_is_canonical("0000:03:00.0"), "canonical accepted");
	tap_ok(t, !pt_bdf_is_canonical("03:00.0"), "short form is not canonical");
	tap_ok(t, !pt_bdf_is_canonical("0000:0A:00.0"), "upper case is not canonical");
}

static void test_size(struct tap *t)
{
	static const struct { const char *in; int err; uint64_t bytes; } cases[] = {
		{ "512M", 0, 512ULL << 20 }, { "2G", 0, 2ULL << 30 }, { "64K", 0, 64ULL << 10 },
		{ "1T", 0, 1ULL << 40 }, { "2GiB", 0, 2ULL << 30 }, { "0M", 0, 0 },
		{ "512", -EINVAL, 0 }, { "512m", -EINVAL, 0 }, { "M", -EINVAL, 0 },
		{ "-1G", -EINVAL, 0 }, { "1.5G", -EINVAL, 0 }, { "99999999999999999999G", -ERANGE, 0 },
		{ "17179869184G", -ERANGE, 0 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint64_t v = 0;
		int r = pt_parse_size(cases[i].in, &v);

		tap_is_int(t, r, cases[i].err, "size \"%s\" status", cases[i].in);
		if (!r)
			tap_is_int(t, (long long)v, (long long)cases[i].bytes, "size \"%s\" value", cases[i].in);
	}
}

static void test_u64(struct tap *t)
{
	uint64_t v;

	tap_is_int(t, pt_parse_u64("4", 1, 8, &v), 0, "u64 in range");
	tap_is_int(t, (long long)v, 4, "u64 value");
	tap_is_int(t, pt_parse_u64("0x10", 0, 255, &v), 0, "u64 hex");
	tap_is_int(t, (long long)v, 16, "u64 hex value");
	tap_is_int(t, pt_parse_u64("9", 1, 8, &v), -ERANGE, "u64 above max");
	tap_is_int(t, pt_parse_u64("-1", 0, 8, &v), -EINVAL, "u64 negative");
	tap_is_int(t, pt_parse_u64("4x", 0, 8, &v), -EINVAL, "u64 trailing junk");
	tap_is_int(t, pt_parse_u64(" 4", 0, 8, &v), -EINVAL, "u64 leading space");
}

int main(void)
{
	struct tap t = { 0 };

	test_bdf(&t);
	test_size(&t);
	test_u64(&t);
	return tap_done(&t);
}
