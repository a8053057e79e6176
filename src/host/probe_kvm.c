/* /dev/kvm and the KVM capabilities passthru uses, asked of the kernel itself. */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "host/probe.h"
#include "host/sysroot.h"

/* Gone from <linux/kvm.h> with the legacy assignment code (Linux 4.12); the number stays. */
#ifndef KVM_CAP_DEVICE_ASSIGNMENT
#define KVM_CAP_DEVICE_ASSIGNMENT 17
#endif

enum cpu_virt { CPU_VIRT_UNKNOWN, CPU_VIRT_NONE, CPU_VIRT_VMX, CPU_VIRT_SVM };

/* The first "flags" line of /proc/cpuinfo: does the CPU offer VMX or SVM? */
static enum cpu_virt cpu_virt(const char *sysroot)
{
	_cleanup_free_ char *path = NULL, *text = NULL;
	char *line, *save = NULL;

	if (pt_host_path(sysroot, &path, "/proc/cpuinfo") < 0 || pt_read_text(path, &text) < 0)
		return CPU_VIRT_UNKNOWN;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *tok, *tsave = NULL;

		if (strncmp(line, "flags", 5))
			continue;
		line = strchr(line, ':');
		if (!line)
			return CPU_VIRT_UNKNOWN;
		for (tok = strtok_r(line + 1, " \t", &tsave); tok;
		     tok = strtok_r(NULL, " \t", &tsave)) {
			if (!strcmp(tok, "vmx"))
				return CPU_VIRT_VMX;
			if (!strcmp(tok, "svm"))
				return CPU_VIRT_SVM;
		}
		return CPU_VIRT_NONE;
	}
	return CPU_VIRT_UNKNOWN;
}

/* "kvm, kvm_amd" from SYSROOT/sys/module, or NULL when none is loaded. */
static int kvm_modules(const char *sysroot, char **ret)
{
	_cleanup_free_ char *dir = NULL;
	char *list = NULL;
	struct dirent *e;
	DIR *d;
	int r;

	r = pt_host_path(sysroot, &dir, "/sys/module");
	if (r < 0)
		return r;
	d = opendir(dir);
	if (!d) {
		*ret = NULL;
		return 0;
	}
	r = 0;
	while ((e = readdir(d))) {
		char *s;

		if (strcmp(e->d_name, "kvm") && strncmp(e->d_name, "kvm_", 4))
			continue;
		if (asprintf(&s, "%s%s%s", list ? list : "", list ? ", " : "", e->d_name) < 0) {
			r = -ENOMEM;
			break;
		}
		free(list);
		list = s;
	}
	closedir(d);
	if (r < 0) {
		free(list);
		return r;
	}
	*ret = list;
	return 0;
}

static const char *cpu_note(enum cpu_virt cpu)
{
	return cpu == CPU_VIRT_NONE ? "; the CPU offers neither VMX nor SVM (/proc/cpuinfo flags)"
				    : "";
}

/* Says why /dev/kvm could not be opened, from what sysfs shows. */
static int explain_no_kvm(const char *sysroot, const char *path, int err, char **ret)
{
	_cleanup_free_ char *misc = NULL, *misc_dev = NULL, *mods = NULL;
	enum cpu_virt cpu = cpu_virt(sysroot);
	int r;

	if (err == EACCES || err == EPERM)
		return asprintf(ret, "%s: permission denied; run as root or as a member of the "
			       "group that owns it", path) < 0 ? -ENOMEM : 0;
	if (err != ENOENT)
		return asprintf(ret, "%s cannot be opened: %s", path, strerror(err)) < 0 ? -ENOMEM
											 : 0;
	r = pt_host_path(sysroot, &misc, "/sys/class/misc/kvm/dev");
	if (r < 0)
		return r;
	if (pt_read_text(misc, &misc_dev) == 0) {
		unsigned major, minor;

		if (sscanf(misc_dev, "%u:%u", &major, &minor) == 2)
			return asprintf(ret, "%s does not exist although the kernel registered the "
				       "kvm device %u:%u: create the node (mknod /dev/kvm c %u %u) "
				       "or check devtmpfs/udev", path, major, minor, major, minor)
				       < 0 ? -ENOMEM : 0;
	}
	r = kvm_modules(sysroot, &mods);
	if (r < 0)
		return r;
	if (mods)
		return asprintf(ret, "%s does not exist: KVM modules are loaded (%s) but /dev/kvm "
			       "was not registered (this kernel may itself be a guest without "
			       "nested virtualization)%s", path, mods, cpu_note(cpu)) < 0
			       ? -ENOMEM : 0;
	if (cpu == CPU_VIRT_VMX || cpu == CPU_VIRT_SVM)
		return asprintf(ret, "%s does not exist: no KVM module is loaded (modprobe %s)",
				path, cpu == CPU_VIRT_VMX ? "kvm_intel" : "kvm_amd") < 0 ? -ENOMEM
											 : 0;
	return asprintf(ret, "%s does not exist: no KVM module is loaded%s%s", path,
			cpu_note(cpu),
			cpu == CPU_VIRT_NONE ? ": enable virtualization in the firmware, or "
					       "nested virtualization if this machine is a VM" : "")
		       < 0 ? -ENOMEM : 0;
}

