#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/files.h"
#include "common/lockfile.h"

/* True if fd still is the file at path (not one unlinked by its last holder). */
static bool still_linked(int fd, const char *path)
{
	struct stat a, b;

	return fstat(fd, &a) == 0 && stat(path, &b) == 0 && a.st_dev == b.st_dev &&
	       a.st_ino == b.st_ino;
}

int pt_lockfile_acquire(const char *path, const char *text, int *ret_busy_fd)
{
	size_t len = strlen(text);
	int fd, r;

	r = pt_mkdir_parents(path);
	if (r < 0)
		return r;
	for (;;) {
		fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
		if (fd < 0)
			return -errno;
		if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
			r = errno == EWOULDBLOCK ? -EBUSY : -errno;
			if (r == -EBUSY && ret_busy_fd)
				*ret_busy_fd = fd;
			else
				close(fd);
			return r;
		}
		if (still_linked(fd, path))
			break;
		close(fd); /* its holder removed it between our open and flock: again */
	}
	if (ftruncate(fd, 0) < 0 || pwrite(fd, text, len, 0) != (ssize_t)len) {
		r = errno ? -errno : -EIO;
		unlink(path);
		close(fd);
		return r;
	}
	return fd;
}

int pt_lockfile_release(const char *path, int fd)
{
	int r = 0;

	if (fd < 0)
		return 0;
	if (unlink(path) < 0 && errno != ENOENT)
		r = -errno;
	close(fd);
	return r;
}
