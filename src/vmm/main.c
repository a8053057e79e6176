/*
 * passthru-vmm: runs one VM in the foreground (passthru-vmm(8)).
 *   passthru-vmm [--config-dir DIR] VM
 *   passthru-vmm --kernel IMAGE [--initrd FILE] [--append CMDLINE] [--memory SIZE] ...
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <termios.h>
#include <unistd.h>

#include "assign/backend.h"
#include "assign/select.h"
#include "common/cleanup.h"
#include "common/exit_status.h"
#include "common/files.h"
#include "common/log.h"
#include "common/parse.h"
#include "common/pidfile.h"
#include "common/signals.h"
#include "config/guest_layout.h"
#include "config/rom_file.h"
#include "config/vm_def.h"
#include "config/vm_paths.h"
#include "vmm/console.h"
#include "vfio/backend.h"
#include "vfio/group.h"
#include "vmm/assigned.h"
#include "vmm/dma_limit.h"
#include "vmm/group_fds.h"
#include "vmm/pci.h"
#include "vmm/requests.h"
#include "vmm/vm.h"
#include "vmm/vm_control.h"

struct args {
	const char *config_dir;
	const char *vm_name;
	const char *kernel, *initrd, *append, *socket, *name;
	const char *console, *console_log, *pidfile;
	uint64_t memory;
	unsigned vcpus;
	enum pt_irqchip irqchip;
	bool hugepages;
	size_t n_devices;             /* --device */
	struct pt_dev_def devices[PT_PCI_SLOTS];
	struct pt_group_fds group_fds; /* --group-fd, from passthru-ctl */
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: %1$s [--config-dir DIR] [CONSOLE AND PIDFILE OPTIONS] VM\n"
		"       %1$s --kernel IMAGE [--initrd FILE] [--append CMDLINE] [--memory SIZE]\n"
		"            [--vcpus N] [--irqchip kernel|split] [--hugepages] [--socket PATH]\n"
		"            [--name NAME] [--device BDF]... [CONSOLE AND PIDFILE OPTIONS]\n"
		"Run one KVM virtual machine in the foreground.\n\n"
		"  -c, --config-dir DIR  where VM definitions are (default: $PASSTHRU_CONFIG_DIR,\n"
		"                        then " SYSCONFDIR "/passthru/vms)\n"
		"  -k, --kernel IMAGE    run IMAGE (Multiboot or Linux bzImage) without a definition\n"
		"  -i, --initrd FILE     initial ramdisk for a Linux kernel\n"
		"  -a, --append CMDLINE  kernel command line\n"
		"  -m, --memory SIZE     guest RAM, e.g. 64M, 1G (default 256M)\n"
		"  -n, --vcpus N         vCPUs, 1-254 (default 1)\n"
		"      --irqchip MODE    kernel (default) or split\n"
		"      --hugepages       back guest RAM with 2 MiB hugepages\n"
		"  -s, --socket PATH     serve the control socket at PATH (default: none)\n"
		"      --name NAME       the VM's name in messages and status (default: vm)\n"
		"      --device BDF      assign the host PCI function BDF through VFIO (repeatable;\n"
		"                        it must be on vfio-pci: passthru-ctl prepare BDF)\n"
		"      --console KIND    where the serial console goes: stdio, none, pty or\n"
		"                        file:PATH (default: stdio, or the definition's console)\n"
		"      --console-log FILE  also append the guest's console output to FILE\n"
		"      --pidfile FILE    write and lock a pidfile (default with a definition:\n"
		"                        $PASSTHRU_RUN_DIR or " RUNSTATEDIR "/passthru, NAME.pid)\n"
		"      --group-fd BDF=FD  the open /dev/vfio/GROUP of device BDF, inherited as FD\n"
		"                        (passthru-ctl start and run hand them over; without it\n"
		"                        the VMM opens the group itself)\n"
		"  -v, --verbose         log informational messages too\n"
		"  -h, --help            show this help\n"
		"  -V, --version         show the version\n\n"
		"Exit status: 0 guest powered off, stopped, or wrote 0 to port 0x501; 1 failure;\n"
		"2 usage or bad input; 3 no usable KVM; 4 the VM runs already; 5 no such VM;\n"
		"10 guest reset; 11 triple\n"
		"fault; 12 guest crash; 13 an exit the VMM does not handle; 64+N the guest wrote\n"
		"N (1-63, larger values give 127) to port 0x501. See passthru-vmm(8).\n",
		program_invocation_short_name);
}

