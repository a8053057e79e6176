/* passthru-ctl: global options, then one subcommand from the dispatch table. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/exit_status.h"
#include "common/log.h"
#include "common/parse.h"
#include "ctl/ctl.h"
#include "host/sysroot.h"

static const struct {
	const char *name;
	pt_ctl_cmd_fn fn;
} commands[] = {
	{ "attach", pt_cmd_attach },
	{ "check", pt_cmd_check },
	{ "console", pt_cmd_console },
	{ "detach", pt_cmd_detach },
	{ "devices", pt_cmd_devices },
	{ "list", pt_cmd_list },
	{ "prepare", pt_cmd_prepare },
	{ "recover", pt_cmd_recover },
	{ "release", pt_cmd_release },
	{ "routes", pt_cmd_routes },
	{ "run", pt_cmd_run },
	{ "start", pt_cmd_start },
	{ "status", pt_cmd_status },
	{ "stop", pt_cmd_stop },
	{ "validate", pt_cmd_validate },
};

/* Kept in step with man/passthru-ctl.8 (tests/host/man.sh checks both ways). */
void pt_ctl_usage(FILE *out)
{
	fprintf(out,
		"Usage:\n"
		" %1$s [options] <command> [<argument>...]\n"
		"\n"
		"Inspect this host and its PCI devices for assignment to KVM virtual machines,\n"
		"and run those machines.\n"
		"\n"
		"Commands:\n"
		" check [<bdf>]           report whether this host can assign devices, with the\n"
		"                           evidence for each feature; with <bdf>, every reason\n"
		"                           that function could fail in a VM, and the fix\n"
		" devices [<bdf>...]      list PCI functions and whether each can be assigned\n"
		" list                    list the defined VMs and their devices\n"
		" prepare <bdf>...        take PCI functions from their host drivers to vfio-pci\n"
		" release <bdf>...        give prepared functions back to their original drivers\n"
		" recover                 undo what interrupted commands and dead VMs left behind\n"
		" attach <bdf> <vm>       give a PCI function to a VM: at once if it runs (taken\n"
		"                           to vfio-pci first), else in its definition\n"
		" detach <bdf> <vm>       take it back: out of the running VM and back to its\n"
		"                           host driver, or out of the definition\n"
		" validate <file>...      check VM definition files and report every problem\n"
		" run <vm>                run a VM in the foreground (its console on this terminal)\n"
		" start <vm>              start a VM in the background and wait until it answers\n"
		" stop <vm>               stop a VM: orderly, then by force after the timeout\n"
		" status [<vm>]           show whether VMs run, and how\n"
		" console <vm>            attach to a running VM's serial console (leave: Ctrl-])\n"
		" routes <vm>             show a running VM's GSI routing table\n"
		"\n"
		"Options:\n"
		"     --json              print the output as JSON\n"
		"     --sysroot <dir>     read /sys, /proc, /dev and /lib/modules under <dir>\n"
		"                           instead of / (for tests against fixture trees)\n"
		"     --config-dir <dir>  directory of VM definitions (default: $PASSTHRU_CONFIG_DIR,\n"
		"                           else %2$s/passthru/vms)\n"
		"     --timeout <seconds> start: how long to wait for the VM to answer (default 30);\n"
		"                           stop: how long the orderly stop may take (default 30);\n"
		"                           attach: how long the VMM may take to wire the device\n"
		"                           (default 60)\n"
		"     --force             stop: kill the VMM at once, without an orderly stop;\n"
		"                           prepare, attach: take a function the host uses (a\n"
		"                           mounted filesystem, swap, boot VGA, the default route)\n"
		"     --group             prepare, release: every function of the IOMMU group\n"
		"     --vm <vm>           check <bdf>: also against this VM's memory\n"
		" -h, --help              display this help\n"
		" -V, --version           display version\n"
		"\n"
		"A <bdf> is a PCI address, DDDD:BB:DD.F or BB:DD.F in hex (e.g. 0000:03:00.0).\n"
		"Exit status: 0 ok, 1 failure, 2 bad usage or input, 3 host lacks support,\n"
		"4 refused for safety, 5 not found.\n"
		"\n"
		"For more details see passthru-ctl(8).\n",
		program_invocation_short_name, SYSCONFDIR);
}

