/*
 * The verdicts a command that takes functions to vfio-pci (prepare, attach, start)
 * acts on: each reason passthru-ctl devices shows becomes a refusal, unless --force
 * may override it or --group takes the companion too.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/exit_status.h"
#include "common/log.h"
#include "ctl/host_prep.h"
#include "host/readiness.h"

const struct pt_pci_dev *pt_prep_find(const struct pt_inventory *inv, const char *name)
{
	struct pt_bdf bdf;

	return pt_bdf_parse(name, &bdf, NULL) < 0 ? NULL : pt_inventory_find(inv, &bdf);
}

/* Why --group could or could not take peer: its own blockers, the group's aside. */
static void group_hint(const struct pt_inventory *inv, const char *peer, char *buf, size_t size)
{
	const struct pt_pci_dev *m = pt_prep_find(inv, peer);
	size_t used = 0;

	snprintf(buf, size, "--group would take it too");
	if (!m)
		return;
	for (size_t i = 0; i < m->n_reasons && used < size; i++) {
		const struct pt_reason *r = &m->reasons[i];

		if (r->code == PT_REASON_GROUP_SHARED)
			continue; /* --group takes the rest of the group too */
		used += (size_t)snprintf(buf + used, size - used, "%s%s",
					 used ? "; " : "--group cannot take it: ", r->message);
	}
}

static void refuse(struct pt_prep_verdict *v, const char *bdf, const char *code, int status,
		   const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void refuse(struct pt_prep_verdict *v, const char *bdf, const char *code, int status,
		   const char *fmt, ...)
{
	_cleanup_free_ char *msg = NULL;
	va_list ap;
	json_t *o;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) < 0)
		msg = NULL;
	va_end(ap);
	pt_err("%s: refused: %s", bdf, msg ? msg : code);
	o = json_pack("{s:s, s:s, s:s}", "bdf", bdf, "code", code, "message", msg ? msg : code);
	if (o)
		json_array_append_new(v->refusals, o);
	/* Refused for safety wins over "the host lacks it". */
	if (v->status != PT_EXIT_REFUSED)
		v->status = status;
}

/* Whether the group member peer is assigned to vm. */
static bool same_vm(const struct pt_inventory *inv, const char *peer, const char *vm)
{
	const struct pt_pci_dev *m = pt_prep_find(inv, peer);

	return m && m->assigned_vm && !strcmp(m->assigned_vm, vm);
}

/* Every reason to refuse target d, from its verdict; --force and --group applied. */
void pt_prep_judge(const struct pt_ctl *ctl, const struct pt_inventory *inv,
		  const struct pt_targets *t, const struct pt_pci_dev *d,
		  struct pt_prep_verdict *v)
{
	for (size_t i = 0; i < d->n_reasons; i++) {
		const struct pt_reason *r = &d->reasons[i];
		const char *code = pt_reason_code_name(r->code);
		char hint[1024];

		switch (r->code) {
		case PT_REASON_GROUP_SHARED:
			if (pt_targets_has(t, r->subject))
				continue;
			group_hint(inv, r->subject, hint, sizeof(hint));
			refuse(v, d->name, code, PT_EXIT_REFUSED, "%s (%s)", r->message, hint);
			continue;
		case PT_REASON_MULTIFUNCTION:
			if (pt_targets_has(t, r->subject))
				continue;
			refuse(v, d->name, code, PT_EXIT_REFUSED, "%s; prepare %s with it", r->message,
			       r->subject);
			continue;
		case PT_REASON_NO_IOMMU:
			refuse(v, d->name, code, PT_EXIT_UNSUPPORTED,
			       "no IOMMU: it has no IOMMU group, so VFIO cannot isolate its DMA "
			       "(enable VT-d/AMD-Vi in the firmware and intel_iommu=on or "
			       "amd_iommu=on; passthru-ctl check tells more)");
			continue;
		case PT_REASON_GROUP_ASSIGNED:
			if (v->vm && same_vm(inv, r->subject, v->vm))
				continue;
			break;
		case PT_REASON_INTERRUPTED:
			refuse(v, d->name, code, PT_EXIT_REFUSED, "%s", r->message);
			continue;
		default:
			break;
		}
		if (pt_reason_is_forceable(r->code) && ctl->force) {
			pt_warn("%s: --force overrides: %s", d->name, r->message);
			json_array_append_new(v->forced, json_pack("{s:s, s:s, s:s}", "bdf", d->name,
								   "code", code, "message",
								   r->message));
			continue;
		}
		refuse(v, d->name, code, PT_EXIT_REFUSED, "%s%s", r->message,
		       pt_reason_is_forceable(r->code) ? " (--force overrides this)" : "");
	}
}

/* vfio-pci loaded, or loadable: the same evidence passthru-ctl check shows. */
bool pt_prep_vfio_available(const struct pt_ctl *ctl, struct pt_prep_verdict *v)
{
	struct pt_readiness *rd = NULL;
	bool ok;

	if (pt_readiness_probe_vfio(ctl->sysroot, &rd) < 0)
		return false;
	ok = rd->items[PT_CHECK_VFIO_PCI].result == PT_RESULT_YES;
	if (!ok)
		refuse(v, "vfio-pci", "vfio_unavailable", PT_EXIT_UNSUPPORTED,
		       "vfio-pci is unavailable: %s", rd->items[PT_CHECK_VFIO_PCI].evidence);
	pt_readiness_free(rd);
	return ok;
}

