/* passthru-ctl run VM: passthru-vmm in the foreground, in place of this process. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/exit_status.h"
#include "common/log.h"
#include "ctl/ctl.h"
#include "ctl/vm_runtime.h"

int pt_cmd_run(struct pt_ctl *ctl, int argc, char **argv)
{
	struct pt_vm_runtime rt;
	const char *name, *vmm = pt_vmm_path();
	char *vmm_argv[5];
	int status;

	if (!pt_ctl_open_vm_arg(ctl, argc, argv, false, &rt, &status))
		return status;
	name = rt.def->name;
	if (rt.running) {
		pt_err("%s runs already (pid %d): passthru-ctl console %s attaches to it", name,
		       (int)rt.pid, name);
		pt_vm_runtime_close(&rt);
		return PT_EXIT_REFUSED;
	}

	status = pt_ctl_check_backends(ctl, rt.def);
	if (status != PT_EXIT_OK) {
		pt_vm_runtime_close(&rt);
		return status;
	}

	/* The VMM checks and takes the pidfile itself, so a race with a start loses cleanly. */
	vmm_argv[0] = (char *)vmm;
	vmm_argv[1] = (char *)"--config-dir";
	vmm_argv[2] = (char *)pt_config_dir(ctl->config_dir);
	vmm_argv[3] = (char *)name;
	vmm_argv[4] = NULL;
	fflush(NULL);
	execv(vmm, vmm_argv);
	status = errno == ENOENT ? PT_EXIT_UNSUPPORTED : PT_EXIT_FAILURE;
	pt_err("cannot run %s: %s (install passthru-vmm, or point PASSTHRU_VMM at it)", vmm,
	       strerror(errno));
	pt_vm_runtime_close(&rt);
	return status;
}
