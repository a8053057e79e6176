/*
 * A device's `rom = /PATH` (man/passthru.ini.5): the image shown to the guest as the
 * device's expansion ROM. Loading a definition does not open it (a definition may be
 * written before its files); passthru-ctl validate and the VMM's start do, here.
 */
#ifndef PT_CONFIG_ROM_FILE_H
#define PT_CONFIG_ROM_FILE_H

#include <stddef.h>
#include <stdint.h>

#include "config/vm_def.h"

#define PT_ROM_FILE_MAX (16u << 20) /* the largest ROM BAR the guest's bus offers */

/*
 * Reads a whole ROM image: a regular file of 1 byte to PT_ROM_FILE_MAX. 0 with a
 * malloc'd buffer, or -errno: open's error, -EINVAL (not a regular file), -ENODATA
 * (empty), -EFBIG (too large); *ret_why (may be NULL) then says it in words.
 */
int pt_rom_file_read(const char *path, uint8_t **ret, size_t *ret_len, const char **ret_why);

/* The same from an open file (one handed over a socket); the fd stays the caller's. */
int pt_rom_fd_read(int fd, uint8_t **ret, size_t *ret_len, const char **ret_why);

/*
 * Checks that each device's rom file can be read (pt_rom_file_read), appending
 * "FILE:LINE: rom: '/PATH' ...: use ..." to errs for each that cannot. Returns 0,
 * -EINVAL when one cannot, -ENOMEM.
 */
int pt_vm_def_check_rom_files(const struct pt_vm_def *def, struct pt_config_errors *errs);

#endif
