/*
 * VM definitions: every bad file in tests/config/bad/ must give exactly the messages in
 * its .expected file; every good file in tests/config/good/ (and the shipped example)
 * must load with the values listed here, field by field. Also the directory functions,
 * and the man page's key list against the parser's.
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
#include "config/guest_layout.h"
#include "config/parser.h"
#include "config/vm_def.h"
#include "config/vm_paths.h"
#include "tap.h"

#define MiB (1ULL << 20)
#define GiB (1ULL << 30)
#define SENTINEL ((struct pt_vm_def *)0x1)

static char *read_text(const char *path)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t len = 0;
	FILE *out;
	int c;

	if (!f)
		return NULL;
	out = open_memstream(&buf, &len);
	if (!out) {
		fclose(f);
		return NULL;
	}
	while ((c = fgetc(f)) != EOF)
		fputc(c, out);
	fclose(f);
	fclose(out);
	return buf;
}

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "we");

	if (!f || fputs(text, f) < 0 || fclose(f)) {
		printf("Bail out! cannot write %s: %s\n", path, strerror(errno));
		exit(99);
	}
}

/* The errors as pt_config_errors_print writes them (which also frees them). */
static char *errors_text(struct pt_config_errors *errs)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	if (!out)
		exit(99);
	pt_config_errors_print(errs, out);
	fclose(out);
	return buf;
}

/* One per error class of man/passthru.ini.5; each has bad/NAME.conf and bad/NAME.expected. */
static const char *const bad_files[] = {
	"bad-bdf", "bad-enum", "bad-name", "bad-unit", "control-bytes", "control-group",
	"duplicate-device", "duplicate-key", "duplicate-vm", "empty", "empty-value",
	"function-alone", "guest-function", "long-lines",
	"many-errors", "memory-align", "memory-overflow", "memory-small", "missing-keys",
	"missing-vm", "name-mismatch",
	"needs-kernel", "no-unit", "non-canonical-bdf", "not-a-number", "out-of-range",
	"relative-path", "slot-conflict", "socket-long", "syntax", "too-many-devices",
	"unknown-key", "unknown-section",
};

static void test_bad_files(struct tap *t)
{
	DIR *d;
	struct dirent *e;

	for (size_t i = 0; i < ARRAY_SIZE(bad_files); i++) {
		_cleanup_free_ char *conf = NULL, *exp_path = NULL, *want = NULL, *got = NULL;
		struct pt_config_errors errs = { 0 };
		struct pt_vm_def *def = SENTINEL;
		int r;

		if (asprintf(&conf, "bad/%s.conf", bad_files[i]) < 0 ||
		    asprintf(&exp_path, "bad/%s.expected", bad_files[i]) < 0)
			exit(99);
		want = read_text(exp_path);
		if (!tap_ok(t, want != NULL, "%s exists", exp_path))
			continue;
		r = pt_vm_def_load(conf, &def, &errs);
		tap_is_int(t, r, -EINVAL, "%s is refused", conf);
		tap_ok(t, def == SENTINEL, "%s: no definition handed out", conf);
		got = errors_text(&errs);
		if (!tap_ok(t, !strcmp(got, want), "%s: exactly the expected messages", conf)) {
			tap_diag("got:\n%s", got);
			tap_diag("want:\n%s", want);
		}
	}

	/* Every file in bad/ is in the table, so none is silently left out. */
	d = opendir("bad");
	if (!tap_ok(t, d != NULL, "bad/ can be listed"))
		return;
	while ((e = readdir(d))) {
		bool listed = false;
		size_t len = strlen(e->d_name);

		if (e->d_name[0] == '.')
			continue;
		for (size_t i = 0; i < ARRAY_SIZE(bad_files); i++) {
			size_t n = strlen(bad_files[i]);

			if (len <= n || strncmp(e->d_name, bad_files[i], n))
				continue;
			if (!strcmp(e->d_name + n, ".conf") || !strcmp(e->d_name + n, ".expected"))
				listed = true;
		}
		tap_ok(t, listed, "bad/%s is listed in the test's table", e->d_name);
	}
	closedir(d);
}

struct dev_want {
	const char *bdf;
	enum pt_backend backend;
	enum pt_interrupts interrupts;
	enum pt_rom_mode rom;
	const char *rom_file;
	enum pt_hotplug hotplug;
	int guest_slot;
	unsigned line;
};

struct def_want {
	const char *file;
	const char *name;
	uint64_t memory;
	unsigned vcpus;
	const char *kernel, *initrd, *cmdline;
	enum pt_irqchip irqchip;
	enum pt_console_kind console;
	const char *console_file;
	bool hugepages;
	const char *socket; /* NULL: the default under RUNSTATEDIR */
	const char *control_group;
	size_t n_devices;
	struct dev_want devices[4]; /* the first ones */
};

#define DEV_DEFAULTS PT_BACKEND_AUTO, PT_INTR_AUTO, PT_ROM_AUTO, NULL, PT_HOTPLUG_MANUAL, -1

