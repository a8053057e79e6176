/* An assigned device's expansion ROM: read once, served read-only from memory. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "config/rom_file.h"
#include "vmm/pci.h"
#include "vmm/rom.h"

/* The ROM BAR for len bytes: the next power of two, at least the spec's 2 KiB. */
static uint64_t bar_size(uint64_t len)
{
	uint64_t s = PT_PCI_ROM_MIN;

	while (s < len)
		s <<= 1;
	return s;
}

/* Grows img (len bytes) to the BAR's size, padding with 0xff as an erased flash reads. */
static int take_image(struct pt_vm_rom *rom, uint8_t *img, uint64_t len, const char *source)
{
	uint64_t size = bar_size(len);
	uint8_t *p = realloc(img, size);

	if (!p) {
		free(img);
		return -ENOMEM;
	}
	memset(p + len, 0xff, size - len);
	rom->image = p;
	rom->len = len;
	rom->size = size;
	rom->source = source;
	return 0;
}

/* Through the backend, 8 bytes at a time (VFIO enables the ROM BAR for each read). */
static int read_region(struct pt_assign_dev *d, uint8_t *buf, uint64_t size)
{
	for (uint64_t off = 0; off < size; off += 8) {
		uint64_t v = 0;
		int r = d->backend->region_rw(d, PT_ASSIGN_REGION_ROM, off, 8, false, &v);

		if (r < 0)
			return r;
		for (unsigned i = 0; i < 8 && off + i < size; i++)
			buf[off + i] = (uint8_t)(v >> (8 * i));
	}
	return 0;
}

/* Through sysfs "rom", read whole in one call: writing "1" enables reads. */
static int read_sysfs(struct pt_assign_dev *d, uint8_t *buf, uint64_t size)
{
	char path[96];
	ssize_t n = -1;
	int fd, err;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/rom", d->name);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, "1", 1) == 1) {
		n = pread(fd, buf, size, 0);
		err = n < 0 ? errno : EIO;
		if (write(fd, "0", 1) != 1 && n > 0)
			pt_warn("%s: could not disable ROM reads again in %s", d->name, path);
	} else {
		err = errno;
	}
	close(fd);
	if (n <= 0)
		return -err;
	if ((uint64_t)n < size)
		memset(buf + n, 0xff, size - (uint64_t)n);
	return 0;
}

static int load_device(struct pt_vm_rom *rom, struct pt_assign_dev *d)
{
	struct pt_assign_region info;
	uint8_t *img;
	int r;

	rom->source = "none";
	r = d->backend->region_info(d, PT_ASSIGN_REGION_ROM, &info);
	if (r < 0 || !info.size) {
		pt_debug("%s: no expansion ROM: the guest sees none", d->name);
		return 0;
	}
	if (info.size > PT_PCI_ROM_MAX) {
		pt_info("%s: its %llu-byte ROM is larger than the guest's bus offers (16 MiB): "
			"the guest sees no ROM (rom = FILE gives it one)", d->name,
			(unsigned long long)info.size);
		return 0;
	}
	img = malloc(info.size);
	if (!img)
		return -ENOMEM;
	/*
	 * sysfs first: one read while the kernel keeps the ROM mapped. VFIO maps and
	 * unmaps it for every region read (0.9 ms each in the testbed: 30 s for 256 KiB).
	 */
	r = read_sysfs(d, img, info.size);
	if (r < 0 && (info.flags & PT_REGION_RW)) {
		pt_debug("%s: the ROM through sysfs: %s; through %s instead", d->name,
			 strerror(-r), d->backend->name);
		r = read_region(d, img, info.size);
	}
	if (r < 0 || img[0] != 0x55 || img[1] != 0xaa) {
		pt_info("%s: its ROM %s: the guest sees no ROM (rom = FILE gives it one)",
			d->name, r < 0 ? "cannot be read" : "has no 0x55AA signature");
		if (r < 0)
			pt_debug("%s: reading the ROM: %s", d->name, strerror(-r));
		free(img);
		return 0;
	}
	return take_image(rom, img, info.size, "device");
}

int pt_vm_rom_load(struct pt_vm_rom *rom, struct pt_vm *vm, struct pt_assign_dev *d,
		   const struct pt_vm_rom_choice *choice)
{
	enum pt_rom_mode mode = choice ? choice->mode : PT_ROM_AUTO;
	const char *file = choice && choice->file ? choice->file : "(handed over)";
	const char *why = "";
	uint8_t *img = NULL;
	size_t len;
	int r;

	memset(rom, 0, sizeof(*rom));
	rom->vm = vm;
	rom->name = d->name;
	if (mode == PT_ROM_OFF) {
		rom->source = "off";
		pt_info("%s: ROM hidden (rom = off)", d->name);
		return 0;
	}
	if (mode == PT_ROM_AUTO)
		return load_device(rom, d);
	r = choice->fd >= 0 ? pt_rom_fd_read(choice->fd, &img, &len, &why)
			    : pt_rom_file_read(file, &img, &len, &why);
	if (r < 0) {
		pt_err("%s: rom = %s: %s", d->name, file, why);
		return r;
	}
	r = take_image(rom, img, len, "file");
	if (!r)
		pt_info("%s: ROM from %s (%zu bytes)", d->name, file, len);
	return r;
}

/* A guest read of the ROM: little-endian bytes of the image; writes are dropped. */
static void rom_io(void *ctx, uint64_t addr, unsigned size, bool write, uint64_t *val)
{
	const struct pt_vm_rom *rom = ctx;
	uint64_t off = addr - rom->base, v = 0;

	if (write)
		return;
	for (unsigned i = 0; i < size && i < 8; i++)
		v |= (uint64_t)(off + i < rom->size ? rom->image[off + i] : 0xff) << (8 * i);
	*val = v;
}

void pt_vm_rom_place(struct pt_vm_rom *rom, uint64_t addr, bool enabled)
{
	int r;

	if (rom->placed) {
		pt_vm_mmio_del(rom->vm, rom->base);
		rom->placed = false;
	}
	if (!enabled || !rom->size)
		return;
	rom->base = addr;
	r = pt_vm_mmio_add(rom->vm, addr, rom->size, rom_io, rom, rom->name);
	if (r < 0) {
		pt_err("%s: the ROM cannot be placed at %#llx (%llu bytes): %s", rom->name,
		       (unsigned long long)addr, (unsigned long long)rom->size, strerror(-r));
		return;
	}
	rom->placed = true;
}

json_t *pt_vm_rom_json(const struct pt_vm_rom *rom)
{
	json_t *o = json_pack("{s:s,s:I}", "source", rom->source ? rom->source : "none",
			      "size", (json_int_t)rom->size);

	if (o && rom->placed)
		json_object_set_new(o, "address", json_integer((json_int_t)rom->base));
	return o;
}

void pt_vm_rom_free(struct pt_vm_rom *rom)
{
	free(rom->image);
	rom->image = NULL;
	rom->size = 0;
}
