#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/exit_status.h"
#include "common/log.h"
#include "common/pidfile.h"
#include "config/vm_paths.h"
#include "ctl/control_client.h"
#include "ctl/vm_runtime.h"

#ifndef SBINDIR
#error "SBINDIR must come from the build (AM_CPPFLAGS)"
#endif

const char *pt_vmm_path(void)
{
	const char *v = getenv("PASSTHRU_VMM");

	return v && *v ? v : SBINDIR "/passthru-vmm";
}

int pt_vm_runtime_adopt(struct pt_vm_def *def, struct pt_vm_runtime *rt)
{
	int r;

	memset(rt, 0, sizeof(*rt));
	rt->def = def;
	rt->pidfile = pt_vm_pidfile_path(def->name);
	if (!rt->pidfile) {
		pt_err("%s: its pidfile's path: %s", def->name, strerror(ENOMEM));
		pt_vm_runtime_close(rt);
		return -ENOMEM;
	}
	r = pt_vm_runtime_probe(rt);
	if (r < 0) {
		pt_err("%s: cannot tell whether it runs: pidfile %s: %s", def->name, rt->pidfile,
		       strerror(-r));
		pt_vm_runtime_close(rt);
	}
	return r;
}

static int runtime_open(const struct pt_ctl *ctl, const char *name, bool quiet,
			struct pt_vm_runtime *rt)
{
	struct pt_config_errors errs = { 0 };
	struct pt_vm_def *def;
	int r;

	memset(rt, 0, sizeof(*rt));
	r = pt_vm_def_find(pt_config_dir(ctl->config_dir), name, &def, &errs);
	if (r < 0) {
		if (!errs.n && !quiet) /* out of memory before a problem could be listed */
			pt_err("%s: reading its definition: %s", name, strerror(-r));
		if (quiet)
			pt_config_errors_clear(&errs);
		else
			pt_config_errors_print(&errs, stderr);
		if (r == -ENOENT)
			return PT_EXIT_NOT_FOUND;
		return r == -ENOMEM ? PT_EXIT_FAILURE : PT_EXIT_USAGE;
	}
	return pt_vm_runtime_adopt(def, rt) < 0 ? PT_EXIT_FAILURE : PT_EXIT_OK;
}

int pt_vm_runtime_open(const struct pt_ctl *ctl, const char *name, struct pt_vm_runtime *rt)
{
	return runtime_open(ctl, name, false, rt);
}

int pt_vm_runtime_open_quiet(const struct pt_ctl *ctl, const char *name,
			     struct pt_vm_runtime *rt)
{
	return runtime_open(ctl, name, true, rt);
}

/* The one VM name a command takes (argv[first]), or why not. */
static int one_vm(int argc, char **argv, int first, const char **ret_name)
{
	if (first >= argc) {
		pt_err("%s needs the name of a VM (passthru-ctl list shows them)", argv[0]);
		return -PT_EXIT_USAGE;
	}
	if (first + 1 < argc) {
		pt_err("%s takes one VM, got also '%s'", argv[0], argv[first + 1]);
		return -PT_EXIT_USAGE;
	}
	*ret_name = argv[first];
	return 0;
}

bool pt_ctl_open_vm_arg(struct pt_ctl *ctl, int argc, char **argv, bool json_ok,
			struct pt_vm_runtime *rt, int *ret_exit)
{
	int first = pt_ctl_parse_options(ctl, argc, argv, false);
	const char *name;

	memset(rt, 0, sizeof(*rt));
	if (first <= 0) {
		*ret_exit = -first;
		return false;
	}
	if (one_vm(argc, argv, first, &name) < 0) {
		*ret_exit = PT_EXIT_USAGE;
		return false;
	}
	if (ctl->json && !json_ok) {
		pt_err("--json goes with status and routes, not %s", argv[0]);
		*ret_exit = PT_EXIT_USAGE;
		return false;
	}
	*ret_exit = pt_vm_runtime_open(ctl, name, rt);
	return *ret_exit == PT_EXIT_OK;
}

int pt_vm_runtime_probe(struct pt_vm_runtime *rt)
{
	int r = pt_pidfile_probe(rt->pidfile, &rt->pid);

	if (r < 0)
		return r;
	rt->running = r == 1;
	rt->stale_pidfile = r == 0 && access(rt->pidfile, F_OK) == 0;
	return 0;
}

void pt_vm_runtime_close(struct pt_vm_runtime *rt)
{
	pt_vm_def_free(rt->def);
	free(rt->pidfile);
	memset(rt, 0, sizeof(*rt));
}

