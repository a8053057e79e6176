/*
 * The control protocol (passthru-vmm(8), CONTROL SOCKET): one JSON object per
 * line each way. A request {"execute": VERB, "arguments": {...}, "id": ANY}
 * gets {"return": ..., "id": ...} or {"error": {"class": C, "desc": D}, "id": ...}.
 * Pure logic: no sockets here, so it is tested without KVM.
 */
#ifndef PT_VMM_CONTROL_PROTO_H
#define PT_VMM_CONTROL_PROTO_H

#include <jansson.h>
#include <stddef.h>

#define PT_CONTROL_MAX_LINE (64 * 1024) /* bytes of one request, newline excluded */

/* Error classes. */
#define PT_CTL_ERR_PARSE "ParseError"          /* not JSON */
#define PT_CTL_ERR_BAD_REQUEST "BadRequest"    /* JSON, but not a request object */
#define PT_CTL_ERR_UNKNOWN "CommandNotFound"   /* no such verb */
#define PT_CTL_ERR_ARGUMENT "InvalidArgument"  /* the verb's arguments are wrong */
#define PT_CTL_ERR_TOO_LARGE "RequestTooLarge" /* a line over PT_CONTROL_MAX_LINE */
#define PT_CTL_ERR_DENIED "PermissionDenied"   /* SO_PEERCRED check failed */
#define PT_CTL_ERR_BUSY "Busy"                 /* too many clients */
#define PT_CTL_ERR_FAILED "Failed"             /* the verb ran and failed */

struct pt_control_error {
	const char *cls;
	char desc[256];
};

/*
 * File descriptors that came with a request (SCM_RIGHTS on the control socket, sent
 * with the request's line). A verb takes one by setting its slot to -1; whatever is
 * left is closed after the verb.
 */
#define PT_CONTROL_MAX_FDS 4
struct pt_control_fds {
	int fd[PT_CONTROL_MAX_FDS];
	unsigned n;
};

/*
 * A verb: returns 0 with *ret_return set (a new reference), or a negative errno
 * with err filled in. args is the "arguments" object (an empty one if absent).
 * A verb that takes file descriptors has fn_fds instead of fn; a request that
 * brings descriptors to any other verb is refused.
 */
struct pt_control_verb {
	const char *name;
	int (*fn)(void *ctx, json_t *args, json_t **ret_return, struct pt_control_error *err);
	const char *help;
	int (*fn_fds)(void *ctx, json_t *args, struct pt_control_fds *fds, json_t **ret_return,
		      struct pt_control_error *err);
};

/*
 * Handles one request line (without its newline) against a NULL-name-terminated
 * verb table. Returns the reply line, malloc'ed, without a newline: one valid JSON
 * object whatever the request's bytes. NULL only when out of memory.
 */
char *pt_control_handle_line(const struct pt_control_verb *verbs, void *ctx, const char *line,
			     size_t len);
/* The same with the descriptors that came with the line (fds may be NULL). */
char *pt_control_handle_line_fds(const struct pt_control_verb *verbs, void *ctx,
				 const char *line, size_t len, struct pt_control_fds *fds);

/*
 * An error reply line (malloc'ed, no newline); id may be NULL. Control bytes and bytes
 * that are not UTF-8 in desc are written as \xNN.
 */
char *pt_control_error_line(const char *cls, const char *desc, json_t *id);

#endif
