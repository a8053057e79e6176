/* The backend refusal shared by start, run and check BDF --vm (and, later, attach). */
#include "config.h"

#include <stdio.h>

#include "assign/select.h"
#include "ctl/ctl.h"

int pt_ctl_check_backends(const struct pt_ctl *ctl, const struct pt_vm_def *def)
{
	return pt_assign_check_def_status(def, ctl->sysroot);
}
