/* src/vmm/ram.c: guest RAM's host memory, placed and advised for huge pages. */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tap.h"
#include "vmm/ram.h"

/* The VmFlags line of the mapping that starts at p in /proc/self/smaps, and its AnonHugePages (kB). */
static int smaps_of(const void *p, char *flags, size_t flags_size, long *anon_huge_kb)
{
	char line[512], want[32];
	FILE *f = fopen("/proc/self/smaps", "re");
	bool in = false;
	int found = 0;

	if (!f)
		return -1;
	snprintf(want, sizeof(want), "%lx-", (unsigned long)(uintptr_t)p);
	*anon_huge_kb = -1;
	flags[0] = 0;
	while (fgets(line, sizeof(line), f)) {
		if (strchr(line, '-') && strchr(line, ' ') && line[0] != ' ' &&
		    strncmp(line, want, strlen(want)) == 0) {
			in = true;
			found = 1;
			continue;
		}
		if (in && sscanf(line, "AnonHugePages: %ld kB", anon_huge_kb) == 1)
			continue;
		if (in && strncmp(line, "VmFlags:", 8) == 0) {
			line[strcspn(line, "\n")] = 0;
			snprintf(flags, flags_size, "%s", line + 8);
			break;
		}
	}
	fclose(f);
	return found ? 0 : -1;
}

static bool has_flag(const char *flags, const char *flag)
{
	char padded[8];

	snprintf(padded, sizeof(padded), " %s", flag);
	return strstr(flags, padded) != NULL;
}

static void thp_mode(char *buf, size_t size)
{
	FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "re");
	char *l, *r;

	snprintf(buf, size, "absent");
	if (!f)
		return;
	if (fgets(buf, (int)size, f) && (l = strchr(buf, '[')) && (r = strchr(l, ']'))) {
		*r = 0;
		memmove(buf, l + 1, strlen(l + 1) + 1);
	}
	fclose(f);
}

int main(void)
{
	struct tap t = { 0 };
	const size_t size = 8UL << 20, odd = (5UL << 20) + 4096;
	char flags[512], mode[128];
	long huge_kb;
	uint8_t *ram = NULL, *ram2 = NULL;
	pid_t pid;
	int status;

	tap_is_int(&t, pt_ram_map(size, false, (void **)&ram), 0, "8 MiB of guest RAM mapped");
	if (!ram)
		return tap_done(&t);
	tap_ok(&t, ((uintptr_t)ram & (PT_RAM_ALIGN - 1)) == 0, "it starts on a 2 MiB boundary (%p)",
	       (void *)ram);
	memset(ram, 0xa5, size);
	tap_ok(&t, ram[0] == 0xa5 && ram[size - 1] == 0xa5, "all of it can be written and read back");
	tap_is_int(&t, smaps_of(ram, flags, sizeof(flags), &huge_kb), 0,
		   "/proc/self/smaps has a mapping starting there");
	thp_mode(mode, sizeof(mode));
	if (strcmp(mode, "absent") != 0)
		tap_ok(&t, has_flag(flags, "hg"), "advised for transparent huge pages (VmFlags%s)",
		       flags);
	else
		tap_skip(&t, "this kernel has no transparent huge pages");
	tap_ok(&t, has_flag(flags, "dc"), "left out of a fork's child (VmFlags 'dc')");
	tap_ok(&t, !has_flag(flags, "sh"), "private, not shared memory (shmem gets no THP)");
	/* Whether the host finds free huge pages is its business: said, not asserted. */
	tap_diag("transparent_hugepage/enabled: %s; after writing all 8 MiB, AnonHugePages: %ld kB",
		 mode, huge_kb);

	/* The mapping is exactly size long: the slack around the boundary went back. */
	tap_is_int(&t, pt_ram_map(odd, false, (void **)&ram2), 0,
		   "5 MiB + 4 KiB mapped (not a multiple of 2 MiB)");
	if (ram2) {
		ram2[odd - 1] = 1;
		tap_ok(&t, ((uintptr_t)ram2 & (PT_RAM_ALIGN - 1)) == 0, "on a 2 MiB boundary too");
		pt_ram_unmap(ram2, odd);
		tap_ok(&t, smaps_of(ram2, flags, sizeof(flags), &huge_kb) < 0,
		       "after pt_ram_unmap nothing is left mapped at its start");
	}

	/* A child of a fork does not get the guest's RAM, the parent keeps it. */
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		char fl[512];
		long hk;

		_exit(smaps_of(ram, fl, sizeof(fl), &hk) < 0 ? 0 : 1);
	}
	tap_ok(&t, pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	       WEXITSTATUS(status) == 0, "a forked child has no guest RAM mapped");
	tap_ok(&t, ram[4096] == 0xa5, "the parent still has it");
	pt_ram_unmap(ram, size);
	pt_ram_unmap(NULL, size);
	tap_ok(&t, 1, "pt_ram_unmap(NULL) is harmless");

	tap_is_int(&t, pt_ram_map(0, false, (void **)&ram2), -EINVAL, "0 bytes: -EINVAL");
	tap_is_int(&t, pt_ram_map(SIZE_MAX, false, (void **)&ram2), -EINVAL,
		   "a size that overflows with its alignment: -EINVAL");
	return tap_done(&t);
}
