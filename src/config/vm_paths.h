/*
 * Where a VM's run-time files live, shared by passthru-vmm (which creates them) and
 * passthru-ctl (which finds them): the control socket, the pidfile and the logs.
 *
 *   run directory  pt_run_dir() (common/run_dir.h): $PASSTHRU_RUN_DIR, else
 *                  RUNSTATEDIR/passthru
 *     NAME.sock    the control socket, unless the definition sets socket =
 *                  (pt_vm_def_load fills in def->socket either way)
 *     NAME.pid     the VMM's pid, locked (flock) by the VMM for as long as it runs
 *   log directory  $PASSTHRU_LOG_DIR, else LOCALSTATEDIR/log/passthru
 *     NAME.log          passthru-vmm's own messages when passthru-ctl start runs it
 *     NAME.console.log  the guest's console output when it runs in the background
 *
 * Each function returns a malloc'ed path, or NULL when out of memory.
 */
#ifndef PT_CONFIG_VM_PATHS_H
#define PT_CONFIG_VM_PATHS_H

#include "common/run_dir.h"

const char *pt_log_dir(void);

char *pt_vm_pidfile_path(const char *name);
char *pt_vm_log_path(const char *name);
char *pt_vm_console_log_path(const char *name);

#endif