static int skip_all(struct pt_readiness *r, const char *why)
{
	struct utsname u;
	int err = 0;

	for (int id = PT_CHECK_KVM_API; err == 0 && id < PT_CHECK_DEVICE_ASSIGNMENT; id++)
		err = pt_probe_set(r, (enum pt_check_id)id, PT_RESULT_SKIPPED, false, 0, "%s", why);
	if (err < 0)
		return err;
	if (uname(&u) < 0)
		snprintf(u.release, sizeof(u.release), "unknown");
	return pt_probe_set(r, PT_CHECK_DEVICE_ASSIGNMENT, PT_RESULT_SKIPPED, false, 0,
			    "%s; legacy KVM_ASSIGN_* device assignment was removed in Linux 4.12, "
			    "and this kernel is %s", why, u.release);
}

/* A capability with yes for any positive value, the value as evidence. */
static int probe_cap(struct pt_readiness *r, int fd, enum pt_check_id id, unsigned long cap,
		     const char *name, const char *what)
{
	int v = ioctl(fd, KVM_CHECK_EXTENSION, cap);

	if (v < 0)
		return pt_probe_set(r, id, PT_RESULT_UNKNOWN, false, 0,
				    "KVM_CHECK_EXTENSION(%s) failed: %s", name, strerror(errno));
	return pt_probe_set(r, id, v > 0 ? PT_RESULT_YES : PT_RESULT_NO, true, v,
			    "KVM_CHECK_EXTENSION(%s) = %d: %s%s", name, v, v > 0 ? "" : "no ",
			    what);
}

static int probe_kvm_vfio(struct pt_readiness *r, int capfd, int vmfd, const char *vm_error)
{
	struct kvm_create_device cd = { .type = KVM_DEV_TYPE_VFIO, .flags = KVM_CREATE_DEVICE_TEST };
	int cap = ioctl(capfd, KVM_CHECK_EXTENSION, KVM_CAP_DEVICE_CTRL);

	if (cap < 0)
		cap = 0;
	if (vmfd < 0)
		return pt_probe_set(r, PT_CHECK_KVM_VFIO_DEVICE, PT_RESULT_UNKNOWN, true, cap,
				    "KVM_CAP_DEVICE_CTRL = %d; the KVM-VFIO device could not be "
				    "test-created: %s", cap, vm_error);
	if (ioctl(vmfd, KVM_CREATE_DEVICE, &cd) == 0)
		return pt_probe_set(r, PT_CHECK_KVM_VFIO_DEVICE, PT_RESULT_YES, true, cap,
				    "KVM_CREATE_DEVICE_TEST of the KVM-VFIO device succeeded "
				    "(KVM_CAP_DEVICE_CTRL reads %d%s)", cap,
				    cap ? "" : ", which some kernels report although it works");
	if (errno == ENODEV)
		return pt_probe_set(r, PT_CHECK_KVM_VFIO_DEVICE, PT_RESULT_NO, true, cap,
				    "this kernel has no KVM-VFIO device (KVM_CREATE_DEVICE_TEST: "
				    "ENODEV; KVM_CAP_DEVICE_CTRL = %d)", cap);
	return pt_probe_set(r, PT_CHECK_KVM_VFIO_DEVICE, PT_RESULT_NO, true, cap,
			    "KVM_CREATE_DEVICE_TEST of the KVM-VFIO device failed: %s "
			    "(KVM_CAP_DEVICE_CTRL = %d)", strerror(errno), cap);
}

