/*
 * The control protocol and server without a VM: parsing, errors, oversized and
 * broken clients, SO_PEERCRED, stale sockets. Runs anywhere (no KVM needed).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tap.h"
#include "vmm/control.h"

static int calls;

static int verb_echo(void *ctx, json_t *args, json_t **ret, struct pt_control_error *err)
{
	calls++;
	*ret = json_pack("{s:O,s:s}", "args", args, "ctx", (const char *)ctx);
	return 0;
}

static int verb_fail(void *ctx, json_t *args, json_t **ret, struct pt_control_error *err)
{
	err->cls = PT_CTL_ERR_ARGUMENT;
	snprintf(err->desc, sizeof(err->desc), "no good");
	return -EINVAL;
}

static const struct pt_control_verb verbs[] = {
	{ "echo", verb_echo, "echo" },
	{ "fail", verb_fail, "fail" },
	{ NULL, NULL, NULL },
};

/* The reply's error class, or "return" for success; "" if unparsable. */
static const char *reply_class(const char *reply, char *buf, size_t size)
{
	json_t *j = json_loads(reply, 0, NULL);
	const char *c = "";

	if (j && json_object_get(j, "return"))
		c = "return";
	else if (j)
		c = json_string_value(json_object_get(json_object_get(j, "error"), "class"));
	snprintf(buf, size, "%s", c ? c : "");
	json_decref(j);
	return buf;
}

static const char *handle(const char *line, char *buf, size_t size)
{
	char *r = pt_control_handle_line(verbs, "ctx", line, strlen(line));

	reply_class(r, buf, size);
	free(r);
	return buf;
}

