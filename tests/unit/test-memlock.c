/*
 * RLIMIT_MEMLOCK as VFIO applies it (src/common/memlock.c): whether a pin fits, and the
 * clause that says why not with the figure to raise the limit to. Figures only, so it
 * runs anywhere; tests/vmm/memlock.sh runs passthru-vmm under a real low limit.
 */
#include "config.h"

#include <stdint.h>
#include <string.h>
#include <sys/resource.h>

#include "common/memlock.h"
#include "tap.h"

#define MiB (1ULL << 20)

static const char *explain(const struct pt_memlock *m, uint64_t more)
{
	static char buf[512];

	return pt_memlock_explain(m, more, buf, sizeof(buf));
}

int main(void)
{
	struct tap t = { 0 };
	struct pt_memlock low = { .soft = 8 * MiB, .hard = 8 * MiB };
	struct pt_memlock some = { .soft = 100 * MiB, .hard = PT_MEMLOCK_UNLIMITED,
				   .locked = 64 * MiB };
	struct pt_memlock open_ = { .soft = PT_MEMLOCK_UNLIMITED, .hard = PT_MEMLOCK_UNLIMITED };
	struct pt_memlock cap = { .soft = 64 * 1024, .hard = 64 * 1024, .ipc_lock = true };
	struct pt_memlock now;
	struct rlimit rl;
	char buf[32];

	tap_ok(&t, !pt_memlock_fits(&low, 64 * MiB), "8 MiB: 64 MiB do not fit");
	tap_is_str(&t, explain(&low, 64 * MiB),
		   "RLIMIT_MEMLOCK is 8 MiB (hard limit 8 MiB) with 0 bytes locked already, so "
		   "64 MiB more do not fit: raise it to at least 64 MiB (ulimit -l 65536, or "
		   "LimitMEMLOCK= for a systemd unit) or run with CAP_IPC_LOCK",
		   "... and the clause names the limit, the need and the fix");
	tap_ok(&t, pt_memlock_fits(&low, 8 * MiB), "exactly the limit fits");
	tap_ok(&t, !pt_memlock_fits(&some, 64 * MiB), "64 MiB locked of 100: 64 more do not fit");
	tap_ok(&t, strstr(explain(&some, 64 * MiB), "with 64 MiB locked already, so 64 MiB more do "
			  "not fit: raise it to at least 128 MiB (ulimit -l 131072,") != NULL,
	       "... the figure to raise it to counts what is locked");
	tap_ok(&t, strstr(explain(&some, 64 * MiB), "(hard limit unlimited)") != NULL,
	       "... and shows the hard limit");
	tap_ok(&t, pt_memlock_fits(&some, 36 * MiB), "36 more fit");
	tap_is_str(&t, explain(&some, 36 * MiB),
		   "RLIMIT_MEMLOCK is not the cause: it is 100 MiB, 64 MiB locked so far",
		   "... and then the limit is said not to be the cause");
	tap_ok(&t, strstr(explain(&low, 8 * MiB + 1000), "(ulimit -l 8193,") != NULL,
	       "ulimit -l is rounded up to whole KiB");
	tap_ok(&t, !pt_memlock_fits(&some, UINT64_MAX - 1), "no overflow near 2^64");
	tap_ok(&t, pt_memlock_fits(&open_, UINT64_MAX - 1) &&
	       !strcmp(explain(&open_, MiB), "RLIMIT_MEMLOCK is not the cause: it is unlimited"),
	       "unlimited: everything fits");
	tap_ok(&t, pt_memlock_fits(&cap, 1ULL << 40) && strstr(explain(&cap, MiB), "CAP_IPC_LOCK"),
	       "CAP_IPC_LOCK: the limit does not apply");

	tap_is_str(&t, pt_memlock_fmt(1536 * 1024, buf, sizeof(buf)), "1536 KiB", "1536 KiB");
	tap_is_str(&t, pt_memlock_fmt(2ULL << 30, buf, sizeof(buf)), "2 GiB", "2 GiB");
	tap_is_str(&t, pt_memlock_fmt(100, buf, sizeof(buf)), "100 bytes", "100 bytes");

	tap_is_int(&t, pt_memlock_read(&now), 0, "this process's figures");
	getrlimit(RLIMIT_MEMLOCK, &rl);
	tap_ok(&t, now.soft == (rl.rlim_cur == RLIM_INFINITY ? PT_MEMLOCK_UNLIMITED : rl.rlim_cur),
	       "... its soft limit is getrlimit's");
	return tap_done(&t);
}
