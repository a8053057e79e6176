/*
 * passthru-ctl's view of one VM's VMM: its definition, whether a VMM runs for it
 * (the locked pidfile, config/vm_paths.h), and how to reach it (the control socket).
 * Used by run, start, stop, status, console and routes.
 */
#ifndef PT_CTL_VM_RUNTIME_H
#define PT_CTL_VM_RUNTIME_H

#include <jansson.h>
#include <stdbool.h>
#include <sys/types.h>

#include "config/vm_def.h"
#include "ctl/ctl.h"

struct pt_vm_runtime {
	struct pt_vm_def *def;
	char *pidfile;
	pid_t pid;          /* the pid the pidfile records (0: none) */
	bool running;       /* a live VMM holds the pidfile */
	bool stale_pidfile; /* a pidfile left by a VMM that died */
};

/*
 * Loads VM name from the config directory and probes it. Returns an exit status
 * (common/exit_status.h) after printing what is wrong: 5 for an unknown VM, 2 for
 * an invalid name or definition.
 */
int pt_vm_runtime_open(const struct pt_ctl *ctl, const char *name, struct pt_vm_runtime *rt);

/* The same without a word about a missing or invalid definition. */
int pt_vm_runtime_open_quiet(const struct pt_ctl *ctl, const char *name,
			     struct pt_vm_runtime *rt);

/*
 * How every command on one VM begins: the shared options, exactly one VM name,
 * --json only if json_ok, then pt_vm_runtime_open. True with rt open; false with
 * the exit status in *ret_exit (0 after --help) once the problem has been said.
 */
bool pt_ctl_open_vm_arg(struct pt_ctl *ctl, int argc, char **argv, bool json_ok,
			struct pt_vm_runtime *rt, int *ret_exit);

/* The same for a definition already loaded, which rt then owns. 0 or -errno. */
int pt_vm_runtime_adopt(struct pt_vm_def *def, struct pt_vm_runtime *rt);

/* Probes again (after a start or stop). 0 or -errno. */
int pt_vm_runtime_probe(struct pt_vm_runtime *rt);

void pt_vm_runtime_close(struct pt_vm_runtime *rt);

/*
 * Asks the VM's VMM one request on its socket, after making sure on the same
 * connection that the VMM answering there is this VM's: its status names this VM
 * and the pid holding the VM's pidfile. Two definitions may name one socket, and
 * then another VM's VMM answers. 0 and *ret_return; -ENXIO when another VMM
 * answers (or a VMM while no pidfile is held), with who it is in why; an "error"
 * reply is -EREMOTEIO with its text in why; other -errno as pt_ctl_request.
 */
int pt_vm_runtime_request(const struct pt_vm_runtime *rt, const char *verb, json_t *args,
			  json_t **ret_return, char *why, size_t why_size);

/*
 * The same with descriptors sent along the request (pt_ctl_call_fds; they stay the
 * caller's) and timeout_ms for the verb's reply instead of PT_CTL_REPLY_TIMEOUT_MS
 * (device-add resets a device and pins guest RAM).
 */
int pt_vm_runtime_request_fds(const struct pt_vm_runtime *rt, const char *verb, json_t *args,
			      const int *fds, unsigned n_fds, int timeout_ms,
			      json_t **ret_return, char *why, size_t why_size);

/*
 * pt_vm_runtime_request, and on failure prints why, naming the VM and the socket, and
 * returns the exit status (5 not running, 4 permission denied, 1 otherwise); 0 and
 * *ret_return on success.
 */
int pt_vm_runtime_call(const struct pt_vm_runtime *rt, const char *verb, json_t *args,
		       json_t **ret_return);

/* pt_vm_runtime_call through pt_vm_runtime_request_fds. */
int pt_vm_runtime_call_fds(const struct pt_vm_runtime *rt, const char *verb, json_t *args,
			   const int *fds, unsigned n_fds, int timeout_ms, json_t **ret_return);

/*
 * Removes what a dead VMM left: its pidfile (when unlocked) and its socket (when
 * nobody answers on it). Says what was removed; returns how many.
 */
int pt_vm_runtime_clean_stale(struct pt_vm_runtime *rt);

/*
 * Whether the VMM pid answers status on def's socket as itself (1 s), with guest RAM
 * not still being mapped for DMA ("dma": "mapping"): a VMM that passthru-ctl started
 * has come up. *ret_status (when not NULL): its answer.
 */
bool pt_vmm_answers(const struct pt_vm_def *def, pid_t pid, json_t **ret_status);

/* The size of a VM's log (pt_vm_log_path), or -1 when there is none. */
off_t pt_vm_log_size(const char *log);

/*
 * What the VMM wrote to its log from offset start on (its last 4 KiB at most),
 * indented, on stderr: why a start or a device-add failed.
 */
void pt_vm_log_show_since(const char *log, off_t start);

/* What passthru-vmm's exit status means (passthru-vmm(8), EXIT STATUS). */
const char *pt_vmm_exit_meaning(int status);

/* The passthru-vmm to run: $PASSTHRU_VMM, else SBINDIR/passthru-vmm. */
const char *pt_vmm_path(void);

#endif
