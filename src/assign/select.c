/* backend = auto | vfio | legacy: the choice and its reason (select.h). */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "common/exit_status.h"
#include "common/log.h"
#include "assign/select.h"

static void legacy_reason(const struct pt_assign_facts *f, char *buf, size_t len, bool *ret_ok)
{
	char why[300];
	struct utsname u;

	*ret_ok = false;
	if (f->kvm_error) {
		snprintf(buf, len, "legacy KVM_ASSIGN_* assignment cannot be probed: /dev/kvm: %s "
			 "(the interface was removed in Linux 4.12 anyway)", strerror(-f->kvm_error));
		return;
	}
	if (!pt_legacy_caps_usable(&f->legacy)) {
		if (uname(&u) < 0)
			snprintf(u.release, sizeof(u.release), "unknown");
		snprintf(buf, len, "%s (this kernel is %s)",
			 pt_legacy_caps_why_not(&f->legacy, why, sizeof(why)), u.release);
		return;
	}
	*ret_ok = true;
	snprintf(buf, len, "this kernel still has legacy KVM_ASSIGN_* assignment "
		 "(KVM_CAP_DEVICE_ASSIGNMENT = %d, KVM_CAP_IOMMU = %d, MSI %s, MSI-X %s, "
		 "INTx masking %s)", f->legacy.device_assignment, f->legacy.iommu,
		 f->legacy.device_msi > 0 ? "yes" : "no", f->legacy.device_msix > 0 ? "yes" : "no",
		 f->legacy.pci_2_3 > 0 ? "yes" : "no");
}

void pt_assign_select(enum pt_backend wanted, const struct pt_assign_facts *f,
		      struct pt_assign_choice *ret)
{
	const char *vwhy = f->vfio_why ? f->vfio_why : f->vfio ? "VFIO is ready" : "VFIO is not ready";
	char legacy[PT_ASSIGN_REASON_MAX / 2];
	bool legacy_ok;

	legacy_reason(f, legacy, sizeof(legacy), &legacy_ok);
	*ret = (struct pt_assign_choice){ 0 };
	switch (wanted) {
	case PT_BACKEND_VFIO:
		ret->usable = f->vfio;
		ret->backend = PT_BACKEND_VFIO;
		snprintf(ret->reason, sizeof(ret->reason), "backend = vfio: %s", vwhy);
		return;
	case PT_BACKEND_LEGACY:
		ret->usable = legacy_ok;
		ret->backend = PT_BACKEND_LEGACY;
		snprintf(ret->reason, sizeof(ret->reason), "backend = legacy%s: %s%s",
			 legacy_ok ? "" : " cannot be used", legacy,
			 legacy_ok ? "" : "; use backend = vfio");
		return;
	case PT_BACKEND_AUTO:
		break;
	}
	if (f->vfio) {
		ret->usable = true;
		ret->backend = PT_BACKEND_VFIO;
		snprintf(ret->reason, sizeof(ret->reason), "backend = auto chose vfio: %s", vwhy);
	} else if (legacy_ok) {
		ret->usable = true;
		ret->backend = PT_BACKEND_LEGACY;
		snprintf(ret->reason, sizeof(ret->reason), "backend = auto chose legacy: VFIO "
			 "cannot (%s) and %s", vwhy, legacy);
	} else {
		ret->backend = PT_BACKEND_VFIO;
		snprintf(ret->reason, sizeof(ret->reason), "backend = auto found no backend: "
			 "VFIO cannot (%s); legacy: %s", vwhy, legacy);
	}
}

void pt_assign_facts_legacy(const char *sysroot, struct pt_assign_facts *ret)
{
	const char *root = sysroot && strcmp(sysroot, "/") ? sysroot : "";
	char *path = NULL;

	*ret = (struct pt_assign_facts){ 0 };
	if (asprintf(&path, "%s/dev/kvm", root) < 0) {
		ret->kvm_error = -ENOMEM;
		return;
	}
	ret->kvm_error = pt_legacy_probe_path(path, &ret->legacy);
	free(path);
}

int pt_assign_check_def(const struct pt_vm_def *def, const char *sysroot)
{
	struct pt_assign_facts f;
	struct pt_assign_choice c;
	bool probed = false;
	int r = 0;

	for (size_t i = 0; i < def->n_devices; i++) {
		const struct pt_dev_def *dev = &def->devices[i];
		char bdf[PT_BDF_STRLEN];

		if (dev->backend != PT_BACKEND_LEGACY)
			continue;
		if (!probed) {
			pt_assign_facts_legacy(sysroot, &f);
			probed = true;
		}
		pt_assign_select(dev->backend, &f, &c);
		if (c.usable)
			continue;
		pt_err("%s:%u: device %s: %s", def->path ? def->path : def->name, dev->line,
		       pt_bdf_format(&dev->bdf, bdf), c.reason);
		if (r == 0)
			r = f.kvm_error ? -ENODEV : -EOPNOTSUPP;
	}
	return r;
}

int pt_assign_check_def_status(const struct pt_vm_def *def, const char *sysroot)
{
	switch (pt_assign_check_def(def, sysroot)) {
	case 0:
		return PT_EXIT_OK;
	case -EOPNOTSUPP:
		return PT_EXIT_BACKEND_GONE;
	default:
		return PT_EXIT_UNSUPPORTED;
	}
}