static int parse_args(int argc, char **argv, struct args *a)
{
	enum { OPT_IRQCHIP = 256, OPT_HUGEPAGES, OPT_NAME, OPT_CONSOLE, OPT_CONSOLE_LOG, OPT_DEVICE,
	       OPT_PIDFILE, OPT_GROUP_FD };
	static const struct option opts[] = {
		{ "config-dir", required_argument, NULL, 'c' },
		{ "kernel", required_argument, NULL, 'k' },
		{ "initrd", required_argument, NULL, 'i' },
		{ "append", required_argument, NULL, 'a' },
		{ "memory", required_argument, NULL, 'm' },
		{ "vcpus", required_argument, NULL, 'n' },
		{ "irqchip", required_argument, NULL, OPT_IRQCHIP },
		{ "hugepages", no_argument, NULL, OPT_HUGEPAGES },
		{ "socket", required_argument, NULL, 's' },
		{ "name", required_argument, NULL, OPT_NAME },
		{ "device", required_argument, NULL, OPT_DEVICE },
		{ "console", required_argument, NULL, OPT_CONSOLE },
		{ "console-log", required_argument, NULL, OPT_CONSOLE_LOG },
		{ "pidfile", required_argument, NULL, OPT_PIDFILE },
		{ "group-fd", required_argument, NULL, OPT_GROUP_FD },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	bool direct_opt = false;
	uint64_t n;
	int c;

	a->memory = 256ULL << 20;
	a->vcpus = 1;
	while ((c = getopt_long(argc, argv, "c:k:i:a:m:n:s:vhV", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			a->config_dir = optarg;
			break;
		case 'k':
			a->kernel = optarg;
			break;
		case 'i':
			a->initrd = optarg;
			direct_opt = true;
			break;
		case 'a':
			a->append = optarg;
			direct_opt = true;
			break;
		case 'm':
			if (pt_parse_size(optarg, &a->memory) < 0) {
				pt_err("--memory %s: expected a size with a unit, e.g. 64M or 2G", optarg);
				return -EINVAL;
			}
			direct_opt = true;
			break;
		case 'n':
			if (pt_parse_u64(optarg, 1, 254, &n) < 0) {
				pt_err("--vcpus %s: expected a number from 1 to 254", optarg);
				return -EINVAL;
			}
			a->vcpus = (unsigned)n;
			direct_opt = true;
			break;
		case OPT_IRQCHIP:
			if (!strcmp(optarg, "kernel"))
				a->irqchip = PT_IRQCHIP_KERNEL;
			else if (!strcmp(optarg, "split"))
				a->irqchip = PT_IRQCHIP_SPLIT;
			else {
				pt_err("--irqchip %s: expected kernel or split", optarg);
				return -EINVAL;
			}
			direct_opt = true;
			break;
		case OPT_HUGEPAGES:
			a->hugepages = true;
			direct_opt = true;
			break;
		case 's':
			a->socket = optarg;
			direct_opt = true;
			break;
		case OPT_NAME:
			a->name = optarg;
			direct_opt = true;
			break;
		case OPT_DEVICE: {
			struct pt_dev_def *dev = &a->devices[a->n_devices];
			const char *why = NULL;

			if (a->n_devices == PT_PCI_SLOTS - 1) {
				pt_err("--device %s: at most %d devices", optarg, PT_PCI_SLOTS - 1);
				return -EINVAL;
			}
			if (pt_bdf_parse(optarg, &dev->bdf, &why) < 0) {
				pt_err("--device %s: %s (expected a PCI address such as 0000:03:00.0)",
				       optarg, why ? why : "not a PCI address");
				return -EINVAL;
			}
			dev->backend = PT_BACKEND_VFIO;
			dev->guest_slot = -1;
			dev->guest_function = -1;
			a->n_devices++;
			direct_opt = true;
			break;
		}
		case OPT_CONSOLE:
			a->console = optarg;
			break;
		case OPT_CONSOLE_LOG:
			a->console_log = optarg;
			break;
		case OPT_PIDFILE:
			a->pidfile = optarg;
			break;
		case OPT_GROUP_FD:
			if (pt_group_fds_add(&a->group_fds, optarg) < 0)
				return -EINVAL;
			break;
		case 'v':
			setenv("PASSTHRU_LOG", "info", 1);
			break;
		case 'h':
			usage(stdout);
			exit(PT_EXIT_OK);
		case 'V':
			printf("passthru-vmm " PACKAGE_VERSION "\n");
			exit(PT_EXIT_OK);
		default:
			usage(stderr);
			return -EINVAL;
		}
	}
	if (a->kernel) {
		if (optind != argc) {
			pt_err("--kernel runs without a definition: unexpected argument \"%s\"",
			       argv[optind]);
			return -EINVAL;
		}
		if (a->config_dir) {
			pt_err("--config-dir and --kernel exclude each other");
			return -EINVAL;
		}
		return 0;
	}
	if (direct_opt) {
		pt_err("--initrd, --append, --memory, --vcpus, --irqchip, --hugepages, --socket, "
		       "--name and --device go with --kernel; a VM definition sets them itself");
		return -EINVAL;
	}
	if (optind + 1 != argc) {
		pt_err(optind == argc ? "no VM named (or --kernel IMAGE)" :
					"one VM at a time: unexpected argument \"%s\"", argv[optind + 1]);
		usage(stderr);
		return -EINVAL;
	}
	a->vm_name = argv[optind];
	return 0;
}

/* A definition built from --kernel and friends, so that both modes run the same way. */
static int def_from_args(const struct args *a, struct pt_vm_def *d)
{
	memset(d, 0, sizeof(*d));
	d->name = (char *)(a->name ? a->name : "vm");
	d->memory = a->memory;
	d->vcpus = a->vcpus;
	d->kernel = (char *)a->kernel;
	d->initrd = (char *)a->initrd;
	d->cmdline = (char *)a->append;
	d->irqchip = a->irqchip;
	d->hugepages = a->hugepages;
	d->socket = (char *)a->socket;
	d->console = PT_CONSOLE_STDIO;
	d->n_devices = a->n_devices;
	d->devices = (struct pt_dev_def *)a->devices;
	return 0;
}

/*
 * The backend of one device: its backend key decided as passthru-ctl check and
 * attach decide it (assign/select.h), then only the interface of assign/backend.h.
 * NULL after saying why none can take it.
 */
static const struct pt_assign_backend *backend_for(const struct pt_dev_def *dev,
						   const struct pt_assign_facts *f)
{
	struct pt_assign_choice c;
	char name[PT_BDF_STRLEN];

	pt_assign_select(dev->backend, f, &c);
	pt_bdf_format(&dev->bdf, name);
	if (!c.usable) {
		pt_err("device %s: %s", name, c.reason);
		return NULL;
	}
	pt_info("device %s: backend %s: %s", name, pt_backend_name(c.backend), c.reason);
	return c.backend == PT_BACKEND_VFIO ? &pt_assign_vfio : pt_assign_backend_get(c.backend);
}

/*
 * The definition's devices, each through the backend chosen for it. For VFIO the
 * VMM opens the device's group itself here (passthru-ctl start has taken the device
 * to vfio-pci); a hot attach hands the group over instead. Returns an exit status.
 */
/* A --group-fd for a function the VM does not have is a mistake worth stopping on. */
static int check_group_fds(const struct pt_group_fds *g, const struct pt_vm_def *d)
{
	const struct pt_bdf *list[PT_PCI_SLOTS], *stray;
	char name[PT_BDF_STRLEN];
	size_t n = 0;

	for (size_t i = 0; i < d->n_devices && n < PT_PCI_SLOTS; i++)
		list[n++] = &d->devices[i].bdf;
	stray = pt_group_fds_stray(g, list, n);
	if (!stray)
		return 0;
	pt_err("--group-fd %s: %s has no such device", pt_bdf_format(stray, name), d->name);
	return -EINVAL;
}

/* The groups this start opened itself, a copy of each fd: a group opens only once. */
struct opened_groups {
	size_t n;
	struct { int group, fd; } items[PT_PCI_SLOTS];
};

/* bdf's group: a copy of the fd when another function of it came first, else opened. */
static int open_group_once(struct opened_groups *o, const struct pt_bdf *bdf)
{
	int group = pt_vfio_group_number(bdf), fd;

	for (size_t i = 0; group >= 0 && i < o->n; i++)
		if (o->items[i].group == group) {
			fd = fcntl(o->items[i].fd, F_DUPFD_CLOEXEC, 3);
			return fd < 0 ? -errno : fd;
		}
	fd = pt_vfio_group_open(bdf);
	if (fd >= 0 && group >= 0 && o->n < PT_PCI_SLOTS) {
		int copy = fcntl(fd, F_DUPFD_CLOEXEC, 3);

		if (copy >= 0)
			o->items[o->n++] = (typeof(o->items[0])){ group, copy };
	}
	return fd;
}

/* One device of the definition at slot.function of the guest's bus: an exit status. */
static int assign_one(struct pt_vm *vm, const struct pt_dev_def *dev, const struct pt_guest_fn *at,
		      const struct pt_assign_facts *f, struct pt_group_fds *g,
		      struct opened_groups *opened)
{
	const struct pt_assign_backend *b;
	struct pt_vm_rom_choice rom;
	char path[64], name[PT_BDF_STRLEN];
	int fd = -1, r;

	/* A function the host lacks is the first thing to say, whatever the backend. */
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s", pt_bdf_format(&dev->bdf, name));
	if (access("/sys/bus/pci/devices", F_OK) == 0 && access(path, F_OK) < 0) {
		pt_err("%s: no such PCI function on this host (passthru-ctl devices lists "
		       "them)", name);
		return PT_EXIT_NOT_FOUND;
	}
	b = backend_for(dev, f);
	if (!b)
		return dev->backend == PT_BACKEND_LEGACY ? PT_EXIT_BACKEND_GONE
							 : PT_EXIT_UNSUPPORTED;
	if (b == &pt_assign_vfio) {
		fd = pt_group_fds_take(g, &dev->bdf);
		if (fd >= 0)
			pt_info("%s: its VFIO group came from passthru-ctl (fd %d)", name, fd);
		else if (fd == -ENOENT)
			fd = open_group_once(opened, &dev->bdf);
		if (fd < 0)
			return fd == -ENODEV ? PT_EXIT_NOT_FOUND :
			       fd == -ENOENT || fd == -EBUSY ? PT_EXIT_REFUSED
							     : PT_EXIT_FAILURE;
	}
	rom = (struct pt_vm_rom_choice){ dev->rom, dev->rom_file, -1 };
	r = pt_vm_assign_device(vm, b, &dev->bdf, fd, at->slot, at->function, &rom);
	if (r < 0) {
		if (fd >= 0)
			close(fd);
		return r == -EBUSY ? PT_EXIT_REFUSED : PT_EXIT_FAILURE;
	}
	return PT_EXIT_OK;
}

/*
 * Every device's place is decided first (config/guest_layout.h: the places asked for
 * kept, host slot-mates together), then each slot's function 0 is assigned before
 * the slot's other functions: the bus takes those only beside a function 0.
 */
static int assign_devices_with(struct pt_vm *vm, const struct pt_vm_def *d,
			       struct pt_group_fds *g, struct opened_groups *opened)
{
	struct pt_guest_fn at[PT_PCI_SLOTS * PT_PCI_FUNCTIONS];
	struct pt_assign_facts f;
	size_t bad = 0;
	int r;

	if (!d->n_devices)
		return PT_EXIT_OK;
	if (d->n_devices > ARRAY_SIZE(at))
		return PT_EXIT_USAGE;
	for (size_t i = 0; i < d->n_devices; i++)
		at[i] = (struct pt_guest_fn){ d->devices[i].bdf, d->devices[i].guest_slot,
					      d->devices[i].guest_function };
	r = pt_guest_layout(NULL, 0, at, d->n_devices, &bad);
	if (r < 0) {
		char name[PT_BDF_STRLEN];

		pt_err("%s: no place on the guest's PCI bus: %s", pt_bdf_format(&d->devices[bad].bdf,
		       name), r == -ENXIO ? "a function > 0 in a slot with no function 0" :
		       r == -EEXIST ? "its slot and function are another device's" : strerror(-r));
		return r == -ENOSPC || r == -ENOMEM ? PT_EXIT_FAILURE : PT_EXIT_USAGE;
	}
	pt_assign_facts_legacy(NULL, &f);
	f.vfio = access("/dev/vfio/vfio", R_OK | W_OK) == 0;
	f.vfio_why = f.vfio ? "/dev/vfio/vfio is usable" : "/dev/vfio/vfio is not usable here";
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < d->n_devices; i++) {
			int status;

			if ((at[i].function == 0) != (pass == 0))
				continue;
			status = assign_one(vm, &d->devices[i], &at[i], &f, g, opened);
			if (status)
				return status;
		}
	}
	return PT_EXIT_OK;
}

