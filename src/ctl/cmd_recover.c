/*
 * passthru-ctl recover: puts back every host change whose owner is gone. For each
 * state record (host/state.h) whose lock nobody holds:
 *   - "preparing" or "releasing" (a command was killed): the function goes back to
 *     its original driver and driver_override, and the record goes;
 *   - "prepared" for a VM whose VMM does not run: the same;
 *   - "prepared" for a running VM whose VMM answers that it does not have the
 *     function (an attach killed before its device-add): the same;
 *   - "prepared" without a VM (passthru-ctl prepare by an admin) or for a running
 *     VM that has it (or cannot be asked), or that holds its IOMMU group through
 *     another function (detached while that one stays): kept, and said so.
 * Then lock files without a holder, and pidfiles and control sockets of VMMs that
 * died, are removed from the run directory. Each action is reported; running it
 * again changes nothing.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/exit_status.h"
#include "common/log.h"
#include "common/pidfile.h"
#include "common/run_dir.h"
#include "ctl/control_client.h"
#include "ctl/ctl.h"
#include "ctl/host_prep.h"
#include "ctl/json_out.h"
#include "ctl/vm_devices.h"

struct recover_run {
	const struct pt_ctl *ctl;
	json_t *actions; /* {"object", "action", "message"} */
	int status;
};

static void __attribute__((format(printf, 4, 5)))
report(struct recover_run *run, const char *object, const char *action, const char *fmt, ...)
{
	_cleanup_free_ char *msg = NULL;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	if (!run->ctl->json)
		printf("%s: %s\n", object, msg ? msg : action);
	json_array_append_new(run->actions, json_pack("{s:s, s:s, s:s}", "object", object,
						      "action", action, "message",
						      msg ? msg : action));
}

static const char *last_step(const struct pt_state_record *rec)
{
	static char buf[64];

	if (!rec->n_steps)
		return "before its first step";
	snprintf(buf, sizeof(buf), "%s step '%s'",
		 rec->steps[rec->n_steps - 1].done ? "after" : "during",
		 rec->steps[rec->n_steps - 1].name);
	return buf;
}

static void recover_device(struct recover_run *run, const char *bdf)
{
	struct pt_state_record *rec = NULL;
	struct pt_state_lock lock = { .fd = -1 };
	struct pt_state_holder h;
	struct pt_bind_opts o;
	const char *why = NULL;
	char who[256], holder[PT_BDF_STRLEN];
	bool changed = false;
	int r, has = -1;

	r = pt_state_lock(bdf, "recover", NULL, &lock, &h);
	if (r == -EBUSY) {
		report(run, bdf, "skipped", "left alone: %s holds it now",
		       pt_state_holder_describe(&h, who, sizeof(who)));
		return;
	}
	if (r < 0) {
		pt_err("%s: cannot take its lock: %s", bdf, strerror(-r));
		run->status = PT_EXIT_FAILURE;
		return;
	}
	r = pt_state_read(bdf, &rec, &why);
	if (r == -ENOENT) {
		report(run, bdf, "removed_lock", "removed a lock file nobody held");
		goto out;
	}
	if (r < 0) {
		pt_err("%s: its state record cannot be read (%s): left for an admin to look at",
		       bdf, r == -EBADMSG ? why : strerror(-r));
		run->status = PT_EXIT_FAILURE;
		goto out;
	}
	if (rec->phase == PT_PHASE_PREPARED && !rec->vm) {
		report(run, bdf, "kept", "kept: prepared by an admin, not assigned "
		       "(passthru-ctl release %s gives it back)", bdf);
		goto out;
	}
	if (rec->phase == PT_PHASE_PREPARED && pt_ctl_vm_running(rec->vm)) {
		has = pt_ctl_vmm_has_device(run->ctl, rec->vm, bdf);
		if (has != 0) {
			report(run, bdf, "kept", "kept: assigned to VM %s, which runs%s", rec->vm,
			       has < 0 ? " (its VMM does not say which devices it has)" : "");
			goto out;
		}
		/* Detached while another function kept its group in the VM. */
		if (pt_ctl_vmm_group_holder(run->ctl, rec->vm, bdf, holder) == 1) {
			report(run, bdf, "kept", "kept on vfio-pci: VM %s holds its IOMMU group "
			       "through %s, so no host driver may have it (passthru-ctl detach %s "
			       "%s gives both back)", rec->vm, holder, holder, rec->vm);
			goto out;
		}
	}
	pt_ctl_bind_opts(run->ctl, "recover", &o);
	o.fault = NULL;
	r = pt_bind_restore(&o, rec, &changed);
	if (r < 0) {
		run->status = PT_EXIT_FAILURE;
		goto out;
	}
	if (rec->phase == PT_PHASE_PREPARED && has == 0)
		report(run, bdf, "restored", "recorded as VM %s's, whose VMM does not have it (an "
		       "interrupted attach, or the host took it back): given back to %s%s", rec->vm,
		       rec->original_driver ? rec->original_driver : "no driver",
		       rec->original_override ? ", driver_override restored" : "");
	else if (rec->phase == PT_PHASE_PREPARED)
		report(run, bdf, "restored", "VM %s does not run: given back to %s%s", rec->vm,
		       rec->original_driver ? rec->original_driver : "no driver",
		       rec->original_override ? ", driver_override restored" : "");
	else
		report(run, bdf, "restored", "an interrupted %s (pid %d, %s) %s: %s%s, record "
		       "removed", rec->phase == PT_PHASE_PREPARING ? "prepare" : "release",
		       (int)rec->pid, last_step(rec), changed ? "was undone" : "had changed nothing",
		       rec->original_driver ? "on " : "no driver, as before",
		       rec->original_driver ? rec->original_driver : "");
out:
	pt_state_record_free(rec);
	pt_state_unlock(&lock);
}

