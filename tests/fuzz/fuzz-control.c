/*
 * libFuzzer target: bytes on a VMM's control socket. The input is split into lines as
 * the server splits them; every non-empty line gets exactly one reply: a single line
 * of valid JSON, an object with either "return" or an "error" whose class and
 * description are strings.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vmm/control_proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int verb_echo(void *ctx, json_t *args, json_t **ret, struct pt_control_error *err)
{
	*ret = json_pack("{s:O}", "args", args);
	return *ret ? 0 : -ENOMEM;
}

/* Fails with a description cut from its argument: may end inside a UTF-8 character. */
static int verb_fail(void *ctx, json_t *args, json_t **ret, struct pt_control_error *err)
{
	const char *d = json_string_value(json_object_get(args, "desc"));

	err->cls = PT_CTL_ERR_ARGUMENT;
	snprintf(err->desc, sizeof(err->desc), "bad: %.7s", d ? d : "");
	return -EINVAL;
}

static const struct pt_control_verb verbs[] = {
	{ "echo", verb_echo, "echo" },
	{ "fail", verb_fail, "fail" },
	{ NULL, NULL, NULL },
};

static void check(int ok, const char *what, const char *reply)
{
	if (!ok) {
		fprintf(stderr, "fuzz-control: invariant broken: %s (reply: %s)\n", what,
			reply ? reply : "(none)");
		abort();
	}
}

static void one_line(const char *line, size_t len)
{
	char *reply = pt_control_handle_line(verbs, NULL, line, len);
	json_error_t jerr;
	json_t *j, *e;

	check(reply != NULL, "a reply", reply);
	check(!strchr(reply, '\n'), "one line", reply);
	j = json_loads(reply, 0, &jerr);
	check(json_is_object(j), "a JSON object", reply);
	e = json_object_get(j, "error");
	check(!json_object_get(j, "return") != !e, "return or error, not both", reply);
	if (e)
		check(json_is_string(json_object_get(e, "class")) &&
		      json_is_string(json_object_get(e, "desc")), "an error's class and desc", reply);
	json_decref(j);
	free(reply);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = (size_t)((nl ? nl : end) - p);

		if (len && p[len - 1] == '\r')
			len--;
		if (len)
			one_line(p, len);
		p = nl ? nl + 1 : end;
	}
	return 0;
}