/* Whether the status answer st comes from this VM's VMM; why not in why. */
static bool is_ours(const struct pt_vm_runtime *rt, json_t *st, char *why, size_t why_size)
{
	const char *name = json_string_value(json_object_get(st, "name"));
	json_int_t pid = json_integer_value(json_object_get(st, "pid"));

	if (name && !strcmp(name, rt->def->name) && rt->running && pid == rt->pid)
		return true;
	if (!rt->running)
		snprintf(why, why_size, "the VMM of %s (pid %lld) answers on %s, but no VMM holds "
			 "%s's pidfile %s", name ? name : "?", (long long)pid, rt->def->socket,
			 rt->def->name, rt->pidfile);
	else
		snprintf(why, why_size, "the VMM of %s (pid %lld) answers on %s, not %s's (pid %d, "
			 "pidfile %s): do two definitions name this socket?", name ? name : "?",
			 (long long)pid, rt->def->socket, rt->def->name, (int)rt->pid, rt->pidfile);
	return false;
}

int pt_vm_runtime_request(const struct pt_vm_runtime *rt, const char *verb, json_t *args,
			  json_t **ret_return, char *why, size_t why_size)
{
	return pt_vm_runtime_request_fds(rt, verb, args, NULL, 0, PT_CTL_REPLY_TIMEOUT_MS,
					 ret_return, why, why_size);
}

int pt_vm_runtime_request_fds(const struct pt_vm_runtime *rt, const char *verb, json_t *args,
			      const int *fds, unsigned n_fds, int timeout_ms,
			      json_t **ret_return, char *why, size_t why_size)
{
	json_t *st = NULL;
	int fd, r;

	*why = '\0';
	fd = pt_ctl_connect_timeout(rt->def->socket, PT_CTL_CONNECT_TIMEOUT_MS);
	if (fd < 0)
		return fd;
	r = pt_ctl_call(fd, "status", NULL, PT_CTL_REPLY_TIMEOUT_MS, &st, why, why_size);
	if (r < 0)
		goto out;
	if (!is_ours(rt, st, why, why_size)) {
		r = -ENXIO;
		goto out;
	}
	if (!strcmp(verb, "status") && !args && !n_fds) {
		*ret_return = TAKE_PTR(st);
		goto out;
	}
	r = pt_ctl_call_fds(fd, verb, args, fds, n_fds, timeout_ms, ret_return, why, why_size);
out:
	json_decref(st);
	close(fd);
	return r;
}

int pt_vm_runtime_call(const struct pt_vm_runtime *rt, const char *verb, json_t *args,
		       json_t **ret_return)
{
	return pt_vm_runtime_call_fds(rt, verb, args, NULL, 0, PT_CTL_REPLY_TIMEOUT_MS, ret_return);
}

int pt_vm_runtime_call_fds(const struct pt_vm_runtime *rt, const char *verb, json_t *args,
			   const int *fds, unsigned n_fds, int timeout_ms, json_t **ret_return)
{
	const char *name = rt->def->name, *sock = rt->def->socket;
	char err[512] = "";
	int r;

	r = pt_vm_runtime_request_fds(rt, verb, args, fds, n_fds, timeout_ms, ret_return, err,
				      sizeof(err));
	switch (r) {
	case 0:
		return PT_EXIT_OK;
	case -ENOENT:
		pt_err("%s does not run (no control socket %s; start it with passthru-ctl start %s)",
		       name, sock, name);
		return PT_EXIT_NOT_FOUND;
	case -ECONNREFUSED:
		pt_err("%s: nobody answers on %s: its VMM has died (passthru-ctl stop %s removes "
		       "what it left)", name, sock, name);
		return PT_EXIT_NOT_FOUND;
	case -EACCES:
	case -EPERM:
		pt_err("%s: %s: permission denied: the control socket admits root, its owner "
		       "and the definition's control-group", name, sock);
		return PT_EXIT_REFUSED;
	case -ENXIO:
		pt_err("%s: not asking '%s': %s", name, verb, err);
		return PT_EXIT_FAILURE;
	case -EREMOTEIO:
		pt_err("%s: the VMM refused '%s': %s", name, verb, err);
		return PT_EXIT_FAILURE;
	case -ETIMEDOUT:
		pt_err("%s: no answer to '%s' on %s within %d s (its VMM does not accept or "
		       "does not answer)", name, verb, sock, timeout_ms / 1000);
		return PT_EXIT_FAILURE;
	case -ECONNRESET:
		pt_err("%s: the VMM closed %s without answering '%s' (%s)", name, sock, verb,
		       strerror(ECONNRESET));
		return PT_EXIT_FAILURE;
	case -EPROTO:
		pt_err("%s: the answer on %s to '%s' is not the control protocol", name, sock, verb);
		return PT_EXIT_FAILURE;
	default:
		pt_err("%s: control socket %s: %s", name, sock, strerror(-r));
		return PT_EXIT_FAILURE;
	}
}

