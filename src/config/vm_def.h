/*
 * A VM definition: one INI file per VM (man/passthru.ini.5), validated completely
 * before anything uses it. Nothing is half-loaded: a definition is returned whole
 * or not at all.
 */
#ifndef PT_CONFIG_VM_DEF_H
#define PT_CONFIG_VM_DEF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/bdf.h"

/* Limits the validator enforces (man/passthru.ini.5 documents each). */
#define PT_VM_NAME_MAX 64                  /* characters in a VM name */
#define PT_VM_MEMORY_MIN (16ULL << 20)     /* 16 MiB */
#define PT_VM_MEMORY_MAX (1ULL << 40)      /* 1 TiB */
#define PT_VM_MEMORY_ALIGN (2ULL << 20)    /* guest RAM is a whole number of 2 MiB pages */
#define PT_VM_VCPUS_MAX 254              /* APIC ID 255 is the broadcast ID */
#define PT_GUEST_SLOT_MIN 1                /* slot 0 is the host bridge */
#define PT_GUEST_SLOT_MAX 31
#define PT_VM_DEVICES_MAX (PT_GUEST_SLOT_MAX - PT_GUEST_SLOT_MIN + 1)
#define PT_VM_CMDLINE_MAX 4095             /* bytes of cmdline, as passthru-vmm --append */
#define PT_CONFIG_FILE_MAX (1 << 20)       /* bytes of one definition file */
#define PT_CONFIG_LINE_MAX 8192            /* characters of one line, comments excluded */
#define PT_CONFIG_ERRORS_MAX 50            /* problems listed per file; the rest are counted */

enum pt_irqchip {
	PT_IRQCHIP_KERNEL, /* in-kernel PIC, IOAPIC and LAPIC */
	PT_IRQCHIP_SPLIT,  /* in-kernel LAPIC only; no IRQCHIP routes */
};

enum pt_console_kind {
	PT_CONSOLE_STDIO, /* the VMM's stdin/stdout */
	PT_CONSOLE_PTY,   /* a pseudo-terminal; its path is reported by status */
	PT_CONSOLE_FILE,  /* output appended to a file, no input */
	PT_CONSOLE_NONE,  /* output discarded */
};

enum pt_backend {
	PT_BACKEND_AUTO,   /* VFIO when available, else legacy when the kernel has it */
	PT_BACKEND_VFIO,
	PT_BACKEND_LEGACY, /* KVM_ASSIGN_*, removed from Linux in 4.12 */
};

enum pt_interrupts {
	PT_INTR_AUTO, /* MSI-X, else MSI, else INTx: what the device offers */
	PT_INTR_MSIX,
	PT_INTR_MSI,
	PT_INTR_INTX,
};

enum pt_rom_mode {
	PT_ROM_AUTO, /* expose the device's own ROM BAR if it has one */
	PT_ROM_OFF,  /* hide the ROM BAR */
	PT_ROM_FILE, /* expose rom_file instead of the device's ROM */
};

enum pt_hotplug {
	PT_HOTPLUG_MANUAL, /* a hotplugged device waits for passthru-ctl attach */
	PT_HOTPLUG_ATTACH, /* the udev hook attaches it to this VM when it appears */
};

struct pt_dev_def {
	struct pt_bdf bdf;
	enum pt_backend backend;
	enum pt_interrupts interrupts;
	enum pt_rom_mode rom;
	char *rom_file;       /* PT_ROM_FILE only */
	unsigned rom_line;    /* the rom key's line (0: not set), for messages */
	enum pt_hotplug hotplug;
	int guest_slot;       /* guest PCI device number 1-31, or -1: chosen (guest_layout.h) */
	int guest_function;   /* its function 0-7 with guest_slot (0 unless written), else -1 */
	unsigned line;        /* the [device ...] header's line, for messages */
};

struct pt_vm_def {
	char *path;           /* the file it was read from */
	char *name;           /* [vm] name: letters, digits, '-', '_', '.'; matches the file name */
	uint64_t memory;      /* bytes, a multiple of 2 MiB */
	unsigned vcpus;       /* 1-254 */
	char *kernel;         /* absolute path; NULL: no guest kernel configured */
	char *initrd;         /* absolute path or NULL */
	char *cmdline;        /* kernel command line or NULL */
	enum pt_irqchip irqchip;
	enum pt_console_kind console;
	char *console_file;   /* PT_CONSOLE_FILE only */
	bool hugepages;       /* back guest RAM with hugetlbfs pages */
	char *socket;         /* control socket path; default pt_run_dir()/NAME.sock */
	char *control_group;  /* group whose members may use the socket besides root, or NULL */
	size_t n_devices;
	struct pt_dev_def *devices;
};

