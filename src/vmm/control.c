#include "config.h"

#include <errno.h>
#include <grp.h>
#include <poll.h>
#include <pthread.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/clock.h"
#include "common/files.h"
#include "common/log.h"
#include "vmm/control.h"

struct client {
	int fd;
	long long active_ms;  /* when it last sent or took bytes */
	char *out;            /* a reply not yet taken whole (the socket was full) */
	size_t out_len, out_off;
	size_t len;
	struct pt_control_fds fds; /* came with the bytes in buf: for the next request */
	char buf[PT_CONTROL_MAX_LINE + 1];
};

static void close_fds(struct pt_control_fds *fds)
{
	for (unsigned i = 0; i < fds->n; i++)
		if (fds->fd[i] >= 0)
			close(fds->fd[i]);
	fds->n = 0;
}

/* recv, keeping descriptors passed with SCM_RIGHTS (at most PT_CONTROL_MAX_FDS held). */
static ssize_t recv_with_fds(struct client *c)
{
	char cbuf[CMSG_SPACE(sizeof(int) * PT_CONTROL_MAX_FDS)];
	struct iovec iov = { c->buf + c->len, sizeof(c->buf) - c->len };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
			      .msg_controllen = sizeof(cbuf) };
	ssize_t n = recvmsg(c->fd, &msg, MSG_CMSG_CLOEXEC);

	if (n < 0)
		return n;
	for (struct cmsghdr *h = CMSG_FIRSTHDR(&msg); h; h = CMSG_NXTHDR(&msg, h)) {
		unsigned nfd;

		if (h->cmsg_level != SOL_SOCKET || h->cmsg_type != SCM_RIGHTS)
			continue;
		nfd = (unsigned)((h->cmsg_len - CMSG_LEN(0)) / sizeof(int));
		for (unsigned k = 0; k < nfd; k++) {
			int fd;

			memcpy(&fd, CMSG_DATA(h) + k * sizeof(int), sizeof(int));
			if (c->fds.n < PT_CONTROL_MAX_FDS)
				c->fds.fd[c->fds.n++] = fd;
			else
				close(fd);
		}
	}
	return n;
}

struct pt_control_server {
	char *path;
	int listen_fd, wake_fd;
	bool stopping; /* atomic: set before wake_fd is written */
	bool have_group;
	gid_t gid;
	const struct pt_control_verb *verbs;
	void *ctx;
	int idle_ms;
	pthread_t thread;
	struct client *clients[PT_CONTROL_MAX_CLIENTS];
};

/* True if a process (on SO_PEERCRED's word) may use the socket. */
static bool peer_allowed(const struct pt_control_server *s, const struct ucred *c)
{
	struct group *gr;
	struct passwd *pw;

	if (c->uid == 0 || c->uid == geteuid())
		return true;
	if (!s->have_group)
		return false;
	if (c->gid == s->gid)
		return true;
	/* Supplementary membership, as the group database lists it. */
	pw = getpwuid(c->uid);
	gr = getgrgid(s->gid);
	if (!pw || !gr)
		return false;
	if (pw->pw_gid == s->gid)
		return true;
	for (char **m = gr->gr_mem; m && *m; m++)
		if (!strcmp(*m, pw->pw_name))
			return true;
	return false;
}

/* The reply when there is no memory to make one: a request still gets its line. */
static const char no_memory_line[] =
	"{\"error\":{\"class\":\"" PT_CTL_ERR_FAILED "\",\"desc\":\"out of memory\"}}\n";

/* Sends what it can without blocking: bytes sent, or -errno (-EAGAIN: none). */
static ssize_t send_some(int fd, const char *p, size_t n)
{
	ssize_t w;

	do
		w = send(fd, p, n, MSG_NOSIGNAL | MSG_DONTWAIT);
	while (w < 0 && errno == EINTR);
	return w < 0 ? -errno : w;
}

/* A line and its newline in one buffer, so one send carries both. */
static char *with_newline(char *line, size_t *ret_len)
{
	size_t len = strlen(line);
	char *s = realloc(line, len + 2);

	if (!s) {
		free(line);
		return NULL;
	}
	memcpy(s + len, "\n", 2);
	*ret_len = len + 1;
	return s;
}

