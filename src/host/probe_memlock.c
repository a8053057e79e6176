/*
 * RLIMIT_MEMLOCK: VFIO pins every page of guest RAM for DMA and charges it to the
 * locked-memory limit of the process that maps it, unless that process has
 * CAP_IPC_LOCK. This reports on the calling process; the VMM inherits the limit of
 * whatever starts it (LimitMEMLOCK= in a systemd unit).
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "common/cleanup.h"
#include "host/probe.h"
#include "host/sysroot.h"

#define CAP_IPC_LOCK_BIT 14

static bool has_ipc_lock(void)
{
	_cleanup_free_ char *text = NULL;
	const char *p;

	if (pt_read_text("/proc/self/status", &text) < 0)
		return false;
	p = strstr(text, "\nCapEff:");
	if (!p)
		return false;
	return (strtoull(p + 8, NULL, 16) >> CAP_IPC_LOCK_BIT) & 1;
}

static void fmt_limit(rlim_t v, char *buf, size_t size)
{
	if (v == RLIM_INFINITY)
		snprintf(buf, size, "unlimited");
	else if (v >= (1ULL << 30) && v % (1ULL << 30) == 0)
		snprintf(buf, size, "%llu GiB", (unsigned long long)(v >> 30));
	else if (v >= (1ULL << 20) && v % (1ULL << 20) == 0)
		snprintf(buf, size, "%llu MiB", (unsigned long long)(v >> 20));
	else if (v >= (1ULL << 10) && v % (1ULL << 10) == 0)
		snprintf(buf, size, "%llu KiB", (unsigned long long)(v >> 10));
	else
		snprintf(buf, size, "%llu bytes", (unsigned long long)v);
}

int pt_probe_memlock(struct pt_readiness *r)
{
	struct rlimit rl;
	char soft[32], hard[32];

	if (getrlimit(RLIMIT_MEMLOCK, &rl) < 0)
		return pt_probe_set(r, PT_CHECK_MEMLOCK, PT_RESULT_UNKNOWN, false, 0,
				    "getrlimit failed: %s", strerror(errno));
	fmt_limit(rl.rlim_cur, soft, sizeof(soft));
	fmt_limit(rl.rlim_max, hard, sizeof(hard));
	if (rl.rlim_cur == RLIM_INFINITY)
		return pt_probe_set(r, PT_CHECK_MEMLOCK, PT_RESULT_YES, false, 0,
				    "unlimited: VFIO can pin all guest RAM");
	if (has_ipc_lock())
		return pt_probe_set(r, PT_CHECK_MEMLOCK, PT_RESULT_YES, true,
				    (long long)rl.rlim_cur,
				    "%s (hard %s), but this process has CAP_IPC_LOCK, which "
				    "exempts it: VFIO pins all guest RAM", soft, hard);
	return pt_probe_set(r, PT_CHECK_MEMLOCK, PT_RESULT_WARNING, true, (long long)rl.rlim_cur,
			    "%s (hard %s): VFIO pins all guest RAM, so a VM with an assigned "
			    "device gets at most this much memory; raise it (ulimit -l, "
			    "LimitMEMLOCK=) or run with CAP_IPC_LOCK", soft, hard);
}
