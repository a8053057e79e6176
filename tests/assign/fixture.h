/*
 * A sysfs fixture for one PCI function under a temporary sysroot: config (4 KiB, with
 * vendor/device IDs), resource (BAR 0: 4 KiB memory, BAR 2: 32 I/O ports), resource0,
 * resource2 and reset as plain files, which the legacy backend reads, maps and writes
 * exactly as it would the real ones.
 */
#ifndef PT_TESTS_ASSIGN_FIXTURE_H
#define PT_TESTS_ASSIGN_FIXTURE_H

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define FIX_BDF "0000:03:00.0"

struct fixture {
	char root[64];
	char dev[160];
};

static inline void fix_write(const struct fixture *f, const char *name, const void *data, size_t len)
{
	char path[256];
	FILE *out;

	snprintf(path, sizeof(path), "%s/%s", f->dev, name);
	out = fopen(path, "w");
	if (!out || fwrite(data, 1, len, out) != len || fclose(out)) {
		perror(path);
		exit(99);
	}
}

static inline void fix_create(struct fixture *f)
{
	uint8_t config[4096] = { 0x86, 0x80, 0xd3, 0x10 }; /* 8086:10d3 */
	uint8_t bar[4096] = { 0 };
	const char *resource =
		"0x00000000fe000000 0x00000000fe000fff 0x0000000000040200\n"
		"0x0000000000000000 0x0000000000000000 0x0000000000000000\n"
		"0x000000000000e000 0x000000000000e01f 0x0000000000040101\n";
	char cmd[256];

	snprintf(f->root, sizeof(f->root), "%s/pt-assign.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(f->root)) {
		perror("mkdtemp");
		exit(99);
	}
	snprintf(f->dev, sizeof(f->dev), "%s/sys/bus/pci/devices/" FIX_BDF, f->root);
	snprintf(cmd, sizeof(cmd), "mkdir -p '%s'", f->dev);
	if (system(cmd) != 0)
		exit(99);
	fix_write(f, "config", config, sizeof(config));
	fix_write(f, "resource", resource, strlen(resource));
	fix_write(f, "resource0", bar, sizeof(bar));
	fix_write(f, "resource2", bar, 32);
	fix_write(f, "reset", "", 0);
}

static inline void fix_remove(struct fixture *f)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->root);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", f->root);
}

/* Open descriptors of this process, to prove nothing leaks. */
static inline int fix_count_fds(void)
{
	int n = 0;

	for (int fd = 0; fd < 1024; fd++)
		n += fcntl(fd, F_GETFD) >= 0;
	return n;
}

#endif