static void test_proto(struct tap *t)
{
	char b[64], *r;

	tap_is_str(t, handle("{\"execute\":\"echo\"}", b, sizeof(b)), "return", "a good request");
	{
		const char *req = "{\"execute\":\"echo\",\"id\":7,\"arguments\":{\"a\":1}}";

		r = pt_control_handle_line(verbs, "ctx", req, strlen(req));
	}
	tap_ok(t, r && strstr(r, "\"id\":7") && strstr(r, "\"a\":1"), "id and arguments come back: %s",
	       r ? r : "(null)");
	free(r);
	tap_is_str(t, handle("{\"execute\":\"nope\"}", b, sizeof(b)), PT_CTL_ERR_UNKNOWN, "unknown verb");
	tap_is_str(t, handle("{\"execute\":", b, sizeof(b)), PT_CTL_ERR_PARSE, "truncated JSON");
	tap_is_str(t, handle("\x01\xff garbage", b, sizeof(b)), PT_CTL_ERR_PARSE, "binary garbage");
	tap_is_str(t, handle("[1,2]", b, sizeof(b)), PT_CTL_ERR_BAD_REQUEST, "an array is no request");
	tap_is_str(t, handle("{\"execute\":3}", b, sizeof(b)), PT_CTL_ERR_BAD_REQUEST,
		   "execute must be a string");
	tap_is_str(t, handle("{\"execute\":\"echo\",\"arguments\":[]}", b, sizeof(b)),
		   PT_CTL_ERR_BAD_REQUEST, "arguments must be an object");
	tap_is_str(t, handle("{\"execute\":\"echo\",\"bogus\":1}", b, sizeof(b)),
		   PT_CTL_ERR_BAD_REQUEST, "unknown members are refused");
	tap_is_str(t, handle("{\"execute\":\"echo\",\"execute\":\"fail\"}", b, sizeof(b)),
		   PT_CTL_ERR_PARSE, "duplicate keys are refused");
	tap_is_str(t, handle("{\"execute\":\"fail\"}", b, sizeof(b)), PT_CTL_ERR_ARGUMENT,
		   "a failing verb's own error class");
	{
		size_t n = PT_CONTROL_MAX_LINE + 1;
		char *big = malloc(n);

		memset(big, ' ', n);
		r = pt_control_handle_line(verbs, "ctx", big, n);
		tap_is_str(t, reply_class(r, b, sizeof(b)), PT_CTL_ERR_TOO_LARGE, "an oversized line");
		free(r);
		free(big);
	}
	{
		/* Deep nesting must not exhaust the stack. */
		size_t n = 100000;
		char *deep = malloc(n);

		memset(deep, '[', n);
		r = pt_control_handle_line(verbs, "ctx", deep, PT_CONTROL_MAX_LINE);
		tap_is_str(t, reply_class(r, b, sizeof(b)), PT_CTL_ERR_PARSE, "deeply nested arrays");
		free(r);
		free(deep);
	}
	/*
	 * Error texts that quote bytes which are not UTF-8: jansson's message about a cut
	 * two-byte character, and "%.64s" cutting a multi-byte character. Both got no reply.
	 */
	{
		static const char cut[] = "\"\\\xd0\x87";
		char verb[128];

		r = pt_control_handle_line(verbs, "ctx", cut, 4);
		tap_ok(t, r && !strchr(r, '\n') && *reply_class(r, b, sizeof(b)),
		       "a cut multi-byte character in invalid JSON still gets a reply: %s",
		       r ? r : "(null)");
		free(r);
		snprintf(verb, sizeof(verb), "{\"execute\":\"%s\xc3\xa9\"}",
			 "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
		r = pt_control_handle_line(verbs, "ctx", verb, strlen(verb));
		tap_is_str(t, reply_class(r, b, sizeof(b)), PT_CTL_ERR_UNKNOWN,
			   "an unknown verb cut inside a multi-byte character still gets its reply");
		tap_ok(t, r && strstr(r, "\\\\xc3"), "  with the cut byte written as \\xc3: %s",
		       r ? r : "(null)");
		free(r);
	}
}

static int connect_to(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (strlen(path) >= sizeof(a.sun_path)) {
		close(fd);
		return -1;
	}
	memcpy(a.sun_path, path, strlen(path) + 1);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Reads one line (up to size-1 bytes) with a 5 s timeout; returns its length or -1 (EOF). */
static int read_line(int fd, char *buf, size_t size)
{
	size_t n = 0;

	while (n + 1 < size) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t r;

		if (poll(&p, 1, 5000) <= 0)
			return -1;
		r = read(fd, buf + n, 1);
		if (r <= 0)
			return n ? (int)n : -1;
		if (buf[n] == '\n')
			break;
		n++;
	}
	buf[n] = 0;
	return (int)n;
}

static int send_str(int fd, const char *s)
{
	return send(fd, s, strlen(s), MSG_NOSIGNAL) == (ssize_t)strlen(s) ? 0 : -1;
}

/*
 * Many requests in one go, replies read only as the client gets to them: every
 * request gets its one reply (a full socket buffer used to drop the client).
 */
static void test_pipelining(struct tap *t, const char *path)
{
	enum { N = 5000 };
	static const char req[] = "{\"execute\":\"echo\",\"arguments\":{\"pad\":"
		"\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"}}\n";
	size_t sent = 0, total = N * (sizeof(req) - 1);
	int fd = connect_to(path), replies = 0, bad = 0;
	char buf[65536];

	if (fd < 0 || fcntl(fd, F_SETFL, O_NONBLOCK) < 0) {
		tap_ok(t, 0, "pipelining: connect");
		return;
	}
	while (replies < N) {
		struct pollfd p = { .fd = fd, .events = POLLIN | (sent < total ? POLLOUT : 0) };
		ssize_t n;

		if (poll(&p, 1, 10000) <= 0)
			break;
		if ((p.revents & POLLOUT) && sent < total) {
			size_t off = sent % (sizeof(req) - 1), k = 0;
			char chunk[4096];

			/* The next bytes of the request stream, whole requests or not. */
			while (k < sizeof(chunk) && sent + k < total) {
				chunk[k++] = req[off++];
				if (off == sizeof(req) - 1)
					off = 0;
			}
			n = send(fd, chunk, k, MSG_NOSIGNAL);
			if (n > 0)
				sent += (size_t)n;
		}
		if (p.revents & (POLLIN | POLLHUP)) {
			n = read(fd, buf, sizeof(buf));
			if (n <= 0)
				break;
			for (ssize_t i = 0; i < n; i++)
				replies += buf[i] == '\n';
			bad += memmem(buf, (size_t)n, "error", 5) != NULL;
		}
	}
	tap_is_int(t, replies, N, "pipelining: %d requests sent at once get %d replies", N, N);
	tap_is_int(t, bad, 0, "pipelining: none of them an error");
	close(fd);
}

