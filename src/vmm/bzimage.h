/*
 * The Linux x86 boot protocol (Documentation/arch/x86/boot.rst): the setup
 * header of a bzImage and the zero page (struct boot_params) a loader fills in.
 * Pure parsing and building; vm_load.c puts the result into guest memory.
 */
#ifndef PT_VMM_BZIMAGE_H
#define PT_VMM_BZIMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vmm/e820.h"

struct pt_bzimage {
	uint16_t version;        /* boot protocol version, e.g. 0x020f */
	uint8_t loadflags;
	uint16_t xloadflags;
	uint32_t code32_start;
	uint32_t initrd_addr_max;
	uint32_t cmdline_size;   /* maximum command line length without the NUL */
	uint32_t kernel_alignment;
	uint32_t init_size;      /* memory the kernel needs from its load address */
	size_t header_end;       /* file offset past the setup header */
	size_t kernel_off;       /* the protected-mode kernel in the file */
	size_t kernel_len;
	bool entry64;            /* XLF_KERNEL_64: has a 64-bit entry at load + 0x200 */
};

/*
 * -ENOEXEC: not a bzImage (no "HdrS" signature). -EINVAL: a bzImage this
 * loader cannot boot (protocol older than 2.06, not loaded high); *why says why.
 */
int pt_bzimage_parse(const uint8_t *img, size_t len, struct pt_bzimage *ret, const char **why);

#define PT_ZERO_PAGE_SIZE 4096
#define PT_BP_E820_ENTRIES 0x1e8
#define PT_BP_HDR 0x1f1
#define PT_BP_E820_TABLE 0x2d0
#define PT_BP_E820_MAX 128
#define PT_HDR_TYPE_OF_LOADER 0x210
#define PT_HDR_LOADFLAGS 0x211
#define PT_HDR_RAMDISK_IMAGE 0x218
#define PT_HDR_RAMDISK_SIZE 0x21c
#define PT_HDR_HEAP_END_PTR 0x224
#define PT_HDR_CMD_LINE_PTR 0x228
#define PT_HDR_VID_MODE 0x1fa

/*
 * Fills zp (a whole zero page) from the image's setup header plus the memory
 * map, command line and initrd locations. initrd_size 0: no initrd.
 */
void pt_bzimage_zero_page(uint8_t zp[PT_ZERO_PAGE_SIZE], const uint8_t *img,
			  const struct pt_bzimage *bz, const struct pt_e820_entry *e820, int n_e820,
			  uint32_t cmdline_gpa, uint32_t initrd_gpa, uint32_t initrd_size);

/*
 * Where an initrd of `size` bytes goes: as high as possible below both the
 * image's initrd_addr_max and low_end, page aligned, above `floor`. -ENOSPC.
 */
int pt_bzimage_initrd_addr(const struct pt_bzimage *bz, uint64_t low_end, uint64_t floor,
			   uint64_t size, uint64_t *ret);

#endif