static void drop_client(struct pt_control_server *s, unsigned i)
{
	close_fds(&s->clients[i]->fds);
	close(s->clients[i]->fd);
	free(s->clients[i]->out);
	free(s->clients[i]);
	s->clients[i] = NULL;
}

/* One error line, as much as the socket takes now: before hanging up. */
static void send_error(int fd, const char *cls, const char *desc)
{
	char *line = pt_control_error_line(cls, desc, NULL);
	size_t len;

	line = line ? with_newline(line, &len) : NULL;
	if (line)
		send_some(fd, line, len);
	free(line);
}

static void reject(int fd, const char *cls, const char *desc)
{
	send_error(fd, cls, desc);
	close(fd);
}

/*
 * Queues a reply line (taking it; NULL means out of memory) and sends what the
 * socket takes now; the rest goes out as the client reads (POLLOUT). False if the
 * client is gone.
 */
static bool queue_reply(struct client *c, char *line)
{
	size_t len;
	ssize_t w;

	line = line ? with_newline(line, &len) : NULL;
	if (!line) {
		line = strdup(no_memory_line);
		len = sizeof(no_memory_line) - 1;
		if (!line)
			return false;
	}
	c->out = line;
	c->out_len = len;
	c->out_off = 0;
	w = send_some(c->fd, c->out, c->out_len);
	if (w < 0 && w != -EAGAIN)
		return false;
	if (w > 0) {
		c->out_off = (size_t)w;
		c->active_ms = pt_monotonic_ms();
	}
	if (c->out_off == c->out_len) {
		free(c->out);
		c->out = NULL;
	}
	return true;
}

/* The client can take more of its pending reply. False if it is gone. */
static bool flush_client(struct client *c)
{
	ssize_t w = send_some(c->fd, c->out + c->out_off, c->out_len - c->out_off);

	if (w == -EAGAIN)
		return true;
	if (w <= 0)
		return false;
	c->out_off += (size_t)w;
	c->active_ms = pt_monotonic_ms();
	if (c->out_off == c->out_len) {
		free(c->out);
		c->out = NULL;
	}
	return true;
}

static void accept_client(struct pt_control_server *s)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	int fd = accept4(s->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	unsigned i;

	if (fd < 0)
		return;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 || !peer_allowed(s, &cred)) {
		pt_warn("control socket %s: refused a client (uid %u, gid %u): only root, uid %u%s "
			"may connect", s->path, (unsigned)cred.uid, (unsigned)cred.gid,
			(unsigned)geteuid(), s->have_group ? " and the control group" : "");
		reject(fd, PT_CTL_ERR_DENIED, "only root, the VMM's user or the control group may "
		       "use this socket");
		return;
	}
	/* The last slots are root's: a full socket never keeps root's stop out. */
	for (i = 0; i < PT_CONTROL_MAX_CLIENTS && s->clients[i]; i++)
		;
	if (i == PT_CONTROL_MAX_CLIENTS ||
	    (cred.uid != 0 && i >= PT_CONTROL_MAX_CLIENTS - PT_CONTROL_ROOT_SLOTS)) {
		reject(fd, PT_CTL_ERR_BUSY, "too many clients (16, the last kept for root); "
		       "try again later");
		return;
	}
	s->clients[i] = malloc(sizeof(struct client));
	if (!s->clients[i]) {
		close(fd);
		return;
	}
	s->clients[i]->fd = fd;
	s->clients[i]->active_ms = pt_monotonic_ms();
	s->clients[i]->out = NULL;
	s->clients[i]->len = 0;
	s->clients[i]->fds.n = 0;
}

/* Answers the complete lines buffered, one at a time: a reply must be taken first. */
static bool answer_lines(struct pt_control_server *s, struct client *c)
{
	char *nl;

	while (!c->out && (nl = memchr(c->buf, '\n', c->len))) {
		size_t line_len = (size_t)(nl - c->buf);

		if (line_len && c->buf[line_len - 1] == '\r')
			line_len--;
		if (line_len &&
		    !queue_reply(c, pt_control_handle_line_fds(s->verbs, s->ctx, c->buf, line_len,
							       &c->fds))) {
			close_fds(&c->fds);
			return false;
		}
		close_fds(&c->fds); /* the ones the verb did not take */
		c->len -= (size_t)(nl + 1 - c->buf);
		memmove(c->buf, nl + 1, c->len);
	}
	return true;
}

