/* The config directory: where it is, one VM by name, every VM. */
#include "config.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/cleanup.h"
#include "config/vm_def.h"

#define CONF_SUFFIX ".conf"

bool pt_vm_name_valid(const char *name)
{
	size_t len = name ? strlen(name) : 0;

	if (!len || len > PT_VM_NAME_MAX || !isalnum((unsigned char)name[0]))
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];

		if (c >= 0x80 || !(isalnum(c) || c == '-' || c == '_' || c == '.'))
			return false;
	}
	return true;
}

const char *pt_config_dir(const char *option)
{
	const char *env;

	if (option && *option)
		return option;
	env = getenv("PASSTHRU_CONFIG_DIR");
	if (env && *env)
		return env;
	return SYSCONFDIR "/passthru/vms";
}

/* DIR/FILE, without doubling a trailing '/' of DIR. */
static char *join(const char *dir, const char *file, const char *suffix)
{
	size_t len = strlen(dir);
	char *path;

	if (asprintf(&path, "%s%s%s%s", dir, len && dir[len - 1] == '/' ? "" : "/", file,
		     suffix) < 0)
		return NULL;
	return path;
}

int pt_vm_def_find(const char *config_dir, const char *name, struct pt_vm_def **ret,
		   struct pt_config_errors *errs)
{
	_cleanup_free_ char *path = NULL;
	struct stat st;

	if (!pt_vm_name_valid(name)) {
		if (pt_config_error_add(errs, config_dir, 0,
					"'%s' is not a valid VM name: use 1 to %d letters, "
					"digits, '-', '_' and '.', starting with a letter or digit",
					name ? name : "", PT_VM_NAME_MAX) < 0)
			return -ENOMEM;
		return -EINVAL;
	}
	path = join(config_dir, name, CONF_SUFFIX);
	if (!path)
		return -ENOMEM;
	if (stat(path, &st) < 0 && errno == ENOENT) {
		if (pt_config_error_add(errs, path, 0, "no VM named '%s' is defined: "
					"there is no such file", name) < 0)
			return -ENOMEM;
		return -ENOENT;
	}
	return pt_vm_def_load(path, ret, errs);
}

static int conf_filter(const struct dirent *d)
{
	size_t len = strlen(d->d_name);

	return d->d_name[0] != '.' && len > strlen(CONF_SUFFIX) &&
	       !strcmp(d->d_name + len - strlen(CONF_SUFFIX), CONF_SUFFIX);
}

/* Byte order, not the locale's: the same list on every machine. */
static int name_order(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

/*
 * A VM whose control socket an earlier one (in name order) names too is refused:
 * the client would talk to whichever VMM holds the socket. Returns how many were
 * dropped from defs, or -ENOMEM.
 */
static int drop_shared_sockets(struct pt_vm_def **defs, size_t *n, struct pt_config_errors *errs)
{
	size_t kept = 0;
	int dropped = 0;

	for (size_t i = 0; i < *n; i++) {
		const struct pt_vm_def *first = NULL;

		for (size_t j = 0; j < kept && !first; j++)
			if (!strcmp(defs[j]->socket, defs[i]->socket))
				first = defs[j];
		if (!first) {
			defs[kept++] = defs[i];
			continue;
		}
		if (pt_config_error_add(errs, defs[i]->path, 0,
					"socket: %s is also the control socket of VM %s (%s): "
					"give each VM its own socket", defs[i]->socket,
					first->name, first->path) < 0)
			return -ENOMEM;
		pt_vm_def_free(defs[i]);
		dropped++;
	}
	*n = kept;
	return dropped;
}

int pt_vm_def_load_dir(const char *config_dir, struct pt_vm_def ***ret, size_t *ret_n,
		       struct pt_config_errors *errs)
{
	struct dirent **list = NULL;
	struct pt_vm_def **defs = NULL;
	size_t n_defs = 0;
	bool failed = false;
	int n, r = 0;

	n = scandir(config_dir, &list, conf_filter, name_order);
	if (n < 0) {
		r = -errno;
		if (pt_config_error_add(errs, config_dir, 0, "cannot read the directory: %s",
					strerror(-r)) < 0)
			r = -ENOMEM;
		return r;
	}
	if (n > 0) {
		defs = calloc((size_t)n, sizeof(*defs));
		if (!defs)
			r = -ENOMEM;
	}
	for (int i = 0; i < n && !r; i++) {
		_cleanup_free_ char *path = join(config_dir, list[i]->d_name, "");
		struct pt_vm_def *def;
		int k;

		if (!path) {
			r = -ENOMEM;
			break;
		}
		k = pt_vm_def_load(path, &def, errs);
		if (k == -ENOMEM)
			r = k;
		else if (k < 0)
			failed = true;
		else
			defs[n_defs++] = def;
	}
	for (int i = 0; i < n; i++)
		free(list[i]);
	free(list);
	if (!r) {
		int k = drop_shared_sockets(defs, &n_defs, errs);

		if (k < 0)
			r = k;
		else if (k > 0)
			failed = true;
	}
	if (r < 0) {
		pt_vm_defs_free(defs, n_defs);
		return r;
	}
	if (!n_defs) {
		free(defs);
		defs = NULL;
	}
	*ret = defs;
	*ret_n = n_defs;
	return failed ? -EINVAL : 0;
}
