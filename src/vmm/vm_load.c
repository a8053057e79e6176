/*
 * Guest loaders: read the image, put it and its boot data into guest memory,
 * write the MP table, and describe the boot vCPU's entry state (vcpu.c applies it).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/log.h"
#include "vmm/bzimage.h"
#include "vmm/e820.h"
#include "vmm/layout.h"
#include "vmm/mptable.h"
#include "vmm/multiboot.h"
#include "vmm/vm_internal.h"

#define MAX_IMAGE (1ULL << 31)

static int read_file(const char *path, uint8_t **ret, size_t *ret_len)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	uint8_t *buf;
	size_t got = 0;

	if (fd < 0 || fstat(fd, &st) < 0) {
		pt_err("%s: %m", path);
		return -errno;
	}
	if (!S_ISREG(st.st_mode) || (uint64_t)st.st_size > MAX_IMAGE || st.st_size == 0) {
		pt_err("%s: not a regular file of 1 byte to 2 GiB", path);
		return -EINVAL;
	}
	buf = malloc((size_t)st.st_size);
	if (!buf)
		return -ENOMEM;
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);

		if (n <= 0) {
			pt_err("%s: read: %s", path, n ? strerror(errno) : "file shrank");
			free(buf);
			return n ? -errno : -EIO;
		}
		got += (size_t)n;
	}
	*ret = buf;
	*ret_len = got;
	return 0;
}

static uint32_t cpuid_reg(const struct pt_vm *vm, uint32_t fn, int reg)
{
	for (unsigned i = 0; i < vm->cpuid->nent; i++) {
		const struct kvm_cpuid_entry2 *e = &vm->cpuid->entries[i];

		if (e->function == fn && e->index == 0)
			return reg == 0 ? e->eax : e->edx;
	}
	return 0;
}

/* The MP table in the reserved BIOS area: CPUs, IOAPIC, ISA IRQs, every slot's INTA-D. */
static int write_mptable(struct pt_vm *vm)
{
	struct pt_mp_pci_irq irqs[(PT_PCI_SLOTS - 1) * 4];
	struct pt_mptable_desc d = {
		.n_cpus = vm->n_vcpus,
		.cpu_signature = cpuid_reg(vm, 1, 0),
		.cpu_features = cpuid_reg(vm, 1, 3),
		.lapic_addr = (uint32_t)PT_GPA_LAPIC,
		.ioapic_id = vm->irqchip == PT_IRQCHIP_KERNEL ? (int)vm->n_vcpus : -1,
		.ioapic_addr = (uint32_t)PT_GPA_IOAPIC,
		.n_pci_irqs = ARRAY_SIZE(irqs),
		.pci_irqs = irqs,
	};
	size_t n = 0;
	long len;

	for (unsigned slot = 1; slot < PT_PCI_SLOTS; slot++)
		for (unsigned pin = 1; pin <= 4; pin++)
			irqs[n++] = (struct pt_mp_pci_irq){
				(uint8_t)slot, (uint8_t)pin,
				(uint8_t)vm->pci.intx_gsi(vm->pci.intx_ctx, slot, pin),
			};
	len = pt_mptable_build(vm->ram + PT_GPA_BIOS, PT_GPA_HIGH - PT_GPA_BIOS,
			       (uint32_t)PT_GPA_BIOS, &d);
	if (len < 0) {
		pt_err("%s: building the MP table: %s", vm->name, strerror((int)-len));
		return (int)len;
	}
	return 0;
}

static void write_gdt(struct pt_vm *vm, bool code64)
{
	uint64_t gdt[4] = {
		0, 0,
		code64 ? 0x00af9b000000ffffULL : 0x00cf9b000000ffffULL, /* 0x10: code */
		0x00cf93000000ffffULL,                                  /* 0x18: data */
	};

	memcpy(vm->ram + PT_GPA_GDT, gdt, sizeof(gdt));
	vm->boot.gdt_base = PT_GPA_GDT;
	vm->boot.gdt_limit = sizeof(gdt) - 1;
}

