#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/lockfile.h"
#include "common/pidfile.h"

static pid_t read_pid(int fd)
{
	char buf[32];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
	char *end;
	long v;

	if (n <= 0)
		return 0;
	buf[n] = 0;
	errno = 0;
	v = strtol(buf, &end, 10);
	/* pid 1 is init, never a VMM: a file saying 1 is as good as garbage. */
	if (errno || end == buf || (*end && *end != '\n') || v <= 1 || v > 0x7fffffff)
		return 0;
	return (pid_t)v;
}

int pt_pidfile_acquire(const char *path, pid_t *ret_holder)
{
	char buf[32];
	int busy = -1, fd;

	snprintf(buf, sizeof(buf), "%d\n", (int)getpid());
	fd = pt_lockfile_acquire(path, buf, &busy);
	if (fd == -EBUSY && ret_holder)
		*ret_holder = read_pid(busy);
	if (busy >= 0)
		close(busy);
	return fd;
}

void pt_pidfile_release(const char *path, int fd)
{
	pt_lockfile_release(path, fd);
}

int pt_pidfile_probe(const char *path, pid_t *ret_pid)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	int r;

	*ret_pid = 0;
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	*ret_pid = read_pid(fd);
	if (flock(fd, LOCK_SH | LOCK_NB) == 0)
		r = 0;
	else
		r = errno == EWOULDBLOCK ? 1 : -errno;
	close(fd);
	return r;
}