static const struct def_want good_files[] = {
	{ .file = "good/minimal.conf", .name = "minimal", .memory = 16 * MiB, .vcpus = 1,
	  .irqchip = PT_IRQCHIP_KERNEL, .console = PT_CONSOLE_STDIO },
	{ .file = "good/full.conf", .name = "full", .memory = 1024 * GiB, .vcpus = 254,
	  .kernel = "/var/lib/passthru/full/bzImage",
	  .initrd = "/var/lib/passthru/full/initrd.img",
	  .cmdline = "console=ttyS0 root=/dev/vda rw init=/bin/sh",
	  .irqchip = PT_IRQCHIP_SPLIT, .console = PT_CONSOLE_FILE,
	  .console_file = "/var/log/passthru/full.console", .hugepages = true,
	  .socket = "/var/run/passthru-full.sock", .control_group = "kvm-users",
	  .n_devices = 4, .devices = {
		{ "0000:03:00.0", PT_BACKEND_VFIO, PT_INTR_MSIX, PT_ROM_OFF, NULL,
		  PT_HOTPLUG_ATTACH, 31, 15 },
		{ "0000:03:00.1", PT_BACKEND_LEGACY, PT_INTR_MSI, PT_ROM_FILE,
		  "/usr/share/passthru/roms/nic.rom", PT_HOTPLUG_MANUAL, 1, 22 },
		{ "ffff:ff:1f.7", PT_BACKEND_AUTO, PT_INTR_INTX, PT_ROM_AUTO, NULL,
		  PT_HOTPLUG_MANUAL, -1, 28 },
		{ "0000:0a:00.0", DEV_DEFAULTS, 33 },
	  } },
	{ .file = "good/syntax.conf", .name = "syntax", .memory = 2 * GiB, .vcpus = 16,
	  .kernel = "/boot/vmlinuz-6.1", .cmdline = "a=b;c d#e",
	  .irqchip = PT_IRQCHIP_KERNEL, .console = PT_CONSOLE_NONE, .hugepages = true,
	  .n_devices = 1, .devices = {
		{ "0000:05:00.0", PT_BACKEND_AUTO, PT_INTR_AUTO, PT_ROM_AUTO, NULL,
		  PT_HOTPLUG_ATTACH, -1, 12 },
	  } },
	{ .file = "good/max-devices.conf", .name = "max-devices", .memory = 64 * MiB, .vcpus = 1,
	  .irqchip = PT_IRQCHIP_KERNEL, .console = PT_CONSOLE_STDIO,
	  .n_devices = PT_VM_DEVICES_MAX, .devices = {
		{ "0000:01:00.0", DEV_DEFAULTS, 5 }, { "0000:02:00.0", DEV_DEFAULTS, 7 },
		{ "0000:03:00.0", DEV_DEFAULTS, 9 }, { "0000:04:00.0", DEV_DEFAULTS, 11 },
	  } },
	/* The shipped example, read where it is: a name not ending in .conf. */
	{ .file = "../../etc/passthru/vms/example.conf.sample", .name = "example",
	  .memory = 1 * GiB, .vcpus = 2,
	  .kernel = "/var/lib/passthru/example/bzImage",
	  .initrd = "/var/lib/passthru/example/initrd.img",
	  .cmdline = "console=ttyS0 root=/dev/ram0 quiet",
	  .irqchip = PT_IRQCHIP_KERNEL, .console = PT_CONSOLE_PTY, .hugepages = false,
	  .socket = "/run/passthru/example.sock", .control_group = "passthru",
	  .n_devices = 2, .devices = {
		{ "0000:03:00.0", PT_BACKEND_VFIO, PT_INTR_AUTO, PT_ROM_AUTO, NULL,
		  PT_HOTPLUG_MANUAL, 3, 42 },
		{ "0000:04:00.1", PT_BACKEND_AUTO, PT_INTR_MSI, PT_ROM_OFF, NULL,
		  PT_HOTPLUG_ATTACH, 5, 54 },
	  } },
};

