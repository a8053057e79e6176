/*
 * The VFIO backend's reset: the function's own reset when VFIO offers one
 * (VFIO_DEVICE_RESET: FLR, PM, a bus reset of a bus it has alone, ...; sysfs
 * reset_method says which the kernel uses), else a hot reset of its slot or bus when
 * everything that reaches is this VM's to reset (reset_plan.h), else none, saying why.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "vfio/backend_impl.h"
#include "vfio/hot_reset.h"

static void dev_dir(const struct pt_vfio_assign *v, char *buf, size_t size)
{
	const char *root = v->env.sysroot && strcmp(v->env.sysroot, "/") ? v->env.sysroot : "";

	snprintf(buf, size, "%s/sys/bus/pci/devices/%s", root, v->base.name);
}

static int function_reset(struct pt_vfio_assign *v, struct pt_assign_reset *ret)
{
	char dir[256];
	int r;

	dev_dir(v, dir, sizeof(dir));
	pt_assign_reset_method(dir, ret->method, sizeof(ret->method));
	r = pt_vfio_device_reset(v->dev);
	if (r < 0)
		snprintf(ret->detail, sizeof(ret->detail), "VFIO_DEVICE_RESET: %s", strerror(-r));
	return r;
}

static int hot_reset(struct pt_vfio_assign *v, struct pt_assign_reset *ret)
{
	static const char none[] = "no FLR, PM or bus reset of its own";
	struct pt_reset_affected *aff = NULL;
	char why[sizeof(ret->detail) - sizeof(none) - 4];
	size_t n_aff = 0, n_fds = 0;
	int *fds = NULL, r;

	snprintf(ret->method, sizeof(ret->method), "none");
	r = pt_vfio_hot_reset_info(v->dev, &aff, &n_aff);
	if (r == -ENODEV || r == -ENOTTY) {
		snprintf(ret->detail, sizeof(ret->detail), "%s, and its slot or bus cannot be "
			 "reset either (%s)", none, v->base.bdf.bus ? "its bridge offers no bus reset"
				: "on the root bus there is no bridge above it to reset");
		return 0;
	}
	if (r < 0) {
		snprintf(ret->detail, sizeof(ret->detail), "%s; VFIO_DEVICE_GET_PCI_HOT_RESET_INFO: %s",
			 none, strerror(-r));
		return 0;
	}
	fds = calloc(n_aff ? n_aff : 1, sizeof(*fds));
	if (!fds) {
		free(aff);
		return -ENOMEM;
	}
	if (!pt_reset_plan_hot(&v->base.bdf, aff, n_aff, v->share->members, v->share->n_members,
			       fds, n_aff, &n_fds, why, sizeof(why))) {
		snprintf(ret->detail, sizeof(ret->detail), "%s; %s", none, why);
		r = 0;
		goto out;
	}
	snprintf(ret->method, sizeof(ret->method), "hot-reset");
	r = pt_vfio_hot_reset(v->dev, fds, n_fds);
	if (r < 0)
		snprintf(ret->detail, sizeof(ret->detail), "VFIO_DEVICE_PCI_HOT_RESET: %s",
			 strerror(-r));
	else if (why[0])
		snprintf(ret->detail, sizeof(ret->detail), "with %s", why);
out:
	free(fds);
	free(aff);
	return r;
}

/*
 * A function reset VFIO offered that the kernel then finds it cannot do (-ENOTTY: a
 * reset method probed when the function was alone on its bus, its companions
 * added since) is no failure: the hot reset is tried instead.
 */
int pt_vfio_reset(struct pt_assign_dev *d, struct pt_assign_reset *ret)
{
	struct pt_vfio_assign *v = (struct pt_vfio_assign *)d;
	int r;

	if (pt_vfio_device_can_reset(v->dev)) {
		r = function_reset(v, ret);
		if (r != -ENOTTY)
			return r;
		pt_info("%s: VFIO_DEVICE_RESET: the kernel has no %s reset for it after all; "
			"trying a hot reset", d->name, ret->method);
		memset(ret, 0, sizeof(*ret));
	}
	return hot_reset(v, ret);
}
