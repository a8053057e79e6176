/*
 * Internal to src/config: the state of one file being read. reader.c feeds inih one
 * "KEY = VALUE" line at a time and tracks sections itself; keys.c turns each value
 * into a field of the definition; vm_def.c checks what needs the whole file.
 */
#ifndef PT_CONFIG_PARSER_H
#define PT_CONFIG_PARSER_H

#include <stdbool.h>
#include <stdio.h>

#include "config/vm_def.h"

enum pt_section_kind {
	PT_SECTION_NONE,   /* before the first header */
	PT_SECTION_VM,
	PT_SECTION_DEVICE,
	PT_SECTION_SKIP,   /* an unknown, malformed or duplicate section: its keys are ignored */
};

/* Keys of [vm], in the order of the key table (keys.c) and of the man page. */
enum pt_vm_key {
	PT_VM_KEY_NAME,
	PT_VM_KEY_MEMORY,
	PT_VM_KEY_VCPUS,
	PT_VM_KEY_KERNEL,
	PT_VM_KEY_INITRD,
	PT_VM_KEY_CMDLINE,
	PT_VM_KEY_IRQCHIP,
	PT_VM_KEY_CONSOLE,
	PT_VM_KEY_HUGEPAGES,
	PT_VM_KEY_SOCKET,
	PT_VM_KEY_CONTROL_GROUP,
	PT_VM_KEY_COUNT
};

enum pt_dev_key {
	PT_DEV_KEY_BACKEND,
	PT_DEV_KEY_INTERRUPTS,
	PT_DEV_KEY_ROM,
	PT_DEV_KEY_HOTPLUG,
	PT_DEV_KEY_GUEST_SLOT,
	PT_DEV_KEY_COUNT
};

/* Where each key of one section was set (0: not set), for duplicates and messages. */
struct pt_dev_lines {
	unsigned key[PT_DEV_KEY_COUNT];
};

struct pt_config_parser {
	const char *path;
	FILE *f;
	struct pt_config_errors *errs;
	int err;               /* -ENOMEM or a read error: stop and return it */
	bool invalid;          /* at least one validation error */
	size_t n_errors;       /* problems listed for this file */
	size_t n_unlisted;     /* problems past PT_CONFIG_ERRORS_MAX, only counted */
	size_t bytes_read;     /* against PT_CONFIG_FILE_MAX, should the file grow */

	char *line;            /* the current physical line (getline buffer) */
	size_t line_cap;
	unsigned lineno;       /* physical line number of the current line */
	unsigned passed_line;  /* the last line handed to inih, 0 once checked */
	bool handled;          /* inih called the handler for passed_line */

	enum pt_section_kind section;
	unsigned vm_line;      /* the [vm] header, 0 if none yet */
	unsigned vm_keys[PT_VM_KEY_COUNT];
	struct pt_vm_def *def;
	struct pt_dev_lines *dev_lines; /* one per def->devices entry */
	size_t dev_cap;
};

/*
 * Records "path:line: message" (at most PT_CONFIG_ERRORS_MAX per file; the rest are
 * counted in n_unlisted); marks the file invalid.
 */
void pt_parser_error(struct pt_config_parser *p, unsigned line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Stable sort of errs->items[from..] by line: a file's problems in reading order. */
void pt_config_errors_sort(struct pt_config_errors *errs, size_t from);

/* Runs inih over p->f, calling pt_config_key_set for each key. 0 or p->err. */
int pt_parser_run(struct pt_config_parser *p);

/* Handles one "[...]" header whose inner text (trimmed) is `inner`. */
void pt_parser_section(struct pt_config_parser *p, const char *inner);

/* Blanks off both ends of s, in place; returns where it now starts. */
char *pt_config_trim(char *s);
/*
 * Cuts a '#' or ';' comment that follows a blank (inih's rule for ';'), then the
 * blanks before it: the one rule for the reader and the in-place editor.
 */
void pt_config_strip_comment(char *s);

/* Handles one KEY = VALUE of the current section. */
void pt_config_key_set(struct pt_config_parser *p, const char *name, const char *value);

/* NULL-terminated value names, indexed by the enum (names.c). */
extern const char *const pt_irqchip_names[];
extern const char *const pt_backend_names[];
extern const char *const pt_interrupts_names[];
extern const char *const pt_hotplug_names[];

/* Key table access (also for the test that holds the man page to the parser). */
size_t pt_config_key_count(enum pt_section_kind section);
const char *pt_config_key_name(enum pt_section_kind section, size_t i);

/* The known key closest to `name` within edit distance 2, or NULL. */
const char *pt_config_suggest(const char *name, const char *const *known, size_t n);

#endif
