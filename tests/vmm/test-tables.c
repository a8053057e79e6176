/* Boot data: e820, the MP table, Multiboot parsing and info, the bzImage header and zero page. */
#include "config.h"

#include <elf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"
#include "vmm/bzimage.h"
#include "vmm/e820.h"
#include "vmm/layout.h"
#include "vmm/mptable.h"
#include "vmm/multiboot.h"

static uint32_t rd32(const uint8_t *p) { return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }
static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static void wr32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void wr16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }

static uint8_t sum(const uint8_t *p, size_t n)
{
	uint8_t s = 0;

	while (n--)
		s += *p++;
	return s;
}

static void test_e820(struct tap *t)
{
	struct pt_e820_entry e[PT_E820_MAX];
	int n = pt_e820_build(64ULL << 20, e);

	tap_is_int(t, n, 4, "64 MiB: four e820 entries");
	tap_ok(t, e[0].addr == 0 && e[0].size == 0x9fc00 && e[0].type == PT_E820_RAM,
	       "conventional RAM up to the EBDA");
	tap_ok(t, e[2].addr == 0xf0000 && e[2].type == PT_E820_RESERVED, "the BIOS area is reserved");
	tap_ok(t, e[3].addr == 0x100000 && e[3].size == (63ULL << 20), "RAM from 1 MiB to 64 MiB");
	n = pt_e820_build(4ULL << 30, e);
	tap_is_int(t, n, 5, "4 GiB: RAM above 4 GiB too");
	tap_ok(t, e[3].addr + e[3].size == PT_GPA_PCI_HOLE, "low RAM stops at the PCI hole");
	tap_ok(t, e[4].addr == PT_GPA_4G && e[4].size == (1ULL << 30), "the rest starts at 4 GiB");
	tap_is_int(t, pt_e820_build(1ULL << 20, e), -EINVAL, "1 MiB is too small");
}

static void test_mptable(struct tap *t)
{
	struct pt_mp_pci_irq irqs[] = { { 1, 1, 17 }, { 2, 4, 21 } };
	struct pt_mptable_desc d = {
		.n_cpus = 2, .cpu_signature = 0x600, .cpu_features = 0x201, .lapic_addr = 0xfee00000,
		.ioapic_id = 2, .ioapic_addr = 0xfec00000, .n_pci_irqs = 2, .pci_irqs = irqs,
	};
	uint8_t buf[2048];
	const uint8_t *hdr, *e;
	long len = pt_mptable_build(buf, sizeof(buf), 0xf0000, &d);
	unsigned count, cpus = 0, ioapics = 0, isa = 0, pci = 0, lint = 0, buses = 0;
	int found_17 = 0, found_21 = 0;

	tap_ok(t, len > 0 && (size_t)len == pt_mptable_size(&d), "MP table built (%ld bytes)", len);
	tap_ok(t, !memcmp(buf, "_MP_", 4), "floating pointer signature");
	tap_is_int(t, sum(buf, 16), 0, "floating pointer checksum");
	tap_is_int(t, rd32(buf + 4), 0xf0010, "it points to the table right after it");
	hdr = buf + 16;
	tap_ok(t, !memcmp(hdr, "PCMP", 4), "configuration table signature");
	tap_is_int(t, sum(hdr, rd16(hdr + 4)), 0, "configuration table checksum");
	tap_is_int(t, rd32(hdr + 36), 0xfee00000, "LAPIC address");
	count = rd16(hdr + 34);
	e = hdr + 44;
	for (unsigned i = 0; i < count; i++) {
		switch (e[0]) {
		case 0:
			tap_ok(t, e[1] == cpus && (e[3] & 1) && ((e[3] & 2) != 0) == (cpus == 0),
			       "CPU %u: APIC id %u, enabled%s", cpus, e[1], cpus ? "" : ", boot CPU");
			cpus++;
			e += 20;
			continue;
		case 1:
			buses++;
			break;
		case 2:
			ioapics++;
			tap_ok(t, e[1] == 2 && rd32(e + 4) == 0xfec00000, "IOAPIC id 2 at 0xfec00000");
			break;
		case 3:
			if (e[4] == 1)
				isa++;
			if (e[4] == 0) {
				pci++;
				if (e[5] == (1 << 2 | 0) && e[7] == 17 && rd16(e + 2) == 0xf)
					found_17 = 1;
				if (e[5] == (2 << 2 | 3) && e[7] == 21)
					found_21 = 1;
			}
			break;
		case 4:
			lint++;
			break;
		}
		e += 8;
	}
	tap_ok(t, e == hdr + rd16(hdr + 4), "entries fill the table exactly");
	tap_is_int(t, cpus, 2, "two processor entries");
	tap_is_int(t, buses, 2, "PCI and ISA buses");
	tap_is_int(t, ioapics, 1, "one IOAPIC");
	tap_is_int(t, isa, 15, "ISA IRQs 0-15 but the cascade");
	tap_is_int(t, pci, 2, "one entry per PCI INTx");
	tap_ok(t, found_17, "slot 1 INTA -> pin 17, active low, level");
	tap_ok(t, found_21, "slot 2 INTD -> pin 21");
	tap_is_int(t, lint, 2, "LINT0 ExtINT and LINT1 NMI");

	d.ioapic_id = -1;
	len = pt_mptable_build(buf, sizeof(buf), 0xf0000, &d);
	tap_ok(t, len > 0 && rd16(buf + 16 + 34) == 2 + 2 + 2, "split irqchip: CPUs, buses, LINTs only");
	tap_is_int(t, pt_mptable_build(buf, 64, 0xf0000, &d), -ENOSPC, "a small buffer is refused");
	d.ioapic_id = 1;
	tap_is_int(t, pt_mptable_build(buf, sizeof(buf), 0xf0000, &d), -EINVAL,
		   "an IOAPIC id that clashes with a CPU is refused");
}

