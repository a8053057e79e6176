#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/log.h"
#include "common/memlock.h"
#include "vmm/dma_limit.h"

int pt_dma_memlock_check(const char *vm_name, uint64_t memory, bool first_device, char *reply,
			 size_t reply_size)
{
	char why[400], ram[32], soft[32], locked[32];
	struct pt_memlock m;
	int r;

	if (!first_device)
		return 0;
	r = pt_memlock_read(&m);
	if (r < 0) {
		pt_warn("%s: RLIMIT_MEMLOCK cannot be read (%s): not checked", vm_name, strerror(-r));
		return 0;
	}
	if (pt_memlock_fits(&m, memory))
		return 0;
	pt_memlock_fmt(memory, ram, sizeof(ram));
	pt_err("%s: VFIO pins the VM's %s of RAM for its assigned devices' DMA (once for all "
	       "of them): %s", vm_name, ram, pt_memlock_explain(&m, memory, why, sizeof(why)));
	if (reply)
		snprintf(reply, reply_size, "RLIMIT_MEMLOCK is %s with %s locked: the VM's %s of "
			 "RAM cannot be pinned for this device's DMA (the VMM's log says what to "
			 "raise it to)", pt_memlock_fmt(m.soft, soft, sizeof(soft)),
			 pt_memlock_fmt(m.locked, locked, sizeof(locked)), ram);
	return -ENOMEM;
}
