#include "config.h"

#include <elf.h>
#include <errno.h>
#include <string.h>

#include "vmm/layout.h"
#include "vmm/multiboot.h"

#define MB_FLAG_PAGE_ALIGN (1u << 0)
#define MB_FLAG_MEMINFO (1u << 1)
#define MB_FLAG_VIDEO (1u << 2)
#define MB_FLAG_AOUT_KLUDGE (1u << 16)
/* Bits 0-15 are requirements: a loader must refuse ones it does not know. */
#define MB_FLAGS_KNOWN (MB_FLAG_PAGE_ALIGN | MB_FLAG_MEMINFO | MB_FLAG_VIDEO)

static uint32_t rd32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

static void wr32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static void wr64(uint8_t *p, uint64_t v)
{
	wr32(p, (uint32_t)v);
	wr32(p + 4, (uint32_t)(v >> 32));
}

static int fail(const char **why, const char *msg)
{
	if (why)
		*why = msg;
	return -EINVAL;
}

static int parse_aout(const uint8_t *img, size_t len, size_t hoff, struct pt_multiboot_image *m,
		      const char **why)
{
	const uint8_t *h = img + hoff;
	uint32_t header_addr, load_addr, load_end, bss_end;
	uint64_t file_off, file_len, mem_len;

	if (hoff + 32 > len)
		return fail(why, "the Multiboot header's address fields run past the end of the file");
	header_addr = rd32(h + 12);
	load_addr = rd32(h + 16);
	load_end = rd32(h + 20);
	bss_end = rd32(h + 24);
	m->entry = rd32(h + 28);
	if (load_addr > header_addr || header_addr - load_addr > hoff)
		return fail(why, "Multiboot load_addr is above header_addr or before the file start");
	file_off = hoff - (header_addr - load_addr);
	if (load_end) {
		if (load_end < load_addr)
			return fail(why, "Multiboot load_end_addr is below load_addr");
		file_len = load_end - load_addr;
		if (file_off + file_len > len)
			return fail(why, "Multiboot load_end_addr lies beyond the end of the file");
	} else {
		file_len = len - file_off;
	}
	mem_len = file_len;
	if (bss_end) {
		if (bss_end < load_addr + file_len)
			return fail(why, "Multiboot bss_end_addr is below the end of the loaded data");
		mem_len = bss_end - load_addr;
	}
	m->segments[0] = (struct pt_boot_segment){ file_off, file_len, load_addr, mem_len };
	m->n_segments = 1;
	return 0;
}

static int add_segment(struct pt_multiboot_image *m, size_t len, uint64_t off, uint64_t filesz,
		       uint64_t paddr, uint64_t memsz, const char **why)
{
	if (!memsz)
		return 0;
	if (filesz > memsz || off > len || filesz > len - off)
		return fail(why, "an ELF program header points outside the file");
	if (m->n_segments == PT_BOOT_MAX_SEGMENTS)
		return fail(why, "too many ELF PT_LOAD segments (16 at most)");
	m->segments[m->n_segments++] = (struct pt_boot_segment){ off, filesz, paddr, memsz };
	return 0;
}

static int parse_elf(const uint8_t *img, size_t len, struct pt_multiboot_image *m, const char **why)
{
	int r;

	if (len < EI_NIDENT || memcmp(img, ELFMAG, SELFMAG))
		return fail(why, "no Multiboot address fields and not an ELF file");
	if (img[EI_DATA] != ELFDATA2LSB)
		return fail(why, "ELF image is not little-endian");
	if (img[EI_CLASS] == ELFCLASS32) {
		Elf32_Ehdr eh;

		if (len < sizeof(eh))
			return fail(why, "ELF header truncated");
		memcpy(&eh, img, sizeof(eh));
		if (eh.e_machine != EM_386 || eh.e_phentsize != sizeof(Elf32_Phdr))
			return fail(why, "ELF32 image is not for i386");
		if (eh.e_phoff > len || (uint64_t)eh.e_phnum * sizeof(Elf32_Phdr) > len - eh.e_phoff)
			return fail(why, "ELF program headers lie outside the file");
		for (unsigned i = 0; i < eh.e_phnum; i++) {
			Elf32_Phdr ph;

			memcpy(&ph, img + eh.e_phoff + i * sizeof(ph), sizeof(ph));
			if (ph.p_type != PT_LOAD)
				continue;
			r = add_segment(m, len, ph.p_offset, ph.p_filesz, ph.p_paddr, ph.p_memsz, why);
			if (r < 0)
				return r;
		}
		m->entry = eh.e_entry;
	} else if (img[EI_CLASS] == ELFCLASS64) {
		Elf64_Ehdr eh;

		if (len < sizeof(eh))
			return fail(why, "ELF header truncated");
		memcpy(&eh, img, sizeof(eh));
		if (eh.e_machine != EM_X86_64 || eh.e_phentsize != sizeof(Elf64_Phdr))
			return fail(why, "ELF64 image is not for x86-64");
		if (eh.e_phoff > len || (uint64_t)eh.e_phnum * sizeof(Elf64_Phdr) > len - eh.e_phoff)
			return fail(why, "ELF program headers lie outside the file");
		for (unsigned i = 0; i < eh.e_phnum; i++) {
			Elf64_Phdr ph;

			memcpy(&ph, img + eh.e_phoff + i * sizeof(ph), sizeof(ph));
			if (ph.p_type != PT_LOAD)
				continue;
			r = add_segment(m, len, ph.p_offset, ph.p_filesz, ph.p_paddr, ph.p_memsz, why);
			if (r < 0)
				return r;
		}
		/* Multiboot enters in 32-bit protected mode: the entry must be reachable. */
		if (eh.e_entry > 0xffffffffULL)
			return fail(why, "ELF64 entry point is above 4 GiB (Multiboot enters in 32-bit mode)");
		m->entry = (uint32_t)eh.e_entry;
	} else {
		return fail(why, "unknown ELF class");
	}
	if (!m->n_segments)
		return fail(why, "ELF image has no PT_LOAD segment");
	return 0;
}

