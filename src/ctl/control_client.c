#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/clock.h"
#include "ctl/control_client.h"

#define REPLY_MAX (1024 * 1024) /* a routes table of a few thousand entries fits */

#define RETRY_MS 20 /* between connect attempts while the listen backlog is full */

/* Waits until fd is ready for events or the deadline passes. 0, -ETIMEDOUT or -errno. */
static int wait_fd(int fd, short events, long long deadline)
{
	for (;;) {
		long long left = deadline - pt_monotonic_ms();
		struct pollfd p = { .fd = fd, .events = events };
		int n;

		if (left <= 0)
			return -ETIMEDOUT;
		n = poll(&p, 1, (int)left);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n > 0)
			return 0;
	}
}

/*
 * A non-blocking connect, bounded: a Unix socket whose backlog is full (a VMM that
 * stopped accepting) answers EAGAIN, not EINPROGRESS, so that is tried again until
 * the deadline; a blocking connect waited forever.
 */
static int connect_until(int fd, const struct sockaddr_un *sa, long long deadline)
{
	int err = 0;
	socklen_t len = sizeof(err);

	for (;;) {
		if (connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) == 0)
			return 0;
		if (errno == EINTR)
			continue;
		if (errno == EINPROGRESS)
			break;
		if (errno != EAGAIN)
			return -errno;
		if (pt_monotonic_ms() + RETRY_MS >= deadline)
			return -ETIMEDOUT;
		usleep(RETRY_MS * 1000);
	}
	err = wait_fd(fd, POLLOUT, deadline);
	if (err < 0)
		return err;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		return -errno;
	return -err;
}

/*
 * Fills sa for path. A path longer than sun_path (a run directory deep in a build
 * tree, as under make distcheck) is reached through its directory's O_PATH fd,
 * /proc/self/fd/N/NAME, kept open in *ret_dir_fd until the connect is done.
 */
static int socket_address(const char *path, struct sockaddr_un *sa, int *ret_dir_fd)
{
	_cleanup_free_ char *dir = NULL;
	const char *name = strrchr(path, '/');
	int n;

	*ret_dir_fd = -1;
	if (strlen(path) < sizeof(sa->sun_path)) {
		memcpy(sa->sun_path, path, strlen(path) + 1);
		return 0;
	}
	if (!name || name == path)
		return -ENAMETOOLONG;
	dir = strndup(path, (size_t)(name - path));
	if (!dir)
		return -ENOMEM;
	*ret_dir_fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (*ret_dir_fd < 0)
		return -errno;
	n = snprintf(sa->sun_path, sizeof(sa->sun_path), "/proc/self/fd/%d%s", *ret_dir_fd, name);
	if (n < 0 || (size_t)n >= sizeof(sa->sun_path)) {
		close(*ret_dir_fd);
		*ret_dir_fd = -1;
		return -ENAMETOOLONG;
	}
	return 0;
}

int pt_ctl_connect_timeout(const char *path, int timeout_ms)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	_cleanup_close_ int dir_fd = -1;
	int fd, r;

	r = socket_address(path, &sa, &dir_fd);
	if (r < 0)
		return r;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	r = connect_until(fd, &sa, pt_monotonic_ms() + timeout_ms);
	if (r < 0) {
		close(fd);
		return r;
	}
	return fd;
}

int pt_ctl_connect(const char *path)
{
	return pt_ctl_connect_timeout(path, PT_CTL_CONNECT_TIMEOUT_MS);
}

/* Sends all of buf by the deadline (the socket is non-blocking). */
static int send_all(int fd, const char *buf, size_t len, long long deadline)
{
	while (len) {
		ssize_t w = send(fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN) {
			int r = wait_fd(fd, POLLOUT, deadline);

			if (r < 0)
				return r;
			continue;
		}
		if (w < 0)
			return errno == EPIPE ? -ECONNRESET : -errno;
		buf += w;
		len -= (size_t)w;
	}
	return 0;
}

/*
 * Sends buf with fds attached to its first byte (SCM_RIGHTS), then the rest of it.
 * The descriptors stay the caller's: the kernel gives the peer its own copies.
 */
