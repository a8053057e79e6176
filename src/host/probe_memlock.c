/*
 * RLIMIT_MEMLOCK: VFIO pins every page of guest RAM for DMA and charges it to the
 * locked-memory limit of the process that maps it, unless that process has
 * CAP_IPC_LOCK. This reports on the calling process; the VMM inherits the limit of
 * whatever starts it (LimitMEMLOCK= in a systemd unit).
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "common/memlock.h"
#include "host/probe.h"

int pt_probe_memlock(struct pt_readiness *r)
{
	struct pt_memlock m;
	char soft[32], hard[32];
	int e = pt_memlock_read(&m);

	if (e < 0)
		return pt_probe_set(r, PT_CHECK_MEMLOCK, PT_RESULT_UNKNOWN, false, 0,
				    "getrlimit failed: %s", strerror(-e));
	pt_memlock_fmt(m.soft, soft, sizeof(soft));
	pt_memlock_fmt(m.hard, hard, sizeof(hard));
	if (m.soft == PT_MEMLOCK_UNLIMITED)
		return pt_probe_set(r, PT_CHECK_MEMLOCK, PT_RESULT_YES, false, 0,
				    "unlimited: VFIO can pin all guest RAM");
	if (m.ipc_lock)
		return pt_probe_set(r, PT_CHECK_MEMLOCK, PT_RESULT_YES, true, (long long)m.soft,
				    "%s (hard %s), but this process has CAP_IPC_LOCK, which "
				    "exempts it: VFIO pins all guest RAM", soft, hard);
	return pt_probe_set(r, PT_CHECK_MEMLOCK, PT_RESULT_WARNING, true, (long long)m.soft,
			    "%s (hard %s): VFIO pins all guest RAM, so a VM with an assigned "
			    "device gets at most this much memory; raise it (ulimit -l, "
			    "LimitMEMLOCK=) or run with CAP_IPC_LOCK", soft, hard);
}
