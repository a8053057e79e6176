/*
 * The one rule for where passthru keeps its run-time state, shared by every program:
 *
 *   $PASSTHRU_RUN_DIR when it is set and not empty, else RUNSTATEDIR/passthru
 *   (/run/passthru on a distribution build).
 *
 * Everything passthru itself creates while it runs lives there: VMM pidfiles and
 * control sockets (config/vm_paths.h), the device state records and their locks
 * (host/state.h, under devices/). passthru-ctl's --sysroot does not move it: the
 * sysroot is the kernel's view (/sys, /proc, /dev, /lib/modules), the run directory
 * is passthru's own; tests point both at fixture trees.
 */
#ifndef PT_COMMON_RUN_DIR_H
#define PT_COMMON_RUN_DIR_H

/* The run directory (static storage or the environment's string). */
const char *pt_run_dir(void);

#endif
