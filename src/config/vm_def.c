/* Loading one VM definition: read, validate as a whole, hand out whole or not at all. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "config/guest_layout.h"
#include "config/parser.h"
#include "config/vm_paths.h"

#define CONF_SUFFIX ".conf"
#define SOCKET_PATH_MAX (sizeof(((struct sockaddr_un *)0)->sun_path) - 1)

/* NAME for a path ".../NAME.conf", else NULL (the caller frees it). */
static char *conf_stem(const char *path)
{
	const char *base = strrchr(path, '/');
	size_t len;

	base = base ? base + 1 : path;
	len = strlen(base);
	if (len <= strlen(CONF_SUFFIX) || strcmp(base + len - strlen(CONF_SUFFIX), CONF_SUFFIX))
		return NULL;
	return strndup(base, len - strlen(CONF_SUFFIX));
}

static void check_name(struct pt_config_parser *p, const char *path)
{
	struct pt_vm_def *def = p->def;
	_cleanup_free_ char *stem = conf_stem(path);
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;

	if (!p->vm_keys[PT_VM_KEY_NAME]) {
		if (stem && pt_vm_name_valid(stem))
			pt_parser_error(p, p->vm_line, "[vm] has no name: add name = %s", stem);
		else
			pt_parser_error(p, p->vm_line, "[vm] has no name: add name = NAME "
					"(and name the file NAME.conf)");
		return;
	}
	if (def->name && stem && strcmp(def->name, stem))
		pt_parser_error(p, p->vm_keys[PT_VM_KEY_NAME],
				"name: '%s' does not match the file name %s: "
				"rename the file to %s.conf or set name = %s",
				def->name, base, def->name, stem);
}

static void default_socket(struct pt_config_parser *p)
{
	struct pt_vm_def *def = p->def;

	if (p->vm_keys[PT_VM_KEY_SOCKET] || !def->name)
		return;
	if (asprintf(&def->socket, "%s/%s.sock", pt_run_dir(), def->name) < 0) {
		def->socket = NULL;
		p->err = -ENOMEM;
		return;
	}
	if (strlen(def->socket) > SOCKET_PATH_MAX)
		pt_parser_error(p, p->vm_keys[PT_VM_KEY_NAME],
				"name: the default socket %s is longer than %zu bytes: "
				"set socket to a shorter path", def->socket, SOCKET_PATH_MAX);
}

/*
 * Each device's place on the guest's bus, as the VMM will choose it: a function > 0
 * asked for in a slot where no device is function 0 is one no guest would find.
 * Each such device is reported, then left out of the next try.
 */
