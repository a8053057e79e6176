/*
 * Interrupt remapping. Without it an assigned device could forge any MSI, so VFIO's
 * type1 backend refuses to attach a group unless allow_unsafe_interrupts is set.
 * Evidence, best first: interrupt chips named "IR-..." in /proc/interrupts (remapping
 * in use), the IR bit (3) of each Intel unit's extended capability register, and the
 * vfio_iommu_type1 module parameter. dmesg is not read: it is often not readable.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "host/probe.h"
#include "host/sysroot.h"

#define ECAP_IR (1ULL << 3)

struct irq_evidence {
	bool readable;
	unsigned remapped; /* lines whose chip starts with "IR-" */
	unsigned plain;    /* IO-APIC or MSI lines without it */
};

static void scan_interrupts(const char *sysroot, struct irq_evidence *ev)
{
	_cleanup_free_ char *path = NULL, *text = NULL;
	char *line, *save = NULL;

	*ev = (struct irq_evidence){ 0 };
	if (pt_host_path(sysroot, &path, "/proc/interrupts") < 0 || pt_read_text(path, &text) < 0)
		return;
	ev->readable = true;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *tok, *tsave = NULL;
		bool ir = false, irq_chip = false;

		for (tok = strtok_r(line, " \t", &tsave); tok; tok = strtok_r(NULL, " \t", &tsave)) {
			if (!strncmp(tok, "IR-", 3))
				ir = true;
			else if (!strncmp(tok, "IO-APIC", 7) || strstr(tok, "PCI-MSI"))
				irq_chip = true;
		}
		if (ir)
			ev->remapped++;
		else if (irq_chip)
			ev->plain++;
	}
}

struct ecap_evidence {
	unsigned intel_units, intel_with_ir, amd_units;
	char first[320]; /* "dmar0 ecap 0xf0505a" of the first Intel unit */
};

static void scan_units(const char *sysroot, struct ecap_evidence *ev)
{
	_cleanup_free_ char *dir = NULL;
	struct dirent *e;
	DIR *d;

	*ev = (struct ecap_evidence){ 0 };
	if (pt_host_path(sysroot, &dir, "/sys/class/iommu") < 0)
		return;
	d = opendir(dir);
	if (!d)
		return;
	while ((e = readdir(d))) {
		_cleanup_free_ char *ecap = NULL, *amd = NULL, *text = NULL;
		unsigned long long v;
		char *end;

		if (e->d_name[0] == '.')
			continue;
		if (asprintf(&ecap, "%s/%s/intel-iommu/ecap", dir, e->d_name) < 0 ||
		    asprintf(&amd, "%s/%s/amd-iommu", dir, e->d_name) < 0)
			break;
		if (pt_path_exists(amd))
			ev->amd_units++;
		if (pt_read_text(ecap, &text) < 0)
			continue;
		v = strtoull(text, &end, 16);
		if (end == text)
			continue;
		if (!ev->intel_units)
			snprintf(ev->first, sizeof(ev->first), "%s ecap 0x%llx", e->d_name, v);
		ev->intel_units++;
		if (v & ECAP_IR)
			ev->intel_with_ir++;
	}
	closedir(d);
}

/* ", vfio_iommu_type1.allow_unsafe_interrupts=Y" and whether it is set. */
static void unsafe_param(const char *sysroot, char *buf, size_t size, bool *ret_allowed)
{
	_cleanup_free_ char *path = NULL, *text = NULL;

	*ret_allowed = false;
	if (pt_host_path(sysroot, &path,
			 "/sys/module/vfio_iommu_type1/parameters/allow_unsafe_interrupts") < 0 ||
	    pt_read_text(path, &text) < 0) {
		snprintf(buf, size, "; vfio_iommu_type1 is not loaded, so its "
				    "allow_unsafe_interrupts is not known");
		return;
	}
	*ret_allowed = text[0] == 'Y' || text[0] == 'y' || text[0] == '1';
	snprintf(buf, size, "; vfio_iommu_type1.allow_unsafe_interrupts=%s", text);
}

int pt_probe_intr_remap(const char *sysroot, struct pt_readiness *r)
{
	struct irq_evidence irq;
	struct ecap_evidence units;
	char unsafe[128], hw[400] = "";
	bool allowed;

	scan_interrupts(sysroot, &irq);
	scan_units(sysroot, &units);
	unsafe_param(sysroot, unsafe, sizeof(unsafe), &allowed);
	if (units.intel_units)
		snprintf(hw, sizeof(hw), "; ecap bit 3 (IR) is set on %u of %u Intel units (%s)",
			 units.intel_with_ir, units.intel_units, units.first);

	if (irq.remapped)
		return pt_probe_set(r, PT_CHECK_INTR_REMAP, PT_RESULT_YES, false, 0,
				    "in use: %u interrupt%s in /proc/interrupts go%s through "
				    "IR- (remapped) chips%s%s", irq.remapped,
				    irq.remapped == 1 ? "" : "s", irq.remapped == 1 ? "es" : "", hw,
				    unsafe);
	if (irq.readable && irq.plain) {
		const char *cause = units.intel_units && !units.intel_with_ir
					    ? " (the IOMMU lacks it)"
				    : units.intel_with_ir ? " (supported by the IOMMU but not "
							    "enabled: intremap=off?)"
				    : !units.intel_units && !units.amd_units ? " (no IOMMU is active)"
									       : "";

		if (allowed)
			return pt_probe_set(r, PT_CHECK_INTR_REMAP, PT_RESULT_WARNING, false, 0,
					    "not in use%s: none of the %u IO-APIC/MSI interrupts "
					    "in /proc/interrupts is remapped%s%s, which lets VFIO "
					    "work without it at the risk that an assigned device "
					    "forges interrupts to the host", cause, irq.plain, hw,
					    unsafe);
		return pt_probe_set(r, PT_CHECK_INTR_REMAP, PT_RESULT_NO, false, 0,
				    "not in use%s: none of the %u IO-APIC/MSI interrupts in "
				    "/proc/interrupts is remapped%s%s", cause, irq.plain, hw, unsafe);
	}
	if (units.intel_units && !units.intel_with_ir)
		return pt_probe_set(r, PT_CHECK_INTR_REMAP, allowed ? PT_RESULT_WARNING : PT_RESULT_NO,
				    false, 0, "the IOMMU lacks it%s%s", hw, unsafe);
	return pt_probe_set(r, PT_CHECK_INTR_REMAP, PT_RESULT_UNKNOWN, false, 0,
			    "cannot tell: %s%s%s",
			    irq.readable ? "/proc/interrupts shows no IO-APIC or MSI interrupt"
					 : "/proc/interrupts is not readable",
			    hw, unsafe);
}
