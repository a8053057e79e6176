/*
 * Mapping guest RAM for DMA: the VMM's way (src/vfio/container.h, which
 * passthru-vmm's device-add calls for the VM's RAM) against one raw
 * VFIO_IOMMU_MAP_DMA on a container set up by hand, for the same size of memory
 * allocated as the VMM allocates guest RAM (shared anonymous, not reserved), its
 * pages populated first.
 *
 * Each round maps once each way, in a new container and fresh memory, the order
 * alternating between rounds; only the map call is timed. The group of BDF (on
 * vfio-pci) joins one container at a time. Prints the medians and
 *   dma_map_vs_raw: raw / ours (1 = the same cost; the target is 0.9 or more)
 * Usage: bench-vfio-dma BDF MIB ROUNDS
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <linux/vfio.h>

#include "vfio/container.h"

#define MAX_ROUNDS 101

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/*
 * Guest RAM as src/vmm/vm.c maps it (without huge pages), every page written once, as
 * a running guest's RAM mostly is: the map then measures pinning and IOMMU mapping,
 * not the allocation of fresh pages.
 */
static void *guest_ram(size_t size)
{
	long page = sysconf(_SC_PAGESIZE);
	char *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (p == MAP_FAILED) {
		fprintf(stderr, "bench-vfio-dma: mmap of %zu bytes: %s\n", size, strerror(errno));
		return NULL;
	}
	for (size_t off = 0; off < size; off += (size_t)page)
		p[off] = 1;
	return p;
}

/* The group number of bdf, from its iommu_group link; -1 if it has none. */
static int group_of(const char *bdf)
{
	char path[PATH_MAX], target[PATH_MAX];
	const char *slash;
	ssize_t n;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/iommu_group", bdf);
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return -1;
	target[n] = 0;
	slash = strrchr(target, '/');
	return slash ? atoi(slash + 1) : -1;
}

/* One map through the container object; its time in ms, or < 0. */
static double map_ours(int group_fd, int group, size_t size)
{
	struct pt_vfio_container *c = NULL;
	double t = -1, t0;
	void *ram = guest_ram(size);

	if (!ram)
		return -1;
	if (pt_vfio_container_open(NULL, &c) < 0)
		goto out;
	if (pt_vfio_container_add_group(c, group_fd, group) < 0)
		goto out;
	t0 = now_ms();
	if (pt_vfio_container_map(c, 0, size, ram, true) == 0)
		t = now_ms() - t0;
	pt_vfio_container_remove_group(c, group_fd, group);
out:
	pt_vfio_container_free(c);
	munmap(ram, size);
	return t;
}

/* One raw VFIO_IOMMU_MAP_DMA on a container made with the bare ioctls. */
static double map_raw(int group_fd, size_t size)
{
	struct vfio_iommu_type1_dma_map map = {
		.argsz = sizeof(map),
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		.iova = 0,
		.size = size,
	};
	double t = -1, t0;
	void *ram = guest_ram(size);
	int fd;

	if (!ram)
		return -1;
	fd = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "bench-vfio-dma: /dev/vfio/vfio: %s\n", strerror(errno));
		goto out;
	}
	if (ioctl(group_fd, VFIO_GROUP_SET_CONTAINER, &fd) < 0 ||
	    ioctl(fd, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU) < 0) {
		fprintf(stderr, "bench-vfio-dma: raw container: %s\n", strerror(errno));
		goto out_group;
	}
	map.vaddr = (uintptr_t)ram;
	t0 = now_ms();
	if (ioctl(fd, VFIO_IOMMU_MAP_DMA, &map) == 0)
		t = now_ms() - t0;
	else
		fprintf(stderr, "bench-vfio-dma: VFIO_IOMMU_MAP_DMA: %s\n", strerror(errno));
out_group:
	ioctl(group_fd, VFIO_GROUP_UNSET_CONTAINER);
	close(fd);
out:
	munmap(ram, size);
	return t;
}

int main(int argc, char **argv)
{
	double ours[MAX_ROUNDS], raw[MAX_ROUNDS], mo, mr;
	char path[64];
	size_t size;
	int rounds, group, group_fd;

	if (argc != 4 || atoi(argv[2]) <= 0 || atoi(argv[3]) <= 0) {
		fprintf(stderr, "usage: bench-vfio-dma BDF MIB ROUNDS\n");
		return 2;
	}
	size = (size_t)atoi(argv[2]) << 20;
	rounds = atoi(argv[3]) < MAX_ROUNDS ? atoi(argv[3]) : MAX_ROUNDS;
	group = group_of(argv[1]);
	if (group < 0) {
		fprintf(stderr, "bench-vfio-dma: %s has no IOMMU group\n", argv[1]);
		return 1;
	}
	snprintf(path, sizeof(path), "/dev/vfio/%d", group);
	group_fd = open(path, O_RDWR | O_CLOEXEC);
	if (group_fd < 0) {
		fprintf(stderr, "bench-vfio-dma: %s: %s (is %s on vfio-pci?)\n", path,
			strerror(errno), argv[1]);
		return 1;
	}
	for (int i = 0; i < rounds; i++) {
		if (i % 2) {
			raw[i] = map_raw(group_fd, size);
			ours[i] = map_ours(group_fd, group, size);
		} else {
			ours[i] = map_ours(group_fd, group, size);
			raw[i] = map_raw(group_fd, size);
		}
		if (ours[i] < 0 || raw[i] < 0)
			return 1;
	}
	close(group_fd);
	mo = median(ours, rounds);
	mr = median(raw, rounds);
	printf("dma_map_ours_ms: %.2f\n", mo);
	printf("dma_map_raw_ms: %.2f\n", mr);
	printf("dma_map_vs_raw: %.3f\n", mr / mo);
	printf("# dma_map_vs_raw = raw / ours: medians of %d rounds of one %zu MiB map each way "
	       "(container.h vs a bare VFIO_IOMMU_MAP_DMA), order alternating\n", rounds,
	       size >> 20);
	return 0;
}