static void check_def(struct tap *t, const struct pt_vm_def *def, const struct def_want *w)
{
	_cleanup_free_ char *socket = NULL;
	const char *f = w->file;

	if (!w->socket && asprintf(&socket, "%s/passthru/%s.sock", RUNSTATEDIR, w->name) < 0)
		exit(99);
	tap_is_str(t, def->path, w->file, "%s: path", f);
	tap_is_str(t, def->name, w->name, "%s: name", f);
	tap_is_int(t, def->memory, w->memory, "%s: memory", f);
	tap_is_int(t, def->vcpus, w->vcpus, "%s: vcpus", f);
	tap_is_str(t, def->kernel, w->kernel, "%s: kernel", f);
	tap_is_str(t, def->initrd, w->initrd, "%s: initrd", f);
	tap_is_str(t, def->cmdline, w->cmdline, "%s: cmdline", f);
	tap_is_int(t, def->irqchip, w->irqchip, "%s: irqchip", f);
	tap_is_int(t, def->console, w->console, "%s: console", f);
	tap_is_str(t, def->console_file, w->console_file, "%s: console file", f);
	tap_is_int(t, def->hugepages, w->hugepages, "%s: hugepages", f);
	tap_is_str(t, def->socket, w->socket ? w->socket : socket, "%s: socket", f);
	tap_is_str(t, def->control_group, w->control_group, "%s: control-group", f);
	tap_is_int(t, def->n_devices, w->n_devices, "%s: number of devices", f);
	for (size_t i = 0; i < def->n_devices && i < ARRAY_SIZE(w->devices); i++) {
		const struct pt_dev_def *d = &def->devices[i];
		const struct dev_want *dw = &w->devices[i];
		char bdf[PT_BDF_STRLEN];

		if (!dw->bdf)
			break; /* only the first ones are listed */
		tap_is_str(t, pt_bdf_format(&d->bdf, bdf), dw->bdf, "%s: device %zu address", f, i);
		tap_is_int(t, d->backend, dw->backend, "%s: %s backend", f, dw->bdf);
		tap_is_int(t, d->interrupts, dw->interrupts, "%s: %s interrupts", f, dw->bdf);
		tap_is_int(t, d->rom, dw->rom, "%s: %s rom", f, dw->bdf);
		tap_is_str(t, d->rom_file, dw->rom_file, "%s: %s rom file", f, dw->bdf);
		tap_is_int(t, d->hotplug, dw->hotplug, "%s: %s hotplug", f, dw->bdf);
		tap_is_int(t, d->guest_slot, dw->guest_slot, "%s: %s guest-slot", f, dw->bdf);
		tap_is_int(t, d->line, dw->line, "%s: %s line", f, dw->bdf);
	}
}

static void test_good_files(struct tap *t)
{
	for (size_t i = 0; i < ARRAY_SIZE(good_files); i++) {
		struct pt_config_errors errs = { 0 };
		struct pt_vm_def *def = NULL;
		int r = pt_vm_def_load(good_files[i].file, &def, &errs);

		tap_is_int(t, r, 0, "%s loads", good_files[i].file);
		if (errs.n) {
			_cleanup_free_ char *text = errors_text(&errs);

			tap_diag("%s", text);
		}
		if (r == 0) {
			check_def(t, def, &good_files[i]);
			pt_vm_def_free(def);
		}
	}
}

static void test_max_devices(struct tap *t)
{
	struct pt_config_errors errs = { 0 };
	struct pt_vm_def *def = NULL;
	int ok = 1;

	if (pt_vm_def_load("good/max-devices.conf", &def, &errs) < 0) {
		tap_ok(t, 0, "max-devices loads");
		pt_config_errors_clear(&errs);
		return;
	}
	for (size_t i = 0; i < def->n_devices; i++)
		ok &= def->devices[i].bdf.bus == i + 1 && def->devices[i].guest_slot == -1;
	tap_ok(t, ok, "max-devices: all %zu devices in order, slots left to the VMM",
	       def->n_devices);
	pt_vm_def_free(def);
}

/*
 * guest-slot = SLOT.FUNCTION as read, and the places the VMM will give each device
 * (guest_layout.h): a GPU and its audio function share a slot whatever their order.
 */
static void test_multifunction(struct tap *t)
{
	static const struct { int slot, function, placed_slot, placed_function; } want[] = {
		{ -1, -1, 1, 1 }, /* 0000:03:00.1 joins its function 0 */
		{ -1, -1, 1, 0 }, /* 0000:03:00.0 takes the lowest slot first */
		{ 7, 0, 7, 0 }, { 7, 1, 7, 1 }, { 9, 3, 9, 3 }, { 9, 0, 9, 0 },
	};
	struct pt_config_errors errs = { 0 };
	struct pt_guest_fn fns[ARRAY_SIZE(want)];
	struct pt_vm_def *def = NULL;
	bool as_read = true, placed = true;

	if (!tap_ok(t, pt_vm_def_load("good/multifunction.conf", &def, &errs) == 0 &&
		    def->n_devices == ARRAY_SIZE(want), "multifunction.conf loads")) {
		pt_config_errors_clear(&errs);
		pt_vm_def_free(def);
		return;
	}
	for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
		const struct pt_dev_def *d = &def->devices[i];

		as_read &= d->guest_slot == want[i].slot && d->guest_function == want[i].function;
		fns[i] = (struct pt_guest_fn){ d->bdf, d->guest_slot, d->guest_function };
	}
	tap_ok(t, as_read, "multifunction.conf: guest-slot N is N.0, N.F is N.F, none is -1");
	tap_is_int(t, pt_guest_layout(NULL, 0, fns, ARRAY_SIZE(fns), NULL), 0,
		   "multifunction.conf: every device has a place");
	for (size_t i = 0; i < ARRAY_SIZE(want); i++)
		placed &= fns[i].slot == want[i].placed_slot &&
			  fns[i].function == want[i].placed_function;
	tap_ok(t, placed, "multifunction.conf: 03:00.0 and 03:00.1 at 01.0 and 01.1, the others "
	       "where asked");
	pt_vm_def_free(def);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* What load_dir("bad") must report: each file's messages, files in name order. */