int pt_multiboot_parse(const uint8_t *img, size_t len, struct pt_multiboot_image *ret,
		       const char **why)
{
	struct pt_multiboot_image m = { 0 };
	size_t hoff, end = len < PT_MULTIBOOT_SEARCH ? len : PT_MULTIBOOT_SEARCH;
	int r;

	for (hoff = 0; hoff + 12 <= end; hoff += 4) {
		if (rd32(img + hoff) == PT_MULTIBOOT_MAGIC &&
		    (uint32_t)(rd32(img + hoff) + rd32(img + hoff + 4) + rd32(img + hoff + 8)) == 0)
			break;
	}
	if (hoff + 12 > end)
		return -ENOEXEC;
	m.flags = rd32(img + hoff + 4);
	if (m.flags & 0xffff & ~MB_FLAGS_KNOWN)
		return fail(why, "the Multiboot header requires features this loader lacks (flags bits 3-15)");
	if (m.flags & MB_FLAG_AOUT_KLUDGE)
		r = parse_aout(img, len, hoff, &m, why);
	else
		r = parse_elf(img, len, &m, why);
	if (r < 0)
		return r;
	for (size_t i = 0; i < m.n_segments; i++) {
		const struct pt_boot_segment *s = &m.segments[i];

		if (s->gpa < PT_GPA_HIGH)
			return fail(why, "the image loads below 1 MiB, where the VMM keeps boot data");
		if (s->gpa + s->mem_len > PT_GPA_PCI_HOLE || s->gpa + s->mem_len < s->gpa)
			return fail(why, "the image loads above 3 GiB (into the PCI hole)");
	}
	*ret = m;
	return 0;
}

long pt_multiboot_info_build(uint8_t *low, const struct pt_e820_entry *e820, int n_e820,
			     const char *cmdline)
{
	static const char name[] = "passthru-vmm";
	uint8_t *mbi = low + PT_GPA_MBI, *mm = low + PT_GPA_MBI_MMAP;
	uint64_t upper = 0;
	size_t clen = strlen(cmdline);

	if (clen >= PT_CMDLINE_MAX)
		return -E2BIG;
	memset(mbi, 0, PT_MBI_SIZE);
	for (int i = 0; i < n_e820 && i < 16; i++) {
		/* Each entry: size (of the rest, 20), base, length, type. */
		wr32(mm + 24 * i, 20);
		wr64(mm + 24 * i + 4, e820[i].addr);
		wr64(mm + 24 * i + 12, e820[i].size);
		wr32(mm + 24 * i + 20, e820[i].type);
		if (e820[i].type == PT_E820_RAM && e820[i].addr == PT_GPA_HIGH)
			upper = e820[i].size;
	}
	wr32(mbi + PT_MBI_FLAGS, PT_MBI_FLAG_MEM | PT_MBI_FLAG_CMDLINE | PT_MBI_FLAG_MMAP |
				 PT_MBI_FLAG_LOADER_NAME);
	wr32(mbi + PT_MBI_MEM_LOWER, (uint32_t)(PT_GPA_EBDA >> 10));
	wr32(mbi + PT_MBI_MEM_UPPER, (uint32_t)(upper >> 10));
	memcpy(low + PT_GPA_CMDLINE, cmdline, clen + 1);
	wr32(mbi + PT_MBI_CMDLINE, (uint32_t)PT_GPA_CMDLINE);
	wr32(mbi + PT_MBI_MMAP_LENGTH, (uint32_t)(24 * (n_e820 < 16 ? n_e820 : 16)));
	wr32(mbi + PT_MBI_MMAP_ADDR, (uint32_t)PT_GPA_MBI_MMAP);
	memcpy(low + PT_GPA_MBI_NAME, name, sizeof(name));
	wr32(mbi + PT_MBI_BOOT_LOADER_NAME, (uint32_t)PT_GPA_MBI_NAME);
	return (long)PT_GPA_MBI;
}
