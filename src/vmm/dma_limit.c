#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "common/log.h"
#include "common/memlock.h"
#include "vmm/dma_limit.h"

int pt_dma_memlock_check(const char *vm_name, uint64_t memory, unsigned devices, char *reply,
			 size_t reply_size)
{
	uint64_t need = devices && memory > UINT64_MAX / devices ? UINT64_MAX : memory * devices;
	char why[400], ram[32], total[32], soft[32], locked[32];
	struct pt_memlock m;
	int r;

	if (!devices)
		return 0;
	r = pt_memlock_read(&m);
	if (r < 0) {
		pt_warn("%s: RLIMIT_MEMLOCK cannot be read (%s): not checked", vm_name, strerror(-r));
		return 0;
	}
	if (pt_memlock_fits(&m, need))
		return 0;
	pt_memlock_fmt(memory, ram, sizeof(ram));
	pt_memlock_fmt(need, total, sizeof(total));
	pt_err("%s: VFIO pins the VM's %s of RAM for the DMA of each assigned device (each has "
	       "a container of its own), %s for %u: %s", vm_name, ram, total, devices,
	       pt_memlock_explain(&m, need, why, sizeof(why)));
	if (reply)
		snprintf(reply, reply_size, "RLIMIT_MEMLOCK is %s with %s locked: the VM's %s of "
			 "RAM cannot be pinned again for this device's DMA (the VMM's log says "
			 "what to raise it to)", pt_memlock_fmt(m.soft, soft, sizeof(soft)),
			 pt_memlock_fmt(m.locked, locked, sizeof(locked)), ram);
	return -ENOMEM;
}