static int load_segments(struct pt_vm *vm, const char *path, const uint8_t *img,
			 const struct pt_multiboot_image *m)
{
	for (size_t i = 0; i < m->n_segments; i++) {
		const struct pt_boot_segment *s = &m->segments[i];
		uint8_t *dst = pt_vm_gpa_to_hva(vm, s->gpa, s->mem_len);

		if (!dst) {
			pt_err("%s: segment at 0x%llx (%llu bytes) does not fit in the guest's %llu MiB "
			       "of RAM", path, (unsigned long long)s->gpa,
			       (unsigned long long)s->mem_len, (unsigned long long)(vm->memory >> 20));
			return -E2BIG;
		}
		memcpy(dst, img + s->file_off, s->file_len);
		memset(dst + s->file_len, 0, s->mem_len - s->file_len);
	}
	return 0;
}

static int load_multiboot_image(struct pt_vm *vm, const char *path, const uint8_t *img,
				size_t len, const struct pt_multiboot_image *m, const char *cmdline)
{
	struct pt_e820_entry e820[PT_E820_MAX];
	int n = pt_e820_build(vm->memory, e820), r;
	_cleanup_free_ char *full = NULL;
	long mbi;

	r = load_segments(vm, path, img, m);
	if (r < 0)
		return r;
	/* Like QEMU and GRUB: the image's path, then its arguments. */
	if (asprintf(&full, "%s%s%s", path, cmdline && *cmdline ? " " : "", cmdline ? cmdline : "") < 0)
		return -ENOMEM;
	mbi = pt_multiboot_info_build(vm->ram, e820, n, full);
	if (mbi < 0) {
		pt_err("%s: the command line is longer than %d bytes", path, PT_CMDLINE_MAX - 1);
		return (int)mbi;
	}
	r = write_mptable(vm);
	if (r < 0)
		return r;
	write_gdt(vm, false);
	vm->boot.mode = PT_BOOT_PROT32;
	vm->boot.rip = m->entry;
	vm->boot.rax = PT_MULTIBOOT_BOOT_MAGIC;
	vm->boot.rbx = (uint64_t)mbi;
	vm->boot.loaded = true;
	return 0;
}

/* Says why path is not the kind of image a parser looked for; returns r. */
static int parse_error(const char *path, int r, const char *why, const char *no_header)
{
	pt_err("%s: %s", path, r == -ENOEXEC ? no_header : why);
	return r;
}

int pt_vm_load_multiboot(struct pt_vm *vm, const char *path, const char *cmdline)
{
	_cleanup_free_ uint8_t *img = NULL;
	struct pt_multiboot_image m;
	const char *why = NULL;
	size_t len;
	int r;

	r = read_file(path, &img, &len);
	if (r < 0)
		return r;
	r = pt_multiboot_parse(img, len, &m, &why);
	if (r < 0)
		return parse_error(path, r, why, "not a Multiboot image (no header in its first 8 KiB)");
	return load_multiboot_image(vm, path, img, len, &m, cmdline);
}

/* Identity map of the first 4 GiB with 2 MiB pages, for the 64-bit entry. */
static void write_page_tables(struct pt_vm *vm)
{
	uint64_t *pml4 = (uint64_t *)(vm->ram + PT_GPA_PAGETABLES);
	uint64_t *pdpt = pml4 + 512;
	uint64_t *pd = pdpt + 512;

	memset(pml4, 0, 6 * 4096);
	pml4[0] = (PT_GPA_PAGETABLES + 0x1000) | 0x3;
	for (unsigned i = 0; i < 4; i++)
		pdpt[i] = (PT_GPA_PAGETABLES + 0x2000 + i * 0x1000ULL) | 0x3;
	for (unsigned i = 0; i < 4 * 512; i++)
		pd[i] = ((uint64_t)i << 21) | 0x83; /* present, writable, 2 MiB page */
	vm->boot.cr3 = PT_GPA_PAGETABLES;
}

static int load_initrd(struct pt_vm *vm, const struct pt_bzimage *bz, const char *path,
		       uint64_t floor, uint32_t *ret_addr, uint32_t *ret_size)
{
	_cleanup_free_ uint8_t *data = NULL;
	uint64_t addr;
	size_t len;
	int r;

	r = read_file(path, &data, &len);
	if (r < 0)
		return r;
	r = pt_bzimage_initrd_addr(bz, pt_mem_low_size(vm->memory), floor, len, &addr);
	if (r < 0) {
		pt_err("%s: the initrd (%zu bytes) does not fit between the kernel and the top of "
		       "low RAM: give the guest more memory", path, len);
		return r;
	}
	memcpy(vm->ram + addr, data, len);
	*ret_addr = (uint32_t)addr;
	*ret_size = (uint32_t)len;
	return 0;
}