/* A Multiboot a.out-kludge image: header at 0, code after it. */
static size_t make_aout(uint8_t *img, uint32_t load, uint32_t bss_end)
{
	memset(img, 0x90, 256);
	wr32(img, PT_MULTIBOOT_MAGIC);
	wr32(img + 4, 1u << 16 | 2);
	wr32(img + 8, (uint32_t)-(PT_MULTIBOOT_MAGIC + (1u << 16 | 2)));
	wr32(img + 12, load);      /* header_addr */
	wr32(img + 16, load);      /* load_addr */
	wr32(img + 20, 0);         /* load_end_addr: whole file */
	wr32(img + 24, bss_end);
	wr32(img + 28, load + 32); /* entry */
	return 256;
}

static size_t make_elf32(uint8_t *img)
{
	Elf32_Ehdr eh = { 0 };
	Elf32_Phdr ph = { 0 };

	memset(img, 0, 4096);
	memcpy(eh.e_ident, ELFMAG, SELFMAG);
	eh.e_ident[EI_CLASS] = ELFCLASS32;
	eh.e_ident[EI_DATA] = ELFDATA2LSB;
	eh.e_machine = EM_386;
	eh.e_entry = 0x200010;
	eh.e_phoff = sizeof(eh);
	eh.e_phentsize = sizeof(ph);
	eh.e_phnum = 1;
	memcpy(img, &eh, sizeof(eh));
	ph.p_type = PT_LOAD;
	ph.p_offset = 0x100;
	ph.p_paddr = 0x200000;
	ph.p_filesz = 0x100;
	ph.p_memsz = 0x1000;
	memcpy(img + sizeof(eh), &ph, sizeof(ph));
	/* The Multiboot header (no flags: ELF loading) inside the first 8 KiB. */
	wr32(img + 0x100, PT_MULTIBOOT_MAGIC);
	wr32(img + 0x104, 0);
	wr32(img + 0x108, (uint32_t)-PT_MULTIBOOT_MAGIC);
	return 0x200;
}