static bool has_suffix(const char *name, const char *suffix, size_t *ret_stem)
{
	size_t n = strlen(name), s = strlen(suffix);

	if (n <= s || strcmp(name + n - s, suffix))
		return false;
	*ret_stem = n - s;
	return true;
}

/* VMM pidfiles nobody holds, and control sockets nobody answers on. */
static void recover_run_dir(struct recover_run *run)
{
	const char *dir = pt_run_dir();
	struct dirent *e;
	DIR *d = opendir(dir);

	if (!d)
		return;
	while ((e = readdir(d))) {
		_cleanup_free_ char *path = NULL, *pidfile = NULL;
		struct stat st;
		size_t stem;
		pid_t pid;

		if (e->d_name[0] == '.')
			continue;
		if (asprintf(&path, "%s/%s", dir, e->d_name) < 0) {
			path = NULL;
			continue;
		}
		if (has_suffix(e->d_name, ".pid", &stem)) {
			if (pt_pidfile_probe(path, &pid) == 0 && unlink(path) == 0)
				report(run, path, "removed_pidfile",
				       "removed a stale pidfile (pid %d is gone)", (int)pid);
		} else if (has_suffix(e->d_name, ".sock", &stem) && lstat(path, &st) == 0 &&
			   S_ISSOCK(st.st_mode)) {
			int fd;

			if (asprintf(&pidfile, "%s/%.*s.pid", dir, (int)stem, e->d_name) < 0) {
				pidfile = NULL;
				continue;
			}
			if (pt_pidfile_probe(pidfile, &pid) != 0)
				continue; /* its VMM runs */
			fd = pt_ctl_connect(path);
			if (fd >= 0)
				close(fd);
			else if (fd == -ECONNREFUSED && unlink(path) == 0)
				report(run, path, "removed_socket",
				       "removed a control socket nobody answers on");
		}
	}
	closedir(d);
}

int pt_cmd_recover(struct pt_ctl *ctl, int argc, char **argv)
{
	struct recover_run run = { .ctl = ctl, .status = PT_EXIT_OK };
	char (*names)[PT_BDF_STRLEN] = NULL;
	size_t n = 0;
	int first, r;

	first = pt_ctl_parse_options(ctl, argc, argv, false);
	if (first <= 0)
		return -first;
	if (first < argc) {
		pt_err("recover takes no arguments, got '%s'", argv[first]);
		return PT_EXIT_USAGE;
	}
	run.actions = json_array();
	if (!run.actions) {
		pt_err("nothing recovered: %s", strerror(ENOMEM));
		return PT_EXIT_FAILURE;
	}
	r = pt_state_list(&names, &n);
	if (r < 0) {
		pt_err("cannot list the state directory under %s: %s", pt_run_dir(), strerror(-r));
		json_decref(run.actions);
		return PT_EXIT_FAILURE;
	}
	for (size_t i = 0; i < n; i++)
		recover_device(&run, names[i]);
	free(names);
	recover_run_dir(&run);
	if (ctl->json) {
		pt_json_print(json_pack("{s:b, s:O}", "ok", run.status == PT_EXIT_OK, "actions",
					run.actions));
	} else if (!json_array_size(run.actions) && run.status == PT_EXIT_OK) {
		printf("nothing to recover: no state records, stale locks, pidfiles or sockets in "
		       "%s\n", pt_run_dir());
	}
	json_decref(run.actions);
	return run.status;
}
