/*
 * An assigned device's expansion ROM as its guest sees it: an image read once at
 * assign (the device's own ROM region, or the definition's rom file) and served
 * from memory through a trapped, read-only MMIO range while the guest decodes the
 * ROM BAR (pci.h: PT_PCI_ROM_BAR). Writes are dropped. rom = off, or a device whose
 * ROM cannot be read or has no 0x55AA signature, has no ROM BAR (it reads 0).
 *
 * Locks (README.md): pt_vm_rom_place runs in bar_update, under the PCI bus lock;
 * the handler takes no lock (the image does not change while the range exists).
 */
#ifndef PT_VMM_ROM_H
#define PT_VMM_ROM_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "assign/backend.h"
#include "config/vm_def.h"
#include "vmm/vm.h"

/* Which ROM a device gets (the definition's rom key, or device-add's "rom"). */
struct pt_vm_rom_choice {
	enum pt_rom_mode mode;
	const char *file;   /* PT_ROM_FILE: the image's path (for messages when fd >= 0) */
	int fd;             /* PT_ROM_FILE: the image already open (device-add), or -1 */
};

struct pt_vm_rom {
	uint8_t *image;     /* size bytes: the source's, then 0xff */
	uint64_t size;      /* the ROM BAR's: a power of two >= 2 KiB; 0: no ROM BAR */
	uint64_t len;       /* bytes that came from the source */
	const char *source; /* "device", "file", "off" or "none" (the device has none) */
	struct pt_vm *vm;
	const char *name;   /* the device's, for messages and the range's owner */
	uint64_t base;      /* where the guest decodes it, while placed */
	bool placed;
};

/*
 * Fills rom for device d as choice says (NULL: AUTO): AUTO reads the device's ROM
 * (through sysfs "rom", else the backend's ROM region; a failure or a missing
 * signature is no error: an info line and no ROM BAR), FILE reads the file or fd (config/rom_file.h; its failure is an error,
 * logged), OFF takes nothing. 0 or -errno.
 */
int pt_vm_rom_load(struct pt_vm_rom *rom, struct pt_vm *vm, struct pt_assign_dev *d,
		   const struct pt_vm_rom_choice *choice);

/* The guest decodes the ROM at addr (enabled) or no longer: traps or untraps it. */
void pt_vm_rom_place(struct pt_vm_rom *rom, uint64_t addr, bool enabled);

/* {source, size, [address]}: address while the guest decodes it. */
json_t *pt_vm_rom_json(const struct pt_vm_rom *rom);

/* Frees the image (the range must be gone: the function left the bus). */
void pt_vm_rom_free(struct pt_vm_rom *rom);

#endif
