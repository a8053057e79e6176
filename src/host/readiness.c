/* The readiness report: the item table, and the conclusions drawn from the probes. */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "host/probe.h"
#include "host/readiness.h"

static const struct {
	const char *key, *label;
} item_names[PT_CHECK__COUNT] = {
	[PT_CHECK_KVM_DEVICE] = { "kvm", "/dev/kvm" },
	[PT_CHECK_KVM_API] = { "kvm_api_version", "KVM API version" },
	[PT_CHECK_IRQ_ROUTING] = { "irq_routing", "KVM_CAP_IRQ_ROUTING" },
	[PT_CHECK_IRQFD] = { "irqfd", "KVM_CAP_IRQFD" },
	[PT_CHECK_IRQFD_RESAMPLE] = { "irqfd_resample", "KVM_CAP_IRQFD_RESAMPLE" },
	[PT_CHECK_SIGNAL_MSI] = { "signal_msi", "KVM_CAP_SIGNAL_MSI" },
	[PT_CHECK_SPLIT_IRQCHIP] = { "split_irqchip", "KVM_CAP_SPLIT_IRQCHIP" },
	[PT_CHECK_KVM_VFIO_DEVICE] = { "kvm_vfio_device", "KVM_CAP_DEVICE_CTRL" },
	[PT_CHECK_DEVICE_ASSIGNMENT] = { "device_assignment", "KVM_CAP_DEVICE_ASSIGNMENT" },
	[PT_CHECK_IOMMU] = { "iommu", "IOMMU" },
	[PT_CHECK_IOMMU_GROUPS] = { "iommu_groups", "IOMMU groups" },
	[PT_CHECK_VFIO_PCI] = { "vfio_pci", "vfio-pci driver" },
	[PT_CHECK_VFIO_CONTAINER] = { "vfio_container", "/dev/vfio/vfio" },
	[PT_CHECK_IOMMUFD] = { "iommufd", "iommufd, VFIO cdevs" },
	[PT_CHECK_INTR_REMAP] = { "interrupt_remapping", "interrupt remapping" },
	[PT_CHECK_MEMLOCK] = { "memlock", "RLIMIT_MEMLOCK" },
};

const char *pt_check_result_name(enum pt_check_result r)
{
	switch (r) {
	case PT_RESULT_YES:
		return "yes";
	case PT_RESULT_NO:
		return "no";
	case PT_RESULT_WARNING:
		return "warning";
	case PT_RESULT_UNKNOWN:
		return "unknown";
	case PT_RESULT_SKIPPED:
		return "skipped";
	}
	return "unknown";
}

int pt_probe_set(struct pt_readiness *r, enum pt_check_id id, enum pt_check_result result,
		 bool has_value, long long value, const char *fmt, ...)
{
	struct pt_check_item *it = &r->items[id];
	char *text;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&text, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -ENOMEM;
	free(it->evidence);
	it->evidence = text;
	it->result = result;
	it->has_value = has_value;
	it->value = has_value ? value : 0;
	return 0;
}

void pt_readiness_free(struct pt_readiness *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < PT_CHECK__COUNT; i++)
		free(r->items[i].evidence);
	free(r->kvm.why);
	free(r->vfio.why);
	free(r->legacy.why);
	free(r);
}

static int set_why(struct pt_conclusion *c, bool usable, const char *text)
{
	c->usable = usable;
	c->why = strdup(text);
	return c->why ? 0 : -ENOMEM;
}

/* Appends "; part" (or "part" first) to *buf. */
static int append(char **buf, const char *part)
{
	char *s;

	if (asprintf(&s, "%s%s%s", *buf ? *buf : "", *buf ? "; " : "", part) < 0)
		return -ENOMEM;
	free(*buf);
	*buf = s;
	return 0;
}