static int load_linux_image(struct pt_vm *vm, const char *path, const uint8_t *img,
			    const struct pt_bzimage *bz, const char *initrd, const char *cmdline)
{
	struct pt_e820_entry e820[PT_E820_MAX];
	int n = pt_e820_build(vm->memory, e820), r;
	uint64_t kend = PT_GPA_HIGH + (bz->init_size > bz->kernel_len ? bz->init_size : bz->kernel_len);
	size_t clen = cmdline ? strlen(cmdline) : 0;
	uint32_t initrd_addr = 0, initrd_size = 0;

	if (kend > pt_mem_low_size(vm->memory)) {
		pt_err("%s: the kernel needs %llu MiB from 1 MiB up; the guest has %llu MiB", path,
		       (unsigned long long)((kend - PT_GPA_HIGH) >> 20),
		       (unsigned long long)(vm->memory >> 20));
		return -E2BIG;
	}
	if (clen >= PT_CMDLINE_MAX || (bz->cmdline_size && clen > bz->cmdline_size)) {
		pt_err("%s: the command line is %zu bytes; this kernel takes at most %u", path, clen,
		       bz->cmdline_size && bz->cmdline_size < PT_CMDLINE_MAX - 1 ?
		       bz->cmdline_size : PT_CMDLINE_MAX - 1);
		return -E2BIG;
	}
	memcpy(vm->ram + PT_GPA_HIGH, img + bz->kernel_off, bz->kernel_len);
	memcpy(vm->ram + PT_GPA_CMDLINE, cmdline ? cmdline : "", clen + 1);
	if (initrd) {
		r = load_initrd(vm, bz, initrd, (kend + 0xfff) & ~0xfffULL, &initrd_addr, &initrd_size);
		if (r < 0)
			return r;
	}
	pt_bzimage_zero_page(vm->ram + PT_GPA_ZERO_PAGE, img, bz, e820, n, (uint32_t)PT_GPA_CMDLINE,
			     initrd_addr, initrd_size);
	r = write_mptable(vm);
	if (r < 0)
		return r;
	write_gdt(vm, bz->entry64);
	if (bz->entry64) {
		write_page_tables(vm);
		vm->boot.mode = PT_BOOT_LONG64;
		vm->boot.rip = PT_GPA_HIGH + 0x200;
	} else {
		vm->boot.mode = PT_BOOT_PROT32;
		vm->boot.rip = bz->code32_start;
	}
	vm->boot.rsi = PT_GPA_ZERO_PAGE;
	vm->boot.loaded = true;
	pt_info("%s: Linux boot protocol %u.%02u, %s entry, %zu bytes of kernel%s", path,
		bz->version >> 8, bz->version & 0xff, bz->entry64 ? "64-bit" : "32-bit",
		bz->kernel_len, initrd ? ", initrd loaded" : "");
	return 0;
}

int pt_vm_load_linux(struct pt_vm *vm, const char *path, const char *initrd, const char *cmdline)
{
	_cleanup_free_ uint8_t *img = NULL;
	struct pt_bzimage bz;
	const char *why = NULL;
	size_t len;
	int r;

	r = read_file(path, &img, &len);
	if (r < 0)
		return r;
	r = pt_bzimage_parse(img, len, &bz, &why);
	if (r < 0)
		return parse_error(path, r, why, "not a bzImage (no \"HdrS\" setup header signature)");
	return load_linux_image(vm, path, img, &bz, initrd, cmdline);
}

int pt_vm_load_kernel(struct pt_vm *vm, const char *path, const char *initrd, const char *cmdline)
{
	_cleanup_free_ uint8_t *img = NULL;
	struct pt_multiboot_image m;
	struct pt_bzimage bz;
	const char *why = NULL;
	size_t len;
	int r;

	r = read_file(path, &img, &len);
	if (r < 0)
		return r;
	r = pt_multiboot_parse(img, len, &m, &why);
	if (r == 0) {
		if (initrd)
			pt_warn("%s: a Multiboot image: the initrd %s is not loaded (modules are not "
				"supported)", path, initrd);
		return load_multiboot_image(vm, path, img, len, &m, cmdline);
	}
	if (r != -ENOEXEC)
		return parse_error(path, r, why, NULL);
	r = pt_bzimage_parse(img, len, &bz, &why);
	if (r < 0)
		return parse_error(path, r, why, "neither a Multiboot image nor a Linux bzImage");
	return load_linux_image(vm, path, img, &bz, initrd, cmdline);
}
