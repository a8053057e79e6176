/* Whether a hot reset may be done (vfio/reset_plan.h). */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "vfio/reset_plan.h"

static const struct pt_reset_member *member_in_group(const struct pt_reset_member *m, size_t n,
						     int group_id)
{
	for (size_t i = 0; i < n; i++)
		if (m[i].group_id == group_id)
			return &m[i];
	return NULL;
}

static bool is_member(const struct pt_reset_member *m, size_t n, const struct pt_bdf *bdf)
{
	for (size_t i = 0; i < n; i++)
		if (pt_bdf_equal(&m[i].bdf, bdf))
			return true;
	return false;
}

/* Appends ", NAME" (or "NAME") to why, as far as it fits. */
static void append_name(char *why, size_t size, const struct pt_bdf *bdf)
{
	char name[PT_BDF_STRLEN];
	size_t len = strlen(why);

	if (len < size)
		snprintf(why + len, size - len, "%s%s", len ? ", " : "", pt_bdf_format(bdf, name));
}

bool pt_reset_plan_hot(const struct pt_bdf *self, const struct pt_reset_affected *aff,
		       size_t n_aff, const struct pt_reset_member *members, size_t n_members,
		       int *fds, size_t max_fds, size_t *n_fds, char *why, size_t why_size)
{
	char name[PT_BDF_STRLEN];
	size_t n = 0;

	*n_fds = 0;
	if (why_size)
		why[0] = 0;
	for (size_t i = 0; i < n_aff; i++) {
		const struct pt_reset_member *m = member_in_group(members, n_members, aff[i].group_id);
		bool self_one = pt_bdf_equal(&aff[i].bdf, self), seen = false;

		if (!m) {
			snprintf(why, why_size, "a hot reset would also reset %s (group %d), which this "
				 "VM does not hold", pt_bdf_format(&aff[i].bdf, name), aff[i].group_id);
			return false;
		}
		if (!self_one && is_member(members, n_members, &aff[i].bdf)) {
			snprintf(why, why_size, "a hot reset would also reset %s, which is assigned to "
				 "this VM too", pt_bdf_format(&aff[i].bdf, name));
			return false;
		}
		for (size_t k = 0; k < n; k++)
			seen |= fds[k] == m->group_fd;
		if (!seen) {
			if (n == max_fds) {
				snprintf(why, why_size, "a hot reset would need more than %zu groups",
					 max_fds);
				return false;
			}
			fds[n++] = m->group_fd;
		}
	}
	for (size_t i = 0; i < n_aff; i++)
		if (!pt_bdf_equal(&aff[i].bdf, self))
			append_name(why, why_size, &aff[i].bdf);
	if (!n) {
		snprintf(why, why_size, "the kernel names no function a hot reset would reach");
		return false;
	}
	*n_fds = n;
	return true;
}