/*
 * Sends what is pending, reads what the client sent and answers each complete line.
 * While a reply waits for the client to read it, nothing more is read.
 */
static void serve_client(struct pt_control_server *s, unsigned i, short revents)
{
	struct client *c = s->clients[i];
	ssize_t n;

	if (c->out) {
		if (!flush_client(c))
			goto drop;
	} else {
		if (!(revents & (POLLIN | POLLHUP | POLLERR)))
			return;
		n = recv_with_fds(c);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			return;
		if (n <= 0)
			goto drop;
		c->active_ms = pt_monotonic_ms();
		c->len += (size_t)n;
	}
	if (!answer_lines(s, c))
		goto drop;
	if (!c->out && c->len == sizeof(c->buf)) {
		/* No newline within the limit: answer once and hang up (no way to resync). */
		send_error(c->fd, PT_CTL_ERR_TOO_LARGE,
			   "request longer than 65536 bytes without a newline");
		goto drop;
	}
	return;
drop:
	drop_client(s, i);
}

/* Hangs up on clients idle too long; the poll timeout until the next one would be. */
static int drop_idle(struct pt_control_server *s)
{
	long long now = pt_monotonic_ms(), next = -1;

	for (unsigned i = 0; i < PT_CONTROL_MAX_CLIENTS; i++) {
		long long due;

		if (!s->clients[i])
			continue;
		due = s->clients[i]->active_ms + s->idle_ms;
		if (due <= now) {
			drop_client(s, i);
			continue;
		}
		if (next < 0 || due - now < next)
			next = due - now;
	}
	return (int)next;
}

/*
 * How often the server thread looks whether it was asked to stop, should the write
 * to wake_fd that tells it have failed: the backstop's delay.
 */
#define STOPPING_CHECK_MS 1000

static void *server_thread(void *arg)
{
	struct pt_control_server *s = arg;

	for (;;) {
		struct pollfd pfd[2 + PT_CONTROL_MAX_CLIENTS];
		unsigned idx[PT_CONTROL_MAX_CLIENTS];
		nfds_t n = 2;

		pfd[0] = (struct pollfd){ .fd = s->wake_fd, .events = POLLIN };
		pfd[1] = (struct pollfd){ .fd = s->listen_fd, .events = POLLIN };
		int timeout = drop_idle(s);

		/* Asked to stop without hearing it on wake_fd (its write failed). */
		if (__atomic_load_n(&s->stopping, __ATOMIC_ACQUIRE))
			break;
		if (timeout < 0 || timeout > STOPPING_CHECK_MS)
			timeout = STOPPING_CHECK_MS;

		for (unsigned i = 0; i < PT_CONTROL_MAX_CLIENTS; i++) {
			if (!s->clients[i])
				continue;
			idx[n - 2] = i;
			pfd[n++] = (struct pollfd){ .fd = s->clients[i]->fd,
						    .events = s->clients[i]->out ? POLLOUT : POLLIN };
		}
		if (poll(pfd, n, timeout) < 0) {
			if (errno == EINTR)
				continue;
			pt_err("control socket %s: poll: %m", s->path);
			break;
		}
		if (pfd[0].revents)
			break;
		for (nfds_t k = 2; k < n; k++)
			if (pfd[k].revents)
				serve_client(s, idx[k - 2], pfd[k].revents);
		if (pfd[1].revents & POLLIN)
			accept_client(s);
	}
	return NULL;
}

