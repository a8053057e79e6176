/* src/vmm/bar_layout.c: a BAR split into memory slots and trapped pages. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "tap.h"
#include "vmm/bar_layout.h"

#define PAGE 0x1000

/* The pieces as "m0-1000 t1000-2000 ..." (m: memory slot, t: trapped). */
static const char *show(const struct pt_bar_piece *p, int n)
{
	static char buf[512];
	size_t len = 0;

	buf[0] = 0;
	if (n < 0) {
		snprintf(buf, sizeof(buf), "error %d", n);
		return buf;
	}
	for (int i = 0; i < n; i++)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s%c%llx-%llx", i ? " " : "",
					p[i].map ? 'm' : 't', (unsigned long long)p[i].offset,
					(unsigned long long)(p[i].offset + p[i].size));
	return buf;
}

int main(void)
{
	struct tap t = { 0 };
	struct pt_bar_piece p[PT_BAR_MAX_PIECES];
	struct pt_bar_range whole16k = { 0, 0x4000 };
	struct pt_bar_range e1000e_msix[] = { { 0, 80 }, { 0x2000, 8 } };
	struct pt_bar_range sparse[] = { { 0, 0x1000 }, { 0x2000, 0x2000 } };
	struct pt_bar_range table_1000 = { 0x1000, 0x100 };
	struct pt_bar_range same_page[] = { { 0x3000, 0x200 }, { 0x3800, 8 } };
	struct pt_bar_range odd_area = { 0x800, 0x3000 };
	int n;

	n = pt_bar_split(0x4000, PAGE, &whole16k, 1, e1000e_msix, 2, p, PT_BAR_MAX_PIECES);
	tap_is_str(&t, show(p, n), "t0-1000 m1000-2000 t2000-3000 m3000-4000",
		   "e1000e's MSI-X BAR: the table's and the PBA's pages trap, the rest is mapped");
	n = pt_bar_split(0x20000, PAGE, &(struct pt_bar_range){ 0, 0x20000 }, 1, NULL, 0, p,
			 PT_BAR_MAX_PIECES);
	tap_is_str(&t, show(p, n), "m0-20000", "a BAR with nothing to trap: one memory slot");
	n = pt_bar_split(0x4000, PAGE, sparse, 2, &table_1000, 1, p, PT_BAR_MAX_PIECES);
	tap_is_str(&t, show(p, n), "m0-1000 t1000-2000 m2000-4000",
		   "sparse mmap areas around the table (VFIO without MSIX_MAPPABLE)");
	n = pt_bar_split(0x4000, PAGE, sparse, 2, NULL, 0, p, PT_BAR_MAX_PIECES);
	tap_is_str(&t, show(p, n), "m0-1000 t1000-2000 m2000-4000",
		   "what no area covers traps even with no MSI-X there");
	n = pt_bar_split(0x4000, PAGE, NULL, 0, e1000e_msix, 2, p, PT_BAR_MAX_PIECES);
	tap_is_str(&t, show(p, n), "t0-4000", "no mmap areas: one trapped piece");
	n = pt_bar_split(0x100, PAGE, &(struct pt_bar_range){ 0, 0x100 }, 1, NULL, 0, p,
			 PT_BAR_MAX_PIECES);
	tap_is_str(&t, show(p, n), "t0-100", "a BAR smaller than a page traps whole");
	n = pt_bar_split(0x4000, PAGE, &whole16k, 1, same_page, 2, p, PT_BAR_MAX_PIECES);
	tap_is_str(&t, show(p, n), "m0-3000 t3000-4000",
		   "table and PBA in one page at the end: one trapped page");
	n = pt_bar_split(0x4000, PAGE, &odd_area, 1, NULL, 0, p, PT_BAR_MAX_PIECES);
	tap_is_str(&t, show(p, n), "t0-1000 m1000-3000 t3000-4000",
		   "an area that is no whole pages shrinks to the pages inside it");
	n = pt_bar_split(0x4000, PAGE, &whole16k, 1, &(struct pt_bar_range){ 0x3ff0, 0x100 }, 1,
			 p, PT_BAR_MAX_PIECES);
	tap_is_str(&t, show(p, n), "m0-3000 t3000-4000", "a trap running past the end is clipped");
	n = pt_bar_split(0x4000, 0x3000, &whole16k, 1, NULL, 0, p, PT_BAR_MAX_PIECES);
	tap_is_int(&t, n, -EINVAL, "a page size that is no power of two: -EINVAL");
	n = pt_bar_split(0x4000, PAGE, &whole16k, 1, e1000e_msix, 2, p, 3);
	tap_is_int(&t, n, -ENOSPC, "more pieces than room for: -ENOSPC");
	n = pt_bar_split(0, PAGE, NULL, 0, NULL, 0, p, PT_BAR_MAX_PIECES);
	tap_is_int(&t, n, 0, "an empty BAR: no pieces");
	return tap_done(&t);
}
