/*
 * passthru-ctl console VM: relays this terminal to a running VM's serial console, the
 * pseudo-terminal its VMM reports in status. One session at a time (a lock on the
 * pty); Ctrl-] on a terminal leaves; the session ends by itself when the VM stops.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <termios.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/exit_status.h"
#include "common/log.h"
#include "common/signals.h"
#include "ctl/ctl.h"
#include "ctl/vm_runtime.h"

#define ESCAPE_CHAR 0x1d /* Ctrl-] as telnet and virsh console use it */

static int write_all(int fd, const char *buf, size_t n)
{
	while (n) {
		ssize_t w = write(fd, buf, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno == EAGAIN) {
			struct pollfd p = { .fd = fd, .events = POLLOUT };

			if (poll(&p, 1, 1000) <= 0)
				return -EAGAIN; /* the guest does not read its input */
			continue;
		}
		if (w < 0)
			return -errno;
		buf += w;
		n -= (size_t)w;
	}
	return 0;
}

/* The pty path status reported, checked to be one: a VMM's answer is not trusted blindly. */
static int open_console(const char *name, const char *path)
{
	int fd;

	if (strncmp(path, "/dev/pts/", 9)) {
		pt_err("%s: its VMM reports the console at %s, which is not a pseudo-terminal",
		       name, path);
		return -PT_EXIT_FAILURE;
	}
	fd = open(path, O_RDWR | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		pt_err("%s: cannot open its console %s: %m", name, path);
		return errno == EACCES ? -PT_EXIT_REFUSED : -PT_EXIT_FAILURE;
	}
	if (!isatty(fd)) {
		pt_err("%s: %s is not a terminal", name, path);
		close(fd);
		return -PT_EXIT_FAILURE;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		pt_err("%s: its console %s is in use by another passthru-ctl console", name, path);
		close(fd);
		return -PT_EXIT_REFUSED;
	}
	return fd;
}

/* Relays until the console hangs up (0), Ctrl-] (0), a signal (0) or an error. */
static int relay(const char *name, int con, int sfd, bool tty)
{
	bool input = true;
	char buf[4096];

	for (;;) {
		struct pollfd p[3] = {
			{ .fd = con, .events = POLLIN },
			{ .fd = input ? STDIN_FILENO : -1, .events = POLLIN },
			{ .fd = sfd, .events = POLLIN },
		};
		ssize_t n;

		if (poll(p, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (p[2].revents)
			return 0;
		if (p[0].revents) {
			n = read(con, buf, sizeof(buf));
			if (n > 0) {
				if (write_all(STDOUT_FILENO, buf, (size_t)n) < 0)
					return -EPIPE;
			} else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
				fprintf(stderr, "\r\n%s: %s's console closed: the VM stopped\r\n",
					program_invocation_short_name, name);
				return 0;
			}
		}
		if (p[1].revents) {
			char *esc;

			n = read(STDIN_FILENO, buf, sizeof(buf));
			if (n <= 0) {
				if (n == 0 || (errno != EAGAIN && errno != EINTR))
					input = false; /* keep showing output until the VM stops */
				continue;
			}
			esc = tty ? memchr(buf, ESCAPE_CHAR, (size_t)n) : NULL;
			if (write_all(con, buf, esc ? (size_t)(esc - buf) : (size_t)n) < 0)
				pt_warn("%s: the guest does not read its console: input dropped",
					name);
			if (esc)
				return 0;
		}
	}
}

static int attach(const char *name, const char *path)
{
	_cleanup_close_ int con = -1, sfd = -1;
	struct termios saved, raw;
	bool tty = isatty(STDIN_FILENO);
	int r;

	con = open_console(name, path);
	if (con < 0)
		return -con;
	sfd = pt_stop_signalfd();
	if (sfd < 0) {
		pt_err("signalfd: %s", strerror(-sfd));
		return PT_EXIT_FAILURE;
	}
	if (tty && tcgetattr(STDIN_FILENO, &saved) == 0) {
		raw = saved;
		cfmakeraw(&raw);
		tcsetattr(STDIN_FILENO, TCSANOW, &raw);
	} else {
		tty = false;
	}
	fprintf(stderr, "%s: connected to %s's console (%s)%s\r\n", program_invocation_short_name,
		name, path, tty ? "; Ctrl-] leaves" : "");
	r = relay(name, con, sfd, tty);
	if (tty)
		tcsetattr(STDIN_FILENO, TCSANOW, &saved);
	if (r < 0 && r != -EPIPE) {
		pt_err("%s: console: %s", name, strerror(-r));
		return PT_EXIT_FAILURE;
	}
	return PT_EXIT_OK;
}

int pt_cmd_console(struct pt_ctl *ctl, int argc, char **argv)
{
	struct pt_vm_runtime rt;
	const char *name, *kind, *path;
	json_t *st = NULL, *con;
	int status;

	if (!pt_ctl_open_vm_arg(ctl, argc, argv, false, &rt, &status))
		return status;
	name = rt.def->name;
	status = pt_vm_runtime_call(&rt, "status", NULL, &st);
	if (status)
		goto out;
	con = json_object_get(st, "console");
	kind = json_string_value(json_object_get(con, "kind"));
	path = json_string_value(json_object_get(con, "path"));
	if (!kind || strcmp(kind, "pty") || !path) {
		pt_err("%s: its console is %s%s%s, not a pty: set console = pty in its definition "
		       "(passthru-ctl start gives a stdio console a pty by itself)", name,
		       kind ? kind : "unknown", path ? " " : "", path ? path : "");
		status = PT_EXIT_FAILURE;
		goto out;
	}
	status = attach(name, path);
out:
	json_decref(st);
	pt_vm_runtime_close(&rt);
	return status;
}
