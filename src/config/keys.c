/*
 * The keys of [vm] and [device ...]: one table, each key with its parser and a phrase
 * saying what is valid (used in every message about it). man/passthru.ini.5 lists the
 * same keys; tests/config/test-config.c holds the two to each other.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include "common/cleanup.h"
#include "common/parse.h"
#include "config/guest_layout.h"
#include "config/parser.h"

#define SOCKET_PATH_MAX (sizeof(((struct sockaddr_un *)0)->sun_path) - 1)
#define GROUP_NAME_MAX 32

struct key {
	const char *name;
	const char *valid; /* completes "use ..." */
	void (*set)(struct pt_config_parser *p, const struct key *k, const char *value);
};

static struct pt_dev_def *cur_dev(struct pt_config_parser *p)
{
	return &p->def->devices[p->def->n_devices - 1];
}

static void bad_value(struct pt_config_parser *p, const struct key *k, const char *value,
		      const char *what)
{
	pt_parser_error(p, p->lineno, "%s: '%s' %s: use %s", k->name, value, what, k->valid);
}

static void set_string(struct pt_config_parser *p, char **field, const char *value)
{
	char *s = strdup(value);

	if (!s) {
		p->err = -ENOMEM;
		return;
	}
	free(*field);
	*field = s;
}

/* An absolute path, or an error naming the key. */
static bool check_path(struct pt_config_parser *p, const struct key *k, const char *value,
		       const char *shown)
{
	if (value[0] == '/')
		return true;
	bad_value(p, k, shown, "is a relative path");
	return false;
}

/* Index of value in a NULL-terminated table of names, or -1. */
static int enum_index(const char *const *names, const char *value)
{
	for (int i = 0; names[i]; i++)
		if (!strcmp(names[i], value))
			return i;
	return -1;
}

static int parse_enum(struct pt_config_parser *p, const struct key *k, const char *const *names,
		      const char *value)
{
	int i = enum_index(names, value);

	if (i < 0)
		bad_value(p, k, value, "is not valid");
	return i;
}

static void set_name(struct pt_config_parser *p, const struct key *k, const char *value)
{
	if (!pt_vm_name_valid(value)) {
		bad_value(p, k, value, "is not a valid VM name");
		return;
	}
	set_string(p, &p->def->name, value);
}

static void set_memory(struct pt_config_parser *p, const struct key *k, const char *value)
{
	uint64_t bytes;
	int r = pt_parse_size(value, &bytes);

	if (r == -EINVAL) {
		bad_value(p, k, value, "is not a size");
		return;
	}
	if (r < 0 || bytes < PT_VM_MEMORY_MIN || bytes > PT_VM_MEMORY_MAX) {
		bad_value(p, k, value, "is out of range");
		return;
	}
	if (bytes % PT_VM_MEMORY_ALIGN) {
		uint64_t up = (bytes / PT_VM_MEMORY_ALIGN + 1) * PT_VM_MEMORY_ALIGN;

		pt_parser_error(p, p->lineno, "%s: '%s' is not a multiple of 2M: use e.g. %lluM",
				k->name, value, (unsigned long long)(up >> 20));
		return;
	}
	p->def->memory = bytes;
}

static void set_vcpus(struct pt_config_parser *p, const struct key *k, const char *value)
{
	uint64_t n;
	int r = pt_parse_u64(value, 1, PT_VM_VCPUS_MAX, &n);

	if (r < 0) {
		bad_value(p, k, value, r == -ERANGE ? "is out of range" : "is not a number");
		return;
	}
	p->def->vcpus = (unsigned)n;
}

static void set_kernel(struct pt_config_parser *p, const struct key *k, const char *value)
{
	if (check_path(p, k, value, value))
		set_string(p, &p->def->kernel, value);
}

static void set_initrd(struct pt_config_parser *p, const struct key *k, const char *value)
{
	if (check_path(p, k, value, value))
		set_string(p, &p->def->initrd, value);
}

static void set_cmdline(struct pt_config_parser *p, const struct key *k, const char *value)
{
	size_t len = strlen(value);

	if (len > PT_VM_CMDLINE_MAX) {
		pt_parser_error(p, p->lineno, "%s is too long (%zu bytes): use %s", k->name, len,
				k->valid);
		return;
	}
	set_string(p, &p->def->cmdline, value);
}

