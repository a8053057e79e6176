/* Section headers: [vm] once, [device DDDD:BB:DD.F] once per device, nothing else. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "config/parser.h"

static int add_device(struct pt_config_parser *p, const struct pt_bdf *bdf)
{
	struct pt_vm_def *def = p->def;
	size_t n = def->n_devices;

	if (n == p->dev_cap) {
		size_t cap = p->dev_cap ? 2 * p->dev_cap : 4;
		struct pt_dev_def *devs = realloc(def->devices, cap * sizeof(*devs));
		struct pt_dev_lines *lines;

		if (!devs)
			return -ENOMEM;
		def->devices = devs;
		lines = realloc(p->dev_lines, cap * sizeof(*lines));
		if (!lines)
			return -ENOMEM;
		p->dev_lines = lines;
		p->dev_cap = cap;
	}
	def->devices[n] = (struct pt_dev_def){
		.bdf = *bdf,
		.backend = PT_BACKEND_AUTO,
		.interrupts = PT_INTR_AUTO,
		.rom = PT_ROM_AUTO,
		.hotplug = PT_HOTPLUG_MANUAL,
		.guest_slot = -1,
		.guest_function = -1,
		.line = p->lineno,
	};
	memset(&p->dev_lines[n], 0, sizeof(p->dev_lines[n]));
	def->n_devices = n + 1;
	return 0;
}

static void device_section(struct pt_config_parser *p, const char *addr)
{
	struct pt_vm_def *def = p->def;
	struct pt_bdf bdf;
	char canon[PT_BDF_STRLEN];
	const char *why;

	p->section = PT_SECTION_SKIP;
	if (!*addr) {
		pt_parser_error(p, p->lineno, "[device] needs the device's PCI address, "
				"e.g. [device 0000:03:00.0]");
		return;
	}
	if (pt_bdf_parse(addr, &bdf, &why) < 0) {
		pt_parser_error(p, p->lineno, "[device %s]: %s", addr, why);
		return;
	}
	pt_bdf_format(&bdf, canon);
	if (strcmp(addr, canon))
		pt_parser_error(p, p->lineno, "[device %s]: write it as %s", addr, canon);
	for (size_t i = 0; i < def->n_devices; i++) {
		if (pt_bdf_equal(&def->devices[i].bdf, &bdf)) {
			pt_parser_error(p, p->lineno,
					"duplicate [device %s]: already defined at line %u; "
					"list each device once per VM", canon,
					def->devices[i].line);
			return;
		}
	}
	if (def->n_devices == PT_VM_DEVICES_MAX) {
		pt_parser_error(p, p->lineno, "too many devices: a VM has room for %d "
				"(guest slots %d to %d)", PT_VM_DEVICES_MAX, PT_GUEST_SLOT_MIN,
				PT_GUEST_SLOT_MAX);
		return;
	}
	if (add_device(p, &bdf) < 0) {
		p->err = -ENOMEM;
		return;
	}
	p->section = PT_SECTION_DEVICE;
}

void pt_parser_section(struct pt_config_parser *p, const char *inner)
{
	if (!strcmp(inner, "vm")) {
		if (p->vm_line) {
			pt_parser_error(p, p->lineno,
					"duplicate [vm] section: the first is at line %u; "
					"put every VM key in one [vm] section", p->vm_line);
			p->section = PT_SECTION_SKIP;
			return;
		}
		p->vm_line = p->lineno;
		p->section = PT_SECTION_VM;
		return;
	}
	if (!strncmp(inner, "device", 6) && (!inner[6] || isspace((unsigned char)inner[6]))) {
		const char *addr = inner + 6;

		while (isspace((unsigned char)*addr))
			addr++;
		device_section(p, addr);
		return;
	}
	pt_parser_error(p, p->lineno, "unknown section [%s]: "
			"valid sections are [vm] and [device DDDD:BB:DD.F]", inner);
	p->section = PT_SECTION_SKIP;
}