static int conclude_vfio(struct pt_readiness *r)
{
	static const struct {
		enum pt_check_id id;
		const char *missing;
	} needs[] = {
		{ PT_CHECK_IOMMU, "no IOMMU is active" },
		{ PT_CHECK_IOMMU_GROUPS, "there are no IOMMU groups" },
		{ PT_CHECK_VFIO_PCI, "vfio-pci is not available" },
		{ PT_CHECK_VFIO_CONTAINER, "/dev/vfio/vfio is not usable" },
		{ PT_CHECK_INTR_REMAP, "interrupts are not remapped (VFIO refuses to attach "
				       "groups unless vfio_iommu_type1.allow_unsafe_interrupts=1)" },
	};
	_cleanup_free_ char *why = NULL;

	for (size_t i = 0; i < ARRAY_SIZE(needs); i++) {
		enum pt_check_result res = r->items[needs[i].id].result;
		/* Remapping only blocks VFIO when it is known to be off. */
		bool ok = needs[i].id == PT_CHECK_INTR_REMAP ? res != PT_RESULT_NO
							     : res == PT_RESULT_YES ||
								       res == PT_RESULT_WARNING;

		if (!ok && append(&why, needs[i].missing) < 0)
			return -ENOMEM;
	}
	if (why) {
		r->vfio.usable = false;
		r->vfio.why = TAKE_PTR(why);
		return 0;
	}
	if (asprintf(&why, "IOMMU with %lld groups, vfio-pci, /dev/vfio/vfio with Type1v2",
		     r->items[PT_CHECK_IOMMU_GROUPS].value) < 0)
		return -ENOMEM;
	r->vfio.usable = true;
	r->vfio.why = TAKE_PTR(why);
	return 0;
}

static int conclude(struct pt_readiness *r)
{
	const struct pt_check_item *dev = &r->items[PT_CHECK_KVM_DEVICE];
	const struct pt_check_item *api = &r->items[PT_CHECK_KVM_API];
	const struct pt_check_item *legacy = &r->items[PT_CHECK_DEVICE_ASSIGNMENT];
	int ret;

	if (dev->result != PT_RESULT_YES)
		ret = set_why(&r->kvm, false, dev->evidence);
	else if (api->result != PT_RESULT_YES)
		ret = set_why(&r->kvm, false, api->evidence);
	else
		ret = set_why(&r->kvm, true, api->evidence);
	if (ret == 0)
		ret = set_why(&r->legacy, legacy->result == PT_RESULT_YES, legacy->evidence);
	if (ret == 0)
		ret = conclude_vfio(r);
	return ret;
}

static struct pt_readiness *readiness_new(void)
{
	struct pt_readiness *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	for (size_t i = 0; i < PT_CHECK__COUNT; i++) {
		r->items[i].key = item_names[i].key;
		r->items[i].label = item_names[i].label;
		r->items[i].result = PT_RESULT_UNKNOWN;
	}
	return r;
}

int pt_readiness_probe_vfio(const char *sysroot, struct pt_readiness **ret)
{
	struct pt_readiness *r = readiness_new();
	int err;

	if (!r)
		return -ENOMEM;
	err = pt_probe_vfio(sysroot, r);
	if (err < 0) {
		pt_readiness_free(r);
		return err;
	}
	*ret = r;
	return 0;
}

int pt_readiness_probe(const char *sysroot, struct pt_readiness **ret)
{
	struct pt_readiness *r;
	int err;

	r = readiness_new();
	if (!r)
		return -ENOMEM;
	err = pt_probe_kvm(sysroot, r);
	if (err == 0)
		err = pt_probe_iommu(sysroot, r);
	if (err == 0)
		err = pt_probe_vfio(sysroot, r);
	if (err == 0)
		err = pt_probe_intr_remap(sysroot, r);
	if (err == 0)
		err = pt_probe_memlock(r);
	for (size_t i = 0; err == 0 && i < PT_CHECK__COUNT; i++)
		if (!r->items[i].evidence)
			err = pt_probe_set(r, (enum pt_check_id)i, PT_RESULT_UNKNOWN, false, 0,
					   "not probed");
	if (err == 0)
		err = conclude(r);
	if (err < 0) {
		pt_readiness_free(r);
		return err;
	}
	*ret = r;
	return 0;
}
