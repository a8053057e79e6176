/*
 * passthru-ctl check BDF [--vm VM]: the preflight of one function (host/preflight.h)
 * plus what the host and the VM decide for it: interrupt remapping, and with --vm
 * the memory the VMM must lock and the IOVA ranges the IOMMU keeps for itself
 * against the VM's memory map. Nothing is changed.
 */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "common/cleanup.h"
#include "common/exit_status.h"
#include "common/log.h"
#include "ctl/ctl.h"
#include "ctl/host_prep.h"
#include "ctl/json_out.h"
#include "ctl/table.h"
#include "ctl/vm_runtime.h"
#include "host/preflight.h"
#include "host/readiness.h"
#include "vmm/layout.h"

#define CAP_IPC_LOCK_BIT 14

static int add_intr_remap(struct pt_preflight *p, const char *sysroot)
{
	struct pt_readiness *rd = NULL;
	const struct pt_check_item *it;
	int r = pt_readiness_probe(sysroot, &rd);

	if (r < 0)
		return r;
	it = &rd->items[PT_CHECK_INTR_REMAP];
	r = pt_preflight_add(p, "interrupt_remapping", it->result,
			     it->result == PT_RESULT_YES || it->result == PT_RESULT_UNKNOWN ? NULL :
			     "turn interrupt remapping on (intremap=on, x2APIC in the firmware); "
			     "allow_unsafe_interrupts lets the device inject any interrupt into "
			     "the host", "%s", it->evidence);
	pt_readiness_free(rd);
	return r;
}

/* True when this process has CAP_IPC_LOCK (VFIO then ignores RLIMIT_MEMLOCK). */
static bool has_ipc_lock(void)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/self/status", "re");
	char line[256];
	unsigned long long caps;

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "CapEff: %llx", &caps) == 1)
			return caps & (1ULL << CAP_IPC_LOCK_BIT);
	return false;
}

static int add_memlock(struct pt_preflight *p, const struct pt_vm_def *def)
{
	struct rlimit rl;
	uint64_t need = def->memory;

	if (getrlimit(RLIMIT_MEMLOCK, &rl) < 0)
		return pt_preflight_add(p, "memlock", PT_RESULT_UNKNOWN, NULL,
					"getrlimit(RLIMIT_MEMLOCK): %s", strerror(errno));
	if (rl.rlim_cur == RLIM_INFINITY)
		return pt_preflight_add(p, "memlock", PT_RESULT_YES, NULL,
					"VM %s pins %" PRIu64 " MiB for DMA; RLIMIT_MEMLOCK is unlimited",
					def->name, need >> 20);
	if (has_ipc_lock())
		return pt_preflight_add(p, "memlock", PT_RESULT_YES, NULL,
					"VM %s pins %" PRIu64 " MiB for DMA; RLIMIT_MEMLOCK is %llu "
					"KiB, but a VMM started from here has CAP_IPC_LOCK, which "
					"VFIO honours instead", def->name, need >> 20,
					(unsigned long long)rl.rlim_cur >> 10);
	if ((uint64_t)rl.rlim_cur >= need)
		return pt_preflight_add(p, "memlock", PT_RESULT_YES, NULL,
					"VM %s pins %" PRIu64 " MiB; RLIMIT_MEMLOCK is %llu KiB",
					def->name, need >> 20, (unsigned long long)rl.rlim_cur >> 10);
	return pt_preflight_add(p, "memlock", PT_RESULT_NO,
				"raise the limit (ulimit -l, or LimitMEMLOCK= in passthru@.service) "
				"or run the VMM with CAP_IPC_LOCK",
				"VM %s pins %" PRIu64 " MiB of guest RAM for DMA, but RLIMIT_MEMLOCK "
				"is %llu KiB: VFIO_IOMMU_MAP_DMA would fail", def->name, need >> 20,
				(unsigned long long)rl.rlim_cur >> 10);
}

static int add_iova(struct pt_preflight *p, const char *sysroot, const struct pt_pci_dev *d,
		    const struct pt_vm_def *def)
{
	uint64_t low = def->memory < PT_GPA_PCI_HOLE ? def->memory : PT_GPA_PCI_HOLE;
	uint64_t high = def->memory - low;
	/* Guest RAM as the VMM lays it out (vmm/e820.c), inclusive ends. */
	const uint64_t ram[3][2] = {
		{ 0, PT_GPA_EBDA - 1 },
		{ PT_GPA_HIGH, low - 1 },
		{ PT_GPA_4G, high ? PT_GPA_4G + high - 1 : 0 },
	};
	_cleanup_free_ struct pt_iova_range *rr = NULL;
	_cleanup_free_ char *clash = NULL;
	size_t n = 0;
	int r;

	if (d->iommu_group < 0)
		return 0;
	r = pt_iommu_group_reserved(sysroot, d->iommu_group, &rr, &n);
	if (r < 0)
		return pt_preflight_add(p, "reserved_iova", PT_RESULT_UNKNOWN, NULL,
					"iommu_groups/%d/reserved_regions cannot be read: %s",
					d->iommu_group, strerror(-r));
	for (size_t i = 0; i < n; i++)
		for (size_t j = 0; j < 3; j++) {
			char *s;

			if ((j == 2 && !high) || rr[i].end < ram[j][0] || rr[i].start > ram[j][1])
				continue;
			if (asprintf(&s, "%s%s%#" PRIx64 "-%#" PRIx64 " (%s)", clash ? clash : "",
				     clash ? ", " : "", rr[i].start, rr[i].end, rr[i].type) < 0)
				return -ENOMEM;
			free(clash);
			clash = s;
			break; /* one mention per reserved range */
		}
	if (clash)
		return pt_preflight_add(p, "reserved_iova", PT_RESULT_NO,
					"the VMM lays guest RAM out from address 0 and cannot leave "
					"these ranges out (a smaller VM helps only for ranges above "
					"its RAM): do not give this device to this VM",
					"group %d reserves %s inside VM %s's RAM (%" PRIu64 " MiB): "
					"DMA maps there fail", d->iommu_group, clash, def->name,
					def->memory >> 20);
	return pt_preflight_add(p, "reserved_iova", PT_RESULT_YES, NULL,
				"none of group %d's %zu reserved ranges overlaps VM %s's RAM "
				"(%" PRIu64 " MiB)", d->iommu_group, n, def->name, def->memory >> 20);
}

