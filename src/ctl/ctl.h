/* passthru-ctl: the options every subcommand shares, and the subcommand entry points. */
#ifndef PT_CTL_CTL_H
#define PT_CTL_CTL_H

#include <stdbool.h>

struct pt_ctl {
	const char *sysroot;    /* --sysroot: where /sys, /proc, /dev, /run are read */
	const char *config_dir; /* --config-dir, or NULL for the default */
	bool json;              /* --json */
	int timeout_s;          /* --timeout (start, stop, attach), or -1 for the command's default */
	bool force;             /* --force (stop, prepare, attach) */
	bool group;             /* --group (prepare, release) */
	const char *vm;         /* --vm (check BDF) */
};

/* The fault point hook for host/bind.h: NULL except in the test binary (ctl/fault.c). */
typedef void (*pt_ctl_fault_fn)(const char *point);
pt_ctl_fault_fn pt_ctl_fault_hook(void);
/* Calls the hook at point ("attach:after-take"), when there is one. */
void pt_ctl_fault(const char *point);

/*
 * A subcommand: argv[0] is its name, the rest its arguments. The global options may
 * also follow the subcommand name (pt_ctl_parse_options). Returns an exit status
 * (common/exit_status.h).
 */
typedef int (*pt_ctl_cmd_fn)(struct pt_ctl *ctl, int argc, char **argv);

/*
 * Parses the options shared by every subcommand (--json, --sysroot, --config-dir,
 * --help) from argv starting at argv[0] (the command or subcommand name). Returns the
 * index of the first operand, -PT_EXIT_USAGE on a bad option (after a message), or
 * -PT_EXIT_OK when --help or --version was handled.
 */
int pt_ctl_parse_options(struct pt_ctl *ctl, int argc, char **argv, bool stop_at_operand);

void pt_ctl_usage(FILE *out);

struct pt_vm_def;
/*
 * Refuses a definition whose devices ask for a backend this kernel lacks (backend =
 * legacy since Linux 4.12), with the reason, before anything on the host changes.
 * PT_EXIT_OK, PT_EXIT_BACKEND_GONE, or PT_EXIT_UNSUPPORTED when /dev/kvm cannot be asked.
 */
int pt_ctl_check_backends(const struct pt_ctl *ctl, const struct pt_vm_def *def);

int pt_cmd_check(struct pt_ctl *ctl, int argc, char **argv);
/* check BDF: the preflight of one function (ctl/cmd_check_device.c). */
int pt_cmd_check_device(struct pt_ctl *ctl, const char *bdf);
int pt_cmd_devices(struct pt_ctl *ctl, int argc, char **argv);
int pt_cmd_list(struct pt_ctl *ctl, int argc, char **argv);
int pt_cmd_validate(struct pt_ctl *ctl, int argc, char **argv);
int pt_cmd_run(struct pt_ctl *ctl, int argc, char **argv);
int pt_cmd_start(struct pt_ctl *ctl, int argc, char **argv);
int pt_cmd_stop(struct pt_ctl *ctl, int argc, char **argv);
int pt_cmd_status(struct pt_ctl *ctl, int argc, char **argv);
int pt_cmd_console(struct pt_ctl *ctl, int argc, char **argv);
int pt_cmd_routes(struct pt_ctl *ctl, int argc, char **argv);
int pt_cmd_prepare(struct pt_ctl *ctl, int argc, char **argv);
int pt_cmd_release(struct pt_ctl *ctl, int argc, char **argv);
int pt_cmd_recover(struct pt_ctl *ctl, int argc, char **argv);
int pt_cmd_attach(struct pt_ctl *ctl, int argc, char **argv);
int pt_cmd_detach(struct pt_ctl *ctl, int argc, char **argv);


#endif