static void check_layout(struct pt_config_parser *p)
{
	const struct pt_vm_def *def = p->def;
	size_t n = def->n_devices, bad = 0, *index = calloc(n ? n : 1, sizeof(*index));
	struct pt_guest_fn *want = calloc(n ? n : 1, sizeof(*want));
	int r;

	if (!want || !index) {
		p->err = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		index[i] = i;
	do {
		const struct pt_dev_def *d;

		for (size_t i = 0; i < n; i++) {
			d = &def->devices[index[i]];
			want[i] = (struct pt_guest_fn){ d->bdf, d->guest_slot, d->guest_function };
		}
		r = pt_guest_layout(NULL, 0, want, n, &bad);
		if (r == -ENOMEM) {
			p->err = r;
		} else if (r == -ENXIO) {
			pt_parser_error(p, p->dev_lines[index[bad]].key[PT_DEV_KEY_GUEST_SLOT],
					"guest-slot: function %d of slot %d, but no device of this "
					"VM is function 0 there: a guest looks for functions 1-7 of "
					"a slot only through its function 0 (give one device "
					"guest-slot = %d)", want[bad].function, want[bad].slot,
					want[bad].slot);
			memmove(&index[bad], &index[bad + 1], (n - bad - 1) * sizeof(*index));
			n--;
		} else if (r < 0) {
			pt_parser_error(p, def->devices[index[bad]].line, "the devices do not fit "
					"on the guest's PCI bus: %s", strerror(-r));
		}
	} while (r == -ENXIO);
out:
	free(want);
	free(index);
}

/* Checks that need the whole file. */
static void finish(struct pt_config_parser *p, const char *path)
{
	if (!p->vm_line) {
		pt_parser_error(p, 0, "no [vm] section: a VM definition needs [vm] "
				"with at least name and memory");
		return;
	}
	check_name(p, path);
	if (!p->vm_keys[PT_VM_KEY_MEMORY])
		pt_parser_error(p, p->vm_line, "[vm] has no memory: add memory = SIZE, "
				"e.g. memory = 2G");
	if (!p->vm_keys[PT_VM_KEY_KERNEL]) {
		if (p->vm_keys[PT_VM_KEY_INITRD])
			pt_parser_error(p, p->vm_keys[PT_VM_KEY_INITRD],
					"initrd is set but kernel is not: "
					"add kernel = /ABSOLUTE/PATH or remove initrd");
		if (p->vm_keys[PT_VM_KEY_CMDLINE])
			pt_parser_error(p, p->vm_keys[PT_VM_KEY_CMDLINE],
					"cmdline is set but kernel is not: "
					"add kernel = /ABSOLUTE/PATH or remove cmdline");
	}
	default_socket(p);
	if (!p->err)
		check_layout(p);
}

static struct pt_vm_def *def_new(const char *path)
{
	struct pt_vm_def *def = calloc(1, sizeof(*def));

	if (!def)
		return NULL;
	def->path = strdup(path);
	if (!def->path) {
		free(def);
		return NULL;
	}
	def->vcpus = 1;
	def->irqchip = PT_IRQCHIP_KERNEL;
	def->console = PT_CONSOLE_STDIO;
	return def;
}

/* What a path that is not a regular file is, for the message. */
static const char *file_kind(mode_t mode)
{
	if (S_ISDIR(mode))
		return "a directory";
	if (S_ISFIFO(mode))
		return "a FIFO";
	if (S_ISCHR(mode))
		return "a character device";
	if (S_ISBLK(mode))
		return "a block device";
	if (S_ISSOCK(mode))
		return "a socket";
	return "not a regular file";
}

/*
 * Opens a regular file of at most PT_CONFIG_FILE_MAX bytes. O_NONBLOCK first: opening
 * a FIFO for reading would otherwise wait for a writer, and a device never ends.
 */
static int open_file(const char *path, FILE **ret, struct pt_config_errors *errs)
{
	struct stat st;
	FILE *f;
	int fd, r;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0) {
		r = -errno;
		goto fail;
	}
	if (fstat(fd, &st) < 0) {
		r = -errno;
		close(fd);
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		if (pt_config_error_add(errs, path, 0, "cannot read the file: it is %s; "
					"a VM definition is a regular file",
					file_kind(st.st_mode)) < 0)
			return -ENOMEM;
		return S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL;
	}
	/*
	 * Root runs what a definition names (a kernel, a socket path): as root, only a
	 * definition root owns and nobody else may write is read.
	 */
	if (geteuid() == 0 && (st.st_uid != 0 || (st.st_mode & (S_IWGRP | S_IWOTH)))) {
		close(fd);
		if (st.st_uid != 0 ?
		    pt_config_error_add(errs, path, 0, "refused: the file is owned by uid %u; "
					"as root, passthru reads only definitions owned by root "
					"(chown root %s)", (unsigned)st.st_uid, path) < 0 :
		    pt_config_error_add(errs, path, 0, "refused: the file is writable by %s "
					"(mode %04o); as root, passthru reads only definitions "
					"nobody else may change (chmod go-w %s)",
					st.st_mode & S_IWOTH ? "everyone" : "its group",
					(unsigned)(st.st_mode & 07777), path) < 0)
			return -ENOMEM;
		return -EPERM;
	}
	if (st.st_size > PT_CONFIG_FILE_MAX) {
		close(fd);
		if (pt_config_error_add(errs, path, 0, "the file is too large (%lld bytes): "
					"a VM definition may have at most %d",
					(long long)st.st_size, PT_CONFIG_FILE_MAX) < 0)
			return -ENOMEM;
		return -EFBIG;
	}
	f = fdopen(fd, "r");
	if (!f) {
		r = -errno;
		close(fd);
		goto fail;
	}
	*ret = f;
	return 0;

fail:
	if (pt_config_error_add(errs, path, 0, "cannot read the file: %s", strerror(-r)) < 0)
		return -ENOMEM;
	return r;
}

/* After the listed problems: how many more there were. */
static void add_unlisted(struct pt_config_parser *p)
{
	if (!p->n_unlisted || p->err)
		return;
	if (pt_config_error_add(p->errs, p->path, 0, "... and %zu more problems not listed "
				"(at most %d are listed per file)", p->n_unlisted,
				PT_CONFIG_ERRORS_MAX) < 0)
		p->err = -ENOMEM;
}

int pt_vm_def_load(const char *path, struct pt_vm_def **ret, struct pt_config_errors *errs)
{
	struct pt_config_parser p = { .path = path, .errs = errs };
	size_t first = errs->n;
	int r;

	r = open_file(path, &p.f, errs);
	if (r < 0)
		return r;
	p.def = def_new(path);
	if (!p.def) {
		r = -ENOMEM;
		goto out;
	}
	r = pt_parser_run(&p);
	if (!r)
		finish(&p, path);
	if (!r)
		r = p.err ? p.err : p.invalid ? -EINVAL : 0;
out:
	fclose(p.f);
	free(p.line);
	free(p.dev_lines);
	pt_config_errors_sort(errs, first);
	add_unlisted(&p);
	if (p.err == -ENOMEM)
		r = -ENOMEM;
	if (r < 0) {
		pt_vm_def_free(p.def);
		return r;
	}
	*ret = p.def;
	return 0;
}

void pt_vm_def_free(struct pt_vm_def *def)
{
	if (!def)
		return;
	for (size_t i = 0; i < def->n_devices; i++)
		free(def->devices[i].rom_file);
	free(def->devices);
	free(def->path);
	free(def->name);
	free(def->kernel);
	free(def->initrd);
	free(def->cmdline);
	free(def->console_file);
	free(def->socket);
	free(def->control_group);
	free(def);
}

void pt_vm_defs_free(struct pt_vm_def **defs, size_t n)
{
	if (!defs)
		return;
	for (size_t i = 0; i < n; i++)
		pt_vm_def_free(defs[i]);
	free(defs);
}
