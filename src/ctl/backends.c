/* The backend refusal shared by start, run and check BDF --vm (and, later, attach). */
#include "config.h"

#include <errno.h>
#include <stdio.h>

#include "assign/select.h"
#include "common/exit_status.h"
#include "ctl/ctl.h"

int pt_ctl_check_backends(const struct pt_ctl *ctl, const struct pt_vm_def *def)
{
	switch (pt_assign_check_def(def, ctl->sysroot)) {
	case 0:
		return PT_EXIT_OK;
	case -EOPNOTSUPP:
		return PT_EXIT_BACKEND_GONE;
	default:
		return PT_EXIT_UNSUPPORTED;
	}
}
