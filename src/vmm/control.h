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

struct pt_control_server;

struct pt_control_server_opts {
	const char *path;   /* socket path; its parent directories are created (0755) */
	const char *group;  /* group allowed besides root and the owner, or NULL */
	const struct pt_control_verb *verbs;
	void *ctx;          /* passed to the verbs, which run on the server thread */
};

/*
 * Binds (mode 0660, group-owned by opts->group), listens and starts the thread.
 * A stale socket left by a dead VMM is replaced; a live one is -EADDRINUSE.
 * -ENOENT for an unknown group. Errors are logged with the path.
 */
int pt_control_server_start(const struct pt_control_server_opts *opts,
			    struct pt_control_server **ret);

/* Stops the thread, closes every connection and removes the socket. NULL is fine. */
void pt_control_server_stop(struct pt_control_server *srv);

#endif
