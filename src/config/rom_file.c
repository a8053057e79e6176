/* ROM image files named by `rom = /PATH`: read whole, or refused with the reason. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/rom_file.h"

static int fail(int err, const char *why, const char **ret_why)
{
	if (ret_why)
		*ret_why = why;
	return err;
}

int pt_rom_fd_read(int fd, uint8_t **ret, size_t *ret_len, const char **ret_why)
{
	struct stat st;
	uint8_t *buf;
	size_t got = 0;
	int err;

	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		return fail(-EINVAL, "is not a regular file", ret_why);
	if (st.st_size == 0)
		return fail(-ENODATA, "is empty", ret_why);
	if ((uint64_t)st.st_size > PT_ROM_FILE_MAX)
		return fail(-EFBIG, "is larger than 16 MiB", ret_why);
	buf = malloc((size_t)st.st_size);
	if (!buf)
		return fail(-ENOMEM, strerror(ENOMEM), ret_why);
	while (got < (size_t)st.st_size) {
		ssize_t n = pread(fd, buf + got, (size_t)st.st_size - got, (off_t)got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			err = n < 0 ? errno : EIO;
			free(buf);
			return fail(-err, n < 0 ? strerror(err) : "shrank while it was read", ret_why);
		}
		got += (size_t)n;
	}
	*ret = buf;
	*ret_len = got;
	return 0;
}

int pt_rom_file_read(const char *path, uint8_t **ret, size_t *ret_len, const char **ret_why)
{
	int fd, r;

	/* O_NONBLOCK: a FIFO named here must not hang the caller before fstat refuses it. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0) {
		r = errno;
		return fail(-r, strerror(r), ret_why);
	}
	r = pt_rom_fd_read(fd, ret, ret_len, ret_why);
	close(fd);
	return r;
}

int pt_vm_def_check_rom_files(const struct pt_vm_def *def, struct pt_config_errors *errs)
{
	int status = 0;

	for (size_t i = 0; i < def->n_devices; i++) {
		const struct pt_dev_def *dev = &def->devices[i];
		const char *why = NULL;
		uint8_t *img = NULL;
		size_t len;
		int r;

		if (dev->rom != PT_ROM_FILE)
			continue;
		r = pt_rom_file_read(dev->rom_file, &img, &len, &why);
		free(img);
		if (r == -ENOMEM)
			return r;
		if (r == 0)
			continue;
		status = -EINVAL;
		if (pt_config_error_add(errs, def->path ? def->path : def->name, dev->rom_line,
					"rom: '%s' %s%s: use auto, off or the absolute path of a "
					"readable ROM image of 1 byte to 16 MiB", dev->rom_file,
					r == -EINVAL || r == -ENODATA || r == -EFBIG ?
					"" : "cannot be read: ", why) < 0)
			return -ENOMEM;
	}
	return status;
}