static void test_multiboot(struct tap *t)
{
	uint8_t *img = calloc(1, 16384), *low = calloc(1, PT_GPA_HIGH);
	struct pt_multiboot_image m;
	struct pt_e820_entry e[PT_E820_MAX];
	const char *why = NULL;
	size_t len;
	long mbi;
	int n;

	len = make_aout(img, 0x100000, 0x101000);
	tap_is_int(t, pt_multiboot_parse(img, len, &m, &why), 0, "a.out kludge image parses");
	tap_ok(t, m.entry == 0x100020 && m.n_segments == 1 && m.segments[0].gpa == 0x100000 &&
	       m.segments[0].file_len == 256 && m.segments[0].mem_len == 0x1000,
	       "a.out kludge: one segment with its bss, entry after the header");
	make_aout(img, 0x1000, 0);
	tap_is_int(t, pt_multiboot_parse(img, len, &m, &why), -EINVAL, "loading below 1 MiB refused");
	tap_ok(t, why && strstr(why, "1 MiB"), "and says why: %s", why ? why : "(null)");
	make_aout(img, 0x100000, 0);
	wr32(img + 4, 1u << 16 | 1u << 5);
	wr32(img + 8, (uint32_t)-(PT_MULTIBOOT_MAGIC + (1u << 16 | 1u << 5)));
	tap_is_int(t, pt_multiboot_parse(img, len, &m, &why), -EINVAL,
		   "an unknown required feature bit is refused");
	wr32(img + 8, 0);
	tap_is_int(t, pt_multiboot_parse(img, len, &m, &why), -ENOEXEC,
		   "a bad checksum means no header");

	len = make_elf32(img);
	tap_is_int(t, pt_multiboot_parse(img, len, &m, &why), 0, "ELF32 Multiboot image parses");
	tap_ok(t, m.entry == 0x200010 && m.n_segments == 1 && m.segments[0].file_off == 0x100 &&
	       m.segments[0].mem_len == 0x1000, "ELF32: PT_LOAD segment by physical address");
	wr32(img + sizeof(Elf32_Ehdr) + 16, 0x10000); /* p_filesz beyond the file */
	tap_is_int(t, pt_multiboot_parse(img, len, &m, &why), -EINVAL, "a segment past the file's end");

	n = pt_e820_build(64ULL << 20, e);
	mbi = pt_multiboot_info_build(low, e, n, "/boot/guest scenario=a");
	tap_is_int(t, mbi, PT_GPA_MBI, "MBI at its place");
	tap_is_int(t, rd32(low + mbi) & 0x245, 0x245, "MBI flags: mem, cmdline, mmap, loader name");
	tap_is_int(t, rd32(low + mbi + PT_MBI_MEM_LOWER), 639, "mem_lower 639 KiB");
	tap_is_int(t, rd32(low + mbi + PT_MBI_MEM_UPPER), 63 * 1024, "mem_upper: 63 MiB in KiB");
	tap_is_str(t, (char *)low + rd32(low + mbi + PT_MBI_CMDLINE), "/boot/guest scenario=a",
		   "command line");
	tap_is_int(t, rd32(low + mbi + PT_MBI_MMAP_LENGTH), 24 * n, "mmap length");
	tap_ok(t, rd32(low + PT_GPA_MBI_MMAP) == 20 && rd32(low + PT_GPA_MBI_MMAP + 24 + 20) == 2,
	       "mmap entries: size 20, second reserved");
	{
		char *big = malloc(PT_CMDLINE_MAX + 1);

		memset(big, 'x', PT_CMDLINE_MAX);
		big[PT_CMDLINE_MAX] = 0;
		tap_is_int(t, pt_multiboot_info_build(low, e, n, big), -E2BIG, "an overlong command line");
		free(big);
	}
	free(img);
	free(low);
}

