#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "host/iommu_group.h"
#include "host/sysroot.h"

void pt_group_members_free(struct pt_group_member *m, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(m[i].name);
		free(m[i].driver);
	}
	free(m);
}

static int member_cmp(const void *a, const void *b)
{
	const struct pt_group_member *x = a, *y = b;

	return strcmp(x->name, y->name);
}

int pt_iommu_group_peers(const char *sysroot, int group, const char *self,
			 struct pt_group_member **ret, size_t *ret_n)
{
	_cleanup_free_ char *dir = NULL;
	struct pt_group_member *items = NULL;
	size_t n = 0, cap = 0;
	struct dirent *e;
	DIR *d;
	int r;

	r = pt_host_path(sysroot, &dir, "/sys/kernel/iommu_groups/%d/devices", group);
	if (r < 0)
		return r;
	d = opendir(dir);
	if (!d)
		return -errno;
	r = 0;
	while ((e = readdir(d))) {
		_cleanup_free_ char *link = NULL;
		struct pt_group_member *m;

		if (e->d_name[0] == '.' || !strcmp(e->d_name, self))
			continue;
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 4;

			m = reallocarray(items, ncap, sizeof(*m));
			if (!m) {
				r = -ENOMEM;
				break;
			}
			items = m;
			cap = ncap;
		}
		m = &items[n];
		m->driver = NULL;
		m->name = strdup(e->d_name);
		if (!m->name) {
			r = -ENOMEM;
			break;
		}
		n++;
		if (asprintf(&link, "%s/%s/driver", dir, e->d_name) < 0) {
			link = NULL;
			r = -ENOMEM;
			break;
		}
		r = pt_read_link_name(link, &m->driver);
		if (r == -ENOENT) {
			r = 0; /* no driver bound */
		} else if (r < 0) {
			break;
		}
	}
	closedir(d);
	if (r < 0) {
		pt_group_members_free(items, n);
		return r;
	}
	if (n)
		qsort(items, n, sizeof(*items), member_cmp);
	*ret = items;
	*ret_n = n;
	return 0;
}