int pt_vm_runtime_clean_stale(struct pt_vm_runtime *rt)
{
	struct stat st;
	int n = 0, fd;

	if (pt_vm_runtime_probe(rt) < 0 || rt->running)
		return 0;
	if (rt->stale_pidfile && unlink(rt->pidfile) == 0) {
		if (rt->pid)
			pt_warn("%s: removed the stale pidfile %s (pid %d is gone)", rt->def->name,
				rt->pidfile, (int)rt->pid);
		else
			pt_warn("%s: removed the stale pidfile %s (it held no VMM's pid)",
				rt->def->name, rt->pidfile);
		n++;
	}
	if (lstat(rt->def->socket, &st) == 0 && S_ISSOCK(st.st_mode)) {
		fd = pt_ctl_connect(rt->def->socket);
		if (fd == -ECONNREFUSED && unlink(rt->def->socket) == 0) {
			pt_warn("%s: removed the stale control socket %s", rt->def->name,
				  rt->def->socket);
			n++;
		}
		if (fd >= 0)
			close(fd);
	}
	pt_vm_runtime_probe(rt);
	return n;
}

const char *pt_vmm_exit_meaning(int status)
{
	switch (status) {
	case 0: return "the guest powered off, or the VM was stopped";
	case 1: return "the VMM failed";
	case 2: return "bad usage or a bad definition or guest image";
	case 3: return "no usable KVM on this host";
	case 4: return "the VM runs already";
	case 5: return "no such VM";
	case 6: return "a device asks for backend = legacy, which this kernel no longer has";
	case 10: return "the guest reset";
	case 11: return "the guest triple-faulted";
	case 12: return "the guest crashed";
	case 13: return "the guest did something the VMM does not handle";
	case 127: return "passthru-vmm could not be run";
	}
	if (status > 64 && status < 128)
		return "the guest reported a failure on its debug-exit port";
	return "an unexpected status";
}

bool pt_vmm_answers(const struct pt_vm_def *def, pid_t pid, json_t **ret_status)
{
	char err[256];
	json_t *st = NULL;
	const char *dma;

	if (pt_ctl_request(def->socket, "status", NULL, 1000, &st, err, sizeof(err)) < 0)
		return false;
	/*
	 * Not up while guest RAM is still being mapped for its devices' DMA: a map that
	 * fails ends the VMM, which start and run report as a VM that did not start.
	 */
	dma = json_string_value(json_object_get(st, "dma"));
	if (json_integer_value(json_object_get(st, "pid")) != pid ||
	    (dma && !strcmp(dma, "mapping"))) {
		json_decref(st);
		return false;
	}
	if (ret_status)
		*ret_status = st;
	else
		json_decref(st);
	return true;
}

off_t pt_vm_log_size(const char *log)
{
	struct stat st;

	return log && stat(log, &st) == 0 ? st.st_size : -1;
}

void pt_vm_log_show_since(const char *log, off_t start)
{
	_cleanup_close_ int fd = -1;
	char buf[4096];
	ssize_t n;
	off_t from;
	struct stat st;
	char *p, *line;

	if (!log || start < 0)
		return;
	fd = open(log, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0 || st.st_size <= start)
		return;
	from = st.st_size - start > (off_t)sizeof(buf) - 1 ? st.st_size - (off_t)sizeof(buf) + 1
							 : start;
	n = pread(fd, buf, sizeof(buf) - 1, from);
	if (n <= 0)
		return;
	buf[n] = 0;
	p = buf;
	if (from != start) { /* start at a whole line */
		p = strchr(buf, '\n');
		p = p ? p + 1 : buf;
	}
	fprintf(stderr, "%s says (from %s):\n", program_invocation_short_name, log);
	for (line = strtok(p, "\n"); line; line = strtok(NULL, "\n"))
		if (strncmp(line, "-- passthru-ctl start ", 22))
			fprintf(stderr, "  | %s\n", line);
}