/* A socket file left behind: stale if nobody answers on it. */
static int clear_stale(const char *path, const struct sockaddr_un *addr)
{
	struct stat st;
	_cleanup_close_ int fd = -1;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISSOCK(st.st_mode)) {
		pt_err("control socket %s: the path exists and is not a socket", path);
		return -EEXIST;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (const struct sockaddr *)addr, sizeof(*addr)) == 0) {
		pt_err("control socket %s: another VMM is serving it (is this VM already running?)",
		       path);
		return -EADDRINUSE;
	}
	if (unlink(path) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

static int bind_socket(struct pt_control_server *s)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int r;

	if (strlen(s->path) >= sizeof(addr.sun_path)) {
		pt_err("control socket %s: path longer than %zu bytes", s->path,
		       sizeof(addr.sun_path) - 1);
		return -ENAMETOOLONG;
	}
	strcpy(addr.sun_path, s->path);
	r = pt_mkdir_parents(s->path);
	if (r < 0) {
		pt_err("control socket %s: cannot create its directory: %s", s->path, strerror(-r));
		return r;
	}
	{
		char why[512];

		r = pt_dir_check_private(s->path, why, sizeof(why));
		if (r < 0) {
			pt_err("control socket %s: refused: %s", s->path, why);
			return r;
		}
	}
	r = clear_stale(s->path, &addr);
	if (r < 0)
		return r;
	s->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (s->listen_fd < 0) {
		r = -errno;
		pt_err("control socket %s: socket: %s", s->path, strerror(-r));
		return r;
	}
	if (bind(s->listen_fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
		r = -errno;
		pt_err("control socket %s: bind: %m", s->path);
		return r;
	}
	if (chmod(s->path, 0660) < 0 || (s->have_group && chown(s->path, (uid_t)-1, s->gid) < 0)) {
		r = -errno;
		pt_err("control socket %s: setting mode 0660 and its group: %m", s->path);
		unlink(s->path);
		return r;
	}
	if (listen(s->listen_fd, 8) < 0) {
		r = -errno;
		pt_err("control socket %s: listen: %s", s->path, strerror(-r));
		unlink(s->path);
		return r;
	}
	return 0;
}

int pt_control_server_start(const struct pt_control_server_opts *opts,
			    struct pt_control_server **ret)
{
	struct pt_control_server *s = calloc(1, sizeof(*s));
	int r;

	if (!s) {
		pt_err("control socket %s: %s", opts->path, strerror(ENOMEM));
		return -ENOMEM;
	}
	s->listen_fd = s->wake_fd = -1;
	s->verbs = opts->verbs;
	s->ctx = opts->ctx;
	s->idle_ms = opts->idle_ms > 0 ? opts->idle_ms : PT_CONTROL_IDLE_MS;
	s->path = strdup(opts->path);
	if (!s->path) {
		pt_err("control socket %s: %s", opts->path, strerror(ENOMEM));
		r = -ENOMEM;
		goto fail;
	}
	if (opts->group) {
		struct group *gr = getgrnam(opts->group);

		if (!gr) {
			pt_err("control socket %s: control-group \"%s\" does not exist", s->path,
			       opts->group);
			r = -ENOENT;
			goto fail;
		}
		s->have_group = true;
		s->gid = gr->gr_gid;
	}
	s->wake_fd = eventfd(0, EFD_CLOEXEC);
	if (s->wake_fd < 0) {
		r = -errno;
		pt_err("control socket %s: eventfd: %s", s->path, strerror(-r));
		goto fail;
	}
	r = bind_socket(s);
	if (r < 0)
		goto fail;
	r = -pthread_create(&s->thread, NULL, server_thread, s);
	if (r < 0) {
		pt_err("control socket %s: cannot start its thread: %s", s->path, strerror(-r));
		unlink(s->path);
		goto fail;
	}
	*ret = s;
	return 0;
fail:
	if (s->listen_fd >= 0)
		close(s->listen_fd);
	if (s->wake_fd >= 0)
		close(s->wake_fd);
	free(s->path);
	free(s);
	return r;
}

void pt_control_server_stop(struct pt_control_server *s)
{
	uint64_t one = 1;

	if (!s)
		return;
	__atomic_store_n(&s->stopping, true, __ATOMIC_RELEASE);
	if (write(s->wake_fd, &one, sizeof(one)) < 0)
		pt_warn("control socket %s: waking its thread: %m (it sees the stop within a "
			"second)", s->path);
	pthread_join(s->thread, NULL);
	for (unsigned i = 0; i < PT_CONTROL_MAX_CLIENTS; i++)
		if (s->clients[i])
			drop_client(s, i);
	unlink(s->path);
	close(s->listen_fd);
	close(s->wake_fd);
	free(s->path);
	free(s);
}