static size_t make_bzimage(uint8_t *img, uint16_t version, uint16_t xloadflags)
{
	memset(img, 0, 8192);
	img[0x1f1] = 3;                 /* setup_sects */
	wr16(img + 0x1fe, 0xaa55);
	img[0x201] = 0x66;              /* header ends at 0x268 */
	memcpy(img + 0x202, "HdrS", 4);
	wr16(img + 0x206, version);
	img[0x211] = 0x01;              /* LOADED_HIGH */
	wr32(img + 0x214, 0x100000);
	wr32(img + 0x22c, 0x7fffffff);
	wr32(img + 0x230, 0x200000);
	wr16(img + 0x236, xloadflags);
	wr32(img + 0x238, 2047);
	wr32(img + 0x260, 0x2000000);
	img[2048] = 0xcc;               /* first byte of the protected-mode kernel */
	return 8192;
}

static void test_bzimage(struct tap *t)
{
	uint8_t *img = calloc(1, 8192), *zp = calloc(1, PT_ZERO_PAGE_SIZE);
	struct pt_bzimage bz;
	struct pt_e820_entry e[PT_E820_MAX];
	const char *why = NULL;
	uint64_t addr;
	size_t len = make_bzimage(img, 0x020f, 1);
	int n = pt_e820_build(256ULL << 20, e);

	tap_is_int(t, pt_bzimage_parse(img, len, &bz, &why), 0, "bzImage header parses");
	tap_is_int(t, bz.kernel_off, 2048, "protected-mode kernel after 1 + 3 setup sectors");
	tap_is_int(t, bz.kernel_len, 8192 - 2048, "kernel length");
	tap_ok(t, bz.entry64, "XLF_KERNEL_64: 64-bit entry");
	tap_is_int(t, bz.init_size, 0x2000000, "init_size");
	tap_is_int(t, bz.cmdline_size, 2047, "cmdline_size");
	pt_bzimage_zero_page(zp, img, &bz, e, n, 0x20000, 0x8000000, 0x1000);
	tap_is_int(t, zp[0x210], 0xff, "type_of_loader: undefined");
	tap_is_int(t, zp[0x211] & 0x81, 0x81, "loadflags: LOADED_HIGH kept, CAN_USE_HEAP set");
	tap_is_int(t, rd32(zp + 0x228), 0x20000, "cmd_line_ptr");
	tap_is_int(t, rd32(zp + 0x218), 0x8000000, "ramdisk_image");
	tap_is_int(t, rd32(zp + 0x21c), 0x1000, "ramdisk_size");
	tap_is_int(t, zp[0x1e8], n, "e820_entries");
	tap_is_int(t, rd32(zp + 0x2d0 + 20 * 3 + 16), PT_E820_RAM, "e820 table copied");
	tap_ok(t, !memcmp(zp + 0x202, "HdrS", 4), "setup header copied");
	tap_is_int(t, pt_bzimage_initrd_addr(&bz, 256ULL << 20, 0x3000000, 0x1800, &addr), 0,
		   "initrd placed");
	tap_ok(t, addr == ((256ULL << 20) - 0x1800) / 4096 * 4096, "as high as possible, page aligned");
	tap_is_int(t, pt_bzimage_initrd_addr(&bz, 256ULL << 20, 0x3000000, 250ULL << 20, &addr),
		   -ENOSPC, "an initrd that would overlap the kernel is refused");
	make_bzimage(img, 0x0205, 0);
	tap_is_int(t, pt_bzimage_parse(img, len, &bz, &why), -EINVAL, "protocol 2.05 is too old");
	make_bzimage(img, 0x020b, 0);
	tap_is_int(t, pt_bzimage_parse(img, len, &bz, &why), 0, "protocol 2.11 parses");
	tap_ok(t, !bz.entry64, "without xloadflags: 32-bit entry");
	memcpy(img + 0x202, "HdrX", 4);
	tap_is_int(t, pt_bzimage_parse(img, len, &bz, &why), -ENOEXEC, "no HdrS: not a bzImage");
	free(img);
	free(zp);
}

int main(void)
{
	struct tap t = { 0 };

	test_e820(&t);
	test_mptable(&t);
	test_multiboot(&t);
	test_bzimage(&t);
	return tap_done(&t);
}
