/* passthru-ctl devices [BDF...]: every PCI function and whether it can be assigned. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/bdf.h"
#include "common/cleanup.h"
#include "common/exit_status.h"
#include "common/log.h"
#include "ctl/ctl.h"
#include "ctl/host_prep.h"
#include "ctl/json_out.h"
#include "ctl/table.h"
#include "host/inventory.h"
#include "host/verdict.h"

static json_t *dev_json(const struct pt_pci_dev *d)
{
	json_t *o = json_object(), *peers = json_array(), *mounts = json_array();
	json_t *reasons = json_array();
	char id[8];
	int bad = !o || !peers || !mounts || !reasons;

	for (size_t i = 0; !bad && i < d->n_group_peers; i++) {
		json_t *m = json_object();

		bad |= !m || json_object_set_new(m, "bdf", json_string(d->group_peers[i].name)) ||
		       json_object_set_new(m, "driver",
					   pt_json_string_or_null(d->group_peers[i].driver)) ||
		       json_array_append_new(peers, m);
	}
	for (size_t i = 0; !bad && i < d->n_mounts; i++) {
		json_t *m = json_object();

		bad |= !m || json_object_set_new(m, "mountpoint", json_string(d->mounts[i].mountpoint)) ||
		       json_object_set_new(m, "device", json_string(d->mounts[i].blockdev)) ||
		       json_array_append_new(mounts, m);
	}
	for (size_t i = 0; !bad && i < d->n_reasons; i++) {
		json_t *m = json_object();

		bad |= !m ||
		       json_object_set_new(m, "code",
					   json_string(pt_reason_code_name(d->reasons[i].code))) ||
		       json_object_set_new(m, "message", json_string(d->reasons[i].message)) ||
		       json_array_append_new(reasons, m);
	}
	if (bad) {
		json_decref(o);
		json_decref(peers);
		json_decref(mounts);
		json_decref(reasons);
		return NULL;
	}
	json_object_set_new(o, "bdf", json_string(d->name));
	snprintf(id, sizeof(id), "%04x", d->vendor_id);
	json_object_set_new(o, "vendor_id", json_string(id));
	snprintf(id, sizeof(id), "%04x", d->device_id);
	json_object_set_new(o, "device_id", json_string(id));
	json_object_set_new(o, "vendor", pt_json_string_or_null(d->vendor_name));
	json_object_set_new(o, "device", pt_json_string_or_null(d->device_name));
	snprintf(id, sizeof(id), "%04x", d->class_id);
	json_object_set_new(o, "class_id", json_string(id));
	json_object_set_new(o, "class", pt_json_string_or_null(d->class_name));
	json_object_set_new(o, "header_type", json_string(pt_pci_header_name(d->header)));
	json_object_set_new(o, "multifunction", json_boolean(d->multifunction));
	json_object_set_new(o, "driver", pt_json_string_or_null(d->driver));
	json_object_set_new(o, "iommu_group",
			    d->iommu_group >= 0 ? json_integer(d->iommu_group) : json_null());
	json_object_set_new(o, "group_members", peers);
	json_object_set_new(o, "boot_vga", json_boolean(d->boot_vga));
	json_object_set_new(o, "mounts", mounts);
	json_object_set_new(o, "prepared", json_boolean(d->has_record && d->phase == PT_PHASE_PREPARED));
	json_object_set_new(o, "original_driver", pt_json_string_or_null(d->original_driver));
	json_object_set_new(o, "assigned_to", pt_json_string_or_null(d->assigned_vm));
	json_object_set_new(o, "assignable", json_boolean(d->assignable));
	json_object_set_new(o, "reasons", reasons);
	return o;
}

static int print_json(const struct pt_pci_dev *const *devs, size_t n)
{
	json_t *root = json_object(), *arr = json_array();

	if (!root || !arr || json_object_set_new(root, "devices", arr)) {
		json_decref(root);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		json_t *o = dev_json(devs[i]);

		if (!o || json_array_append_new(arr, o)) {
			json_decref(root);
			return -ENOMEM;
		}
	}
	return pt_json_print(root);
}

/* "Red Hat, Inc. Virtio 1.0 block device", or lspci's "Vendor 1af4 Device 1042" fallback. */
static char *dev_title(const struct pt_pci_dev *d)
{
	char *s;
	int r;

	if (d->vendor_name && d->device_name)
		r = asprintf(&s, "%s %s", d->vendor_name, d->device_name);
	else if (d->vendor_name)
		r = asprintf(&s, "%s Device %04x", d->vendor_name, d->device_id);
	else
		r = asprintf(&s, "Vendor %04x Device %04x", d->vendor_id, d->device_id);
	return r < 0 ? NULL : s;
}

