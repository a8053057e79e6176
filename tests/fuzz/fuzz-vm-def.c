/*
 * libFuzzer target: a VM definition file. Whatever the bytes, pt_vm_def_load returns
 * a whole definition with no message, or an error with at least one message, never
 * more than the cap plus its "... and N more" line, each message one clean line
 * (valid UTF-8, no control bytes).
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "common/text.h"
#include "config/vm_def.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz-vm-def: invariant broken: %s\n", what);
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pt_config_errors errs = { 0 };
	struct pt_vm_def *def = NULL;
	char path[64];
	int fd, r;

	fd = memfd_create("fuzz.conf", MFD_CLOEXEC);
	if (fd < 0 || (size && write(fd, data, size) != (ssize_t)size)) {
		perror("fuzz-vm-def: memfd");
		abort();
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	r = pt_vm_def_load(path, &def, &errs);
	close(fd);
	check(r != -ENOMEM, "out of memory");
	if (r == 0) {
		check(def != NULL && errs.n == 0, "a definition comes alone");
		check(def->name && pt_vm_name_valid(def->name), "a valid name");
		check(def->memory >= PT_VM_MEMORY_MIN && def->memory <= PT_VM_MEMORY_MAX &&
		      def->memory % PT_VM_MEMORY_ALIGN == 0, "memory in range");
		check(def->vcpus >= 1 && def->vcpus <= PT_VM_VCPUS_MAX, "vcpus in range");
		check(!def->cmdline || strlen(def->cmdline) <= PT_VM_CMDLINE_MAX, "cmdline cap");
		check(def->socket != NULL, "a socket");
		check(def->n_devices <= PT_VM_DEVICES_MAX, "devices cap");
		pt_vm_def_free(def);
	} else {
		check(def == NULL, "nothing handed out on error");
		check(errs.n >= 1, "an error says why");
		check(errs.n <= PT_CONFIG_ERRORS_MAX + 1, "the error cap holds");
	}
	for (size_t i = 0; i < errs.n; i++) {
		const char *m = errs.items[i].message;

		check(pt_text_clean(m, strlen(m)), "a message is clean UTF-8 without control bytes");
	}
	pt_config_errors_clear(&errs);
	return 0;
}
