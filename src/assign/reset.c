/*
 * Device reset for every backend: which reset the kernel would use (sysfs
 * reset_method), and the one log line that says what a device got.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "assign/backend.h"
#include "common/log.h"

const char *pt_assign_reset_method_name(const char *reset_method)
{
	static const struct { const char *kernel, *name; } names[] = {
		{ "flr", "flr" }, { "af_flr", "flr" }, { "pm", "pm" }, { "bus", "bus" },
		{ "cxl_bus", "bus" }, { "acpi", "acpi" }, { "device_specific", "device-specific" },
	};
	size_t len;

	if (!reset_method)
		return "function";
	reset_method += strspn(reset_method, " \t\n");
	len = strcspn(reset_method, " \t\n");
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strlen(names[i].kernel) == len && !strncmp(reset_method, names[i].kernel, len))
			return names[i].name;
	return "function";
}

char *pt_assign_reset_method(const char *dev_dir, char *buf, size_t size)
{
	char path[512], text[128];
	ssize_t n = -1;
	int fd;

	snprintf(path, sizeof(path), "%s/reset_method", dev_dir);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, text, sizeof(text) - 1);
		close(fd);
	}
	if (n >= 0)
		text[n] = 0;
	snprintf(buf, size, "%s", pt_assign_reset_method_name(n >= 0 ? text : NULL));
	return buf;
}

int pt_assign_reset(struct pt_assign_dev *d, const char *when, struct pt_assign_reset *ret)
{
	int r = 0;

	memset(ret, 0, sizeof(*ret));
	if (d->backend->reset) {
		r = d->backend->reset(d, ret);
	} else {
		snprintf(ret->method, sizeof(ret->method), "none");
		snprintf(ret->detail, sizeof(ret->detail), "the %s backend cannot reset devices",
			 d->backend->name);
	}
	if (!ret->method[0])
		snprintf(ret->method, sizeof(ret->method), "%s", r < 0 ? "function" : "none");
	if (r < 0)
		pt_err("%s: the reset %s (%s) failed: %s", d->name, when, ret->method,
		       ret->detail[0] ? ret->detail : strerror(-r));
	else if (!strcmp(ret->method, "none"))
		pt_warn("%s: no reset %s: %s", d->name, when,
			ret->detail[0] ? ret->detail : "the host offers none");
	else
		pt_info("%s: reset %s: %s%s%s", d->name, when, ret->method,
			ret->detail[0] ? ", " : "", ret->detail);
	return r;
}
