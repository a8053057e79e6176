/* libhost's pure helpers: sysroot paths, mountinfo escapes, the drivers a group may keep. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "host/inventory.h"
#include "host/mounts.h"
#include "host/sysroot.h"
#include "tap.h"

static void test_paths(struct tap *t)
{
	static const struct { const char *root, *want; } cases[] = {
		{ NULL, "/sys/bus/pci" },
		{ "", "/sys/bus/pci" },
		{ "/", "/sys/bus/pci" },
		{ "//", "/sys/bus/pci" },
		{ "/tmp/fx", "/tmp/fx/sys/bus/pci" },
		{ "/tmp/fx/", "/tmp/fx/sys/bus/pci" },
		{ "/tmp/fx//", "/tmp/fx/sys/bus/pci" },
		{ "rel", "rel/sys/bus/pci" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *p = NULL;

		tap_is_int(t, pt_host_path(cases[i].root, &p, "/sys/%s/%s", "bus", "pci"), 0,
			   "pt_host_path(%s) succeeds", cases[i].root ? cases[i].root : "NULL");
		tap_is_str(t, p, cases[i].want, "sysroot %s -> %s",
			   cases[i].root ? cases[i].root : "NULL", cases[i].want);
		free(p);
	}
}

static void test_unescape(struct tap *t)
{
	static const struct { const char *in, *want; } cases[] = {
		{ "/mnt/my\\040data", "/mnt/my data" },
		{ "/a\\011b\\012c\\134d", "/a\tb\nc\\d" },
		{ "/plain", "/plain" },
		{ "/short\\04", "/short\\04" },   /* not three digits: left alone */
		{ "/bad\\089", "/bad\\089" },     /* 8 is no octal digit */
		{ "/end\\", "/end\\" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char buf[64];

		snprintf(buf, sizeof(buf), "%s", cases[i].in);
		pt_mountinfo_unescape(buf);
		tap_is_str(t, buf, cases[i].want, "unescape %s", cases[i].in);
	}
}

static void test_drivers(struct tap *t)
{
	static const struct { const char *drv; bool safe; } cases[] = {
		{ NULL, true }, { "vfio-pci", true }, { "pci-stub", true }, { "pcieport", true },
		{ "mlx5_vfio_pci", true }, { "_vfio_pci", false }, { "e1000e", false },
		{ "vfio-pci-core", false }, { "snd_hda_intel", false }, { "nvme", false },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		tap_is_int(t, pt_driver_is_vfio_safe(cases[i].drv), cases[i].safe,
			   "driver %s %s keep the group from a VM", cases[i].drv ? cases[i].drv : "(none)",
			   cases[i].safe ? "does not" : "does");
}

static void test_reads(struct tap *t)
{
	char dir[] = "/tmp/pt-test-host.XXXXXX";
	char path[128], link[128];
	char *text = NULL;
	long v = 0;
	FILE *f;

	if (!mkdtemp(dir)) {
		tap_ok(t, 0, "mkdtemp: %s", strerror(errno));
		return;
	}
	snprintf(path, sizeof(path), "%s/attr", dir);
	f = fopen(path, "w");
	fputs("0x1af4\n\n", f);
	fclose(f);
	tap_is_int(t, pt_read_text(path, &text), 0, "pt_read_text reads a file");
	tap_is_str(t, text, "0x1af4", "trailing newlines are stripped");
	free(text);
	tap_is_int(t, pt_read_long(path, &v), 0, "pt_read_long parses hex");
	tap_is_int(t, v, 0x1af4, "value 0x1af4");

	snprintf(link, sizeof(link), "%s/driver", dir);
	tap_is_int(t, symlink("../../../bus/pci/drivers/vfio-pci", link), 0, "symlink");
	text = NULL;
	tap_is_int(t, pt_read_link_name(link, &text), 0, "pt_read_link_name reads a link");
	tap_is_str(t, text, "vfio-pci", "the last component of the target");
	free(text);
	tap_ok(t, pt_path_exists(link), "a dangling link exists for pt_path_exists");

	snprintf(path, sizeof(path), "%s/missing", dir);
	tap_is_int(t, pt_read_text(path, &text), -ENOENT, "a missing file is -ENOENT");
	tap_is_int(t, pt_read_long(link, &v), -ENOENT, "a dangling link is -ENOENT");

	unlink(link);
	snprintf(path, sizeof(path), "%s/attr", dir);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	struct tap t = { 0 };

	test_paths(&t);
	test_unescape(&t);
	test_drivers(&t);
	test_reads(&t);
	return tap_done(&t);
}