static int assign_devices(struct pt_vm *vm, const struct pt_vm_def *d, struct pt_group_fds *g)
{
	struct opened_groups opened = { 0 };
	int status = assign_devices_with(vm, d, g, &opened);

	for (size_t i = 0; i < opened.n; i++)
		close(opened.items[i].fd);
	return status;
}

/* Where the console goes: the definition's choice unless --console overrides it. */
struct console_choice {
	enum pt_console_kind kind;
	const char *file;  /* PT_CONSOLE_FILE */
	const char *log;   /* --console-log, or NULL */
};

static int console_choose(const struct args *a, const struct pt_vm_def *d,
			  struct console_choice *ch)
{
	*ch = (struct console_choice){ .kind = d->console, .file = d->console_file,
				       .log = a->console_log };
	if (!a->console)
		return 0;
	if (!strcmp(a->console, "stdio"))
		ch->kind = PT_CONSOLE_STDIO;
	else if (!strcmp(a->console, "none"))
		ch->kind = PT_CONSOLE_NONE;
	else if (!strcmp(a->console, "pty"))
		ch->kind = PT_CONSOLE_PTY;
	else if (!strncmp(a->console, "file:", 5) && a->console[5]) {
		ch->kind = PT_CONSOLE_FILE;
		ch->file = a->console + 5;
	} else {
		pt_err("--console %s: expected stdio, none, pty or file:PATH", a->console);
		return -EINVAL;
	}
	return 0;
}

