#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <linux/mman.h> /* MAP_HUGE_2MB */
#include <sys/mman.h>

#include "common/log.h"
#include "vmm/ram.h"

static int map_hugetlb(size_t size, void **ret)
{
	/*
	 * Reserved at mmap time (no MAP_NORESERVE): with MAP_NORESERVE the mmap succeeded
	 * on an empty pool and the first write killed the VMM with SIGBUS.
	 */
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS | MAP_HUGETLB | MAP_HUGE_2MB, -1, 0);

	if (p == MAP_FAILED)
		return -errno;
	*ret = p;
	return 0;
}

/*
 * Private anonymous memory on a 2 MiB boundary: size plus one alignment unit mapped,
 * then what lies before the boundary and after size unmapped again.
 * MAP_NORESERVE: the host overcommits it as it likes.
 */
static int map_normal(size_t size, void **ret)
{
	size_t len = size + PT_RAM_ALIGN;
	uint8_t *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	uint8_t *start, *end;

	if (p == MAP_FAILED)
		return -errno;
	start = (uint8_t *)(((uintptr_t)p + PT_RAM_ALIGN - 1) & ~(uintptr_t)(PT_RAM_ALIGN - 1));
	end = start + size;
	if (start > p)
		munmap(p, (size_t)(start - p));
	if (p + len > end)
		munmap(end, (size_t)(p + len - end));
	/* Advice only: a kernel without THP (EINVAL) still gives working memory. */
	if (madvise(start, size, MADV_HUGEPAGE) < 0 && errno != EINVAL)
		pt_debug("guest RAM: madvise(MADV_HUGEPAGE): %m");
	if (madvise(start, size, MADV_DONTFORK) < 0)
		pt_debug("guest RAM: madvise(MADV_DONTFORK): %m");
	*ret = start;
	return 0;
}

int pt_ram_map(size_t size, bool hugetlb, void **ret)
{
	if (!size || size > SIZE_MAX - PT_RAM_ALIGN)
		return -EINVAL;
	return hugetlb ? map_hugetlb(size, ret) : map_normal(size, ret);
}

void pt_ram_unmap(void *ram, size_t size)
{
	if (ram)
		munmap(ram, size);
}