int pt_ctl_parse_options(struct pt_ctl *ctl, int argc, char **argv, bool stop_at_operand)
{
	enum { OPT_JSON = 0x100, OPT_SYSROOT, OPT_CONFIG_DIR, OPT_TIMEOUT, OPT_FORCE, OPT_GROUP,
	       OPT_VM };
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, OPT_JSON },
		{ "sysroot", required_argument, NULL, OPT_SYSROOT },
		{ "config-dir", required_argument, NULL, OPT_CONFIG_DIR },
		{ "timeout", required_argument, NULL, OPT_TIMEOUT },
		{ "force", no_argument, NULL, OPT_FORCE },
		{ "group", no_argument, NULL, OPT_GROUP },
		{ "vm", required_argument, NULL, OPT_VM },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t n;
	int c;

	optind = 0; /* glibc: rescan from argv[1] with fresh state */
	while ((c = getopt_long(argc, argv, stop_at_operand ? "+hV" : "hV", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_JSON:
			ctl->json = true;
			break;
		case OPT_SYSROOT:
			if (!*optarg) {
				pt_err("--sysroot needs a directory, not an empty string");
				return -PT_EXIT_USAGE;
			}
			ctl->sysroot = optarg;
			break;
		case OPT_CONFIG_DIR:
			if (!*optarg) {
				pt_err("--config-dir needs a directory, not an empty string");
				return -PT_EXIT_USAGE;
			}
			ctl->config_dir = optarg;
			break;
		case OPT_TIMEOUT:
			if (pt_parse_u64(optarg, 1, 86400, &n) < 0) {
				pt_err("--timeout %s: expected whole seconds from 1 to 86400", optarg);
				return -PT_EXIT_USAGE;
			}
			ctl->timeout_s = (int)n;
			break;
		case OPT_FORCE:
			ctl->force = true;
			break;
		case OPT_GROUP:
			ctl->group = true;
			break;
		case OPT_VM:
			if (!*optarg) {
				pt_err("--vm needs a VM name, not an empty string");
				return -PT_EXIT_USAGE;
			}
			ctl->vm = optarg;
			break;
		case 'h':
			pt_ctl_usage(stdout);
			return -PT_EXIT_OK;
		case 'V':
			printf("%s from %s %s\n", program_invocation_short_name, PACKAGE_NAME,
			       PACKAGE_VERSION);
			return -PT_EXIT_OK;
		default:
			fprintf(stderr, "Try '%s --help' for more information.\n",
				program_invocation_short_name);
			return -PT_EXIT_USAGE;
		}
	}
	if (!stop_at_operand) {
		bool start = !strcmp(argv[0], "start"), stop = !strcmp(argv[0], "stop");
		bool prepare = !strcmp(argv[0], "prepare"), release = !strcmp(argv[0], "release");

		bool attach = !strcmp(argv[0], "attach");

		if (ctl->timeout_s >= 0 && !start && !stop && !attach) {
			pt_err("--timeout goes with start, stop and attach, not %s", argv[0]);
			return -PT_EXIT_USAGE;
		}
		if (ctl->force && !stop && !prepare && !attach) {
			pt_err("--force goes with stop, prepare and attach, not %s", argv[0]);
			return -PT_EXIT_USAGE;
		}
		if (ctl->vm && strcmp(argv[0], "check")) {
			pt_err("--vm goes with check, not %s", argv[0]);
			return -PT_EXIT_USAGE;
		}
		if (ctl->group && !prepare && !release) {
			pt_err("--group goes with prepare and release, not %s", argv[0]);
			return -PT_EXIT_USAGE;
		}
	}
	return optind;
}

int main(int argc, char **argv)
{
	struct pt_ctl ctl = { .sysroot = PT_SYSROOT_DEFAULT, .timeout_s = -1 };
	int first;

	first = pt_ctl_parse_options(&ctl, argc, argv, true);
	if (first <= 0)
		return -first;
	if (first >= argc) {
		pt_err("no command given");
		fprintf(stderr, "Try '%s --help' for more information.\n",
			program_invocation_short_name);
		return PT_EXIT_USAGE;
	}
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++)
		if (!strcmp(argv[first], commands[i].name))
			return commands[i].fn(&ctl, argc - first, argv + first);
	pt_err("unknown command '%s'", argv[first]);
	fprintf(stderr, "Try '%s --help' for more information.\n", program_invocation_short_name);
	return PT_EXIT_USAGE;
}