static int probe_legacy(struct pt_readiness *r, int fd)
{
	struct utsname u;
	int v = ioctl(fd, KVM_CHECK_EXTENSION, KVM_CAP_DEVICE_ASSIGNMENT);

	if (v > 0)
		return pt_probe_set(r, PT_CHECK_DEVICE_ASSIGNMENT, PT_RESULT_YES, true, v,
				    "KVM_CHECK_EXTENSION(KVM_CAP_DEVICE_ASSIGNMENT) = %d: legacy "
				    "KVM_ASSIGN_* device assignment is available", v);
	if (uname(&u) < 0)
		snprintf(u.release, sizeof(u.release), "unknown");
	return pt_probe_set(r, PT_CHECK_DEVICE_ASSIGNMENT, PT_RESULT_NO, true, v < 0 ? 0 : v,
			    "KVM_CHECK_EXTENSION(KVM_CAP_DEVICE_ASSIGNMENT) = %d: legacy "
			    "KVM_ASSIGN_* device assignment was removed in Linux 4.12, and this "
			    "kernel is %s", v < 0 ? 0 : v, u.release);
}

int pt_probe_kvm(const char *sysroot, struct pt_readiness *r)
{
	_cleanup_free_ char *path = NULL, *why = NULL, *vm_error = NULL;
	_cleanup_close_ int fd = -1;
	_cleanup_close_ int vmfd = -1;
	int err, api, capfd;

	err = pt_host_path(sysroot, &path, "/dev/kvm");
	if (err < 0)
		return err;
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		err = explain_no_kvm(sysroot, path, errno, &why);
		if (err < 0)
			return err;
		err = pt_probe_set(r, PT_CHECK_KVM_DEVICE, PT_RESULT_NO, false, 0, "%s", why);
		return err < 0 ? err : skip_all(r, "not probed: needs /dev/kvm");
	}

	api = ioctl(fd, KVM_GET_API_VERSION, 0);
	err = pt_probe_set(r, PT_CHECK_KVM_DEVICE, PT_RESULT_YES, false, 0, "%s opened read-write",
			   path);
	if (err == 0 && api == KVM_API_VERSION)
		err = pt_probe_set(r, PT_CHECK_KVM_API, PT_RESULT_YES, true, api,
				   "KVM_GET_API_VERSION = %d", api);
	else if (err == 0)
		err = pt_probe_set(r, PT_CHECK_KVM_API, PT_RESULT_NO, api >= 0, api,
				   "KVM_GET_API_VERSION = %d (%s); passthru needs %d", api,
				   api < 0 ? strerror(errno) : "unexpected", KVM_API_VERSION);
	if (err < 0)
		return err;

	vmfd = ioctl(fd, KVM_CREATE_VM, 0);
	if (vmfd < 0 && asprintf(&vm_error, "KVM_CREATE_VM failed: %s", strerror(errno)) < 0) {
		vm_error = NULL;
		return -ENOMEM;
	}
	/* VM-scoped answers where the kernel offers them: they can differ per VM type. */
	capfd = vmfd >= 0 && ioctl(fd, KVM_CHECK_EXTENSION, KVM_CAP_CHECK_EXTENSION_VM) > 0 ? vmfd
											   : fd;

	err = probe_cap(r, capfd, PT_CHECK_IRQ_ROUTING, KVM_CAP_IRQ_ROUTING, "KVM_CAP_IRQ_ROUTING",
			"GSI routing (the value is the maximum number of routes)");
	if (err == 0)
		err = probe_cap(r, capfd, PT_CHECK_IRQFD, KVM_CAP_IRQFD, "KVM_CAP_IRQFD",
				"eventfd-driven interrupts");
	if (err == 0)
		err = probe_cap(r, capfd, PT_CHECK_IRQFD_RESAMPLE, KVM_CAP_IRQFD_RESAMPLE,
				"KVM_CAP_IRQFD_RESAMPLE",
				"level-triggered irqfds with an EOI resample eventfd (INTx)");
	if (err == 0)
		err = probe_cap(r, capfd, PT_CHECK_SIGNAL_MSI, KVM_CAP_SIGNAL_MSI,
				"KVM_CAP_SIGNAL_MSI", "direct MSI injection");
	if (err == 0)
		err = probe_cap(r, capfd, PT_CHECK_SPLIT_IRQCHIP, KVM_CAP_SPLIT_IRQCHIP,
				"KVM_CAP_SPLIT_IRQCHIP", "split irqchip (userspace IOAPIC)");
	if (err == 0)
		err = probe_kvm_vfio(r, capfd, vmfd, vm_error);
	if (err == 0)
		err = probe_legacy(r, fd);
	return err;
}
