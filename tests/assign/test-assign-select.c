/*
 * backend = auto | vfio | legacy over every combination of facts that matters, with
 * the reasons people read; and the definition check start, run and passthru-vmm use.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "assign/backend.h"
#include "assign/select.h"
#include "route/fake_ops.h" /* capture_begin/end */
#include "tap.h"

static const struct pt_legacy_caps legacy_all = { 1, 1, 1, 1, 1, 1 };
static const struct pt_legacy_caps legacy_gone = { 0 };

static void check(struct tap *t, enum pt_backend wanted, const struct pt_assign_facts *f,
		  bool usable, enum pt_backend backend, const char *needle, const char *what)
{
	struct pt_assign_choice c;

	pt_assign_select(wanted, f, &c);
	tap_ok(t, c.usable == usable && (!usable && wanted == PT_BACKEND_AUTO ? true : c.backend == backend) &&
		  strstr(c.reason, needle) != NULL, "%s", what);
	tap_diag("  %s -> %s%s: %s", pt_backend_name(wanted), c.usable ? "" : "unusable ",
		 pt_backend_name(c.backend), c.reason);
}

int main(void)
{
	struct tap t = { 0 };
	struct pt_assign_facts f = { .vfio = true, .vfio_why = "IOMMU group 7, vfio-pci, Type1v2" };
	struct pt_assign_choice c;
	struct capture cap;

	f.legacy = legacy_all;
	check(&t, PT_BACKEND_AUTO, &f, true, PT_BACKEND_VFIO, "chose vfio: IOMMU group 7",
	      "auto: VFIO when VFIO can, even where legacy exists");
	f.vfio = false;
	f.vfio_why = "no IOMMU group";
	check(&t, PT_BACKEND_AUTO, &f, true, PT_BACKEND_LEGACY, "VFIO cannot (no IOMMU group)",
	      "auto: legacy only when VFIO cannot and the kernel has it");
	f.legacy = legacy_gone;
	check(&t, PT_BACKEND_AUTO, &f, false, PT_BACKEND_VFIO, "removed in Linux 4.12",
	      "auto: neither, saying both reasons");
	pt_assign_select(PT_BACKEND_AUTO, &f, &c);
	tap_ok(&t, c.backend == PT_BACKEND_VFIO && strstr(c.reason, "no IOMMU group"),
	       "auto without legacy names VFIO as the one to fix");
	f.vfio = true;
	check(&t, PT_BACKEND_AUTO, &f, true, PT_BACKEND_VFIO, "chose vfio", "auto on a 4.12+ kernel: VFIO");
	check(&t, PT_BACKEND_LEGACY, &f, false, PT_BACKEND_LEGACY,
	      "KVM_CAP_DEVICE_ASSIGNMENT = 0: this kernel has no legacy KVM_ASSIGN_* device assignment "
	      "(the interface was removed in Linux 4.12)",
	      "legacy on a kernel without it: refused, removed in 4.12");
	pt_assign_select(PT_BACKEND_LEGACY, &f, &c);
	tap_ok(&t, strstr(c.reason, "use backend = vfio") != NULL, "... and says to use backend = vfio");
	f.legacy = legacy_all;
	f.legacy.iommu = 0;
	check(&t, PT_BACKEND_LEGACY, &f, false, PT_BACKEND_LEGACY, "KVM_CAP_IOMMU = 0",
	      "legacy without an IOMMU: refused, naming KVM_CAP_IOMMU");
	f.legacy = legacy_all;
	check(&t, PT_BACKEND_LEGACY, &f, true, PT_BACKEND_LEGACY, "KVM_CAP_DEVICE_ASSIGNMENT = 1",
	      "legacy where the kernel has it: taken at its word");
	f.kvm_error = -ENOENT;
	check(&t, PT_BACKEND_LEGACY, &f, false, PT_BACKEND_LEGACY, "/dev/kvm: No such file",
	      "legacy without /dev/kvm: refused, saying so");
	f.kvm_error = 0;
	f.vfio = false;
	f.vfio_why = "vfio-pci is not available";
	check(&t, PT_BACKEND_VFIO, &f, false, PT_BACKEND_VFIO, "vfio-pci is not available",
	      "vfio where VFIO cannot: refused with VFIO's reason");

	tap_ok(&t, pt_assign_backend_get(PT_BACKEND_LEGACY) == &pt_assign_legacy,
	       "the legacy backend implements backend.h");
	tap_ok(&t, pt_assign_backend_get(PT_BACKEND_AUTO) == NULL, "auto is decided before a backend is taken");

	/* The definition check: only legacy devices are judged, and only then is KVM asked. */
	{
		struct pt_dev_def devs[2] = {
			{ .bdf = { 0, 3, 0, 0 }, .backend = PT_BACKEND_AUTO, .line = 5 },
			{ .bdf = { 0, 4, 0, 1 }, .backend = PT_BACKEND_LEGACY, .line = 9 },
		};
		struct pt_vm_def def = { .path = (char *)"/etc/passthru/vms/v.conf", .name = (char *)"v",
					 .n_devices = 1, .devices = devs };

		tap_is_int(&t, pt_assign_check_def(&def, "/nonexistent-sysroot"), 0,
			   "a definition without legacy devices passes without asking KVM");
		def.n_devices = 2;
		capture_begin(&cap);
		tap_is_int(&t, pt_assign_check_def(&def, "/nonexistent-sysroot"), -ENODEV,
			   "a legacy device with no /dev/kvm to ask: -ENODEV");
		tap_ok(&t, strstr(capture_end(&cap), "/etc/passthru/vms/v.conf:9: device 0000:04:00.1: "
			  "backend = legacy cannot be used") != NULL,
		       "the message names the file, the line and the device");
	}
	return tap_done(&t);
}
