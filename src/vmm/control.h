/*
 * The control socket server: a unix stream socket served by one thread with
 * poll(2). Requests are lines handled by control_proto.c against a verb table;
 * only root, the server's own user, or members of a configured group may talk
 * to it (SO_PEERCRED). Independent of the VM, so it is tested without KVM.
 */
#ifndef PT_VMM_CONTROL_H
#define PT_VMM_CONTROL_H

#include "vmm/control_proto.h"

#define PT_CONTROL_MAX_CLIENTS 16
#define PT_CONTROL_ROOT_SLOTS 1         /* of those, kept for root: its stop gets through */
#define PT_CONTROL_IDLE_MS (10 * 1000)  /* a client silent (or not reading) this long is dropped */

struct pt_control_server;

struct pt_control_server_opts {
	const char *path;   /* socket path; its parent directories are created (0755) */
	const char *group;  /* group allowed besides root and the owner, or NULL */
	const struct pt_control_verb *verbs;
	void *ctx;          /* passed to the verbs, which run on the server thread */
	int idle_ms;        /* drop a client idle this long; 0: PT_CONTROL_IDLE_MS */
};

/*
 * Binds (mode 0660, group-owned by opts->group), listens and starts the thread.
 * A stale socket left by a dead VMM is replaced; a live one is -EADDRINUSE.
 * -ENOENT for an unknown group. Errors are logged with the path.
 * At most PT_CONTROL_MAX_CLIENTS clients at once, the last PT_CONTROL_ROOT_SLOTS of them
 * for uid 0 only; a client with nothing to say (no request, no reply pending) for
 * idle_ms is hung up. Each request line gets exactly one reply line.
 */
int pt_control_server_start(const struct pt_control_server_opts *opts,
			    struct pt_control_server **ret);

/* Stops the thread, closes every connection and removes the socket. NULL is fine. */
void pt_control_server_stop(struct pt_control_server *srv);

#endif
