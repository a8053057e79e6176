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

#include "common/files.h"
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

/* True if fd still is the file at path (not one unlinked by its last owner). */
static bool still_linked(int fd, const char *path)
{
	struct stat a, b;

	return fstat(fd, &a) == 0 && stat(path, &b) == 0 && a.st_dev == b.st_dev &&
	       a.st_ino == b.st_ino;
}

int pt_pidfile_acquire(const char *path, pid_t *ret_holder)
{
	char buf[32];
	int fd, r, len;

	r = pt_mkdir_parents(path);
	if (r < 0)
		return r;
	for (;;) {
		fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
		if (fd < 0)
			return -errno;
		if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
			r = errno == EWOULDBLOCK ? -EBUSY : -errno;
			if (ret_holder)
				*ret_holder = read_pid(fd);
			close(fd);
			return r;
		}
		if (still_linked(fd, path))
			break;
		close(fd); /* its owner removed it between our open and flock: again */
	}
	len = snprintf(buf, sizeof(buf), "%d\n", (int)getpid());
	if (ftruncate(fd, 0) < 0 || pwrite(fd, buf, (size_t)len, 0) != len) {
		r = -errno;
		unlink(path);
		close(fd);
		return r ? r : -EIO;
	}
	return fd;
}

void pt_pidfile_release(const char *path, int fd)
{
	if (fd < 0)
		return;
	unlink(path);
	close(fd);
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