static int print(const struct pt_ctl *ctl, const struct pt_pci_dev *d,
		 const struct pt_preflight *p, bool ok)
{
	static const char *const headers[] = { "CHECK", "RESULT", "EVIDENCE" };
	struct pt_table *t;
	int r = 0;

	if (ctl->json) {
		json_t *root = json_object(), *f = json_object();

		for (size_t i = 0; root && f && i < p->n; i++)
			json_object_set_new(f, p->items[i].key,
					    json_pack("{s:s, s:s, s:o}", "result",
						      pt_check_result_name(p->items[i].result),
						      "evidence", p->items[i].evidence, "fix",
						      pt_json_string_or_null(p->items[i].fix)));
		if (!root || !f) {
			json_decref(root);
			json_decref(f);
			return -ENOMEM;
		}
		json_object_set_new(root, "bdf", json_string(d->name));
		json_object_set_new(root, "findings", f);
		json_object_set_new(root, "ok", json_boolean(ok));
		return pt_json_print(root);
	}
	t = pt_table_new(ARRAY_SIZE(headers), headers);
	if (!t)
		return -ENOMEM;
	for (size_t i = 0; r == 0 && i < p->n; i++) {
		const char *cells[] = { p->items[i].key, pt_check_result_name(p->items[i].result),
					p->items[i].evidence };

		r = pt_table_row(t, cells);
		if (r == 0 && p->items[i].fix)
			r = pt_table_note(t, "fix: %s", p->items[i].fix);
	}
	if (r == 0) {
		pt_table_print(t, stdout);
		printf("\n%s: %s\n", d->name, ok ? "nothing found that would keep it from a VM"
						 : "it would fail in a VM: see the fixes above");
	}
	pt_table_free(t);
	return r;
}

int pt_cmd_check_device(struct pt_ctl *ctl, const char *arg)
{
	struct pt_preflight p = { 0 };
	struct pt_inventory *inv = NULL;
	struct pt_vm_runtime rt = { 0 };
	const struct pt_pci_dev *d;
	struct pt_bdf bdf;
	const char *why;
	bool ok = true;
	int r, status = PT_EXIT_OK;

	if (pt_bdf_parse(arg, &bdf, &why) < 0) {
		pt_err("'%s': %s", arg, why);
		return PT_EXIT_USAGE;
	}
	if (ctl->vm) {
		status = pt_vm_runtime_open(ctl, ctl->vm, &rt);
		if (status)
			return status;
		/* A VM whose definition asks for what this kernel removed: said first. */
		status = pt_ctl_check_backends(ctl, rt.def);
		if (status)
			goto out;
	}
	status = pt_ctl_inventory(ctl, 0, &inv);
	if (status)
		goto out;
	d = pt_inventory_find(inv, &bdf);
	if (!d) {
		char name[PT_BDF_STRLEN];

		pt_err("no PCI function %s on this host (passthru-ctl devices lists them)",
		       pt_bdf_format(&bdf, name));
		status = PT_EXIT_NOT_FOUND;
		goto out;
	}
	r = pt_preflight_device(ctl->sysroot, inv, d, &p);
	if (r == 0)
		r = add_intr_remap(&p, ctl->sysroot);
	if (r == 0 && rt.def)
		r = add_memlock(&p, rt.def);
	if (r == 0 && rt.def)
		r = add_iova(&p, ctl->sysroot, d, rt.def);
	for (size_t i = 0; r == 0 && i < p.n; i++)
		ok = ok && p.items[i].result != PT_RESULT_NO;
	if (r == 0)
		r = print(ctl, d, &p, ok);
	if (r < 0) {
		pt_err("%s: cannot check it: %s", d->name, strerror(-r));
		status = PT_EXIT_FAILURE;
	} else if (!ok) {
		status = PT_EXIT_UNSUPPORTED;
	}
out:
	pt_preflight_clear(&p);
	pt_inventory_free(inv);
	if (rt.def)
		pt_vm_runtime_close(&rt);
	return status;
}
