/*
 * The client side of a VMM's control socket (passthru-vmm(8), CONTROL SOCKET): one
 * request line out, one reply line back.
 */
#ifndef PT_CTL_CONTROL_CLIENT_H
#define PT_CTL_CONTROL_CLIENT_H

#include <jansson.h>

#define PT_CTL_REPLY_TIMEOUT_MS 5000
#define PT_CTL_CONNECT_TIMEOUT_MS 5000

/*
 * Connects to the socket at path within timeout_ms. -ENOENT (no socket: the VMM
 * does not run), -ECONNREFUSED (a socket nobody serves: left by a VMM that died),
 * -ETIMEDOUT (its listen backlog stayed full: a VMM that does not accept), -EACCES,
 * ... The fd is non-blocking. Nothing is printed: the caller knows the VM's name.
 */
int pt_ctl_connect_timeout(const char *path, int timeout_ms);

/* The same within PT_CTL_CONNECT_TIMEOUT_MS. */
int pt_ctl_connect(const char *path);

/*
 * Sends {"execute": verb, "arguments": args} (args may be NULL; a reference is not
 * taken) and waits for the reply: timeout_ms bounds the whole call. On success *ret_return is the
 * "return" value (a new reference). An "error" reply is -EREMOTEIO with its class
 * and description in err_buf; other failures are -errno (-ETIMEDOUT, -EPROTO for a
 * reply that is not the protocol's, -ECONNRESET when the VMM closed the socket).
 */
int pt_ctl_call(int fd, const char *verb, json_t *args, int timeout_ms, json_t **ret_return,
		char *err_buf, size_t err_size);

/* At most this many descriptors go with one request (the VMM keeps as many). */
#define PT_CTL_MAX_FDS 4

/*
 * pt_ctl_call with n_fds descriptors sent along (SCM_RIGHTS, attached to the request's
 * first byte), for verbs that take them (device-add: the device's VFIO group). The
 * descriptors stay the caller's to close. -E2BIG past PT_CTL_MAX_FDS.
 */
int pt_ctl_call_fds(int fd, const char *verb, json_t *args, const int *fds, unsigned n_fds,
		    int timeout_ms, json_t **ret_return, char *err_buf, size_t err_size);

/* Connects, calls, closes: a one-shot request; timeout_ms bounds each of the two steps. */
int pt_ctl_request(const char *path, const char *verb, json_t *args, int timeout_ms,
		   json_t **ret_return, char *err_buf, size_t err_size);

#endif
