/*
 * passthru-ctl stop VM: the orderly way first (the control socket's stop, or SIGTERM
 * when the socket does not answer), SIGKILL when that has not ended the VMM within
 * the timeout (or at once with --force); then whatever a killed VMM left is removed.
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/exit_status.h"
#include "common/log.h"
#include "common/pidfile.h"
#include "ctl/control_client.h"
#include "ctl/ctl.h"
#include "ctl/host_prep.h"
#include "ctl/vm_runtime.h"

#define STOP_TIMEOUT_S 30
#define KILL_WAIT_S 10

/* True once no process holds the pidfile any more. */
static bool wait_gone(const char *pidfile, int timeout_s)
{
	long long deadline = pt_monotonic_ms() + timeout_s * 1000LL;
	pid_t pid;

	for (;;) {
		if (pt_pidfile_probe(pidfile, &pid) == 0)
			return true;
		if (pt_monotonic_ms() >= deadline)
			return false;
		usleep(50 * 1000);
	}
}

static int send_signal(const struct pt_vm_runtime *rt, int sig)
{
	if (rt->pid <= 1) {
		/* kill(0) would signal our own process group, kill(-1) everything. */
		pt_err("%s: its pidfile %s is held but names no VMM's pid: not signalling",
		       rt->def->name, rt->pidfile);
		return PT_EXIT_FAILURE;
	}
	if (kill(rt->pid, sig) == 0 || errno == ESRCH)
		return PT_EXIT_OK;
	pt_err("%s: cannot signal its VMM (pid %d): %m", rt->def->name, (int)rt->pid);
	return errno == EPERM ? PT_EXIT_REFUSED : PT_EXIT_FAILURE;
}

static int kill_vmm(struct pt_vm_runtime *rt)
{
	int status = send_signal(rt, SIGKILL);

	if (status)
		return status;
	if (!wait_gone(rt->pidfile, KILL_WAIT_S)) {
		pt_err("%s: its VMM (pid %d) outlived SIGKILL for %d s (stuck in the kernel?)",
		       rt->def->name, (int)rt->pid, KILL_WAIT_S);
		return PT_EXIT_FAILURE;
	}
	pt_vm_runtime_clean_stale(rt);
	return PT_EXIT_OK;
}

/* Asks for the orderly stop. An exit status; 0 also when SIGTERM had to do. */
static int ask_to_stop(const struct pt_vm_runtime *rt)
{
	char err[512];
	json_t *ret = NULL;
	int r;

	r = pt_vm_runtime_request(rt, "stop", NULL, &ret, err, sizeof(err));
	json_decref(ret);
	if (r == 0)
		return PT_EXIT_OK;
	if (r == -EACCES || r == -EPERM) {
		pt_err("%s: %s: permission denied: the control socket admits root, its owner and "
		       "the definition's control-group", rt->def->name, rt->def->socket);
		return PT_EXIT_REFUSED;
	}
	/* The reason said is the one that happened: refused, busy, timed out, another VMM. */
	pt_warn("%s: no stop through %s (%s): sending SIGTERM to pid %d", rt->def->name,
		rt->def->socket, r == -EREMOTEIO || r == -ENXIO ? err : strerror(-r),
		(int)rt->pid);
	return send_signal(rt, SIGTERM);
}

int pt_cmd_stop(struct pt_ctl *ctl, int argc, char **argv)
{
	int timeout_s, status;
	struct pt_vm_runtime rt;
	const char *name;
	pid_t pid;

	if (!pt_ctl_open_vm_arg(ctl, argc, argv, false, &rt, &status))
		return status;
	name = rt.def->name;
	timeout_s = ctl->timeout_s > 0 ? ctl->timeout_s : STOP_TIMEOUT_S;
	if (!rt.running) {
		if (pt_vm_runtime_clean_stale(&rt) > 0)
			pt_err("%s does not run: its VMM (pid %d) ended without cleaning up", name,
			       (int)rt.pid);
		else
			pt_err("%s does not run", name);
		status = PT_EXIT_NOT_FOUND;
		goto out;
	}
	pid = rt.pid; /* cleaning up after a kill forgets it */
	if (ctl->force) {
		status = kill_vmm(&rt);
		if (!status)
			printf("%s killed (pid %d)\n", name, (int)pid);
		goto out;
	}
	status = ask_to_stop(&rt);
	if (status)
		goto out;
	if (wait_gone(rt.pidfile, timeout_s)) {
		pt_vm_runtime_clean_stale(&rt);
		printf("%s stopped\n", name);
		goto out;
	}
	pt_err("%s: its VMM (pid %d) did not stop within %d s: killing it", name, (int)rt.pid,
	       timeout_s);
	status = kill_vmm(&rt);
	if (!status) {
		printf("%s killed (pid %d)\n", name, (int)pid);
		status = PT_EXIT_FAILURE; /* stopped, but not the orderly way */
	}
out:
	/* Whatever ended the VMM, its devices go back to the host (host/state.h). */
	if (rt.def && (status == PT_EXIT_OK || status == PT_EXIT_NOT_FOUND ||
		       status == PT_EXIT_FAILURE) && pt_vm_runtime_probe(&rt) == 0 && !rt.running &&
	    pt_ctl_give_back_vm(ctl, name) > 0 && status == PT_EXIT_OK)
		status = PT_EXIT_FAILURE;
	pt_vm_runtime_close(&rt);
	return status;
}