static void set_irqchip(struct pt_config_parser *p, const struct key *k, const char *value)
{
	int i = parse_enum(p, k, pt_irqchip_names, value);

	if (i >= 0)
		p->def->irqchip = (enum pt_irqchip)i;
}

static void set_console(struct pt_config_parser *p, const struct key *k, const char *value)
{
	static const struct { const char *word; enum pt_console_kind kind; } words[] = {
		{ "stdio", PT_CONSOLE_STDIO },
		{ "pty", PT_CONSOLE_PTY },
		{ "none", PT_CONSOLE_NONE },
	};

	for (size_t i = 0; i < ARRAY_SIZE(words); i++) {
		if (!strcmp(value, words[i].word)) {
			p->def->console = words[i].kind;
			return;
		}
	}
	if (strncmp(value, "file:", 5)) {
		bad_value(p, k, value, "is not valid");
		return;
	}
	if (!check_path(p, k, value + 5, value))
		return;
	set_string(p, &p->def->console_file, value + 5);
	p->def->console = PT_CONSOLE_FILE;
}

static void set_hugepages(struct pt_config_parser *p, const struct key *k, const char *value)
{
	bool b;

	if (pt_parse_bool(value, &b) < 0) {
		bad_value(p, k, value, "is not valid");
		return;
	}
	p->def->hugepages = b;
}

static void set_socket(struct pt_config_parser *p, const struct key *k, const char *value)
{
	if (!check_path(p, k, value, value))
		return;
	if (strlen(value) > SOCKET_PATH_MAX) {
		bad_value(p, k, value, "is too long for a UNIX socket");
		return;
	}
	set_string(p, &p->def->socket, value);
}

/* Group names as shadow-utils accepts them by default, without the numeric ones. */
static bool group_name_valid(const char *s)
{
	size_t len = strlen(s);

	if (!len || len > GROUP_NAME_MAX || !(isalpha((unsigned char)s[0]) || s[0] == '_'))
		return false;
	for (size_t i = 1; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (isalnum(c) || c == '_' || c == '-' || c == '.')
			continue;
		if (c == '$' && i == len - 1)
			continue;
		return false;
	}
	return true;
}

static void set_control_group(struct pt_config_parser *p, const struct key *k, const char *value)
{
	if (!group_name_valid(value)) {
		bad_value(p, k, value, "is not a valid group name");
		return;
	}
	set_string(p, &p->def->control_group, value);
}

static void set_backend(struct pt_config_parser *p, const struct key *k, const char *value)
{
	int i = parse_enum(p, k, pt_backend_names, value);

	if (i >= 0)
		cur_dev(p)->backend = (enum pt_backend)i;
}

static void set_interrupts(struct pt_config_parser *p, const struct key *k, const char *value)
{
	int i = parse_enum(p, k, pt_interrupts_names, value);

	if (i >= 0)
		cur_dev(p)->interrupts = (enum pt_interrupts)i;
}

static void set_rom(struct pt_config_parser *p, const struct key *k, const char *value)
{
	struct pt_dev_def *dev = cur_dev(p);

	dev->rom_line = p->lineno;
	if (!strcmp(value, "auto")) {
		dev->rom = PT_ROM_AUTO;
	} else if (!strcmp(value, "off")) {
		dev->rom = PT_ROM_OFF;
	} else if (value[0] == '/') {
		set_string(p, &dev->rom_file, value);
		dev->rom = PT_ROM_FILE;
	} else {
		/* Anything that looks like a file name was meant as one. */
		bool path = strpbrk(value, "/.") != NULL;

		bad_value(p, k, value, path ? "is a relative path" : "is not valid");
	}
}

static void set_hotplug(struct pt_config_parser *p, const struct key *k, const char *value)
{
	int i = parse_enum(p, k, pt_hotplug_names, value);

	if (i >= 0)
		cur_dev(p)->hotplug = (enum pt_hotplug)i;
}

/* "slot 3" or "slot 3 function 1", as the value was written. */
static const char *place_text(char *buf, size_t size, unsigned slot, unsigned fn, bool with_fn)
{
	if (with_fn)
		snprintf(buf, size, "slot %u function %u", slot, fn);
	else
		snprintf(buf, size, "slot %u", slot);
	return buf;
}

