/*
 * Internal to src/config: the text edits behind config/vm_edit.h, on a definition's
 * bytes in memory. Lines and sections are found as the parser finds them; the rules
 * for what is added and which lines a section owns are in vm_edit.h.
 */
#ifndef PT_CONFIG_VM_EDIT_TEXT_H
#define PT_CONFIG_VM_EDIT_TEXT_H

#include <stddef.h>

#include "common/bdf.h"
#include "config/vm_def.h"

/*
 * text[0..len) with a section for bdf appended, in *ret (malloc'ed, *ret_len
 * bytes, not NUL-terminated). -EEXIST (with a message at the header's line, for
 * path) if text has a section for bdf already, -ENOMEM.
 */
int pt_vm_text_add_device(const char *path, const char *text, size_t len,
			  const struct pt_bdf *bdf, int guest_slot, char **ret, size_t *ret_len,
			  struct pt_config_errors *errs);

/*
 * text[0..len) without the sections for bdf and the lines they own, in *ret as
 * above. -ESRCH (with a message for path) if text has no section for bdf, -ENOMEM.
 */
int pt_vm_text_remove_device(const char *path, const char *text, size_t len,
			     const struct pt_bdf *bdf, char **ret, size_t *ret_len,
			     struct pt_config_errors *errs);

#endif
