/*
 * passthru-ctl start VM: passthru-vmm in the background, in its own session, its
 * messages in the VM's log; returns once its control socket answers, or reports
 * why it never did.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/clock.h"
#include "common/exit_status.h"
#include "common/files.h"
#include "common/log.h"
#include "assign/select.h"
#include "config/vm_paths.h"
#include "ctl/control_client.h"
#include "ctl/ctl.h"
#include "ctl/vm_devices.h"
#include "ctl/vm_runtime.h"

#define START_TIMEOUT_S 30
#define POLL_INTERVAL_MS 50

struct vmm_launch {
	char *log, *console_log;
	int log_fd;
	off_t log_start; /* where this start's messages begin */
	pid_t pid;
};

static int open_log(const char *name, struct vmm_launch *l)
{
	char stamp[64];
	time_t now = time(NULL);
	struct stat st;
	int r;

	l->log = pt_vm_log_path(name);
	if (!l->log)
		return -ENOMEM;
	r = pt_mkdir_parents(l->log);
	if (r < 0) {
		pt_err("%s: cannot create the directory of its log %s: %s", name, l->log,
		       strerror(-r));
		return r;
	}
	l->log_fd = open(l->log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0640);
	if (l->log_fd < 0 || fstat(l->log_fd, &st) < 0) {
		r = -errno;
		pt_err("%s: cannot open its log %s: %m", name, l->log);
		return r;
	}
	l->log_start = st.st_size;
	strftime(stamp, sizeof(stamp), "%Y-%m-%d %H:%M:%S %z", localtime(&now));
	dprintf(l->log_fd, "-- passthru-ctl start %s at %s\n", name, stamp);
	return 0;
}

/* In the child: becomes the VMM, or says why not in the log and exits 127. */
static void __attribute__((noreturn)) exec_vmm(const struct pt_ctl *ctl,
					      const struct pt_vm_def *def, struct vmm_launch *l,
					      const struct pt_vm_devices *devs)
{
	const char *vmm = pt_vmm_path();
	const char *argv[12 + 2 * PT_VM_DEVICES_MAX];
	sigset_t none;
	size_t n = 0;
	int null;

	setsid();
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	null = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (null < 0 || dup2(null, STDIN_FILENO) < 0 || dup2(l->log_fd, STDOUT_FILENO) < 0 ||
	    dup2(l->log_fd, STDERR_FILENO) < 0)
		_exit(127);
	argv[n++] = vmm;
	if (!getenv("PASSTHRU_LOG"))
		argv[n++] = "--verbose"; /* a log says when the VM started and why it stopped */
	argv[n++] = "--config-dir";
	argv[n++] = pt_config_dir(ctl->config_dir);
	if (def->console == PT_CONSOLE_STDIO) {
		/* No terminal in the background: a pty to attach to, and a log of it all. */
		argv[n++] = "--console";
		argv[n++] = "pty";
		argv[n++] = "--console-log";
		argv[n++] = l->console_log;
	}
	pt_ctl_vm_devices_args(devs, argv, &n, sizeof(argv) / sizeof(argv[0]) - 2);
	pt_ctl_vm_devices_inherit(devs);
	argv[n++] = def->name;
	argv[n] = NULL;
	execv(vmm, (char **)argv);
	dprintf(STDERR_FILENO, "passthru-ctl: cannot run %s: %s\n", vmm, strerror(errno));
	_exit(127);
}

static void report_started(const struct pt_vm_def *def, const struct vmm_launch *l, json_t *st)
{
	json_t *con = json_object_get(st, "console");
	const char *kind = json_string_value(json_object_get(con, "kind"));
	const char *path = json_string_value(json_object_get(con, "path"));
	bool logged = def->console == PT_CONSOLE_STDIO; /* exec_vmm added --console-log */

	printf("%s started: pid %d, control socket %s, log %s\n", def->name, (int)l->pid,
	       def->socket, l->log);
	if (kind && !strcmp(kind, "pty"))
		printf("%s: console on %s (passthru-ctl console %s)%s%s\n", def->name,
		       path ? path : "?", def->name, logged ? ", also logged to " : "",
		       logged ? l->console_log : "");
	else if (kind && !strcmp(kind, "file"))
		printf("%s: console output goes to %s\n", def->name, path ? path : "?");
}

