/*
 * Multiboot (version 1) images: the header, the a.out-kludge address fields or
 * ELF32/ELF64 program headers, and the boot information a loader hands over.
 * Pure parsing and building; vm_load.c puts the result into guest memory.
 */
#ifndef PT_VMM_MULTIBOOT_H
#define PT_VMM_MULTIBOOT_H

#include <stddef.h>
#include <stdint.h>

#include "vmm/e820.h"

#define PT_MULTIBOOT_MAGIC 0x1badb002u
#define PT_MULTIBOOT_BOOT_MAGIC 0x2badb002u /* in EAX at entry */
#define PT_MULTIBOOT_SEARCH 8192
#define PT_BOOT_MAX_SEGMENTS 16

struct pt_boot_segment {
	uint64_t file_off, file_len; /* bytes copied from the file */
	uint64_t gpa, mem_len;       /* mem_len >= file_len: the rest is zeroed */
};

struct pt_multiboot_image {
	uint32_t flags;
	uint32_t entry;
	size_t n_segments;
	struct pt_boot_segment segments[PT_BOOT_MAX_SEGMENTS];
};

/*
 * -ENOEXEC: no Multiboot header in the first 8 KiB (not a Multiboot image).
 * -EINVAL: a header that is malformed or asks for something unsupported; *why says what.
 */
int pt_multiboot_parse(const uint8_t *img, size_t len, struct pt_multiboot_image *ret,
		       const char **why);

/*
 * Writes the Multiboot information structure, its memory map, boot loader name
 * and command line into low, a host view of guest-physical [0, 1 MiB). Returns
 * the MBI's guest address, or -E2BIG if the command line is too long.
 */
long pt_multiboot_info_build(uint8_t *low, const struct pt_e820_entry *e820, int n_e820,
			     const char *cmdline);

/* Offsets in struct multiboot_info (Multiboot 0.6.96, section 3.3). */
#define PT_MBI_FLAGS 0
#define PT_MBI_MEM_LOWER 4
#define PT_MBI_MEM_UPPER 8
#define PT_MBI_CMDLINE 16
#define PT_MBI_MMAP_LENGTH 44
#define PT_MBI_MMAP_ADDR 48
#define PT_MBI_BOOT_LOADER_NAME 64
#define PT_MBI_SIZE 88
#define PT_MBI_FLAG_MEM (1u << 0)
#define PT_MBI_FLAG_CMDLINE (1u << 2)
#define PT_MBI_FLAG_MMAP (1u << 6)
#define PT_MBI_FLAG_LOADER_NAME (1u << 9)

#endif