static char *bad_dir_messages(void)
{
	char *files[ARRAY_SIZE(bad_files)];
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);

	if (!out)
		exit(99);
	for (size_t i = 0; i < ARRAY_SIZE(bad_files); i++)
		if (asprintf(&files[i], "%s.conf", bad_files[i]) < 0)
			exit(99);
	qsort(files, ARRAY_SIZE(files), sizeof(files[0]), cmp_str);
	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		_cleanup_free_ char *p = NULL, *text = NULL;

		if (asprintf(&p, "bad/%.*s.expected", (int)(strlen(files[i]) - 5), files[i]) < 0)
			exit(99);
		text = read_text(p);
		fputs(text ? text : "", out);
		free(files[i]);
	}
	fclose(out);
	return buf;
}

static void test_load_dir(struct tap *t)
{
	static const char *const good_names[] = { "full", "max-devices", "minimal", "multifunction",
						  "syntax" };
	struct pt_config_errors errs = { 0 };
	struct pt_vm_def **defs = NULL;
	_cleanup_free_ char *want = NULL, *got = NULL;
	size_t n = 99;
	int r;

	r = pt_vm_def_load_dir("good", &defs, &n, &errs);
	tap_is_int(t, r, 0, "load_dir good/");
	tap_is_int(t, errs.n, 0, "load_dir good/: no messages");
	tap_is_int(t, n, ARRAY_SIZE(good_names), "load_dir good/: every file");
	for (size_t i = 0; i < n && i < ARRAY_SIZE(good_names); i++)
		tap_is_str(t, defs[i]->name, good_names[i], "load_dir good/: #%zu by name", i);
	pt_vm_defs_free(defs, n);
	pt_config_errors_clear(&errs);

	defs = (struct pt_vm_def **)SENTINEL;
	n = 99;
	r = pt_vm_def_load_dir("bad", &defs, &n, &errs);
	tap_is_int(t, r, -EINVAL, "load_dir bad/ fails");
	tap_ok(t, defs == NULL && n == 0, "load_dir bad/: no definitions");
	want = bad_dir_messages();
	got = errors_text(&errs);
	if (!tap_ok(t, !strcmp(got, want), "load_dir bad/: every file's messages, in name order"))
		tap_diag("got:\n%s", got);

	defs = (struct pt_vm_def **)SENTINEL;
	n = 99;
	r = pt_vm_def_load_dir("no-such-dir", &defs, &n, &errs);
	tap_is_int(t, r, -ENOENT, "load_dir of a missing directory");
	tap_ok(t, defs == (struct pt_vm_def **)SENTINEL && n == 99, "  writes nothing");
	free(got);
	got = errors_text(&errs);
	tap_is_str(t, got, "no-such-dir:0: cannot read the directory: No such file or directory\n",
		   "  and says so");
}

