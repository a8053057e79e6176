/*
 * The reset decisions that need no device: whether a hot reset may be done from what
 * VFIO_DEVICE_GET_PCI_HOT_RESET_INFO reports and what the VM holds (vfio/reset_plan.h),
 * and the name of the reset the kernel would use from sysfs reset_method
 * (assign/backend.h). Runs everywhere.
 */
#include "config.h"

#include <string.h>

#include "assign/backend.h"
#include "tap.h"
#include "vfio/reset_plan.h"

static struct pt_bdf B(unsigned bus, unsigned dev, unsigned fn)
{
	return (struct pt_bdf){ .bus = (uint8_t)bus, .dev = (uint8_t)dev, .func = (uint8_t)fn };
}

/* The testbed's shape: two e1000 behind a pcie-pci-bridge, one IOMMU group (7). */
static void test_plan(struct tap *t)
{
	struct pt_bdf one = B(2, 1, 0), two = B(2, 2, 0);
	struct pt_reset_affected both[] = { { 7, B(2, 1, 0) }, { 7, B(2, 2, 0) } };
	struct pt_reset_affected split[] = { { 7, B(2, 1, 0) }, { 8, B(2, 2, 0) } };
	struct pt_reset_affected alone[] = { { 5, B(1, 0, 0) } };
	struct pt_reset_member m_one[] = { { 7, 30, B(2, 1, 0) } };
	struct pt_reset_member m_split[] = { { 7, 30, B(2, 1, 0) }, { 8, 31, B(2, 2, 0) } };
	struct pt_reset_member m_alone[] = { { 5, 40, B(1, 0, 0) }, { 7, 30, B(2, 1, 0) } };
	struct pt_reset_member m_other[] = { { 9, 41, B(3, 0, 0) } };
	char why[256];
	int fds[4] = { 0 };
	size_t n;

	tap_ok(t, pt_reset_plan_hot(&one, both, 2, m_one, 1, fds, 4, &n, why, sizeof(why)) &&
		  n == 1 && fds[0] == 30 && !strcmp(why, "0000:02:02.0"),
	       "one device of a shared group: the VM holds the group, so the bus is its to reset "
	       "(with %s)", why);
	tap_ok(t, !pt_reset_plan_hot(&one, split, 2, m_one, 1, fds, 4, &n, why, sizeof(why)) &&
		  n == 0 && !strcmp(why, "a hot reset would also reset 0000:02:02.0 (group 8), "
				    "which this VM does not hold"),
	       "a companion in a group the VM does not hold: no hot reset, naming it (%s)", why);
	tap_ok(t, !pt_reset_plan_hot(&one, split, 2, m_split, 2, fds, 4, &n, why, sizeof(why)) &&
		  strstr(why, "0000:02:02.0, which is assigned to this VM too"),
	       "a companion assigned to the same VM: no hot reset under its guest (%s)", why);
	tap_ok(t, !pt_reset_plan_hot(&two, split, 2, m_split, 2, fds, 4, &n, why, sizeof(why)) &&
		  strstr(why, "0000:02:01.0, which is assigned"),
	       "the same from the other side (%s)", why);
	tap_ok(t, pt_reset_plan_hot(&one, split, 2, (struct pt_reset_member[]){ { 7, 30, one },
	       { 8, 31, B(9, 9, 0) } }, 2, fds, 4, &n, why, sizeof(why)) && n == 2 &&
		  fds[0] == 30 && fds[1] == 31,
	       "two groups, both held, the companion not assigned: both fds given");
	tap_ok(t, pt_reset_plan_hot(&alone[0].bdf, alone, 1, m_alone, 2, fds, 4, &n, why,
				    sizeof(why)) && n == 1 && fds[0] == 40 && !why[0],
	       "alone on its bus: its own group's fd only, nothing else reset");
	tap_ok(t, !pt_reset_plan_hot(&alone[0].bdf, alone, 1, m_other, 1, fds, 4, &n, why,
				     sizeof(why)) && strstr(why, "(group 5), which this VM does not hold"),
	       "its own group unknown to the VM: refused (%s)", why);
	tap_ok(t, !pt_reset_plan_hot(&one, both, 0, m_one, 1, fds, 4, &n, why, sizeof(why)) &&
		  strstr(why, "names no function"), "an empty list: refused (%s)", why);
	tap_ok(t, !pt_reset_plan_hot(&one, split, 2, (struct pt_reset_member[]){ { 7, 30, one },
	       { 8, 31, B(9, 9, 0) } }, 2, fds, 1, &n, why, sizeof(why)) && strstr(why, "more than 1"),
	       "more groups than room: refused (%s)", why);
	tap_ok(t, !pt_reset_plan_hot(&one, split, 2, m_one, 1, fds, 4, &n, why, 24) &&
		  strlen(why) == 23, "a short why buffer is cut, not overrun");
}

static void test_method_names(struct tap *t)
{
	static const struct { const char *file, *name; } cases[] = {
		{ "flr bus\n", "flr" }, { "af_flr\n", "flr" }, { "pm bus\n", "pm" },
		{ "bus\n", "bus" }, { "cxl_bus bus\n", "bus" }, { "acpi flr\n", "acpi" },
		{ "device_specific flr\n", "device-specific" }, { "\n", "function" },
		{ "", "function" }, { "something_new\n", "function" }, { NULL, "function" },
		{ "flrx\n", "function" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		tap_is_str(t, pt_assign_reset_method_name(cases[i].file), cases[i].name,
			   "reset_method \"%.*s\" -> %s",
			   cases[i].file ? (int)strcspn(cases[i].file, "\n") : 8,
			   cases[i].file ? cases[i].file : "(absent)", cases[i].name);
	{
		char buf[24];

		tap_is_str(t, pt_assign_reset_method("/nonexistent/dir", buf, sizeof(buf)),
			   "function", "no reset_method file: \"function\"");
	}
}

int main(void)
{
	struct tap t = { 0 };

	test_plan(&t);
	test_method_names(&t);
	return tap_done(&t);
}