/* Clients that connect and say nothing are hung up after idle_ms; then others get in. */
static void test_idle(struct tap *t, const char *dir)
{
	struct pt_control_server *srv = NULL;
	struct pt_control_server_opts o = { .verbs = verbs, .ctx = "idle", .idle_ms = 200 };
	int fds[PT_CONTROL_MAX_CLIENTS], fd, hung_up = 0;
	char path[256], line[4096], b[64];

	snprintf(path, sizeof(path), "%s/idle.sock", dir);
	o.path = path;
	if (!tap_ok(t, pt_control_server_start(&o, &srv) == 0, "idle: a server with idle_ms 200"))
		return;
	for (int i = 0; i < PT_CONTROL_MAX_CLIENTS; i++)
		fds[i] = connect_to(path);
	for (int i = 0; i < PT_CONTROL_MAX_CLIENTS; i++) {
		struct pollfd p = { .fd = fds[i], .events = POLLIN };

		/* The hang-up is awaited (10 s at most), not timed. */
		if (poll(&p, 1, 10000) == 1 && read(fds[i], line, sizeof(line)) == 0)
			hung_up++;
		close(fds[i]);
	}
	tap_is_int(t, hung_up, PT_CONTROL_MAX_CLIENTS, "idle: every silent client is hung up");
	fd = connect_to(path);
	send_str(fd, "{\"execute\":\"echo\"}\n");
	read_line(fd, line, sizeof(line));
	tap_is_str(t, reply_class(line, b, sizeof(b)), "return", "idle: then a new client is served");
	close(fd);
	pt_control_server_stop(srv);
}

/*
 * The last slot is root's: 16 clients of the control group fill 15 slots and the
 * 16th is told Busy, and root still gets in. Run as root, connecting as uid/gid
 * 65534 with seteuid (SO_PEERCRED records the effective ids at connect).
 */
static void test_root_slot(struct tap *t, const char *dir)
{
	struct pt_control_server *srv = NULL;
	struct pt_control_server_opts o = { .verbs = verbs, .ctx = "slot" };
	int fds[PT_CONTROL_MAX_CLIENTS], fd, busy = 0, served = 0;
	char path[256], line[4096], b[64];
	struct group *gr = getgrgid(65534);

	if (geteuid() != 0 || !gr) {
		tap_skip(t, "the root slot needs root and a group 65534");
		tap_skip(t, "the root slot needs root and a group 65534");
		tap_skip(t, "the root slot needs root and a group 65534");
		return;
	}
	snprintf(path, sizeof(path), "%s/slot.sock", dir);
	o.path = path;
	o.group = gr->gr_name;
	if (pt_control_server_start(&o, &srv) < 0) {
		tap_ok(t, 0, "root slot: server starts");
		return;
	}
	chmod(dir, 0755);
	chmod(path, 0666);
	if (setegid(65534) < 0 || seteuid(65534) < 0) {
		tap_ok(t, 0, "root slot: seteuid 65534: %s", strerror(errno));
		return;
	}
	for (int i = 0; i < PT_CONTROL_MAX_CLIENTS; i++) {
		fds[i] = connect_to(path);
		send_str(fds[i], "{\"execute\":\"echo\"}\n");
		read_line(fds[i], line, sizeof(line));
		reply_class(line, b, sizeof(b));
		served += !strcmp(b, "return");
		busy += !strcmp(b, PT_CTL_ERR_BUSY);
	}
	if (seteuid(0) < 0 || setegid(0) < 0) {
		printf("Bail out! cannot become root again\n");
		exit(99);
	}
	tap_ok(t, served == PT_CONTROL_MAX_CLIENTS - PT_CONTROL_ROOT_SLOTS && busy == 1,
	       "root slot: the control group gets %d slots, then Busy (served %d, busy %d)",
	       PT_CONTROL_MAX_CLIENTS - PT_CONTROL_ROOT_SLOTS, served, busy);
	fd = connect_to(path);
	send_str(fd, "{\"execute\":\"echo\"}\n");
	read_line(fd, line, sizeof(line));
	tap_is_str(t, reply_class(line, b, sizeof(b)), "return", "root slot: root is still served");
	{
		int fd2 = connect_to(path);

		read_line(fd2, line, sizeof(line));
		tap_is_str(t, reply_class(line, b, sizeof(b)), PT_CTL_ERR_BUSY,
			   "root slot: a second root client, with every slot taken, is told Busy");
		close(fd2);
	}
	close(fd);
	for (int i = 0; i < PT_CONTROL_MAX_CLIENTS; i++)
		close(fds[i]);
	pt_control_server_stop(srv);
}

