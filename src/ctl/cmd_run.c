/*
 * passthru-ctl run VM: passthru-vmm in the foreground. A VM without devices: the VMM
 * in place of this process. A VM with devices: they are taken for it first, the VMM
 * runs as a child with the terminal, and once it ends they are given back, so that
 * run (and the systemd unit, which uses it) leaves the host as it found it.
 */
#include "config.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/clock.h"
#include "common/exit_status.h"
#include "common/log.h"
#include "ctl/ctl.h"
#include "ctl/host_prep.h"
#include "ctl/vm_devices.h"
#include "ctl/vm_runtime.h"

#define UP_WAIT_S 30

/* devs: the groups to hand over (NULL: none). */
static void exec_vmm(const struct pt_ctl *ctl, const char *name, const struct pt_vm_devices *devs)
{
	const char *vmm = pt_vmm_path();
	const char *vmm_argv[5 + 2 * PT_VM_DEVICES_MAX];
	size_t n = 0;

	/* The VMM checks and takes the pidfile itself, so a race with a start loses cleanly. */
	vmm_argv[n++] = vmm;
	vmm_argv[n++] = "--config-dir";
	vmm_argv[n++] = pt_config_dir(ctl->config_dir);
	if (devs) {
		pt_ctl_vm_devices_args(devs, vmm_argv, &n,
				       sizeof(vmm_argv) / sizeof(vmm_argv[0]) - 2);
		pt_ctl_vm_devices_inherit(devs);
	}
	vmm_argv[n++] = name;
	vmm_argv[n] = NULL;
	fflush(NULL);
	execv(vmm, (char **)vmm_argv);
	pt_err("cannot run %s: %s (install passthru-vmm, or point PASSTHRU_VMM at it)", vmm,
	       strerror(errno));
}

/*
 * The VMM as a child; its exit status (128 + signal when killed) once it ended.
 * SIGTERM and SIGHUP sent to run go on to the VMM, which stops the VM in order; the
 * terminal's ^C and ^\ reach the VMM by themselves (same process group), so run
 * ignores them. Signals are taken synchronously (sigwaitinfo): no handler, no state.
 */
/*
 * The devices stay locked until the VMM answers (it has assigned them by then), or
 * ends, or UP_WAIT_S pass: a recover in between must not give them back.
 */
static bool hold_until_up(const struct pt_ctl *ctl, const struct pt_vm_def *def, pid_t pid,
			  struct pt_vm_devices *devs, int *wst)
{
	long long deadline = pt_monotonic_ms() + UP_WAIT_S * 1000LL;
	bool exited = false;

	while (pt_monotonic_ms() < deadline) {
		if (waitpid(pid, wst, WNOHANG) == pid) {
			exited = true;
			break;
		}
		if (pt_vmm_answers(def, pid, NULL))
			break;
		usleep(50 * 1000);
	}
	pt_ctl_vm_devices_finish(ctl, devs, true);
	return exited;
}

static int run_child(const struct pt_ctl *ctl, const struct pt_vm_def *def,
		     struct pt_vm_devices *devs)
{
	const char *name = def->name;
	sigset_t wanted, old;
	struct sigaction ign = { .sa_handler = SIG_IGN }, old_int, old_quit;
	bool exited = false;
	int wst = 0;
	pid_t pid;

	sigemptyset(&wanted);
	sigaddset(&wanted, SIGTERM);
	sigaddset(&wanted, SIGHUP);
	sigaddset(&wanted, SIGCHLD);
	sigprocmask(SIG_BLOCK, &wanted, &old);
	sigaction(SIGINT, &ign, &old_int);
	sigaction(SIGQUIT, &ign, &old_quit);
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		pt_err("fork: %m");
		pt_ctl_vm_devices_finish(ctl, devs, false);
		exited = true;
		wst = PT_EXIT_FAILURE << 8;
	}
	if (pid == 0) {
		sigaction(SIGINT, &old_int, NULL);
		sigaction(SIGQUIT, &old_quit, NULL);
		sigprocmask(SIG_SETMASK, &old, NULL);
		exec_vmm(ctl, name, devs);
		_exit(errno == ENOENT ? PT_EXIT_UNSUPPORTED : PT_EXIT_FAILURE);
	}
	pt_ctl_vm_devices_close_groups(devs); /* the VMM has them now */
	if (!exited)
		exited = hold_until_up(ctl, def, pid, devs, &wst);
	while (!exited) {
		siginfo_t si;
		pid_t w = waitpid(pid, &wst, WNOHANG);

		if (w == pid)
			break;
		if (w < 0 && errno != EINTR) {
			pt_err("waiting for passthru-vmm (pid %d): %m", (int)pid);
			wst = PT_EXIT_FAILURE << 8;
			break;
		}
		if (sigwaitinfo(&wanted, &si) > 0 && si.si_signo != SIGCHLD)
			kill(pid, si.si_signo);
	}
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGQUIT, &old_quit, NULL);
	sigprocmask(SIG_SETMASK, &old, NULL);
	return WIFEXITED(wst) ? WEXITSTATUS(wst) : 128 + WTERMSIG(wst);
}

int pt_cmd_run(struct pt_ctl *ctl, int argc, char **argv)
{
	struct pt_vm_devices devs = { 0 };
	struct pt_vm_runtime rt;
	const char *name;
	int status;

	if (!pt_ctl_open_vm_arg(ctl, argc, argv, false, &rt, &status))
		return status;
	name = rt.def->name;
	if (rt.running) {
		pt_err("%s runs already (pid %d): passthru-ctl console %s attaches to it", name,
		       (int)rt.pid, name);
		status = PT_EXIT_REFUSED;
		goto out;
	}
	status = pt_ctl_check_backends(ctl, rt.def);
	if (status != PT_EXIT_OK)
		goto out;
	if (!rt.def->n_devices) {
		exec_vmm(ctl, name, NULL);
		status = errno == ENOENT ? PT_EXIT_UNSUPPORTED : PT_EXIT_FAILURE;
		goto out;
	}
	status = pt_ctl_take_vm_devices(ctl, rt.def, &devs);
	if (status != PT_EXIT_OK)
		goto out;
	pt_ctl_fault("run:after-take");
	status = run_child(ctl, rt.def, &devs);
	if (pt_ctl_give_back_vm(ctl, name))
		pt_err("%s: some of its devices were not given back (passthru-ctl recover)", name);
out:
	pt_vm_runtime_close(&rt);
	return status;
}
