#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "host/sysroot.h"

bool pt_sysroot_is_real(const char *sysroot)
{
	if (!sysroot || !*sysroot)
		return true;
	while (*sysroot == '/')
		sysroot++;
	return !*sysroot;
}

int pt_host_path(const char *sysroot, char **ret, const char *fmt, ...)
{
	_cleanup_free_ char *tail = NULL;
	char *out;
	va_list ap;
	size_t len;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&tail, fmt, ap);
	va_end(ap);
	if (r < 0) {
		tail = NULL;
		return -ENOMEM;
	}
	if (pt_sysroot_is_real(sysroot)) {
		*ret = TAKE_PTR(tail);
		return 0;
	}
	len = strlen(sysroot);
	while (len > 1 && sysroot[len - 1] == '/')
		len--;
	if (asprintf(&out, "%.*s%s%s", (int)len, sysroot, tail[0] == '/' ? "" : "/", tail) < 0)
		return -ENOMEM;
	*ret = out;
	return 0;
}

int pt_read_text(const char *path, char **ret)
{
	_cleanup_close_ int fd = -1;
	_cleanup_free_ char *buf = NULL;
	size_t len = 0, size = 4096;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	buf = malloc(size);
	if (!buf)
		return -ENOMEM;
	for (;;) {
		ssize_t n;

		if (len + 1 >= size) {
			char *bigger;

			if (size >= 1 << 20)
				return -EFBIG;
			bigger = realloc(buf, size * 2);
			if (!bigger)
				return -ENOMEM;
			buf = bigger;
			size *= 2;
		}
		n = read(fd, buf + len, size - len - 1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	while (len > 0 && buf[len - 1] == '\n')
		len--;
	buf[len] = '\0';
	*ret = TAKE_PTR(buf);
	return 0;
}

int pt_read_link_name(const char *path, char **ret)
{
	char target[PATH_MAX];
	const char *slash;
	char *name;
	ssize_t n;

	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return -errno;
	target[n] = '\0';
	slash = strrchr(target, '/');
	name = strdup(slash ? slash + 1 : target);
	if (!name)
		return -ENOMEM;
	*ret = name;
	return 0;
}

int pt_read_long(const char *path, long *ret)
{
	_cleanup_free_ char *text = NULL;
	char *end;
	long v;
	int r;

	r = pt_read_text(path, &text);
	if (r < 0)
		return r;
	errno = 0;
	v = strtol(text, &end, 0);
	if (end == text || *end || errno)
		return -EINVAL;
	*ret = v;
	return 0;
}

bool pt_path_exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}
