/*
 * Legacy assignment against the real /dev/kvm: on every kernel since Linux 4.12 the
 * probe finds KVM_CAP_DEVICE_ASSIGNMENT absent, the VM fd answers ENOTTY to
 * KVM_ASSIGN_PCI_DEVICE, backend = auto goes to VFIO, and the legacy backend refuses
 * before its first ioctl. Skips without a usable /dev/kvm; in KVM_TESTS for the testbed.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/utsname.h>

#include "assign/backend.h"
#include "assign/legacy_abi.h"
#include "assign/select.h"
#include "host/readiness.h"
#include "route/kvm_ops.h"
#include "route/kvm_vm.h"
#include "route/fake_ops.h" /* capture_begin/end */
#include "tap.h"

/* True on Linux 4.12 and later, where legacy assignment no longer exists. */
static bool kernel_without_legacy(const char **ret_release)
{
	static struct utsname u;
	unsigned major = 0, minor = 0;

	if (uname(&u) < 0 || sscanf(u.release, "%u.%u", &major, &minor) != 2)
		return false;
	*ret_release = u.release;
	return major > 4 || (major == 4 && minor >= 12);
}

int main(void)
{
	struct tap t = { 0 };
	struct kvm_vm vm;
	struct pt_assign_facts f;
	struct pt_assign_choice c;
	struct pt_readiness *ready = NULL;
	struct pt_route_table *routes = NULL;
	struct pt_assign_dev *d = NULL;
	struct capture cap;
	const char *why = NULL, *release = "unknown";
	int r;

	r = kvm_vm_open(&vm, false, &why);
	if (r < 0)
		tap_skip_all("%s: %s", why, strerror(-r));
	if (!kernel_without_legacy(&release))
		tap_skip_all("this kernel (%s) predates Linux 4.12 and may still have KVM_ASSIGN_*",
			     release);
	tap_diag("kernel %s", release);

	pt_assign_facts_legacy(NULL, &f);
	tap_is_int(&t, f.kvm_error, 0, "the probe opens /dev/kvm");
	tap_is_int(&t, f.legacy.device_assignment, 0, "KVM_CAP_DEVICE_ASSIGNMENT is absent");
	tap_diag("KVM_CAP_IOMMU %d, DEVICE_MSI %d, DEVICE_MSIX %d, ASSIGN_DEV_IRQ %d, PCI_2_3 %d",
		 f.legacy.iommu, f.legacy.device_msi, f.legacy.device_msix, f.legacy.assign_dev_irq,
		 f.legacy.pci_2_3);
	{
		struct pt_kvm_assigned_pci_dev a = {
			.assigned_dev_id = 0xff00ff, .busnr = 0xff, .devfn = 0xff,
			.flags = PT_KVM_DEV_ASSIGN_ENABLE_IOMMU,
		};
		int rc = ioctl(vm.vm_fd, PT_KVM_ASSIGN_PCI_DEVICE, &a);

		tap_ok(&t, rc < 0 && errno == ENOTTY, "the VM fd answers ENOTTY to KVM_ASSIGN_PCI_DEVICE "
		       "(got %d, %s)", rc, rc < 0 ? strerror(errno) : "success");
	}

	/* VFIO's side of the facts, as passthru-ctl check has them. */
	if (pt_readiness_probe(NULL, &ready) < 0)
		exit(99);
	f.vfio = ready->vfio.usable;
	f.vfio_why = ready->vfio.why;
	pt_assign_select(PT_BACKEND_AUTO, &f, &c);
	tap_ok(&t, c.backend == PT_BACKEND_VFIO && c.usable == f.vfio, "backend = auto selects vfio");
	tap_diag("%s", c.reason);
	pt_assign_select(PT_BACKEND_LEGACY, &f, &c);
	tap_ok(&t, !c.usable && strstr(c.reason, "removed in Linux 4.12") &&
		  strstr(c.reason, "use backend = vfio"),
	       "backend = legacy is refused: removed in Linux 4.12, use backend = vfio");
	tap_diag("%s", c.reason);
	pt_readiness_free(ready);

	/* The backend itself, given the real VM: refused before any KVM_ASSIGN_* ioctl. */
	if (pt_route_table_new_kvm(vm.vm_fd, PT_IRQCHIP_KERNEL, &routes) < 0)
		exit(99);
	{
		struct pt_assign_env env = { .kvm_fd = vm.kvm_fd, .vm_fd = vm.vm_fd, .routes = routes };
		struct pt_bdf bdf = { 0, 0xff, 0x1f, 7 };

		capture_begin(&cap);
		r = pt_assign_legacy.open(&env, &bdf, -1, &d);
		capture_end(&cap);
		tap_is_int(&t, r, -EOPNOTSUPP, "the legacy backend's open is refused");
		tap_ok(&t, strstr(cap.text, "removed in Linux 4.12") != NULL, "... with the reason");
	}
	pt_route_table_free(routes);
	kvm_vm_close(&vm);
	return tap_done(&t);
}