/* Waits for the VMM to answer, end, or run out of time. Returns an exit status. */
static int wait_until_up(const struct pt_ctl *ctl, const struct pt_vm_def *def,
			 struct vmm_launch *l)
{
	int timeout_s = ctl->timeout_s > 0 ? ctl->timeout_s : START_TIMEOUT_S;
	long long deadline = pt_monotonic_ms() + timeout_s * 1000LL;
	json_t *st = NULL;
	int wst;

	for (;;) {
		pid_t w = waitpid(l->pid, &wst, WNOHANG);

		if (w == l->pid) {
			int code = WIFEXITED(wst) ? WEXITSTATUS(wst) : 128 + WTERMSIG(wst);

			pt_err("%s did not start: passthru-vmm ended with status %d (%s)", def->name,
			       code, pt_vmm_exit_meaning(code));
			pt_vm_log_show_since(l->log, l->log_start);
			if (code == 0)
				return PT_EXIT_FAILURE;
			return code <= PT_EXIT_BACKEND_GONE ? code : PT_EXIT_FAILURE;
		}
		if (pt_vmm_answers(def, l->pid, &st)) {
			report_started(def, l, st);
			json_decref(st);
			return PT_EXIT_OK;
		}
		if (pt_monotonic_ms() >= deadline)
			break;
		usleep(POLL_INTERVAL_MS * 1000);
	}
	pt_err("%s: its control socket %s did not answer within %d s: killing passthru-vmm "
	       "(pid %d); --timeout gives it longer", def->name, def->socket, timeout_s,
	       (int)l->pid);
	kill(l->pid, SIGKILL);
	waitpid(l->pid, &wst, 0);
	pt_vm_log_show_since(l->log, l->log_start);
	return PT_EXIT_FAILURE;
}

int pt_cmd_start(struct pt_ctl *ctl, int argc, char **argv)
{
	struct vmm_launch l = { .log_fd = -1 };
	struct pt_vm_devices devs = { 0 };
	struct pt_vm_runtime rt;
	const char *name;
	int status;

	if (!pt_ctl_open_vm_arg(ctl, argc, argv, false, &rt, &status))
		return status;
	name = rt.def->name;
	if (rt.running) {
		pt_err("%s runs already (pid %d)", name, (int)rt.pid);
		status = PT_EXIT_REFUSED;
		goto out;
	}
	/* Before the first host change (stale files, logs, the VMM itself). */
	status = pt_ctl_check_backends(ctl, rt.def);
	if (status != PT_EXIT_OK)
		goto out;
	if (!rt.def->kernel) {
		pt_err("%s: no kernel to boot: set kernel = /path in the [vm] section of %s", name,
		       rt.def->path);
		status = PT_EXIT_USAGE;
		goto out;
	}
	pt_vm_runtime_clean_stale(&rt);
	/* Its devices on vfio-pci and recorded as its own, locked until it answers. */
	status = pt_ctl_take_vm_devices(ctl, rt.def, &devs);
	if (status != PT_EXIT_OK)
		goto out;
	pt_ctl_fault("start:after-take");
	status = PT_EXIT_FAILURE;
	l.console_log = pt_vm_console_log_path(name);
	if (!l.console_log || open_log(name, &l) < 0)
		goto out;
	fflush(NULL);
	l.pid = fork();
	if (l.pid < 0) {
		pt_err("fork: %m");
		goto out;
	}
	if (l.pid == 0)
		exec_vmm(ctl, rt.def, &l, &devs);
	pt_ctl_vm_devices_close_groups(&devs); /* the VMM has them now */
	status = wait_until_up(ctl, rt.def, &l);
	if (status != PT_EXIT_OK)
		pt_vm_runtime_clean_stale(&rt);
out:
	pt_ctl_vm_devices_finish(ctl, &devs, status == PT_EXIT_OK);
	if (l.log_fd >= 0)
		close(l.log_fd);
	free(l.log);
	free(l.console_log);
	pt_vm_runtime_close(&rt);
	return status;
}