/* The socket's directory: another owner, or writable by others, is refused. */
static void test_unsafe_dirs(struct tap *t, const char *dir)
{
	struct pt_control_server *srv = NULL;
	struct pt_control_server_opts o = { .verbs = verbs, .ctx = "dirs" };
	char sub[256], path[300];

	snprintf(sub, sizeof(sub), "%s/open", dir);
	snprintf(path, sizeof(path), "%s/vm.sock", sub);
	o.path = path;
	if (mkdir(sub, 0755) < 0 || chmod(sub, 0777) < 0) {
		tap_ok(t, 0, "unsafe dirs: mkdir %s", sub);
		return;
	}
	tap_is_int(t, pt_control_server_start(&o, &srv), -EACCES,
		   "a socket in a world-writable directory is refused");
	tap_ok(t, access(path, F_OK) < 0, "  and nothing is created there");
	chmod(sub, 0775);
	tap_is_int(t, pt_control_server_start(&o, &srv), -EACCES,
		   "a socket in a group-writable directory is refused");
	chmod(sub, 0755);
	if (geteuid() == 0 && chown(sub, 65534, 65534) == 0) {
		tap_is_int(t, pt_control_server_start(&o, &srv), -EPERM,
			   "a socket in a directory another user owns is refused");
	} else {
		tap_skip(t, "a directory owned by another user needs root to make");
	}
	rmdir(sub);
}