static int add_notes(struct pt_table *t, const struct pt_pci_dev *d)
{
	_cleanup_free_ char *members = NULL, *reasons = NULL;

	for (size_t i = 0; i < d->n_group_peers; i++) {
		char *s;

		if (asprintf(&s, "%s%s%s (%s)", members ? members : "", members ? ", " : "",
			     d->group_peers[i].name,
			     d->group_peers[i].driver ? d->group_peers[i].driver : "no driver") < 0)
			return -ENOMEM;
		free(members);
		members = s;
	}
	if (members && pt_table_note(t, "group %d also holds %s", d->iommu_group, members) < 0)
		return -ENOMEM;
	if (d->has_record && d->phase == PT_PHASE_PREPARED &&
	    pt_table_note(t, "prepared by passthru%s%s, original driver %s", d->assigned_vm ?
			  " for VM " : "", d->assigned_vm ? d->assigned_vm : "",
			  d->original_driver ? d->original_driver : "none") < 0)
		return -ENOMEM;
	if (pt_verdict_reasons_text(d, &reasons) < 0)
		return -ENOMEM;
	if (reasons && pt_table_note(t, "not assignable: %s", reasons) < 0)
		return -ENOMEM;
	return 0;
}

static int print_table(const struct pt_pci_dev *const *devs, size_t n)
{
	static const char *const headers[] = {
		"BDF", "ID", "CLASS", "DRIVER", "GROUP", "ASSIGNABLE", "DEVICE",
	};
	struct pt_table *t = pt_table_new(ARRAY_SIZE(headers), headers);
	int r = t ? 0 : -ENOMEM;

	for (size_t i = 0; r == 0 && i < n; i++) {
		const struct pt_pci_dev *d = devs[i];
		_cleanup_free_ char *title = dev_title(d);
		char ids[10], group[16], class_buf[16];
		const char *cells[ARRAY_SIZE(headers)];

		if (!title) {
			r = -ENOMEM;
			break;
		}
		snprintf(ids, sizeof(ids), "%04x:%04x", d->vendor_id, d->device_id);
		snprintf(class_buf, sizeof(class_buf), "Class %04x", d->class_id);
		if (d->iommu_group >= 0)
			snprintf(group, sizeof(group), "%d", d->iommu_group);
		cells[0] = d->name;
		cells[1] = ids;
		cells[2] = d->class_name ? d->class_name : class_buf;
		cells[3] = d->driver;
		cells[4] = d->iommu_group >= 0 ? group : NULL;
		cells[5] = d->assignable ? "yes" : "no";
		cells[6] = title;
		r = pt_table_row(t, cells);
		if (r == 0)
			r = add_notes(t, d);
	}
	if (r == 0)
		pt_table_print(t, stdout);
	pt_table_free(t);
	return r;
}

int pt_cmd_devices(struct pt_ctl *ctl, int argc, char **argv)
{
	_cleanup_free_ struct pt_bdf *want = NULL;
	_cleanup_free_ const struct pt_pci_dev **shown = NULL;
	struct pt_inventory *inv = NULL;
	size_t n_want, n_shown = 0;
	int first, r = 0, status = PT_EXIT_OK;

	first = pt_ctl_parse_options(ctl, argc, argv, false);
	if (first <= 0)
		return -first;

	/* Every argument is checked before anything is read. */
	n_want = (size_t)(argc - first);
	want = calloc(n_want ? n_want : 1, sizeof(*want));
	if (!want)
		return PT_EXIT_FAILURE;
	for (size_t i = 0; i < n_want; i++) {
		const char *why;

		if (pt_bdf_parse(argv[first + (int)i], &want[i], &why) < 0) {
			pt_err("'%s': %s", argv[first + (int)i], why);
			return PT_EXIT_USAGE;
		}
	}

	if (pt_ctl_inventory(ctl, PT_INVENTORY_NAMES, &inv))
		return PT_EXIT_FAILURE;
	shown = calloc(n_want ? n_want : inv->n_devs + 1, sizeof(*shown));
	if (!shown) {
		pt_inventory_free(inv);
		return PT_EXIT_FAILURE;
	}
	if (!n_want) {
		for (size_t i = 0; i < inv->n_devs; i++)
			shown[n_shown++] = &inv->devs[i];
	}
	for (size_t i = 0; i < n_want; i++) {
		const struct pt_pci_dev *d = pt_inventory_find(inv, &want[i]);
		char name[PT_BDF_STRLEN];

		if (d) {
			shown[n_shown++] = d;
			continue;
		}
		pt_err("no PCI function %s on this host (passthru-ctl devices lists them)",
		       pt_bdf_format(&want[i], name));
		status = PT_EXIT_NOT_FOUND;
	}
	/* No table at all when every named function was missing: the errors say it. */
	if (ctl->json)
		r = print_json(shown, n_shown);
	else if (n_shown || !n_want)
		r = print_table(shown, n_shown);
	pt_inventory_free(inv);
	if (r < 0) {
		pt_err("cannot print the device list: %s", strerror(-r));
		return PT_EXIT_FAILURE;
	}
	return status;
}
