#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include "common/cleanup.h"
#include "common/memlock.h"

#define CAP_IPC_LOCK_BIT 14

static uint64_t from_rlim(rlim_t v)
{
	return v == RLIM_INFINITY ? PT_MEMLOCK_UNLIMITED : (uint64_t)v;
}

/* VmLck and CapEff from /proc/self/status; left as they are when absent. */
static void read_status(struct pt_memlock *m)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/self/status", "re");
	unsigned long long v;
	char line[256];

	while (f && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "VmLck: %llu kB", &v) == 1)
			m->locked = (uint64_t)v << 10;
		else if (sscanf(line, "CapEff: %llx", &v) == 1)
			m->ipc_lock = (v >> CAP_IPC_LOCK_BIT) & 1;
	}
}

int pt_memlock_read(struct pt_memlock *ret)
{
	struct pt_memlock m = { 0 };
	struct rlimit rl;

	if (getrlimit(RLIMIT_MEMLOCK, &rl) < 0)
		return -errno;
	m.soft = from_rlim(rl.rlim_cur);
	m.hard = from_rlim(rl.rlim_max);
	read_status(&m);
	*ret = m;
	return 0;
}

/* locked + more, saturating. */
static uint64_t total(const struct pt_memlock *m, uint64_t more)
{
	return more > UINT64_MAX - m->locked ? UINT64_MAX : m->locked + more;
}

bool pt_memlock_fits(const struct pt_memlock *m, uint64_t more)
{
	return m->ipc_lock || m->soft == PT_MEMLOCK_UNLIMITED || total(m, more) <= m->soft;
}

const char *pt_memlock_fmt(uint64_t bytes, char *buf, size_t size)
{
	if (bytes == PT_MEMLOCK_UNLIMITED)
		snprintf(buf, size, "unlimited");
	else if (bytes >= (1ULL << 30) && bytes % (1ULL << 30) == 0)
		snprintf(buf, size, "%llu GiB", (unsigned long long)(bytes >> 30));
	else if (bytes >= (1ULL << 20) && bytes % (1ULL << 20) == 0)
		snprintf(buf, size, "%llu MiB", (unsigned long long)(bytes >> 20));
	else if (bytes >= (1ULL << 10) && bytes % (1ULL << 10) == 0)
		snprintf(buf, size, "%llu KiB", (unsigned long long)(bytes >> 10));
	else
		snprintf(buf, size, "%llu bytes", (unsigned long long)bytes);
	return buf;
}

const char *pt_memlock_explain(const struct pt_memlock *m, uint64_t more, char *buf,
			       size_t size)
{
	char soft[32], hard[32], locked[32], more_s[32], want_s[32];
	uint64_t want = total(m, more), kib = want / 1024 + (want % 1024 != 0);

	pt_memlock_fmt(m->soft, soft, sizeof(soft));
	pt_memlock_fmt(m->locked, locked, sizeof(locked));
	if (m->ipc_lock)
		snprintf(buf, size, "RLIMIT_MEMLOCK is not the cause: CAP_IPC_LOCK exempts this "
			 "process from it");
	else if (m->soft == PT_MEMLOCK_UNLIMITED)
		snprintf(buf, size, "RLIMIT_MEMLOCK is not the cause: it is unlimited");
	else if (want <= m->soft)
		snprintf(buf, size, "RLIMIT_MEMLOCK is not the cause: it is %s, %s locked so far",
			 soft, locked);
	else
		snprintf(buf, size, "RLIMIT_MEMLOCK is %s (hard limit %s) with %s locked already, "
			 "so %s more do not fit: raise it to at least %s (ulimit -l %llu, or "
			 "LimitMEMLOCK= for a systemd unit) or run with CAP_IPC_LOCK", soft,
			 pt_memlock_fmt(m->hard, hard, sizeof(hard)), locked,
			 pt_memlock_fmt(more, more_s, sizeof(more_s)),
			 pt_memlock_fmt(kib << 10, want_s, sizeof(want_s)), (unsigned long long)kib);
	return buf;
}
