#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "common/parse.h"
#include "vmm/group_fds.h"

int pt_group_fds_add(struct pt_group_fds *g, const char *arg)
{
	const char *eq = strchr(arg, '='), *why = NULL;
	char bdf[32];
	uint64_t fd;
	int flags;

	if (g->n == PT_PCI_SLOTS) {
		pt_err("--group-fd %s: at most %d", arg, PT_PCI_SLOTS);
		return -EINVAL;
	}
	if (!eq || (size_t)(eq - arg) >= sizeof(bdf)) {
		pt_err("--group-fd %s: expected BDF=FD, such as 0000:03:00.0=5", arg);
		return -EINVAL;
	}
	memcpy(bdf, arg, (size_t)(eq - arg));
	bdf[eq - arg] = 0;
	if (pt_bdf_parse(bdf, &g->items[g->n].bdf, &why) < 0) {
		pt_err("--group-fd %s: %s (expected a PCI address such as 0000:03:00.0)", arg,
		       why ? why : "not a PCI address");
		return -EINVAL;
	}
	if (pt_parse_u64(eq + 1, 3, 65535, &fd) < 0) {
		pt_err("--group-fd %s: \"%s\" is not a descriptor number (3 or more)", arg, eq + 1);
		return -EINVAL;
	}
	flags = fcntl((int)fd, F_GETFD);
	if (flags < 0) {
		pt_err("--group-fd %s: descriptor %llu is not open (passthru-ctl hands it over "
		       "open; run by hand, leave --group-fd out)", arg, (unsigned long long)fd);
		return -EINVAL;
	}
	fcntl((int)fd, F_SETFD, flags | FD_CLOEXEC);
	for (size_t i = 0; i < g->n; i++)
		if (pt_bdf_equal(&g->items[i].bdf, &g->items[g->n].bdf)) {
			pt_err("--group-fd %s: %s has a descriptor already", arg, bdf);
			return -EINVAL;
		}
	g->items[g->n].fd = (int)fd;
	g->items[g->n].taken = false;
	g->n++;
	return 0;
}

int pt_group_fds_take(struct pt_group_fds *g, const struct pt_bdf *bdf)
{
	for (size_t i = 0; i < g->n; i++) {
		if (!pt_bdf_equal(&g->items[i].bdf, bdf))
			continue;
		if (g->items[i].taken)
			return -EALREADY;
		g->items[i].taken = true;
		/* One fd may be handed for several functions of one group: each its own. */
		for (size_t j = 0; j < g->n; j++)
			if (j != i && g->items[j].fd == g->items[i].fd && g->items[j].taken) {
				int dup = fcntl(g->items[i].fd, F_DUPFD_CLOEXEC, 3);

				return dup < 0 ? -errno : dup;
			}
		return g->items[i].fd;
	}
	return -ENOENT;
}

const struct pt_bdf *pt_group_fds_stray(const struct pt_group_fds *g,
					const struct pt_bdf *const *devices, size_t n)
{
	for (size_t i = 0; i < g->n; i++) {
		bool found = false;

		for (size_t j = 0; j < n && !found; j++)
			found = pt_bdf_equal(&g->items[i].bdf, devices[j]);
		if (!found)
			return &g->items[i].bdf;
	}
	return NULL;
}

void pt_group_fds_close(struct pt_group_fds *g)
{
	for (size_t i = 0; i < g->n; i++) {
		bool shared = false;

		if (g->items[i].taken)
			continue;
		/* Not if a device took the same fd under another function's name. */
		for (size_t j = 0; j < g->n; j++)
			shared |= j != i && g->items[j].taken && g->items[j].fd == g->items[i].fd;
		if (!shared)
			close(g->items[i].fd);
		g->items[i].taken = true;
	}
}
