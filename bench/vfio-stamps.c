/*
 * LD_PRELOAD library for passthru-vmm in bench/vfio.sh: where the time of a
 * device-add goes, seen from inside the VMM without changing it.
 *
 * A device-add is the one control request that carries a descriptor (the VFIO
 * group fd, SCM_RIGHTS): its recvmsg starts the clock. The VFIO_IOMMU_MAP_DMA
 * ioctls that follow are timed one by one, and the next send (the reply) stops
 * the clock. For each device-add one line is appended to the file named by
 * PASSTHRU_BENCH_STAMPS:
 *   device-add req_ns=T0 reply_ns=T1 open_us=A map_us=B wiring_us=C maps=N
 * T0 and T1 are CLOCK_REALTIME (comparable with the caller's clock); A runs from
 * the request to the first map (group checks, container, IOMMU model, KVM-VFIO,
 * device fd, reset), B is the maps themselves, C from the last map to the reply
 * (regions, BAR mmaps, the guest's PCI function, config space, INTx wiring).
 * A map outside a device-add (a device given at the VMM's start) is a line of its own:
 *   map us=D bytes=N
 * Every other call passes straight through.
 */
#include "config.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <linux/vfio.h>

/* One device-add at a time: the VMM serializes them on its control thread. */
static struct {
	int armed;
	unsigned maps;
	int64_t req, first_map, last_map_end, map_ns;
} st;

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void *next(const char *name)
{
	void *f = dlsym(RTLD_NEXT, name);

	if (!f) {
		fprintf(stderr, "vfio-stamps: no %s after this library\n", name);
		abort();
	}
	return f;
}

static void append(const char *line, int n)
{
	const char *path = getenv("PASSTHRU_BENCH_STAMPS");
	int fd;

	if (!path || n <= 0)
		return;
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0)
		return;
	if (write(fd, line, (size_t)n) != n)
		fprintf(stderr, "vfio-stamps: short write to %s\n", path);
	close(fd);
}

static int carries_fds(const struct msghdr *msg)
{
	for (struct cmsghdr *h = CMSG_FIRSTHDR(msg); h; h = CMSG_NXTHDR((struct msghdr *)msg, h))
		if (h->cmsg_level == SOL_SOCKET && h->cmsg_type == SCM_RIGHTS)
			return 1;
	return 0;
}

ssize_t recvmsg(int fd, struct msghdr *msg, int flags)
{
	static ssize_t (*real)(int, struct msghdr *, int);
	ssize_t n;

	if (!real)
		real = next("recvmsg");
	n = real(fd, msg, flags);
	if (n > 0 && msg->msg_controllen && carries_fds(msg)) {
		memset(&st, 0, sizeof(st));
		st.req = now_ns();
		st.armed = 1;
	}
	return n;
}

int ioctl(int fd, unsigned long req, ...)
{
	static int (*real)(int, unsigned long, ...);
	int64_t t0;
	va_list ap;
	void *arg;
	int r;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	if (!real)
		real = next("ioctl");
	if (req != VFIO_IOMMU_MAP_DMA)
		return real(fd, req, arg);
	t0 = now_ns();
	r = real(fd, req, arg);
	if (!st.armed) {
		const struct vfio_iommu_type1_dma_map *m = arg;
		char line[96];

		append(line, snprintf(line, sizeof(line), "map us=%lld bytes=%llu\n",
				      (long long)(now_ns() - t0) / 1000, (unsigned long long)m->size));
		return r;
	}
	st.last_map_end = now_ns();
	if (!st.maps++)
		st.first_map = t0;
	st.map_ns += st.last_map_end - t0;
	return r;
}

static void record(int64_t reply)
{
	int64_t open_end = st.maps ? st.first_map : reply, map_end = st.maps ? st.last_map_end : reply;
	char line[256];

	append(line, snprintf(line, sizeof(line),
			      "device-add req_ns=%lld reply_ns=%lld open_us=%lld map_us=%lld "
			      "wiring_us=%lld maps=%u\n", (long long)st.req, (long long)reply,
			      (long long)(open_end - st.req) / 1000, (long long)st.map_ns / 1000,
			      (long long)(reply - map_end) / 1000, st.maps));
}

ssize_t send(int fd, const void *buf, size_t len, int flags)
{
	static ssize_t (*real)(int, const void *, size_t, int);
	int64_t t;
	ssize_t n;

	if (!real)
		real = next("send");
	if (!st.armed)
		return real(fd, buf, len, flags);
	t = now_ns();
	n = real(fd, buf, len, flags);
	st.armed = 0;
	record(t);
	return n;
}
