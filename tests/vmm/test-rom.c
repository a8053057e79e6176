/*
 * An assigned device's ROM as loaded for its guest (vmm/rom.h), on a fake backend
 * (for a function no host has, so the region reads are the ones that count).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tap.h"
#include "vmm/rom.h"

struct fake {
	struct pt_assign_dev dev;  /* first, as backends embed it */
	uint64_t rom_size;         /* the ROM region's size (0: none) */
	uint8_t image[8192];
	int fail;                  /* region_rw's error, or 0 */
	unsigned reads;
};

static int fake_info(struct pt_assign_dev *d, unsigned index, struct pt_assign_region *ret)
{
	struct fake *f = (struct fake *)d;

	*ret = (struct pt_assign_region){ .size = index == PT_ASSIGN_REGION_ROM ? f->rom_size : 0,
					  .flags = PT_REGION_MMIO | PT_REGION_RW };
	return 0;
}

static int fake_rw(struct pt_assign_dev *d, unsigned index, uint64_t off, unsigned len,
		   bool write, uint64_t *val)
{
	struct fake *f = (struct fake *)d;

	f->reads++;
	if (write || index != PT_ASSIGN_REGION_ROM || off + len > sizeof(f->image))
		return -EINVAL;
	if (f->fail)
		return f->fail;
	*val = 0;
	memcpy(val, f->image + off, len);
	return 0;
}

static const struct pt_assign_backend fake_backend = {
	.name = "fake", .region_info = fake_info, .region_rw = fake_rw,
};

static char *json_of(const struct pt_vm_rom *rom)
{
	json_t *j = pt_vm_rom_json(rom);
	char *s = json_dumps(j, JSON_SORT_KEYS | JSON_COMPACT);

	json_decref(j);
	return s;
}

int main(void)
{
	struct tap t = { 0 };
	struct fake f = { .dev = { .backend = &fake_backend, .name = "ffff:ff:1f.7" } };
	struct pt_vm_rom rom;
	struct pt_vm_rom_choice off = { PT_ROM_OFF, NULL, -1 }, file = { PT_ROM_FILE, NULL, -1 };
	char path[] = "/tmp/test-rom.XXXXXX", *s;
	uint8_t img[3000];
	int fd;

	/* The device's own ROM: 4 KiB region, a 0x55AA image. */
	f.rom_size = 4096;
	memset(f.image, 0x11, sizeof(f.image));
	f.image[0] = 0x55;
	f.image[1] = 0xaa;
	tap_is_int(&t, pt_vm_rom_load(&rom, NULL, &f.dev, NULL), 0, "auto: loaded");
	tap_ok(&t, rom.size == 4096 && rom.len == 4096 && !strcmp(rom.source, "device"),
	       "auto: the device's 4 KiB ROM");
	tap_ok(&t, rom.image[0] == 0x55 && rom.image[1] == 0xaa && rom.image[4095] == 0x11,
	       "auto: the image as the device has it");
	tap_is_int(&t, f.reads, 4096 / 8, "auto: read once, 8 bytes at a time");
	s = json_of(&rom);
	tap_is_str(&t, s, "{\"size\":4096,\"source\":\"device\"}", "json: source and size, no address");
	free(s);
	pt_vm_rom_free(&rom);

	/* A ROM that reads 0xff (none behind the BAR), and one whose reads fail. */
	memset(f.image, 0xff, sizeof(f.image));
	tap_is_int(&t, pt_vm_rom_load(&rom, NULL, &f.dev, NULL), 0, "no signature: no error");
	tap_ok(&t, rom.size == 0 && !strcmp(rom.source, "none"), "no signature: no ROM BAR");
	pt_vm_rom_free(&rom);
	f.fail = -EIO;
	tap_is_int(&t, pt_vm_rom_load(&rom, NULL, &f.dev, NULL), 0, "read error: no error");
	tap_ok(&t, rom.size == 0 && !strcmp(rom.source, "none"), "read error: no ROM BAR");
	pt_vm_rom_free(&rom);
	f.rom_size = 0;
	f.reads = 0;
	tap_is_int(&t, pt_vm_rom_load(&rom, NULL, &f.dev, NULL), 0, "no ROM region: no error");
	tap_ok(&t, rom.size == 0 && f.reads == 0, "no ROM region: nothing read, no ROM BAR");
	pt_vm_rom_free(&rom);

	tap_is_int(&t, pt_vm_rom_load(&rom, NULL, &f.dev, &off), 0, "off: loaded");
	s = json_of(&rom);
	tap_is_str(&t, s, "{\"size\":0,\"source\":\"off\"}", "off: no ROM BAR");
	free(s);
	pt_vm_rom_free(&rom);

	/* A 3000-byte file: a 4 KiB BAR, padded with 0xff; by path and by descriptor. */
	memset(img, 0x42, sizeof(img));
	fd = mkstemp(path);
	tap_ok(&t, fd >= 0 && write(fd, img, sizeof(img)) == (ssize_t)sizeof(img), "a ROM file");
	file.file = path;
	tap_is_int(&t, pt_vm_rom_load(&rom, NULL, &f.dev, &file), 0, "file: loaded");
	tap_ok(&t, rom.size == 4096 && rom.len == 3000 && !strcmp(rom.source, "file") &&
	       rom.image[2999] == 0x42 && rom.image[3000] == 0xff && rom.image[4095] == 0xff,
	       "file: 3000 bytes in a 4 KiB ROM BAR, the rest 0xff");
	pt_vm_rom_free(&rom);
	file.fd = fd;
	file.file = NULL;
	tap_is_int(&t, pt_vm_rom_load(&rom, NULL, &f.dev, &file), 0, "file by descriptor: loaded");
	tap_ok(&t, rom.size == 4096 && rom.len == 3000, "file by descriptor: the same image");
	pt_vm_rom_free(&rom);
	tap_ok(&t, fcntl(fd, F_GETFD) >= 0, "the descriptor stays the caller's");
	close(fd);
	fd = open(path, O_WRONLY | O_TRUNC);
	close(fd);
	file.fd = -1;
	file.file = path;
	tap_is_int(&t, pt_vm_rom_load(&rom, NULL, &f.dev, &file), -ENODATA, "an empty file: -ENODATA");
	unlink(path);
	tap_is_int(&t, pt_vm_rom_load(&rom, NULL, &f.dev, &file), -ENOENT, "a missing file: -ENOENT");
	return tap_done(&t);
}
