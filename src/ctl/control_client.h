/*
 * The client side of a VMM's control socket (passthru-vmm(8), CONTROL SOCKET): one
 * request line out, one reply line back.
 */
#ifndef PT_CTL_CONTROL_CLIENT_H
#define PT_CTL_CONTROL_CLIENT_H

#include <jansson.h>

#define PT_CTL_REPLY_TIMEOUT_MS 5000

/*
 * Connects to the socket at path. -ENOENT (no socket: the VMM does not run),
 * -ECONNREFUSED (a socket nobody serves: left by a VMM that died), -EACCES, ...
 * Nothing is printed: the caller knows what the VM is called.
 */
int pt_ctl_connect(const char *path);

/*
 * Sends {"execute": verb, "arguments": args} (args may be NULL; a reference is not
 * taken) and waits up to timeout_ms for the reply. On success *ret_return is the
 * "return" value (a new reference). An "error" reply is -EREMOTEIO with its class
 * and description in err_buf; other failures are -errno (-ETIMEDOUT, -EPROTO for a
 * reply that is not the protocol's, -ECONNRESET when the VMM closed the socket).
 */
int pt_ctl_call(int fd, const char *verb, json_t *args, int timeout_ms, json_t **ret_return,
		char *err_buf, size_t err_size);

/* Connects, calls, closes: a one-shot request. */
int pt_ctl_request(const char *path, const char *verb, json_t *args, int timeout_ms,
		   json_t **ret_return, char *err_buf, size_t err_size);

#endif