static int send_with_fds(int fd, const char *buf, size_t len, const int *fds, unsigned n_fds,
			 long long deadline)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * PT_CTL_MAX_FDS)];
		struct cmsghdr align;
	} control;
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *h;
	ssize_t w;

	if (!n_fds)
		return send_all(fd, buf, len, deadline);
	if (n_fds > PT_CTL_MAX_FDS)
		return -E2BIG;
	memset(&control, 0, sizeof(control));
	msg.msg_control = control.buf;
	msg.msg_controllen = CMSG_SPACE(sizeof(int) * n_fds);
	h = CMSG_FIRSTHDR(&msg);
	h->cmsg_level = SOL_SOCKET;
	h->cmsg_type = SCM_RIGHTS;
	h->cmsg_len = CMSG_LEN(sizeof(int) * n_fds);
	memcpy(CMSG_DATA(h), fds, sizeof(int) * n_fds);
	for (;;) {
		w = sendmsg(fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w >= 0)
			break;
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN) {
			int r = wait_fd(fd, POLLOUT, deadline);

			if (r < 0)
				return r;
			continue;
		}
		return errno == EPIPE ? -ECONNRESET : -errno;
	}
	return send_all(fd, buf + w, len - (size_t)w, deadline);
}

/* Reads one line (without its newline) into a malloc'ed string. */
static int read_line(int fd, int timeout_ms, char **ret)
{
	long long deadline = pt_monotonic_ms() + timeout_ms;
	_cleanup_free_ char *buf = NULL;
	size_t len = 0, cap = 0;

	for (;;) {
		char chunk[4096];
		ssize_t n;
		char *nl;
		int r = wait_fd(fd, POLLIN, deadline);

		if (r < 0)
			return r;
		/* Peek, then consume only up to the newline: the socket may carry more. */
		n = recv(fd, chunk, sizeof(chunk), MSG_PEEK | MSG_DONTWAIT);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -ECONNRESET;
		nl = memchr(chunk, '\n', (size_t)n);
		if (nl)
			n = nl - chunk + 1;
		if (len + (size_t)n + 1 > REPLY_MAX)
			return -EPROTO;
		if (len + (size_t)n + 1 > cap) {
			char *b;

			cap = (len + (size_t)n + 1) * 2;
			b = realloc(buf, cap);
			if (!b)
				return -ENOMEM;
			buf = b;
		}
		n = recv(fd, buf + len, (size_t)n, MSG_DONTWAIT);
		if (n <= 0)
			return n == 0 ? -ECONNRESET : -errno;
		len += (size_t)n;
		if (buf[len - 1] == '\n') {
			buf[len - 1] = 0;
			*ret = TAKE_PTR(buf);
			return 0;
		}
	}
}

int pt_ctl_call(int fd, const char *verb, json_t *args, int timeout_ms, json_t **ret_return,
		char *err_buf, size_t err_size)
{
	return pt_ctl_call_fds(fd, verb, args, NULL, 0, timeout_ms, ret_return, err_buf, err_size);
}

int pt_ctl_call_fds(int fd, const char *verb, json_t *args, const int *fds, unsigned n_fds,
		    int timeout_ms, json_t **ret_return, char *err_buf, size_t err_size)
{
	_cleanup_free_ char *line = NULL, *reply = NULL;
	long long deadline = pt_monotonic_ms() + timeout_ms;
	json_t *req, *rep, *ret, *err;
	size_t len;
	int r;

	req = json_pack("{s:s}", "execute", verb);
	if (!req || (args && json_object_set(req, "arguments", args))) {
		json_decref(req);
		return -ENOMEM;
	}
	line = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	if (!line)
		return -ENOMEM;
	len = strlen(line);
	{
		char *l = realloc(line, len + 2);

		if (!l)
			return -ENOMEM;
		line = l;
		memcpy(line + len, "\n", 2);
	}
	r = send_with_fds(fd, line, len + 1, fds, n_fds, deadline);
	if (r < 0)
		return r;
	r = read_line(fd, (int)(deadline - pt_monotonic_ms()), &reply);
	if (r < 0)
		return r;
	rep = json_loads(reply, 0, NULL);
	if (!json_is_object(rep)) {
		json_decref(rep);
		return -EPROTO;
	}
	err = json_object_get(rep, "error");
	ret = json_object_get(rep, "return");
	if (err) {
		const char *cls = json_string_value(json_object_get(err, "class"));
		const char *desc = json_string_value(json_object_get(err, "desc"));

		snprintf(err_buf, err_size, "%s: %s", cls ? cls : "Error", desc ? desc : "");
		json_decref(rep);
		return -EREMOTEIO;
	}
	if (!ret) {
		json_decref(rep);
		return -EPROTO;
	}
	*ret_return = json_incref(ret);
	json_decref(rep);
	return 0;
}

int pt_ctl_request(const char *path, const char *verb, json_t *args, int timeout_ms,
		   json_t **ret_return, char *err_buf, size_t err_size)
{
	int fd = pt_ctl_connect_timeout(path, timeout_ms), r;

	if (fd < 0)
		return fd;
	r = pt_ctl_call(fd, verb, args, timeout_ms, ret_return, err_buf, err_size);
	close(fd);
	return r;
}