/* A scratch config directory: the example as example.conf, plus files to ignore. */
static void test_scratch_dir(struct tap *t, const char *tmp)
{
	_cleanup_free_ char *sample = read_text("../../etc/passthru/vms/example.conf.sample");
	_cleanup_free_ char *path = NULL, *got = NULL;
	struct pt_config_errors errs = { 0 };
	struct pt_vm_def **defs = NULL, *def = SENTINEL;
	size_t n = 0;
	int r;

	if (!sample)
		exit(99);
#define SCRATCH(name, text) do { \
		free(path); \
		if (asprintf(&path, "%s/%s", tmp, name) < 0) \
			exit(99); \
		write_text(path, text); \
	} while (0)
	SCRATCH("example.conf", sample);
	SCRATCH("example.conf.sample", "not even INI");
	SCRATCH(".hidden.conf", "not even INI");
	SCRATCH("notes.txt", "not even INI");
	SCRATCH("b.conf", "[vm]\nname = b\nmemory = 32M\n[device 0000:03:00.0]\n");
	/* The same device in another VM is allowed. */
	SCRATCH("a.conf", "[vm]\nname = a\nmemory = 32M\n[device 0000:03:00.0]\n");

	r = pt_vm_def_load_dir(tmp, &defs, &n, &errs);
	tap_is_int(t, r, 0, "scratch dir: loads");
	tap_is_int(t, n, 3, "scratch dir: only the three *.conf files");
	if (n == 3) {
		tap_is_str(t, defs[0]->name, "a", "scratch dir: a first");
		tap_is_str(t, defs[1]->name, "b", "scratch dir: then b (same device as a)");
		tap_is_str(t, defs[2]->name, "example", "scratch dir: then the example");
	}
	pt_vm_defs_free(defs, n);
	pt_config_errors_clear(&errs);

	/* One bad file: the others still come back, with -EINVAL. */
	SCRATCH("c.conf", "[vm]\nname = c\n");
	defs = NULL;
	n = 0;
	r = pt_vm_def_load_dir(tmp, &defs, &n, &errs);
	tap_is_int(t, r, -EINVAL, "scratch dir with a bad file: -EINVAL");
	tap_is_int(t, n, 3, "  the three good ones are still returned");
	tap_is_int(t, errs.n, 1, "  one message");
	pt_vm_defs_free(defs, n);
	pt_config_errors_clear(&errs);
	unlink(path);

	/* Two definitions naming one control socket: the second is refused. */
	{
		_cleanup_free_ char *text = NULL;

		if (asprintf(&text, "[vm]\nname = h4\nmemory = 32M\nsocket = %s/a.sock\n",
			     pt_run_dir()) < 0)
			exit(99);
		SCRATCH("h4.conf", text);
	}
	defs = NULL;
	n = 0;
	r = pt_vm_def_load_dir(tmp, &defs, &n, &errs);
	tap_is_int(t, r, -EINVAL, "scratch dir with h4 naming a's socket: -EINVAL");
	tap_is_int(t, n, 3, "  h4 is left out");
	tap_ok(t, errs.n == 1 && strstr(errs.items[0].message, "/a.sock is also the control socket "
					"of VM a (") && errs.items[0].line == 0 &&
	       strstr(errs.items[0].file, "/h4.conf"),
	       "  and says which VM has that socket: %s", errs.n ? errs.items[0].message : "");
	pt_vm_defs_free(defs, n);
	pt_config_errors_clear(&errs);
	unlink(path);

	r = pt_vm_def_find(tmp, "example", &def, &errs);
	tap_is_int(t, r, 0, "find example");
	if (r == 0) {
		tap_is_str(t, def->name, "example", "find example: its definition");
		pt_vm_def_free(def);
	}
	pt_config_errors_clear(&errs);

	def = SENTINEL;
	r = pt_vm_def_find(tmp, "nosuch", &def, &errs);
	tap_is_int(t, r, -ENOENT, "find nosuch: -ENOENT");
	tap_ok(t, def == SENTINEL, "  nothing handed out");
	free(path);
	if (asprintf(&path, "%s/nosuch.conf:0: no VM named 'nosuch' is defined: "
		     "there is no such file\n", tmp) < 0)
		exit(99);
	got = errors_text(&errs);
	tap_is_str(t, got, path, "  and says which file is missing");

	/* A directory where a file should be. */
	free(path);
	if (asprintf(&path, "%s/dir.conf", tmp) < 0 || mkdir(path, 0700) < 0)
		exit(99);
	def = SENTINEL;
	r = pt_vm_def_load(path, &def, &errs);
	tap_is_int(t, r, -EISDIR, "a directory is not a definition");
	tap_ok(t, def == SENTINEL && errs.n == 1 && errs.items[0].line == 0 &&
	       !strcmp(errs.items[0].message, "cannot read the file: it is a directory; "
		       "a VM definition is a regular file"),
	       "  and says so");
	pt_config_errors_clear(&errs);
	rmdir(path);

	/*
	 * A FIFO, a symlink to /dev/zero and a file over the size limit: refused at once,
	 * not read (the FIFO hung, /dev/zero ate memory). main's alarm() fails a hang.
	 */
	free(path);
	if (asprintf(&path, "%s/fifo.conf", tmp) < 0 || mkfifo(path, 0600) < 0)
		exit(99);
	def = SENTINEL;
	r = pt_vm_def_load(path, &def, &errs);
	tap_is_int(t, r, -EINVAL, "a FIFO is not read");
	tap_ok(t, def == SENTINEL && errs.n == 1 &&
	       strstr(errs.items[0].message, "it is a FIFO; a VM definition is a regular file"),
	       "  and says so: %s", errs.n ? errs.items[0].message : "(nothing)");
	pt_config_errors_clear(&errs);
	unlink(path);

	free(path);
	if (asprintf(&path, "%s/zero.conf", tmp) < 0 || symlink("/dev/zero", path) < 0)
		exit(99);
	r = pt_vm_def_load(path, &def, &errs);
	tap_is_int(t, r, -EINVAL, "a symlink to /dev/zero is not read");
	tap_ok(t, def == SENTINEL && errs.n == 1 &&
	       strstr(errs.items[0].message, "it is a character device"),
	       "  and says so: %s", errs.n ? errs.items[0].message : "(nothing)");
	pt_config_errors_clear(&errs);
	unlink(path);

	free(path);
	if (asprintf(&path, "%s/big.conf", tmp) < 0)
		exit(99);
	{
		FILE *f = fopen(path, "we");

		if (!f)
			exit(99);
		fputs("[vm]\nname = big\nmemory = 64M\n", f);
		for (int i = 0; i < PT_CONFIG_FILE_MAX / 16; i++)
			fputs("# a long comment\n", f);
		fclose(f);
	}
	r = pt_vm_def_load(path, &def, &errs);
	tap_is_int(t, r, -EFBIG, "a file over %d bytes is not read", PT_CONFIG_FILE_MAX);
	tap_ok(t, def == SENTINEL && errs.n == 1 &&
	       strstr(errs.items[0].message, "may have at most 1048576"),
	       "  and says what the limit is: %s", errs.n ? errs.items[0].message : "(nothing)");
	pt_config_errors_clear(&errs);
	unlink(path);

	/* As root, a definition another user owns, or others may write, is refused. */
	free(path);
	if (asprintf(&path, "%s/owned.conf", tmp) < 0)
		exit(99);
	write_text(path, "[vm]\nname = owned\nmemory = 64M\n");
	if (geteuid() == 0 && chown(path, 65534, 65534) == 0) {
		r = pt_vm_def_load(path, &def, &errs);
		tap_is_int(t, r, -EPERM, "as root, a definition owned by uid 65534 is refused");
		tap_ok(t, def == SENTINEL && errs.n == 1 &&
		       strstr(errs.items[0].message, "owned by uid 65534; as root, passthru reads "
			      "only definitions owned by root"),
		       "  and says why: %s", errs.n ? errs.items[0].message : "(nothing)");
		pt_config_errors_clear(&errs);
		if (chown(path, 0, 0) < 0 || chmod(path, 0666) < 0)
			exit(99);
		r = pt_vm_def_load(path, &def, &errs);
		tap_is_int(t, r, -EPERM, "as root, a world-writable definition is refused");
		tap_ok(t, def == SENTINEL && errs.n == 1 &&
		       strstr(errs.items[0].message, "writable by everyone (mode 0666)"),
		       "  and says why: %s", errs.n ? errs.items[0].message : "(nothing)");
		pt_config_errors_clear(&errs);
		if (chmod(path, 0644) < 0)
			exit(99);
		r = pt_vm_def_load(path, &def, &errs);
		tap_is_int(t, r, 0, "  once root's and 0644, it loads");
		if (r == 0) {
			pt_vm_def_free(def);
			def = SENTINEL;
		}
		pt_config_errors_clear(&errs);
	} else {
		for (int i = 0; i < 5; i++)
			tap_skip(t, "ownership checks need root");
	}
	unlink(path);

	/* The longest cmdline passthru-vmm takes fits in a definition. */
	free(path);
	if (asprintf(&path, "%s/longcmd.conf", tmp) < 0)
		exit(99);
	{
		FILE *f = fopen(path, "we");

		if (!f)
			exit(99);
		fputs("[vm]\nname = longcmd\nmemory = 64M\nkernel = /k\ncmdline = ", f);
		for (int i = 0; i < PT_VM_CMDLINE_MAX; i++)
			fputc('c', f);
		fputs("\n", f);
		fclose(f);
	}
	r = pt_vm_def_load(path, &def, &errs);
	tap_is_int(t, r, 0, "a cmdline of %d bytes loads", PT_VM_CMDLINE_MAX);
	if (r == 0) {
		tap_is_int(t, strlen(def->cmdline), PT_VM_CMDLINE_MAX, "  all of it");
		pt_vm_def_free(def);
		def = SENTINEL;
	}
	pt_config_errors_clear(&errs);
	unlink(path);

	/* A NUL byte is not text. */
	free(path);
	if (asprintf(&path, "%s/nul.conf", tmp) < 0)
		exit(99);
	{
		FILE *f = fopen(path, "we");

		if (!f)
			exit(99);
		fwrite("[vm]\nname = nul\nmemory = 64M\nvcpus = 1\0\n", 1, 40, f);
		fclose(f);
	}
	r = pt_vm_def_load(path, &def, &errs);
	tap_is_int(t, r, -EINVAL, "a NUL byte is refused");
	tap_ok(t, errs.n == 1 && errs.items[0].line == 4 &&
	       !strcmp(errs.items[0].message, "line contains a NUL byte: expected a text file"),
	       "  at its line");
	pt_config_errors_clear(&errs);
	unlink(path);

	/* Clean up the scratch files. */
	{
		static const char *const names[] = {
			"example.conf", "example.conf.sample", ".hidden.conf", "notes.txt",
			"b.conf", "a.conf",
		};

		for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
			free(path);
			if (asprintf(&path, "%s/%s", tmp, names[i]) < 0)
				exit(99);
			unlink(path);
		}
	}