/* SLOT or SLOT.FUNCTION: a slot 1-31, its function 0-7 (0 when not written). */
static void set_guest_slot(struct pt_config_parser *p, const struct key *k, const char *value)
{
	struct pt_vm_def *def = p->def;
	struct pt_dev_def *dev = cur_dev(p);
	const char *dot = strchr(value, '.');
	char slot_text[32], place[40];
	size_t len = dot ? (size_t)(dot - value) : strlen(value);
	uint64_t slot, fn = 0;
	int r = -EINVAL;

	if (len < sizeof(slot_text)) {
		memcpy(slot_text, value, len);
		slot_text[len] = '\0';
		r = pt_parse_u64(slot_text, PT_GUEST_SLOT_MIN, PT_GUEST_SLOT_MAX, &slot);
	}
	if (r == 0 && dot)
		r = pt_parse_u64(dot + 1, 0, PT_GUEST_FUNCTIONS - 1, &fn);
	if (r < 0) {
		bad_value(p, k, value, r == -ERANGE ? "is out of range" :
			  dot ? "is not SLOT.FUNCTION" : "is not a number");
		return;
	}
	place_text(place, sizeof(place), (unsigned)slot, (unsigned)fn, dot != NULL);
	for (size_t i = 0; i + 1 < def->n_devices; i++) {
		const struct pt_dev_def *other = &def->devices[i];
		char bdf[PT_BDF_STRLEN], hint[80] = "";

		if (other->guest_slot != (int)slot || other->guest_function != (int)fn)
			continue;
		if (pt_guest_slot_mates(&other->bdf, &dev->bdf) && other->bdf.func != dev->bdf.func)
			snprintf(hint, sizeof(hint), " (to share slot %u with it, as on the host: "
				 "%s = %u.%u)", (unsigned)slot, k->name, (unsigned)slot,
				 (unsigned)dev->bdf.func);
		pt_parser_error(p, p->lineno,
				"%s: %s is already used by [device %s] at line %u: "
				"use another slot, or leave %s out to take the next free one%s",
				k->name, place, pt_bdf_format(&other->bdf, bdf),
				p->dev_lines[i].key[PT_DEV_KEY_GUEST_SLOT], k->name, hint);
		return;
	}
	dev->guest_slot = (int)slot;
	dev->guest_function = (int)fn;
}

static const struct key vm_keys[PT_VM_KEY_COUNT] = {
	[PT_VM_KEY_NAME] = { "name",
		"1 to 64 letters, digits, '-', '_' and '.', starting with a letter or digit",
		set_name },
	[PT_VM_KEY_MEMORY] = { "memory",
		"a multiple of 2M from 16M to 1T, with a unit K, M, G or T (e.g. 2G)", set_memory },
	[PT_VM_KEY_VCPUS] = { "vcpus", "a number from 1 to 254", set_vcpus },
	[PT_VM_KEY_KERNEL] = { "kernel", "an absolute path, e.g. /boot/vmlinuz", set_kernel },
	[PT_VM_KEY_INITRD] = { "initrd", "an absolute path, e.g. /boot/initrd.img", set_initrd },
	[PT_VM_KEY_CMDLINE] = { "cmdline", "the guest kernel's command line, at most 4095 bytes",
		set_cmdline },
	[PT_VM_KEY_IRQCHIP] = { "irqchip", "kernel or split", set_irqchip },
	[PT_VM_KEY_CONSOLE] = { "console", "stdio, pty, none or file:/ABSOLUTE/PATH", set_console },
	[PT_VM_KEY_HUGEPAGES] = { "hugepages", "yes or no", set_hugepages },
	[PT_VM_KEY_SOCKET] = { "socket",
		"an absolute path of at most 107 bytes, e.g. /run/passthru/NAME.sock", set_socket },
	[PT_VM_KEY_CONTROL_GROUP] = { "control-group",
		"a group name of up to 32 letters, digits, '_', '-' and '.', "
		"starting with a letter or '_'",
		set_control_group },
};

static const struct key dev_keys[PT_DEV_KEY_COUNT] = {
	[PT_DEV_KEY_BACKEND] = { "backend", "auto, vfio or legacy", set_backend },
	[PT_DEV_KEY_INTERRUPTS] = { "interrupts", "auto, msix, msi or intx", set_interrupts },
	[PT_DEV_KEY_ROM] = { "rom", "auto, off or the absolute path of a ROM image", set_rom },
	[PT_DEV_KEY_HOTPLUG] = { "hotplug", "manual or attach", set_hotplug },
	[PT_DEV_KEY_GUEST_SLOT] = { "guest-slot",
		"a slot from 1 to 31, or SLOT.FUNCTION with a function from 0 to 7 (e.g. 5 or 5.1)",
		set_guest_slot },
};