/*
 * The console's file descriptors. A pty's slave side is held open here too, in raw
 * mode, so that the master never sees a hangup between two `passthru-ctl console`
 * sessions (guest output waiting for a reader stays in the pty's buffer, and what
 * does not fit is dropped rather than blocking the vCPU).
 */
struct console {
	int out_fd, in_fd, slave_fd, log_fd;
	bool close_out;
	char pty_path[64];
};

static int console_open_pty(const char *vm_name, struct console *c)
{
	int fd = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);
	struct termios t;
	const char *name;

	if (fd < 0 || grantpt(fd) < 0 || unlockpt(fd) < 0 || !(name = ptsname(fd)))
		goto fail;
	snprintf(c->pty_path, sizeof(c->pty_path), "%s", name);
	c->slave_fd = open(c->pty_path, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (c->slave_fd < 0 || tcgetattr(c->slave_fd, &t) < 0)
		goto fail;
	cfmakeraw(&t);
	if (tcsetattr(c->slave_fd, TCSANOW, &t) < 0)
		goto fail;
	/* Said on stderr whatever the log level: it is how one reaches the console. */
	fprintf(stderr, "%s: %s: console on %s\n", program_invocation_short_name, vm_name,
		c->pty_path);
	c->out_fd = c->in_fd = fd;
	c->close_out = true;
	return 0;
fail:
	pt_err("%s: cannot set up a pseudo-terminal for the console: %m", vm_name);
	if (c->slave_fd >= 0)
		close(c->slave_fd);
	c->slave_fd = -1;
	if (fd >= 0)
		close(fd);
	return -EIO;
}

