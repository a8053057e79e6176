/* One container and one KVM-VFIO device per VM (vfio/vm_share.h). */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "vfio/kvm_vfio.h"
#include "vfio/vm_share.h"

static void share_free(struct pt_vfio_vm_share *s)
{
	if (!s)
		return;
	pt_vfio_container_free(s->container);
	if (s->kvm_vfio_fd >= 0)
		close(s->kvm_vfio_fd);
	free(s->members);
	free(s);
}

int pt_vfio_share_get(void **slot, int vm_fd, struct pt_vfio_vm_share **ret)
{
	struct pt_vfio_vm_share *s = *slot;
	int r;

	if (!s) {
		s = calloc(1, sizeof(*s));
		if (!s)
			return -ENOMEM;
		s->kvm_vfio_fd = -1;
		r = pt_vfio_container_open(NULL, &s->container);
		if (r < 0) {
			free(s);
			return r;
		}
		*slot = s;
	}
	if (vm_fd >= 0 && s->kvm_vfio_fd < 0) {
		r = pt_kvm_vfio_create(vm_fd);
		if (r < 0) {
			if (!s->users) {
				share_free(s);
				*slot = NULL;
			}
			return r;
		}
		s->kvm_vfio_fd = r;
	}
	s->users++;
	*ret = s;
	return 0;
}

void pt_vfio_share_put(void **slot)
{
	struct pt_vfio_vm_share *s = *slot;

	if (!s || --s->users)
		return;
	share_free(s);
	*slot = NULL;
}

/* [gpa, gpa + size) inside one usable IOVA range, or the first hole it meets in *hole. */
static bool iova_fits(const struct pt_iova_range *ranges, int n, uint64_t gpa, uint64_t size,
		      struct pt_iova_range *hole)
{
	uint64_t last = gpa + size - 1, at = gpa;

	for (int i = 0; i < n; i++)
		if (ranges[i].start <= gpa && last <= ranges[i].end)
			return true;
	/* The hole: from the first address of the RAM no range covers. */
	for (bool moved = true; moved;) {
		moved = false;
		for (int i = 0; i < n; i++)
			if (ranges[i].start <= at && at <= ranges[i].end && ranges[i].end < last) {
				at = ranges[i].end + 1;
				moved = true;
			}
	}
	hole->start = at;
	hole->end = last;
	for (int i = 0; i < n; i++)
		if (ranges[i].start > at && ranges[i].start - 1 < hole->end)
			hole->end = ranges[i].start - 1;
	return false;
}

int pt_vfio_share_map_ram(struct pt_vfio_vm_share *s, const char *name, uint64_t gpa,
			  uint64_t size, void *hva)
{
	struct pt_iova_range ranges[PT_VFIO_MAX_IOVA_RANGES], hole;
	int n, r;

	for (unsigned i = 0; i < s->n_maps; i++) {
		if (s->maps[i].gpa == gpa && s->maps[i].size == size && s->maps[i].hva == hva)
			return 0; /* mapped for an earlier device of this VM */
	}
	if (s->n_maps == PT_VFIO_SHARE_MAX_MAPS)
		return -ENOSPC;
	n = pt_vfio_container_iova_ranges(s->container, ranges, PT_VFIO_MAX_IOVA_RANGES);
	if (n > 0 && !iova_fits(ranges, n, gpa, size, &hole)) {
		pt_err("%s: guest RAM at %#llx-%#llx overlaps %#llx-%#llx, which the IOMMU "
		       "reserves (the MSI window or a reserved region of the group: "
		       "/sys/kernel/iommu_groups/N/reserved_regions); give the VM less memory "
		       "below 4 GiB", name, (unsigned long long)gpa,
		       (unsigned long long)(gpa + size - 1), (unsigned long long)hole.start,
		       (unsigned long long)hole.end);
		return -EADDRNOTAVAIL;
	}
	r = pt_vfio_container_map(s->container, gpa, size, hva, true);
	if (r < 0)
		return r;
	s->maps[s->n_maps].gpa = gpa;
	s->maps[s->n_maps].size = size;
	s->maps[s->n_maps].hva = hva;
	s->n_maps++;
	return 0;
}

int pt_vfio_share_add_member(struct pt_vfio_vm_share *s, const struct pt_bdf *bdf,
			     int group_id, int group_fd)
{
	struct pt_reset_member *m = realloc(s->members, (s->n_members + 1) * sizeof(*m));

	if (!m)
		return -ENOMEM;
	s->members = m;
	s->members[s->n_members++] = (struct pt_reset_member){ .group_id = group_id,
							       .group_fd = group_fd, .bdf = *bdf };
	return 0;
}

void pt_vfio_share_del_member(struct pt_vfio_vm_share *s, const struct pt_bdf *bdf)
{
	for (size_t i = 0; i < s->n_members; i++) {
		if (pt_bdf_equal(&s->members[i].bdf, bdf)) {
			s->members[i] = s->members[--s->n_members];
			return;
		}
	}
}

const struct pt_reset_member *pt_vfio_share_group_member(const struct pt_vfio_vm_share *s,
							  int group_id)
{
	for (size_t i = 0; i < s->n_members; i++)
		if (s->members[i].group_id == group_id)
			return &s->members[i];
	return NULL;
}