/*
 * One validation problem: "FILE:LINE: message" where line 0 means the whole file
 * (or, for pt_vm_def_find and pt_vm_def_load_dir, FILE is the config directory).
 */
struct pt_config_error {
	char *file;
	unsigned line;
	char *message;
};

struct pt_config_errors {
	size_t n;
	struct pt_config_error *items;
};

/*
 * Reads and validates one definition. Returns 0 and a definition, or a negative
 * errno with every problem found appended to errs (-EINVAL for invalid content,
 * -ENOENT/-EACCES/... when the file cannot be read, with a message for that too;
 * -ENOMEM). Messages are sorted by line and name the path as given; at most
 * PT_CONFIG_ERRORS_MAX are listed, then one "... and N more" at line 0. Control bytes
 * and bytes that are not UTF-8 in a message are written as \xNN. Only a regular
 * file of at most PT_CONFIG_FILE_MAX bytes is read (a FIFO, a device or a symlink to
 * one is refused without blocking); run as root, only a file owned by root and not
 * writable by its group or others (-EPERM otherwise). On error *ret is not written
 * and nothing stays allocated.
 * The name must match the file name NAME.conf; a file not named *.conf (a draft
 * given to passthru-ctl validate) skips that one check. Files named in the
 * definition (kernel, initrd, rom, ...) are not opened here: their existence
 * is checked when the VM starts.
 */
int pt_vm_def_load(const char *path, struct pt_vm_def **ret, struct pt_config_errors *errs);

/*
 * Loads NAME from the config directory: DIR/NAME.conf. A NAME that is not a
 * valid VM name (pt_vm_name_valid: no '/', no leading '.') is refused with
 * -EINVAL before the filesystem is touched. -ENOENT if there is no such file.
 */
int pt_vm_def_find(const char *config_dir, const char *name, struct pt_vm_def **ret,
		   struct pt_config_errors *errs);

/*
 * Loads every DIR/ *.conf (not dot files), sorted by name (byte order). Files that
 * fail validation are reported in errs and left out; the return is -EINVAL if any
 * failed. On 0 and on -EINVAL, *ret and *ret_n hold the valid definitions (free
 * them with pt_vm_defs_free; *ret may be NULL when *ret_n is 0). On any other
 * error (-ENOENT: no such directory, -ENOMEM, ...) nothing is written.
 * One device may be defined in several VMs: that is not an error (it is attached
 * to one running VM at a time). One control socket may not: a definition naming
 * the socket of one before it (in name order) is reported and left out.
 */
int pt_vm_def_load_dir(const char *config_dir, struct pt_vm_def ***ret, size_t *ret_n,
		       struct pt_config_errors *errs);

/*
 * 1 to PT_VM_NAME_MAX letters, digits, '-', '_' and '.', the first a letter or
 * digit: safe as a file name, a socket name and a command-line argument.
 */
bool pt_vm_name_valid(const char *name);

void pt_vm_def_free(struct pt_vm_def *def);
void pt_vm_defs_free(struct pt_vm_def **defs, size_t n);

/*
 * --config-dir wins, then $PASSTHRU_CONFIG_DIR, then SYSCONFDIR/passthru/vms.
 * An empty option or variable counts as unset.
 */
const char *pt_config_dir(const char *option);

/* Prints each error as "FILE:LINE: message" to the stream (a FILE *); frees them. */
void pt_config_errors_print(struct pt_config_errors *errs, void *stream);
void pt_config_errors_clear(struct pt_config_errors *errs);

/*
 * Appends one error (the message is printf-formatted). Returns 0 or -ENOMEM.
 * For callers that report problems in the same format (passthru-ctl validate).
 */
int pt_config_error_add(struct pt_config_errors *errs, const char *file, unsigned line,
			const char *fmt, ...) __attribute__((format(printf, 4, 5)));

const char *pt_backend_name(enum pt_backend b);
const char *pt_interrupts_name(enum pt_interrupts i);
const char *pt_irqchip_name(enum pt_irqchip c);
const char *pt_console_kind_name(enum pt_console_kind k);
const char *pt_rom_mode_name(enum pt_rom_mode m);
const char *pt_hotplug_name(enum pt_hotplug h);

#endif