static const struct key *table(enum pt_section_kind section, size_t *ret_n)
{
	if (section == PT_SECTION_VM) {
		*ret_n = ARRAY_SIZE(vm_keys);
		return vm_keys;
	}
	if (section == PT_SECTION_DEVICE) {
		*ret_n = ARRAY_SIZE(dev_keys);
		return dev_keys;
	}
	*ret_n = 0;
	return NULL;
}

size_t pt_config_key_count(enum pt_section_kind section)
{
	size_t n;

	table(section, &n);
	return n;
}

const char *pt_config_key_name(enum pt_section_kind section, size_t i)
{
	size_t n;
	const struct key *keys = table(section, &n);

	return i < n ? keys[i].name : NULL;
}

static int key_index(const struct key *keys, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(keys[i].name, name))
			return (int)i;
	return -1;
}

/* "[vm]" or "[device 0000:03:00.0]", for messages. */
static const char *section_label(struct pt_config_parser *p, char buf[PT_BDF_STRLEN + 10])
{
	char bdf[PT_BDF_STRLEN];

	if (p->section == PT_SECTION_VM)
		return "[vm]";
	snprintf(buf, PT_BDF_STRLEN + 10, "[device %s]", pt_bdf_format(&cur_dev(p)->bdf, bdf));
	return buf;
}

static void unknown_key(struct pt_config_parser *p, const struct key *keys, size_t n,
			const char *name)
{
	enum pt_section_kind other =
		p->section == PT_SECTION_VM ? PT_SECTION_DEVICE : PT_SECTION_VM;
	const char *names[(int)PT_VM_KEY_COUNT + (int)PT_DEV_KEY_COUNT] = { NULL };
	const struct key *other_keys;
	size_t other_n, len = 0;
	char label[PT_BDF_STRLEN + 10], list[512];
	const char *hint;

	other_keys = table(other, &other_n);
	if (key_index(other_keys, other_n, name) >= 0) {
		pt_parser_error(p, p->lineno, "unknown key '%s' in %s: %s belongs in %s", name,
				section_label(p, label), name,
				other == PT_SECTION_VM ? "[vm]"
						       : "a [device DDDD:BB:DD.F] section");
		return;
	}
	for (size_t i = 0; i < n; i++)
		names[i] = keys[i].name;
	hint = pt_config_suggest(name, names, n);
	if (hint) {
		pt_parser_error(p, p->lineno, "unknown key '%s' in %s: did you mean '%s'?", name,
				section_label(p, label), hint);
		return;
	}
	list[0] = '\0';
	for (size_t i = 0; i < n; i++)
		len += (size_t)snprintf(list + len, sizeof(list) - len, "%s%s",
					i ? (i + 1 == n ? " or " : ", ") : "", names[i]);
	pt_parser_error(p, p->lineno, "unknown key '%s' in %s: use %s", name,
			section_label(p, label), list);
}

void pt_config_key_set(struct pt_config_parser *p, const char *name, const char *value)
{
	const struct key *keys;
	unsigned *lines;
	size_t n;
	int i;

	if (p->section == PT_SECTION_SKIP)
		return;
	if (p->section == PT_SECTION_NONE) {
		pt_parser_error(p, p->lineno,
				"'%s' is outside any section: "
				"put it under [vm] or [device DDDD:BB:DD.F]", name);
		return;
	}
	if (!*name) {
		pt_parser_error(p, p->lineno, "no key name before '=': expected KEY = VALUE");
		return;
	}
	keys = table(p->section, &n);
	lines = p->section == PT_SECTION_VM ? p->vm_keys
					    : p->dev_lines[p->def->n_devices - 1].key;
	i = key_index(keys, n, name);
	if (i < 0) {
		unknown_key(p, keys, n, name);
		return;
	}
	if (lines[i]) {
		pt_parser_error(p, p->lineno,
				"duplicate key '%s': already set at line %u; give each key once",
				name, lines[i]);
		return;
	}
	lines[i] = p->lineno;
	if (!*value) {
		pt_parser_error(p, p->lineno, "%s has no value: use %s, or remove the line", name,
				keys[i].valid);
		return;
	}
	keys[i].set(p, &keys[i], value);
}