static void test_server(struct tap *t, const char *dir)
{
	struct pt_control_server *srv = NULL, *srv2 = NULL;
	char path[256], line[4096], b[64];
	struct stat st;
	int fd, fds[PT_CONTROL_MAX_CLIENTS];
	struct pt_control_server_opts o = { .verbs = verbs, .ctx = "srv" };

	snprintf(path, sizeof(path), "%s/sub/dir/vm.sock", dir);
	o.path = path;
	tap_is_int(t, pt_control_server_start(&o, &srv), 0, "server starts (directories created)");
	tap_ok(t, stat(path, &st) == 0 && S_ISSOCK(st.st_mode) && (st.st_mode & 0777) == 0660,
	       "socket exists with mode 0660");
	tap_is_int(t, pt_control_server_start(&o, &srv2), -EADDRINUSE, "a live socket is not stolen");

	fd = connect_to(path);
	tap_ok(t, fd >= 0, "client connects");
	send_str(fd, "{\"execute\":\"echo\",\"id\":1}\n{\"execute\":\"echo\",\"id\":2}\n");
	tap_ok(t, read_line(fd, line, sizeof(line)) > 0 && strstr(line, "\"id\":1"), "first reply");
	tap_ok(t, read_line(fd, line, sizeof(line)) > 0 && strstr(line, "\"id\":2"),
	       "second reply for the second line of the same write");
	send_str(fd, "{\"execute\":");
	usleep(50000);
	send_str(fd, "\"echo\",\"id\":3}\r\n");
	tap_ok(t, read_line(fd, line, sizeof(line)) > 0 && strstr(line, "\"id\":3"),
	       "a request split across writes, CRLF-terminated");
	send_str(fd, "this is not json\n");
	read_line(fd, line, sizeof(line));
	tap_is_str(t, reply_class(line, b, sizeof(b)), PT_CTL_ERR_PARSE, "malformed line: error reply");
	send_str(fd, "\n{\"execute\":\"echo\",\"id\":4}\n");
	tap_ok(t, read_line(fd, line, sizeof(line)) > 0 && strstr(line, "\"id\":4"),
	       "the connection survives it; empty lines are skipped");
	{
		size_t n = PT_CONTROL_MAX_LINE + 100;
		char *big = malloc(n);

		memset(big, 'a', n);
		tap_ok(t, send(fd, big, n, MSG_NOSIGNAL) > 0, "sent 64 KiB + 100 bytes without newline");
		free(big);
	}
	read_line(fd, line, sizeof(line));
	tap_is_str(t, reply_class(line, b, sizeof(b)), PT_CTL_ERR_TOO_LARGE, "oversized: error reply");
	tap_is_int(t, read_line(fd, line, sizeof(line)), -1, "then the server hangs up");
	close(fd);

	/* A client that disconnects midway through a request. */
	fd = connect_to(path);
	send_str(fd, "{\"execute\":\"ec");
	close(fd);
	fd = connect_to(path);
	send_str(fd, "{\"execute\":\"echo\",\"id\":5}\n");
	tap_ok(t, read_line(fd, line, sizeof(line)) > 0 && strstr(line, "\"id\":5"),
	       "a client that vanished midway did not hurt the next one");
	/* One that never reads its replies is dropped, not waited for. */
	close(fd);
	test_pipelining(t, path);

	for (int i = 0; i < PT_CONTROL_MAX_CLIENTS; i++) {
		fds[i] = connect_to(path);
		send_str(fds[i], "{\"execute\":\"echo\"}\n");
		read_line(fds[i], line, sizeof(line));
	}
	fd = connect_to(path);
	read_line(fd, line, sizeof(line));
	tap_is_str(t, reply_class(line, b, sizeof(b)), PT_CTL_ERR_BUSY, "client 17 is told it is busy");
	close(fd);
	for (int i = 0; i < PT_CONTROL_MAX_CLIENTS; i++)
		close(fds[i]);

	if (geteuid() == 0) {
		pid_t pid;
		int status;

		/* Let "nobody" reach the socket, so that only SO_PEERCRED stands in the way. */
		for (char *p = path + strlen(dir); (p = strchr(p + 1, '/'));) {
			*p = 0;
			chmod(path, 0755);
			*p = '/';
		}
		chmod(dir, 0755);
		chmod(path, 0666);
		pid = fork();
		if (pid == 0) {
			if (setgid(65534) < 0 || setuid(65534) < 0)
				_exit(3);
			fd = connect_to(path);
			if (fd < 0)
				_exit(4);
			send_str(fd, "{\"execute\":\"echo\"}\n");
			read_line(fd, line, sizeof(line));
			_exit(strstr(line, PT_CTL_ERR_DENIED) && read_line(fd, line, sizeof(line)) < 0 ?
			      0 : 5);
		}
		waitpid(pid, &status, 0);
		tap_ok(t, WIFEXITED(status) && WEXITSTATUS(status) == 0,
		       "uid 65534 is refused with PermissionDenied and disconnected (child status %d)",
		       WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	} else {
		tap_skip(t, "SO_PEERCRED refusal needs root to become another user");
	}

	pt_control_server_stop(srv);
	tap_ok(t, access(path, F_OK) < 0, "stopping removes the socket");

	/* A stale socket file (nobody listening) is replaced. */
	{
		struct sockaddr_un a = { .sun_family = AF_UNIX };
		int s = socket(AF_UNIX, SOCK_STREAM, 0);

		memcpy(a.sun_path, path, strlen(path) + 1);
		bind(s, (struct sockaddr *)&a, sizeof(a));
		close(s);
	}
	tap_is_int(t, pt_control_server_start(&o, &srv), 0, "a stale socket is replaced");
	pt_control_server_stop(srv);
	o.group = "no-such-group-here";
	tap_is_int(t, pt_control_server_start(&o, &srv), -ENOENT, "an unknown control group");
}

int main(void)
{
	struct tap t = { 0 };
	char dir[] = "/tmp/pt-control-XXXXXX";

	test_proto(&t);
	if (!mkdtemp(dir))
		tap_skip_all("mkdtemp failed");
	test_server(&t, dir);
	test_idle(&t, dir);
	test_unsafe_dirs(&t, dir);
	test_root_slot(&t, dir);
	{
		char cmd[64];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		if (system(cmd) != 0)
			tap_diag("could not remove %s", dir);
	}
	return tap_done(&t);
}
