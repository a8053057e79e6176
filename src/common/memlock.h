/*
 * RLIMIT_MEMLOCK as VFIO applies it. The Type1 IOMMU pins every page it maps for DMA
 * and charges it to the locked memory of the process that maps it (VmLck in
 * /proc/PID/status), unless that process has CAP_IPC_LOCK; a map that would take
 * VmLck past the soft limit fails with ENOMEM. Each container is charged on its own:
 * guest RAM mapped into N containers counts N times.
 */
#ifndef PT_COMMON_MEMLOCK_H
#define PT_COMMON_MEMLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PT_MEMLOCK_UNLIMITED UINT64_MAX

struct pt_memlock {
	uint64_t soft, hard; /* bytes, or PT_MEMLOCK_UNLIMITED */
	uint64_t locked;     /* bytes already charged (VmLck) */
	bool ipc_lock;       /* CAP_IPC_LOCK in effect: the limit does not apply */
};

/* This process's limit, VmLck and capability. 0, or -errno if getrlimit fails. */
int pt_memlock_read(struct pt_memlock *ret);

/* True when `more` bytes can still be pinned. */
bool pt_memlock_fits(const struct pt_memlock *m, uint64_t more);

/*
 * One clause for a message about pinning `more` bytes: when they do not fit, the limit,
 * what is locked already, the figure to raise it to and how; when they do, why the
 * limit is not the cause. Returns buf.
 */
const char *pt_memlock_explain(const struct pt_memlock *m, uint64_t more, char *buf,
			       size_t size);

/* A size as people read limits: "unlimited", "64 MiB", "1536 KiB", "100 bytes". Returns buf. */
const char *pt_memlock_fmt(uint64_t bytes, char *buf, size_t size);

#endif