static int console_open(const char *vm_name, const struct console_choice *ch,
			struct console *c)
{
	*c = (struct console){ .out_fd = -1, .in_fd = -1, .slave_fd = -1, .log_fd = -1 };
	if (ch->log) {
		c->log_fd = open(ch->log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
		if (c->log_fd < 0) {
			pt_err("--console-log %s: %m", ch->log);
			return -errno;
		}
	}
	switch (ch->kind) {
	case PT_CONSOLE_STDIO:
		c->out_fd = STDOUT_FILENO;
		c->in_fd = STDIN_FILENO;
		break;
	case PT_CONSOLE_FILE:
		c->out_fd = open(ch->file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
		if (c->out_fd < 0) {
			pt_err("console file %s: %m", ch->file);
			goto fail;
		}
		c->close_out = true;
		break;
	case PT_CONSOLE_PTY:
		if (console_open_pty(vm_name, c) < 0)
			goto fail;
		break;
	case PT_CONSOLE_NONE:
		break;
	}
	return 0;
fail:
	if (c->log_fd >= 0)
		close(c->log_fd);
	return -EIO;
}

static void console_close(struct console *c)
{
	if (c->close_out && c->out_fd >= 0)
		close(c->out_fd);
	if (c->slave_fd >= 0)
		close(c->slave_fd);
	if (c->log_fd >= 0)
		close(c->log_fd);
}

/* A pt_console_out_fn: the console, then the console log. */
static void console_out(void *ctx, const uint8_t *buf, size_t n)
{
	struct console *c = ctx;

	if (c->out_fd >= 0)
		pt_console_fd_out(&c->out_fd, buf, n);
	if (c->log_fd >= 0)
		pt_console_fd_out(&c->log_fd, buf, n);
}

static int exit_for_create_error(int r)
{
	switch (r) {
	case -ENOENT:
	case -EACCES:
	case -EPERM:
	case -EOPNOTSUPP:
		return PT_EXIT_UNSUPPORTED;
	case -EINVAL:
		return PT_EXIT_USAGE;
	default:
		return PT_EXIT_FAILURE;
	}
}

/*
 * How often the main loop looks whether the VM is stopping without having heard it
 * on the exit eventfd (pt_vm_finish could not write it): the backstop's delay.
 */
#define STOPPING_CHECK_MS 1000

/* Serves signals, console input, host requests for devices and the VM's end until it stops. */
static void main_loop(struct pt_vm *vm, int sfd, struct console *con)
{
	bool input = con->in_fd >= 0;

	for (;;) {
		struct pollfd p[4] = {
			{ .fd = pt_vm_exit_fd(vm), .events = POLLIN },
			{ .fd = sfd, .events = POLLIN },
			{ .fd = input ? con->in_fd : -1, .events = POLLIN },
			{ .fd = pt_vm_requests_fd(vm), .events = POLLIN },
		};

		int ready = poll(p, 4, STOPPING_CHECK_MS);

		if (ready < 0) {
			if (errno == EINTR)
				continue;
			pt_err("poll: %m");
			pt_vm_stop(vm);
			return;
		}
		/* The exit eventfd, or the VM's end seen without it (its write failed). */
		if (p[0].revents || (ready == 0 && pt_vm_stopping(vm)))
			return;
		if (p[1].revents) {
			struct signalfd_siginfo si;

			if (read(sfd, &si, sizeof(si)) == sizeof(si)) {
				pt_info("%s: signal %u: stopping the VM", pt_vm_name(vm), si.ssi_signo);
				pt_vm_stop(vm);
			}
		}
		if (p[2].revents) {
			uint8_t buf[256];
			ssize_t n = read(con->in_fd, buf, sizeof(buf));

			if (n > 0)
				pt_vm_console_input(vm, buf, (size_t)n);
			else if (n == 0 || (errno != EINTR && errno != EAGAIN))
				input = false; /* end of input: the guest keeps running */
		}
		if (p[3].revents)
			pt_vm_requests_serve(vm); /* the host wants a device back */
	}
}

/*
 * File descriptors a VMM holds: stdio, signalfd, eventfds, /dev/kvm, the VM, the
 * console, the pidfile, the control socket and its clients (FDS_BASE), and one per
 * vCPU. Below that, some open fails halfway through the VM's setup.
 */
#define FDS_BASE 64

/*
 * Raises the soft RLIMIT_NOFILE to what this VM needs when the hard limit allows, or
 * says how many are needed before anything is set up. 0 or -EMFILE.
 */
static int ensure_fd_limit(const char *vm_name, unsigned vcpus)
{
	rlim_t need = FDS_BASE + (rlim_t)vcpus;
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur >= need)
		return 0;
	if (rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= need) {
		rl.rlim_cur = need;
		if (setrlimit(RLIMIT_NOFILE, &rl) == 0)
			return 0;
	}
	pt_err("%s: RLIMIT_NOFILE allows %llu open files (hard limit %llu); %u vCPUs need %llu: "
	       "raise it (ulimit -n %llu, or LimitNOFILE= for a systemd unit)", vm_name,
	       (unsigned long long)rl.rlim_cur, (unsigned long long)rl.rlim_max, vcpus,
	       (unsigned long long)need, (unsigned long long)need);
	return -EMFILE;
}

/* Takes the pidfile (-EBUSY: the VM runs already); NULL path: none wanted. */
static int pidfile_take(const char *vm_name, const char *path)
{
	pid_t holder = 0;
	int fd;

	if (!path)
		return -1;
	fd = pt_mkdir_parents(path);
	if (fd == 0) {
		char why[512];

		fd = pt_dir_check_private(path, why, sizeof(why));
		if (fd < 0) {
			pt_err("pidfile %s: refused: %s", path, why);
			return fd;
		}
	}
	fd = pt_pidfile_acquire(path, &holder);
	if (fd == -EBUSY) {
		if (holder)
			pt_err("%s runs already (pid %d, pidfile %s)", vm_name, (int)holder, path);
		else
			pt_err("%s runs already (pidfile %s is locked)", vm_name, path);
	} else if (fd < 0) {
		pt_err("pidfile %s: %s", path, strerror(-fd));
	}
	return fd;
}

static int run(struct args *a, const struct pt_vm_def *d)
{
	struct pt_vm_opts o = {
		.name = d->name, .memory = d->memory, .vcpus = d->vcpus, .irqchip = d->irqchip,
		.hugepages = d->hugepages, .console_out = console_out,
	};
	struct pt_control_server *srv = NULL;
	struct console_choice choice;
	struct pt_vm *vm = NULL;
	struct pt_vm_exit ex;
	struct console con;
	char *sock = NULL, *pidfile = NULL;
	int r, sfd, status, pid_fd;

	if (!d->kernel) {
		pt_err("%s: no kernel configured (kernel = /path in the [vm] section)", d->path ? d->path : d->name);
		return PT_EXIT_USAGE;
	}
	/* A definition asking for what this kernel removed gets its own reason and status. */
	status = pt_assign_check_def_status(d, NULL);
	if (status)
		return status;
	if (check_group_fds(&a->group_fds, d) < 0)
		return PT_EXIT_USAGE;
	if (console_choose(a, d, &choice) < 0)
		return PT_EXIT_USAGE;
	if (ensure_fd_limit(d->name, d->vcpus) < 0)
		return PT_EXIT_FAILURE;
	/* Locked memory is the admin's to grant: said up front, never raised here. */
	if (pt_dma_memlock_check(d->name, d->memory, d->n_devices > 0, NULL, 0) < 0)
		return PT_EXIT_FAILURE;
	if (a->pidfile)
		pidfile = strdup(a->pidfile);
	else if (d->path)
		pidfile = pt_vm_pidfile_path(d->name);
	if ((a->pidfile || d->path) && !pidfile) {
		pt_err("%s: its pidfile: %s", d->name, strerror(ENOMEM));
		return PT_EXIT_FAILURE;
	}
	pid_fd = pidfile_take(d->name, pidfile);
	if (pidfile && pid_fd < 0) {
		free(pidfile);
		return pid_fd == -EBUSY ? PT_EXIT_REFUSED : PT_EXIT_FAILURE;
	}
	r = console_open(d->name, &choice, &con);
	if (r < 0) {
		status = PT_EXIT_FAILURE;
		goto out_pidfile;
	}
	o.console_ctx = &con;
	if (con.out_fd < 0 && con.log_fd < 0)
		o.console_out = NULL;
	o.console_kind = pt_console_kind_name(choice.kind);
	o.console_path = choice.kind == PT_CONSOLE_PTY ? con.pty_path :
			 choice.kind == PT_CONSOLE_FILE ? choice.file : NULL;

	/* Signals arrive through a signalfd; threads created from here on inherit the mask. */
	sfd = pt_stop_signalfd();
	if (sfd < 0) {
		pt_err("signalfd: %s", strerror(-sfd));
		status = PT_EXIT_FAILURE;
		goto out_console;
	}

	r = pt_vm_create(&o, &vm);
	if (r < 0) {
		/* The other errors are said where they happen. */
		if (r == -ENOMEM)
			pt_err("%s: creating the VM: %s", d->name, strerror(ENOMEM));
		status = exit_for_create_error(r);
		goto out_sfd;
	}
	/* Devices first: the loader's MP table lists the PCI functions. */
	status = assign_devices(vm, d, &a->group_fds);
	pt_group_fds_close(&a->group_fds);
	if (status)
		goto out_vm;
	r = pt_vm_load_kernel(vm, d->kernel, d->initrd, d->cmdline);
	if (r < 0) {
		if (r == -ENOMEM)
			pt_err("%s: loading %s: %s", d->name, d->kernel, strerror(ENOMEM));
		status = r == -ENOMEM ? PT_EXIT_FAILURE : PT_EXIT_USAGE;
		goto out_vm;
	}
	if (d->socket) {
		sock = strdup(d->socket);
		if (!sock) {
			pt_err("%s: control socket %s: %s", d->name, d->socket, strerror(ENOMEM));
			status = PT_EXIT_FAILURE;
			goto out_vm;
		}
	}
	if (sock) {
		r = pt_vm_control_start(vm, sock, d->control_group, &srv);
		if (r < 0) {
			/* -ENOENT: the definition names a group the host does not have. */
			status = r == -ENOENT ? PT_EXIT_USAGE : PT_EXIT_FAILURE;
			goto out_vm;
		}
	}
	r = pt_vm_start(vm);
	if (r < 0) {
		if (r == -ENOMEM)
			pt_err("%s: starting the VM: %s", d->name, strerror(ENOMEM));
		status = PT_EXIT_FAILURE;
		goto out_srv;
	}
	pt_info("%s: running: %u vCPUs, %llu MiB%s%s", d->name, d->vcpus,
		(unsigned long long)(d->memory >> 20), sock ? ", control socket " : "", sock ? sock : "");
	main_loop(vm, sfd, &con);
	pt_vm_wait(vm, -1, &ex);
	status = pt_vm_exit_status(&ex);
	pt_info("%s: stopped (%s): exit status %d", d->name, pt_vm_exit_kind_name(ex.kind), status);
out_srv:
	pt_control_server_stop(srv);
out_vm:
	pt_vm_destroy(vm);
out_sfd:
	close(sfd);
out_console:
	console_close(&con);
	free(sock);
out_pidfile:
	pt_pidfile_release(pidfile, pid_fd);
	free(pidfile);
	return status;
}

int main(int argc, char **argv)
{
	struct args a = { 0 };
	struct pt_vm_def direct, *def = NULL;
	struct pt_config_errors errs = { 0 };
	int r, status;

	if (parse_args(argc, argv, &a) < 0)
		return PT_EXIT_USAGE;
	if (a.kernel) {
		if (def_from_args(&a, &direct) < 0)
			return PT_EXIT_USAGE;
		return run(&a, &direct);
	}
	r = pt_vm_def_find(pt_config_dir(a.config_dir), a.vm_name, &def, &errs);
	if (r == 0) {
		r = pt_vm_def_check_rom_files(def, &errs);
		if (r < 0)
			pt_vm_def_free(def);
	}
	if (r < 0) {
		/* Running out of memory may leave nothing to print. */
		if (r == -ENOMEM && !errs.n)
			pt_err("%s: reading its definition: %s", a.vm_name, strerror(ENOMEM));
		pt_config_errors_print(&errs, stderr);
		return r == -ENOENT ? PT_EXIT_NOT_FOUND : r == -ENOMEM ? PT_EXIT_FAILURE : PT_EXIT_USAGE;
	}
	status = run(&a, def);
	pt_vm_def_free(def);
	return status;
}
