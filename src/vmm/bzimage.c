#include "config.h"

#include <errno.h>
#include <string.h>

#include "vmm/bzimage.h"

#define LOADED_HIGH 0x01
#define CAN_USE_HEAP 0x80
#define XLF_KERNEL_64 0x01

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t rd32(const uint8_t *p) { return rd16(p) | (uint32_t)rd16(p + 2) << 16; }
static void wr16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void wr32(uint8_t *p, uint32_t v) { wr16(p, (uint16_t)v); wr16(p + 2, (uint16_t)(v >> 16)); }
static void wr64(uint8_t *p, uint64_t v) { wr32(p, (uint32_t)v); wr32(p + 4, (uint32_t)(v >> 32)); }

static int fail(const char **why, const char *msg)
{
	if (why)
		*why = msg;
	return -EINVAL;
}

int pt_bzimage_parse(const uint8_t *img, size_t len, struct pt_bzimage *ret, const char **why)
{
	struct pt_bzimage bz = { 0 };
	unsigned setup_sects;

	if (len < 0x270 || memcmp(img + 0x202, "HdrS", 4))
		return -ENOEXEC;
	if (rd16(img + 0x1fe) != 0xaa55)
		return fail(why, "bzImage boot sector signature 0xAA55 missing");
	bz.version = rd16(img + 0x206);
	if (bz.version < 0x0206)
		return fail(why, "boot protocol older than 2.06 (kernel before 2.6.22) is not supported");
	bz.loadflags = img[0x211];
	if (!(bz.loadflags & LOADED_HIGH))
		return fail(why, "zImage kernels (not loaded high) are not supported");
	setup_sects = img[0x1f1] ? img[0x1f1] : 4;
	bz.kernel_off = (size_t)(setup_sects + 1) * 512;
	if (bz.kernel_off >= len)
		return fail(why, "the setup sectors extend past the end of the file");
	bz.kernel_len = len - bz.kernel_off;
	bz.header_end = 0x202 + img[0x201];
	if (bz.header_end > bz.kernel_off || bz.header_end < 0x236)
		return fail(why, "setup header length (byte 0x201) is out of range");
	bz.code32_start = rd32(img + 0x214);
	bz.initrd_addr_max = rd32(img + 0x22c);
	bz.cmdline_size = rd32(img + 0x238);
	bz.kernel_alignment = rd32(img + 0x230);
	if (bz.version >= 0x020a && bz.header_end >= 0x264)
		bz.init_size = rd32(img + 0x260);
	if (bz.version >= 0x020c)
		bz.xloadflags = rd16(img + 0x236);
	bz.entry64 = bz.xloadflags & XLF_KERNEL_64;
	*ret = bz;
	return 0;
}

void pt_bzimage_zero_page(uint8_t zp[PT_ZERO_PAGE_SIZE], const uint8_t *img,
			  const struct pt_bzimage *bz, const struct pt_e820_entry *e820, int n_e820,
			  uint32_t cmdline_gpa, uint32_t initrd_gpa, uint32_t initrd_size)
{
	int n = n_e820 < PT_BP_E820_MAX ? n_e820 : PT_BP_E820_MAX;

	memset(zp, 0, PT_ZERO_PAGE_SIZE);
	memcpy(zp + PT_BP_HDR, img + PT_BP_HDR, bz->header_end - PT_BP_HDR);
	zp[PT_HDR_TYPE_OF_LOADER] = 0xff; /* undefined loader */
	zp[PT_HDR_LOADFLAGS] = (uint8_t)(bz->loadflags | CAN_USE_HEAP);
	wr16(zp + PT_HDR_HEAP_END_PTR, 0xfe00);
	wr16(zp + PT_HDR_VID_MODE, 0xffff); /* "normal" */
	wr32(zp + PT_HDR_CMD_LINE_PTR, cmdline_gpa);
	wr32(zp + PT_HDR_RAMDISK_IMAGE, initrd_size ? initrd_gpa : 0);
	wr32(zp + PT_HDR_RAMDISK_SIZE, initrd_size);
	zp[PT_BP_E820_ENTRIES] = (uint8_t)n;
	for (int i = 0; i < n; i++) {
		uint8_t *e = zp + PT_BP_E820_TABLE + 20 * i;

		wr64(e, e820[i].addr);
		wr64(e + 8, e820[i].size);
		wr32(e + 16, e820[i].type);
	}
}

int pt_bzimage_initrd_addr(const struct pt_bzimage *bz, uint64_t low_end, uint64_t floor,
			   uint64_t size, uint64_t *ret)
{
	uint64_t top = low_end;

	/* Before protocol 2.03 initrd_addr_max was not in the header: 0x37ffffff. */
	if (bz->initrd_addr_max && (uint64_t)bz->initrd_addr_max + 1 < top)
		top = (uint64_t)bz->initrd_addr_max + 1;
	if (size > top || ((top - size) & ~0xfffULL) < floor)
		return -ENOSPC;
	*ret = (top - size) & ~0xfffULL;
	return 0;
}
