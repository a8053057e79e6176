#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/text.h"
#include "vmm/control_proto.h"

static char *dump(json_t *reply)
{
	char *s = json_dumps(reply, JSON_COMPACT | JSON_ENSURE_ASCII);

	json_decref(reply);
	return s;
}

char *pt_control_error_line(const char *cls, const char *desc, json_t *id)
{
	/*
	 * jansson refuses a string that is not UTF-8, and a description may quote the
	 * request (a cut multi-byte character): escape such bytes rather than lose the reply.
	 */
	char *clean = pt_text_escape(desc, strlen(desc));
	json_t *reply;

	if (!clean)
		return NULL;
	reply = json_pack("{s:{s:s,s:s}}", "error", "class", cls, "desc", clean);
	free(clean);
	if (!reply)
		return NULL;
	if (id)
		json_object_set(reply, "id", id);
	return dump(reply);
}

char *pt_control_handle_line(const struct pt_control_verb *verbs, void *ctx, const char *line,
			     size_t len)
{
	return pt_control_handle_line_fds(verbs, ctx, line, len, NULL);
}

char *pt_control_handle_line_fds(const struct pt_control_verb *verbs, void *ctx,
				 const char *line, size_t len, struct pt_control_fds *fds)
{
	json_error_t jerr;
	json_t *req, *id, *exec, *args, *ret = NULL;
	struct pt_control_error err = { 0 };
	const char *verb;
	char desc[300];
	char *out;
	int r;

	if (len > PT_CONTROL_MAX_LINE)
		return pt_control_error_line(PT_CTL_ERR_TOO_LARGE,
					     "request longer than 65536 bytes", NULL);
	req = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!req) {
		snprintf(desc, sizeof(desc), "invalid JSON at column %d: %s", jerr.column, jerr.text);
		return pt_control_error_line(PT_CTL_ERR_PARSE, desc, NULL);
	}
	if (!json_is_object(req)) {
		json_decref(req);
		return pt_control_error_line(PT_CTL_ERR_BAD_REQUEST,
					     "a request is a JSON object: {\"execute\": VERB}", NULL);
	}
	id = json_object_get(req, "id");
	exec = json_object_get(req, "execute");
	args = json_object_get(req, "arguments");
	if (!json_is_string(exec)) {
		out = pt_control_error_line(PT_CTL_ERR_BAD_REQUEST,
					    "\"execute\" is missing or not a string", id);
		goto done;
	}
	if (args && !json_is_object(args)) {
		out = pt_control_error_line(PT_CTL_ERR_BAD_REQUEST,
					    "\"arguments\" must be an object", id);
		goto done;
	}
	{
		const char *key;
		json_t *v;

		json_object_foreach(req, key, v) {
			if (strcmp(key, "execute") && strcmp(key, "arguments") && strcmp(key, "id")) {
				snprintf(desc, sizeof(desc), "unknown member \"%.64s\" (valid: execute, "
					 "arguments, id)", key);
				out = pt_control_error_line(PT_CTL_ERR_BAD_REQUEST, desc, id);
				goto done;
			}
		}
	}
	verb = json_string_value(exec);
	for (; verbs->name; verbs++)
		if (!strcmp(verbs->name, verb))
			break;
	if (!verbs->name) {
		snprintf(desc, sizeof(desc), "unknown command \"%.64s\"", verb);
		out = pt_control_error_line(PT_CTL_ERR_UNKNOWN, desc, id);
		goto done;
	}
	if (!verbs->fn_fds && fds && fds->n) {
		snprintf(desc, sizeof(desc), "\"%.64s\" takes no file descriptors, and %u came "
			 "with the request", verb, fds->n);
		out = pt_control_error_line(PT_CTL_ERR_ARGUMENT, desc, id);
		goto done;
	}
	{
		json_t *empty = args ? NULL : json_object();
		struct pt_control_fds none = { .n = 0 };

		if (verbs->fn_fds)
			r = verbs->fn_fds(ctx, args ? args : empty, fds ? fds : &none, &ret, &err);
		else
			r = verbs->fn(ctx, args ? args : empty, &ret, &err);
		json_decref(empty);
	}
	if (r < 0) {
		out = pt_control_error_line(err.cls ? err.cls : PT_CTL_ERR_FAILED,
					    err.desc[0] ? err.desc : strerror(-r), id);
		goto done;
	}
	{
		json_t *reply = json_object();

		if (!reply) {
			json_decref(ret);
			out = NULL; /* out of memory: the server sends its fixed reply */
			json_decref(req);
			return NULL;
		}
		json_object_set_new(reply, "return", ret ? ret : json_object());
		if (id)
			json_object_set(reply, "id", id);
		out = dump(reply);
	}
done:
	if (!out) /* a verb's answer jansson could not encode: still one reply */
		out = pt_control_error_line(PT_CTL_ERR_FAILED, "the reply could not be encoded", id);
	json_decref(req);
	return out;
}