#undef SCRATCH
}

static void test_find_refuses_names(struct tap *t)
{
	static const char *const names[] = {
		"", "..", ".", "../etc/passwd", "a/b", "/abs", ".hidden", "-rf", "a b", "a\nb",
		"caf\xc3\xa9", "web.conf/", NULL,
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", /* 65 */
	};

	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		struct pt_config_errors errs = { 0 };
		struct pt_vm_def *def = SENTINEL;
		/* The directory does not exist: touching it would give -ENOENT. */
		int r = pt_vm_def_find("/nonexistent/passthru", names[i], &def, &errs);

		tap_ok(t, r == -EINVAL && def == SENTINEL && errs.n == 1 &&
		       !strcmp(errs.items[0].file, "/nonexistent/passthru") &&
		       strstr(errs.items[0].message, "is not a valid VM name"),
		       "find refuses the name #%zu before touching the filesystem", i);
		pt_config_errors_clear(&errs);
	}
}

static void test_names(struct tap *t)
{
	static const struct { const char *name; bool valid; } cases[] = {
		{ "web", true }, { "Web-01_test.2", true }, { "9", true },
		/* 64 characters */
		{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", true },
		{ "_x", false }, { ".x", false }, { "-x", false }, { "a:b", false }, { "", false },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
		tap_is_int(t, pt_vm_name_valid(cases[i].name), cases[i].valid,
			   "pt_vm_name_valid(\"%s\")", cases[i].name);
	tap_is_str(t, pt_backend_name(PT_BACKEND_LEGACY), "legacy", "backend name");
	tap_is_str(t, pt_interrupts_name(PT_INTR_MSIX), "msix", "interrupts name");
	tap_is_str(t, pt_irqchip_name(PT_IRQCHIP_SPLIT), "split", "irqchip name");
	tap_is_str(t, pt_console_kind_name(PT_CONSOLE_FILE), "file", "console name");
	tap_is_str(t, pt_rom_mode_name(PT_ROM_OFF), "off", "rom name");
	tap_is_str(t, pt_hotplug_name(PT_HOTPLUG_ATTACH), "attach", "hotplug name");
	tap_is_str(t, pt_backend_name((enum pt_backend)7), "unknown", "out-of-range enum");
}

static void test_config_dir(struct tap *t)
{
	unsetenv("PASSTHRU_CONFIG_DIR");
	tap_is_str(t, pt_config_dir(NULL), SYSCONFDIR "/passthru/vms", "config dir: default");
	tap_is_str(t, pt_config_dir(""), SYSCONFDIR "/passthru/vms", "config dir: empty option");
	setenv("PASSTHRU_CONFIG_DIR", "/env/vms", 1);
	tap_is_str(t, pt_config_dir(NULL), "/env/vms", "config dir: environment");
	tap_is_str(t, pt_config_dir("/opt/vms"), "/opt/vms", "config dir: option wins");
	setenv("PASSTHRU_CONFIG_DIR", "", 1);
	tap_is_str(t, pt_config_dir(NULL), SYSCONFDIR "/passthru/vms",
		   "config dir: empty environment");
	unsetenv("PASSTHRU_CONFIG_DIR");
}

/* Keys listed in the man page: ".TP" then '.BI "KEY = " ...' under the two KEYS sections. */
struct man_key {
	enum pt_section_kind section;
	char name[32];
};

static size_t man_keys(const char *man, struct man_key *keys, size_t max)
{
	enum pt_section_kind section = PT_SECTION_NONE;
	const char *line = man;
	bool after_tp = false;
	size_t n = 0;

	for (; line && *line; line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
		if (!strncmp(line, ".SH ", 4)) {
			section = PT_SECTION_NONE;
			if (!strncmp(line, ".SH \"KEYS IN THE [vm]", 21))
				section = PT_SECTION_VM;
			else if (!strncmp(line, ".SH \"KEYS IN A [device", 22))
				section = PT_SECTION_DEVICE;
		} else if (section != PT_SECTION_NONE && after_tp && !strncmp(line, ".BI \"", 5)) {
			const char *s = line + 5;
			size_t k = 0;

			while (*s && *s != ' ' && *s != '"' && k + 1 < sizeof(keys[n].name)) {
				if (s[0] == '\\' && s[1] == '-')
					s++; /* "\-" is a dash */
				keys[n].name[k++] = *s++;
			}
			keys[n].name[k] = '\0';
			keys[n].section = section;
			if (++n == max)
				break;
		}
		after_tp = !strncmp(line, ".TP", 3);
	}
	return n;
}

static bool man_has(const struct man_key *keys, size_t n, enum pt_section_kind s, const char *k)
{
	for (size_t i = 0; i < n; i++)
		if (keys[i].section == s && !strcmp(keys[i].name, k))
			return true;
	return false;
}

static void test_man_keys(struct tap *t, const char *tmp)
{
	static const enum pt_section_kind sections[] = { PT_SECTION_VM, PT_SECTION_DEVICE };
	_cleanup_free_ char *man = read_text("../../man/passthru.ini.5");
	_cleanup_free_ char *path = NULL;
	struct man_key keys[64];
	size_t n, n_table = 0;

	if (!tap_ok(t, man != NULL, "man/passthru.ini.5 is readable"))
		return;
	n = man_keys(man, keys, ARRAY_SIZE(keys));
	if (asprintf(&path, "%s/probe.conf", tmp) < 0)
		exit(99);

	/* Each key of the man page, given a value, is a key the parser knows. */
	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *text = NULL;
		struct pt_config_errors errs = { 0 };
		struct pt_vm_def *def = NULL;
		bool unknown = false;

		if (asprintf(&text, "[vm]\nname = probe\nmemory = 16M\n%s\n%s = ?\n",
			     keys[i].section == PT_SECTION_DEVICE ? "[device 0000:00:01.0]" : "",
			     keys[i].name) < 0)
			exit(99);
		write_text(path, text);
		if (pt_vm_def_load(path, &def, &errs) == 0)
			pt_vm_def_free(def);
		for (size_t e = 0; e < errs.n; e++)
			unknown |= !strncmp(errs.items[e].message, "unknown key", 11);
		tap_ok(t, !unknown, "man page key '%s' (%s) is known to the parser", keys[i].name,
		       keys[i].section == PT_SECTION_VM ? "[vm]" : "[device]");
		pt_config_errors_clear(&errs);
	}
	unlink(path);

	/* Each key of the parser's table is in the man page, in its section. */
	for (size_t s = 0; s < ARRAY_SIZE(sections); s++) {
		for (size_t i = 0; i < pt_config_key_count(sections[s]); i++) {
			const char *k = pt_config_key_name(sections[s], i);

			n_table++;
			tap_ok(t, man_has(keys, n, sections[s], k),
			       "key '%s' is in the man page", k);
		}
	}
	tap_is_int(t, n, n_table, "the man page lists as many keys as the parser has");
}

/* The man page's EXAMPLES file is itself a valid definition. */
static void test_man_example(struct tap *t, const char *tmp)
{
	_cleanup_free_ char *man = read_text("../../man/passthru.ini.5");
	_cleanup_free_ char *path = NULL, *text = NULL;
	struct pt_config_errors errs = { 0 };
	struct pt_vm_def *def = NULL;
	const char *start, *end;
	size_t len = 0;
	FILE *out;
	int r;

	start = man ? strstr(man, "# /etc/passthru/vms/web.conf\n") : NULL;
	end = start ? strstr(start, "\n.RE\n") : NULL;
	if (!tap_ok(t, start && end, "the man page has the example web.conf"))
		return;
	out = open_memstream(&text, &len);
	if (!out)
		exit(99);
	for (const char *c = start; c <= end; c++) {
		if (c[0] == '\\' && c[1] == '-')
			continue; /* "\-" is a dash */
		fputc(*c, out);
	}
	fclose(out);
	if (asprintf(&path, "%s/web.conf", tmp) < 0)
		exit(99);
	write_text(path, text);
	r = pt_vm_def_load(path, &def, &errs);
	tap_is_int(t, r, 0, "the man page's example web.conf is valid");
	if (r == 0) {
		tap_is_int(t, def->n_devices, 2, "  with its two devices");
		tap_is_str(t, def->control_group, "passthru", "  and its control-group");
		pt_vm_def_free(def);
	} else {
		_cleanup_free_ char *msgs = errors_text(&errs);

		tap_diag("%s", msgs);
	}
	pt_config_errors_clear(&errs);
	unlink(path);
}

static void test_print(struct tap *t)
{
	struct pt_config_errors errs = { 0 };
	_cleanup_free_ char *got = NULL;

	pt_config_error_add(&errs, "a.conf", 3, "first %d", 1);
	pt_config_error_add(&errs, "b.conf", 0, "second");
	got = errors_text(&errs);
	tap_is_str(t, got, "a.conf:3: first 1\nb.conf:0: second\n",
		   "errors print as FILE:LINE: message");
	tap_ok(t, errs.n == 0 && errs.items == NULL, "printing frees them");
}

int main(void)
{
	struct tap t = { 0 };
	const char *srcdir = getenv("top_srcdir");
	char tmp[] = "/tmp/passthru-test-config.XXXXXX";
	_cleanup_free_ char *dir = NULL;

	if (!srcdir)
		srcdir = PT_TOP_SRCDIR;
	if (asprintf(&dir, "%s/tests/config", srcdir) < 0 || chdir(dir) < 0) {
		printf("Bail out! cannot enter %s: %s\n", dir ? dir : srcdir, strerror(errno));
		return 99;
	}
	if (!mkdtemp(tmp)) {
		printf("Bail out! mkdtemp: %s\n", strerror(errno));
		return 99;
	}
	alarm(300); /* a watchdog: a file that blocks the reader fails the test, not the run */
	test_bad_files(&t);
	test_good_files(&t);
	test_max_devices(&t);
	test_multifunction(&t);
	test_load_dir(&t);
	test_scratch_dir(&t, tmp);
	test_find_refuses_names(&t);
	test_names(&t);
	test_config_dir(&t);
	test_man_keys(&t, tmp);
	test_man_example(&t, tmp);
	test_print(&t);
	rmdir(tmp);
	return tap_done(&t);
}
